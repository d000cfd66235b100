// keepalived.conf syntax quirks the parser noted (parse.ts): a one-line block
// keeps only its first keyword, ';' is no separator, '//' no comment, an include
// that matches nothing, `@id` lines of a file whose config id is unknown.
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
