// Keywords keepalived does not know inside the blocks the doctor models
// (keywords.ts lists keepalived 2.2.7's): keepalived ignores the line and uses
// its default. With keepalived's own config test this is its "Unknown keyword"
// line instead (keepalived-says), so here only where it did not run.
import { BLOCK_KEYWORDS, TOP_KEYWORDS, distance } from '../keywords.js';
import { spacedDefinition, unknownKeyword } from '../messages.js';
import type { KNode } from '../parse.js';
import { finding, type Family, type Finding, type Side } from './types.js';

function unknownIn(side: Side): Finding[] {
  const out: Finding[] = [];
  const walk = (nodes: KNode[], block?: string) => {
    for (const n of nodes) {
      const known = block ? BLOCK_KEYWORDS[block] : undefined;
      if (!block && !TOP_KEYWORDS.has(n.keyword) && n.children) {
        // a misspelt block (`vrrp_instnace`): keepalived skips the whole block
        const meant = nearestBlock(n.keyword);
        out.push(finding(meant ? 'error' : 'warning', 'unknown-keyword', n, `unknown keyword \`${n.keyword}\`: keepalived ignores the whole block${meant ? ` (did you mean \`${meant}\`?)` : ''}`, meant ? `\`${meant}\`` : 'check the spelling against keepalived.conf(5)', `line:${n.file}:${n.line}`));
        continue;
      }
      const spaced = !block ? spacedDefinition(n) : undefined;
      if (spaced) {
        out.push(finding(spaced.severity, 'unknown-keyword', n, spaced.message, spaced.fix, `line:${n.file}:${n.line}`));
        continue;
      }
      if (known && !known.has(n.keyword)) {
        const u = unknownKeyword(n.keyword, block);
        out.push(finding(u.severity, 'unknown-keyword', n, u.message, u.fix, `line:${n.file}:${n.line}`));
        continue;
      }
      // only the modeled blocks' own keywords: track_script/virtual_ipaddress children are names and addresses
      if (n.children && !block && BLOCK_KEYWORDS[n.keyword]) walk(n.children, n.keyword);
    }
  };
  walk(side.parsed.nodes);
  return out;
}

function nearestBlock(word: string): string | undefined {
  const blocks = Object.keys(BLOCK_KEYWORDS);
  let best: string | undefined;
  let bestD = 3;
  for (const b of blocks) {
    const d = distance(word, b);
    if (d < bestD) [best, bestD] = [b, d];
  }
  return best;
}

export const keywords: Family = (ctx) => [ctx.local, ctx.peer].flatMap((s) => (s && !s.complete ? unknownIn(s) : []));
