// keepalived.conf syntax quirks the parser noted (parse.ts): a one-line block
// keeps only its first keyword, ';' is no separator, '//' no comment, an include
// that matches nothing or names a file keepalived skips, a byte-order mark, an unknown
// keyword's block inside a block, `@id` lines of a file whose config id is unknown.
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
    } else if (n.kind === 'long-line') {
      out.push(finding('error', 'long-line', n, `this line is ${n.text}: keepalived reads a line 1023 bytes at a time, so it cuts \`${n.keyword}\` … there and reads the rest as a line of its own (an unknown keyword, or a value lost)`,
        'shorten the line (a long command belongs in a script file; spaces used for alignment count too)'));
    } else if (n.kind === 'include-empty') {
      out.push(finding('warning', 'include-empty', n, `${n.keyword} ${n.text} matches no file: nothing is included`, 'fix the path (relative paths are relative to the including file)'));
    } else if (n.kind === 'include-skipped' && n.skipped) {
      // lib/parser.c check_glob_file: only regular files without an execute bit are read
      const exec = n.skipped.what.startsWith('executable');
      out.push(finding(exec ? 'error' : 'warning', 'include-skipped', n, `${n.keyword} ${n.text}: ${n.skipped.path} is ${n.skipped.what}: keepalived reads only regular files without an execute bit ("not a regular non-executable file - skipping"), so nothing in it is read`,
        exec ? `chmod a-x ${n.skipped.path}` : 'include regular files only'));
    } else if (n.kind === 'bom') {
      out.push(finding('error', 'bom', n, `the file starts with a UTF-8 byte-order mark: keepalived reads it as part of the first keyword${n.keyword ? ` (\`${n.keyword}\` becomes an unknown keyword, and what it sets is lost)` : ''}`, 'save the file without a byte-order mark (UTF-8 without BOM)'));
    } else if (n.kind === 'block-not-skipped') {
      const lost = n.lost?.length ? `: ${n.lost.map((l) => `\`${l}\``).join(', ')} ${n.lost.length > 1 ? 'are' : 'is'} read at the top level and ignored` : '';
      out.push(finding('error', 'block-not-skipped', n, `unknown keyword \`${n.keyword}\` with a block inside ${n.text}: keepalived does not skip that block: it ignores the '{' ("Unexpected '{' - ignoring"), reads the lines inside as keywords of ${n.text}, and the block's '}' closes ${n.text}${lost}`,
        `fix the spelling of \`${n.keyword}\` (see keepalived.conf(5))`));
    }
  }
  // the peer's `@id` lines: which are read depends on the peer's node name, which this host cannot know
  for (const n of ctx.peer?.parsed.notes ?? []) {
    if (n.kind !== 'config-id-unknown') continue;
    out.push(finding('warning', 'config-id-unknown', n, `\`${n.text}\`: keepalived on the peer reads an @id line only when its config id (its node name up to the first dot, or -i) matches, and @^id lines only when it does not; the doctor does not know the peer's, so it read them all (the last value wins) and the peer's priorities may be wrong`,
      "pass the peer's node name: --peer-config-id NAME (this node's is its own, or --config-id)"));
  }
  return out;
};
