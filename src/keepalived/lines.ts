// keepalived 2.2.7's line reader, step by step (lib/parser.c): what read_line() does to
// a line before process_stream() sees it. Pure functions; parse.ts drives them.
//
// - decomment(): blanks off both ends, `#`/`!` outside double quotes start a comment,
//   `\#`/`\!` are literal, a trailing backslash stays glued to the text
// - the `@id` conditional, `$NAME=value` definitions and `$NAME` substitution
//   (find_definition, replace_param), run again on what a substitution made
// - the split at the first `{` or `}` outside double quotes: the brace is a line of
//   its own and the rest of the line ("line_residue") is read like a new line
// - alloc_strvec_r(): words split at blanks; only double quotes group, no escapes
// Single quotes mean nothing to any of these (only a script's command line is split
// again with quotes and escapes: alloc_strvec_quoted_escaped, see quotedWords).

/** lib/parser.c WHITE_SPACE_STR: the blanks alloc_strvec_r splits words at (C's, not JS's \s: no BOM, no NBSP) */
const WHITE = ' \t\f\n\r\v';
const isWhite = (c: string | undefined) => c !== undefined && c !== '' && WHITE.includes(c);
const isBlank = (c: string | undefined) => c === ' ' || c === '\t';
/** keepalived's line buffer (MAXBUF): a substitution that would make a line this long is not done (replace_param) */
const MAXBUF = 1024;

const trimBlanksEnd = (s: string) => {
  let e = s.length;
  while (e > 0 && isBlank(s[e - 1])) e--;
  return s.slice(0, e);
};
const trimBlanksStart = (s: string) => {
  let i = 0;
  while (i < s.length && isBlank(s[i])) i++;
  return s.slice(i);
};

/**
 * lib/parser.c decomment(): leading blanks off; `#` or `!` outside double quotes cuts the
 * line (a `\#` / `\!` outside quotes is the character itself, any other backslash keeps
 * the character after it); trailing blanks off; a backslash ending the line stays, glued
 * to the text (`priority \` → `priority\`), even after a comment. `unterminated`: a double
 * quote is left open (keepalived: "Unterminated quote").
 */
export function decomment(line: string): { text: string; unterminated: boolean } {
  const s = trimBlanksStart(line);
  let out = '';
  let quote = false;
  let cont = false;
  let skip = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"') {
      if (skip < 0) quote = !quote;
      out += c;
    } else if (c === '\\') {
      if (i + 1 >= s.length) {
        cont = true;
        break;
      }
      const n = s[++i];
      out += !quote && (n === '#' || n === '!') ? n : c + n;
    } else {
      if (!quote && skip < 0 && (c === '!' || c === '#')) skip = out.length;
      out += c;
    }
  }
  if (skip >= 0) out = out.slice(0, skip);
  out = trimBlanksEnd(out);
  return { text: cont ? `${out}\\` : out, unterminated: quote };
}

/**
 * lib/parser.c alloc_strvec_r(): the words process_stream() matches keywords on. Blank-
 * separated; a word starting with `"` runs to the next `"` (without them), any other word
 * stops at a blank or a `"` (`ab"c d"` is `ab`, `c d`). No escapes, no single quotes.
 * An unmatched `"` ends the line there ("Unmatched quote").
 */
export function words(text: string): { tokens: string[]; unmatched: boolean } {
  const tokens: string[] = [];
  let i = 0;
  for (;;) {
    while (i < text.length && isWhite(text[i])) i++;
    if (i >= text.length) return { tokens, unmatched: false };
    if (text[i] === '"') {
      const e = text.indexOf('"', i + 1);
      if (e < 0) return { tokens, unmatched: true };
      tokens.push(text.slice(i + 1, e));
      i = e + 1;
    } else {
      let e = i;
      while (e < text.length && !isWhite(text[e]) && text[e] !== '"') e++;
      tokens.push(text.slice(i, e));
      i = e;
    }
  }
}

const ESCAPES: Record<string, string> = { a: '\x07', b: '\b', E: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
const isHex = (c: string | undefined) => c !== undefined && /^[0-9a-fA-F]$/.test(c);
const isOct = (c: string | undefined) => c !== undefined && c >= '0' && c <= '7';

/**
 * lib/parser.c alloc_strvec_quoted_escaped(): how keepalived splits a script's command
 * line (notify.c set_script_params_array): blank-separated words, double and single
 * quotes group, backslash escapes (\n, \t, \xHH, \ooo, \cX, \" …). Undefined where
 * keepalived gives up: an unterminated quote, a backslash ending the text.
 */
export function quotedWords(text: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  let quote = '';
  while (i < text.length) {
    while (i < text.length && isWhite(text[i])) i++;
    if (i >= text.length) break;
    let word = '';
    while (i < text.length) {
      const c = text[i];
      if (c === '\\') {
        const n = text[++i];
        if (n === undefined) return undefined;
        if (n === 'x' && isHex(text[i + 1])) {
          let v = 0;
          i++;
          while (isHex(text[i])) v = ((v << 4) | parseInt(text[i++], 16)) & 0xff;
          word += String.fromCharCode(v);
        } else if (n === 'c' && text[i + 1] !== undefined) {
          word += String.fromCharCode(text.charCodeAt(++i) & 0x1f);
          i++;
        } else if (isOct(n)) {
          let v = Number(n);
          i++;
          for (let k = 0; k < 2 && isOct(text[i]); k++) v = ((v << 3) + Number(text[i++])) & 0xff;
          word += String.fromCharCode(v);
        } else {
          word += ESCAPES[n] ?? n;
          i++;
        }
      } else if (quote) {
        if (c === quote) quote = '';
        else word += c;
        i++;
      } else if (c === '"' || c === "'") {
        quote = c;
        i++;
      } else if (isWhite(c)) break;
      else {
        word += c;
        i++;
      }
    }
    if (quote) return undefined;
    out.push(word);
  }
  return out;
}

/**
 * read_line()'s split at a brace: the first `{` or `}` outside double quotes (none after an
 * unmatched `"`). A line starting with a brace is that brace, the rest (blanks skipped) its
 * residue; otherwise the text before the brace, and the residue starts with the brace.
 * keepalived reads the residue as the next line: through the `@id` check, definitions,
 * substitution and the include check again.
 */
export function splitAtBrace(buf: string): { head: string; residue?: string } {
  let p = -1;
  if (buf[0] === '{' || buf[0] === '}') p = 0;
  else {
    for (let i = 0; i < buf.length; i++) {
      const c = buf[i];
      if (c === '{' || c === '}') {
        p = i;
        break;
      }
      if (c === '"') {
        const e = buf.indexOf('"', i + 1);
        if (e < 0) break;
        i = e;
      }
    }
  }
  if (p < 0) return { head: trimBlanksEnd(buf) };
  if (p === 0) {
    const rest = trimBlanksEnd(trimBlanksStart(buf.slice(1)));
    return rest ? { head: buf[0], residue: rest } : { head: buf[0] };
  }
  return { head: trimBlanksEnd(buf.slice(0, p)), residue: trimBlanksEnd(buf.slice(p)) };
}

/**
 * read_line()'s `@id` / `@^id` check on a line starting with `@`: the id runs to the first
 * blank (no blank: keepalived drops the line). `read`: whether this config id reads it
 * (undefined id: keepalived's own id is never undefined, the caller decides). `rest`: the
 * line without `@id` and the blanks after it.
 */
export function conditional(buf: string): { id: string; reverse: boolean; rest: string } | undefined {
  const reverse = buf[1] === '^';
  const start = reverse ? 2 : 1;
  let b = start;
  while (b < buf.length && !isBlank(buf[b])) b++;
  if (b >= buf.length) return undefined;
  return { id: buf.slice(start, b), reverse, rest: trimBlanksStart(buf.slice(b)) };
}

/** keepalived's check_definition(): `$NAME=value` (no blank before `=`), NAME a letter or `_` then letters, digits, `_`. */
export function definition(buf: string): { name: string; value: string; multiline: boolean } | undefined {
  const m = /^\$([A-Za-z_][A-Za-z0-9_]*)=[ \t]*(.*)$/s.exec(buf);
  if (!m) return undefined;
  const v = m[2];
  if (!v.endsWith('\\')) return { name: m[1], value: v, multiline: false };
  return { name: m[1], value: trimBlanksEnd(v.slice(0, -1)), multiline: true };
}

/** A definition as find_definition() sees it: one value, or the lines of a multi-line one. */
export interface Definition {
  value: string;
  lines?: string[];
  /** ${_RANDOM min max}: the only definition taking parameters */
  params?: boolean;
}

/**
 * lib/parser.c find_definition() at `$` + 1: `${NAME}` (`${NAME 1 2}` with digit parameters),
 * or `$NAME` followed by a blank, `,`, `)` or the end of the line, nothing else (`$W;` is not
 * a reference: it stays as written). `atEnd`: the reference ends the line, the only place a
 * multi-line definition is used.
 */
export function reference(buf: string, at: number): { name: string; end: number; params: boolean; atEnd: boolean; paramText?: string } | undefined {
  const braces = buf[at] === '{';
  const n = braces ? at + 1 : at;
  if (!/[A-Za-z_]/.test(buf[n] ?? '')) return undefined;
  let e = n + 1;
  while (e < buf.length && /[A-Za-z0-9_]/.test(buf[e])) e++;
  const name = buf.slice(n, e);
  if (!braces) {
    if (e < buf.length && !' \t,)'.includes(buf[e])) return undefined;
    return { name, end: e, params: false, atEnd: e === buf.length };
  }
  let p = e;
  let first = -1;
  let last = -1;
  while (p < buf.length && (buf[p] === ' ' || (buf[p] >= '0' && buf[p] <= '9'))) {
    if (buf[p] !== ' ') {
      if (first < 0) first = p;
      last = p;
    }
    p++;
  }
  if (first >= 0 && last + 1 !== p) return undefined;
  if (buf[p] !== '}') return undefined;
  return { name, end: p + 1, params: first >= 0, atEnd: e + 1 === buf.length, ...(first >= 0 && { paramText: buf.slice(first, last + 1) }) };
}

/** How many substitutions one line may take: keepalived loops forever on `$A=$A`; the model stops. */
export const MAX_SUBSTITUTIONS = 10_000;

/**
 * lib/parser.c replace_param(): each `$` in turn; a reference to a known definition is
 * replaced and the scan goes on at the same place (so a value's own `$NAME` is replaced
 * too); a value starting with `~` ends the scan. A multi-line definition gives its first
 * line in place and `more` (read as the next lines). `changed` false when nothing was
 * replaced, or when a replacement would exceed keepalived's 1024-byte buffer
 * ("Parameter substitution on line … would exceed maximum line length"): keepalived then
 * keeps the line as far as it got. `loop`: the substitutions never end (a definition using itself).
 */
export function replaceParams(buf: string, lookup: (name: string, atEnd: boolean, params: boolean, paramText?: string) => Definition | undefined):
  { text: string; changed: boolean; more: string[]; loop?: boolean } {
  let pos = 0;
  let changed = false;
  let more: string[] = [];
  let count = 0;
  while ((pos = buf.indexOf('$', pos)) >= 0 && pos + 1 < buf.length) {
    const ref = reference(buf, pos + 1);
    const def = ref && lookup(ref.name, ref.atEnd, ref.params, ref.paramText);
    if (!ref || !def) {
      pos++;
      continue;
    }
    if (++count > MAX_SUBSTITUTIONS) return { text: buf, changed: false, more, loop: true };
    const value = def.lines ? (def.lines[0] ?? '') : def.value;
    const next = buf.slice(0, pos) + value + buf.slice(ref.end);
    if (Buffer.byteLength(next) >= MAXBUF) return { text: buf, changed: false, more };
    buf = next;
    changed = true;
    if (def.lines) more = [...def.lines.slice(1), ...more];
    if (trimBlanksStart(def.lines ? def.lines.join('\n') : def.value).startsWith('~')) break;
  }
  return { text: buf, changed, more };
}

/**
 * lib/parser.c is_include()/check_include(): `include`, `includer`, `includem`, `includew`,
 * `includeb`, `includea` then a blank; the file name is the whole rest of the line (blanks
 * skipped, nothing unquoted or split).
 */
export function include(buf: string): { keyword: string; pattern: string } | undefined {
  const m = /^(include[rmwba]?)[ \t\f\n\r\v]/.exec(buf);
  if (!m) return undefined;
  return { keyword: m[1], pattern: trimBlanksStart(buf.slice(m[1].length + 1)) };
}

/** The text outside double quotes (for the `;` and `//` notes). */
export const unquoted = (text: string) => text.replace(/"[^"]*("|$)/g, ' ');
