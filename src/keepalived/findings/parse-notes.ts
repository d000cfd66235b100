// keepalived.conf syntax quirks the parser noted (parse.ts): a one-line block
// keeps only its first keyword, ';' is no separator, '//' no comment, an include
// that matches nothing.
import { finding, where, type Family, type Finding } from './types.js';

export const parseNotes: Family = (ctx) => {
  const out: Finding[] = [];
  const parsed = ctx.local.parsed;
  const oneLine = new Set(parsed.notes.filter((n) => n.kind === 'one-line-block').map((n) => where(n)));
  for (const n of parsed.notes) {
    if (n.kind === 'one-line-block') {
      out.push(finding('error', 'one-line-block', n, `one-line block \`${n.text}\`: keepalived reads only the first keyword inside { }; ${n.lost?.map((l) => `\`${l}\``).join(', ')} ${n.lost && n.lost.length > 1 ? 'are' : 'is'} silently dropped`,
        'write the block over several lines, one keyword per line'));
    } else if (n.kind === 'semicolon' && !oneLine.has(where(n))) {
      out.push(finding('warning', 'semicolon', n, `\`${n.text}\`: keepalived has no ';' separator: the ';' becomes part of the value`, "remove the ';' and put one keyword per line"));
    } else if (n.kind === 'slash-comment') {
      out.push(finding('warning', 'slash-comment', n, `\`${n.text}\`: '//' is not a comment in keepalived.conf: the words after it are read as values`, "use '#' or '!' for comments"));
    } else if (n.kind === 'include-empty') {
      out.push(finding('warning', 'include-empty', n, `${n.keyword} ${n.text} matches no file: nothing is included`, 'fix the path (relative paths are relative to the including file)'));
    }
  }
  return out;
};
