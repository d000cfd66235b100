// keepalived.conf syntax quirks the parser noted (parse.ts): a one-line block
// keeps only its first keyword, ';' is no separator, '//' no comment, an include
// that matches nothing or names a file keepalived skips, a byte-order mark, an unknown
// keyword's block inside a block, `@id` lines of a file whose config id is unknown.
import { finding, where, type Family, type Finding } from './types.js';
import { words } from '../lines.js';
import { BLOCK_KEYWORDS } from '../keywords.js';
import { nodeAt } from '../messages.js';
import type { Parsed, ParseNote } from '../parse.js';

/** The subject of a parse note's finding: keepalived's own lines about the same place join it (messages.ts). */
export const noteSubject = (n: { kind: string; file: string; line: number }) => `parse:${n.kind}:${n.file}:${n.line}`;

const list = (xs: string[]) => xs.map((x) => `\`${x}\``).join(', ');

/**
 * Quotes and braces keepalived 2.2.7 reports and reads on (lib/parser.c decomment, read_line,
 * process_stream, alloc_value_block): what it makes of the line or the block instead.
 */
function braceNote(n: ParseNote, parsed: Parsed): Finding | undefined {
  const s = noteSubject(n);
  if (n.kind === 'unterminated-quote') {
    const before = words(n.text).tokens;
    const at = nodeAt(parsed, n);
    // vrrp_parser.c vrrp_vscript_script_handler: alloc_strvec_quoted_escaped gives up ("missing terminating \""), set_script_params_array gets NULL
    const crash = at?.node.keyword === 'script' && at.block?.keyword === 'vrrp_script';
    const cut = parsed.notes.some((o) => o.kind === 'long-line' && o.file === n.file && o.line === n.line);
    return finding('error', 'unterminated-quote', n, `\`${n.text}\`: a double quote is never closed${cut ? ' (the line is longer than keepalived reads: it cuts it at 1023 bytes, inside the quote)' : ''}: keepalived reports "Unterminated quote" and reads the line only up to the quote${before.length ? ` (${list([before.join(' ')])})` : ' (nothing)'}; the rest is lost${crash
      ? '. On a vrrp_script\'s script line keepalived 2.2.7 crashes while loading the config (its --config-test dies with SIGSEGV: the script handler gets no command to split)' : ''}`,
    'close the quote on the same line (keepalived has no multi-line strings)', s);
  }
  if (n.kind === 'missing-brace') {
    const lost = n.lost?.length ? `: ${list(n.lost)} ${n.lost.length > 1 ? 'are' : 'is'} read as part of it${n.block === 'sub' ? ' (unknown keywords there, ignored)' : ' (entries of the list)'}` : '';
    const args = parsed.notes.find((o) => o.kind === 'block-args' && o.file === n.file && o.line === n.line)?.lost ?? [];
    const says = n.block === 'sub' ? 'keepalived says "Missing \'{\' at beginning of configuration block" and' : `keepalived${args.length ? ` ignores ${list(args)} on the keyword's line ("Block ${n.keyword} has extra parameters …") and` : ''}`;
    if (!n.lost?.length && !args.length) {
      return finding('warning', 'missing-brace', n, `\`${n.text}\` has no '{' on its line or the next: ${says} reads the lines up to the next '}' into ${n.keyword} all the same, so it loads as meant here (the "Unknown keyword" lines quoted are keepalived's other processes skipping the block)`,
        `write \`${n.text} {\``, s);
    }
    return finding('error', 'missing-brace', n, `\`${n.text}\` opens a block but no '{' follows on its line or the next: ${says} still reads every line up to the next '}' into ${n.keyword}${lost}, and that '}' is the one that closes it`,
      n.block === 'value' ? `write \`${n.keyword} {\`, one entry a line${args.length ? ` (${args.join(' ')})` : ''}, then '}'` : `write \`${n.text} {\` and close the block with '}'`, s);
  }
  if (n.kind === 'block-args') {
    if (parsed.notes.some((o) => o.kind === 'missing-brace' && o.file === n.file && o.line === n.line)) return undefined;
    return finding('error', 'block-args', n, `\`${n.text}\`: ${n.keyword} takes its entries only inside { }, one per line: keepalived ignores ${list(n.lost ?? [])} on the keyword's line ("Block ${n.keyword} has extra parameters …")`,
      `write \`${n.keyword} {\`, one entry a line (${(n.lost ?? []).join(' ')}), then '}'`, s);
  }
  if (n.kind === 'extra-brace') {
    return finding('warning', 'extra-brace', n, `a '}' with no block open: keepalived says "Extra '}' found" and ignores it; the block it was meant to close ended earlier (the doctor reads the blocks as keepalived does)`,
      "remove the extra '}', or the earlier one that closes the block too soon", s);
  }
  if (n.kind === 'stray-brace') {
    return finding('warning', 'stray-brace', n, `a '{' with no keyword before it: keepalived ignores it ("Unexpected '{' - ignoring") and reads the lines after it as if it were not there; the '}' meant to close it is then an unknown keyword`, "remove the '{', or put it after the keyword it belongs to", s);
  }
  if (n.kind === 'conditional-brace') {
    return finding('warning', 'conditional-brace', n, `\`${n.text}\` is not read with config id ${n.lost?.[0]} and its brace goes with it: the lines of the block it opens or closes are read without it (at the level around it), and the matching brace stands alone`,
      'put the @id on every line of the block, or on none: a whole block is conditional only if its opening and closing lines both are', s);
  }
  if (n.kind === 'seq-invalid') {
    return finding('error', 'seq-invalid', n, `keepalived says "${n.text}" and drops the line: nothing of what it would repeat is read`,
      `${n.keyword}(var, [start,] [step,] end) then the text to repeat: whole numbers (0x… hex, a leading 0 is octal), a step that moves from start towards end`, s);
  }
  if (n.kind === 'random') {
    const [min, max] = n.lost ?? ['0', '32767'];
    return finding('warning', 'random', n, `\`${n.text}\`: keepalived puts a random whole number from ${min} to ${max} here (lib/parser.c get_random), a new one each time it reads the config (at start, in each of its processes, on every reload): the doctor counted with ${min}, and what it says about this line holds for that value only`,
      'write the number you mean; a priority or virtual_router_id that changes at each reload changes who is MASTER', s);
  }
  if (n.kind === 'unclosed-block') {
    return finding('error', 'unclosed-block', n, `\`${n.text}\` is never closed: keepalived reads every line to the end of the file as part of it`, "add the missing '}'", s);
  }
  return undefined;
}


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
    } else if (n.kind === 'long-line') {
      out.push(finding('error', 'long-line', n, `this line is ${n.text}: keepalived reads a line 1023 bytes at a time, so it cuts \`${n.keyword}\` … there and reads the rest as a line of its own (an unknown keyword, or a value lost)`,
        'shorten the line (a long command belongs in a script file; spaces used for alignment count too)'));
    } else if (n.kind === 'include-empty') {
      // lib/parser.c check_include: the rest of the line is the pattern, quotes and all
      const quoted = /^["']/.test(n.text);
      out.push(finding(quoted ? 'error' : 'warning', 'include-empty', n, `${n.keyword} ${n.text} matches no file: nothing is included${quoted ? ' (keepalived takes the quotes as part of the file name)' : ''}`,
        quoted ? `${n.keyword} ${n.text.replace(/^["']|["']$/g, '')}` : 'fix the path (relative paths are relative to the including file)', noteSubject(n)));
    } else if (n.kind === 'include-skipped' && n.skipped) {
      // lib/parser.c check_glob_file: only regular files without an execute bit are read
      const exec = n.skipped.what.startsWith('executable');
      out.push(finding(exec ? 'error' : 'warning', 'include-skipped', n, `${n.keyword} ${n.text}: ${n.skipped.path} is ${n.skipped.what}: keepalived reads only regular files without an execute bit ("not a regular non-executable file - skipping"), so nothing in it is read`,
        exec ? `chmod a-x ${n.skipped.path}` : 'include regular files only', `${noteSubject(n)}:${n.skipped.path}`));
    } else if (n.kind === 'bom') {
      out.push(finding('error', 'bom', n, `the file starts with a UTF-8 byte-order mark: keepalived reads it as part of the first keyword${n.keyword ? ` (\`${n.keyword}\` becomes an unknown keyword, and what it sets is lost)` : ''}`, 'save the file without a byte-order mark (UTF-8 without BOM)'));
    } else if (n.kind === 'block-not-skipped') {
      const lost = n.lost?.length ? `: ${n.lost.map((l) => `\`${l}\``).join(', ')} ${n.lost.length > 1 ? 'are' : 'is'} read at the top level and ignored` : '';
      const known = BLOCK_KEYWORDS[n.text.split(' ')[0]]?.has(n.keyword);
      out.push(finding('error', 'block-not-skipped', n, `${known ? `\`${n.keyword}\` takes no { } block, yet one follows it` : `unknown keyword \`${n.keyword}\` with a block`} inside ${n.text}: keepalived does not skip that block: it ignores the '{' ("Unexpected '{' - ignoring"), reads the lines inside as keywords of ${n.text}, and the block's '}' closes ${n.text}${lost}`,
        known ? `remove the { } around what follows \`${n.keyword}\` (one keyword per line)` : `fix the spelling of \`${n.keyword}\` (see keepalived.conf(5))`, noteSubject(n)));
    }
  }
  for (const n of [...parsed.notes, ...(ctx.peer?.parsed.notes ?? [])]) {
    const f = braceNote(n, n.file && ctx.peer?.parsed.files.includes(n.file) && !parsed.files.includes(n.file) ? ctx.peer.parsed : parsed);
    if (f) out.push(f);
  }
  // the peer's `@id` lines: which are read depends on the peer's node name, which this host cannot know
  for (const n of ctx.peer?.parsed.notes ?? []) {
    if (n.kind !== 'config-id-unknown') continue;
    out.push(finding('warning', 'config-id-unknown', n, `\`${n.text}\`: keepalived on the peer reads an @id line only when its config id (its node name up to the first dot, or -i) matches, and @^id lines only when it does not; the doctor does not know the peer's, so it read them all (the last value wins) and the peer's priorities may be wrong`,
      "pass the peer's node name: --peer-config-id NAME (this node's is its own, or --config-id)"));
  }
  return out;
};
