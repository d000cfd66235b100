// keepalived.conf reader: the model of what keepalived 2.2.7 reads (lib/parser.c read_line,
// process_stream), with file:line kept for every keyword so the doctor can point at the line.
// The line-level steps (comments, `@id`, definitions and substitution, the split at braces,
// words) are lines.ts; here: files and includes, the order of the steps, and the block tree.
//
// - a line is split at every `{` and `}` outside double quotes: each brace is a line of its
//   own, and the rest of the line is read like a new line (`@id`, definitions, includes again)
// - comments start with `#` or `!` outside double quotes; only double quotes group words
//   (a single quote is an ordinary character, as in keepalived)
// - `include` (and includer/includem/includew/includeb/includea) with globs, relative to the
//   including file, sorted; only regular files without an execute bit are read
// - `$NAME=value` / `$NAME=\` definitions, `$NAME` (before a blank, `,`, `)` or the end of the
//   line) and `${NAME}` substitution, `~SEQ`/`~SEQx`/`~LST` repetition, `@id` conditional lines
// Quirks keepalived has and users trip over are recorded as notes (not errors): a one-line
// `{ a; b }` block (keepalived keeps only the first keyword), a `;` (not a separator), `//`
// (not a comment), an unknown keyword's block inside a block (keepalived does not skip it).
import { closeSync, constants, fstatSync, globSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve, isAbsolute, relative } from 'node:path';
import { BLOCK_KEYWORDS, BLOCK_KEYWORDS as KNOWN_IN, BLOCK_OPENERS, TOP_KEYWORDS } from './keywords.js';
import { conditional, decomment, definition, include, replaceParams, splitAtBrace, unquoted, words, type Definition } from './lines.js';
import { kind } from '../sys/trusted-file.js';

export interface Loc {
  file: string;
  line: number;
}

export interface KNode extends Loc {
  keyword: string;
  args: string[];
  /** present when the keyword opened a `{ … }` block */
  children?: KNode[];
  /** the block was written on one line: `kw { a b }` */
  oneLine?: boolean;
  /** the line's text as keepalived hands it to the keyword (buf_extern: a script line is split again from it, with quotes and escapes) */
  raw?: string;
}

export type ParseNoteKind = 'one-line-block' | 'semicolon' | 'slash-comment' | 'include-empty' | 'include-skipped' | 'config-id-unknown' | 'long-line' | 'bom' | 'block-not-skipped'
  | 'unterminated-quote' | 'missing-brace' | 'block-args' | 'extra-brace' | 'stray-brace' | 'unclosed-block' | 'random' | 'seq-invalid' | 'conditional-brace';

export interface ParseNote extends Loc {
  kind: ParseNoteKind;
  /** the block keyword (one-line-block) or the keyword of the line */
  keyword: string;
  text: string;
  /** what keepalived silently drops (one-line-block), or reads at the top level and ignores (block-not-skipped) */
  lost?: string[];
  /** include-skipped: the file keepalived does not read and why */
  skipped?: IncludeSkip;
  /** missing-brace: what the block is (BLOCK_OPENERS), and the line of the `}` that closes it (same file) */
  block?: 'sub' | 'value';
  end?: number;
}

export interface Parsed {
  nodes: KNode[];
  /** every file read, main file first */
  files: string[];
  /** absolute path of each of `files` (keepalived's messages name files this way) */
  paths: string[];
  notes: ParseNote[];
  /** absolute path → the file's line of each line keepalived counts (index: its line number − 1), for files with a line cut in two */
  lineMaps: Map<string, number[]>;
}

export class KeepalivedParseError extends Error {
  constructor(readonly file: string, readonly line: number, readonly reason: string) {
    super(`${file}:${line}: ${reason}`);
  }
}

export interface ParseOptions {
  /** how files are read (tests); default fs.readFileSync utf8 */
  readFile?: (path: string) => string;
  /** shown in messages instead of absolute paths (default: relative to cwd when shorter) */
  display?: (path: string) => string;
  /**
   * keepalived's config id (`keepalived -i ID`; without -i the node name up to its first dot,
   * see configIdOf): an `@ID keyword …` line is read only when ID matches, an `@^ID …` line
   * only when it does not (keepalived.conf(5), "Conditional configuration"). Undefined: the id
   * is unknown (the peer's file without --peer-config-id): every such line is read, and a
   * `config-id-unknown` note says so.
   */
  configId?: string;
}

/** keepalived's default config id: the node name (uname -n) up to its first dot (2.2.7: "lb1.example.com" → "lb1"). */
export const configIdOf = (nodename: string) => nodename.split('.')[0];

const MAX_INCLUDE_DEPTH = 32;
/** keepalived's line buffer is MAXBUF 1024 bytes: it reads at most 1023 bytes of a line at a time */
export const MAX_LINE_BYTES = 1023;
/** lines one line may become through ~SEQ and multi-line definitions (keepalived's own example makes 65024 instances) */
const MAX_EXPANSIONS = 100_000;

/** C's strtol(s, &end, 0) on a prefix: sign, 0x hex, 0 octal, decimal; `end` where it stopped (0 when no digits). */
function strtol0(s: string, i: number): { value: number; end: number } {
  let p = i;
  while (s[p] === ' ' || s[p] === '\t') p++;
  let sign = 1;
  if (s[p] === '+' || s[p] === '-') sign = s[p++] === '-' ? -1 : 1;
  let base = 10;
  if (s[p] === '0' && (s[p + 1] === 'x' || s[p + 1] === 'X') && /[0-9a-fA-F]/.test(s[p + 2] ?? '')) {
    base = 16;
    p += 2;
  } else if (s[p] === '0') base = 8;
  const digits = base === 16 ? /[0-9a-fA-F]/ : base === 8 ? /[0-7]/ : /[0-9]/;
  const from = p;
  while (p < s.length && digits.test(s[p])) p++;
  if (p === from && base !== 8) return { value: 0, end: i };
  return { value: sign * (p === from ? 0 : parseInt(s.slice(from, p), base)), end: p };
}

/**
 * lib/parser.c add_seq(): `~SEQ(var, [start,] [step,] end) rest` (`~SEQx` in hex; blanks allowed before
 * the `(`), the numbers read by strtol base 0 (`0x10`, `010` octal) after `$NAME` substitution; one number
 * is the end (start 1, or -1 below 0; step -1 below 1), two are start and end. An error is keepalived's
 * message (it reports it and drops the line).
 */
function sequence(buf: string, subst: (s: string) => string): { name: string; values: string[]; rest: string } | { error: string } {
  const hex = buf[4] === 'x';
  let p = hex ? 5 : 4;
  const invalid = { error: `Invalid ~SEQ definition '${buf}'` };
  while (buf[p] === ' ' || buf[p] === '\t') p++;
  // no '(': add_seq says nothing itself, read_line's "Invalid ~SEQ specification" is the only line
  if (buf[p++] !== '(') return { error: `Invalid ~SEQ specification '${buf}'` };
  while (buf[p] === ' ' || buf[p] === '\t') p++;
  const v0 = p;
  while (p < buf.length && !' \t,)'.includes(buf[p])) p++;
  const name = buf.slice(v0, p);
  while (buf[p] === ' ' || buf[p] === '\t') p++;
  if (p >= buf.length || buf[p] === ')' || p === v0) return invalid;
  p++;
  while (buf[p] === ' ' || buf[p] === '\t') p++;
  const close = buf.indexOf(')', p);
  if (close < 0) return invalid;
  if (close + 1 - p + 1 > 64) return { error: `~SEQ parameter strings too long '${buf}'` };
  const args = subst(buf.slice(p, close + 1));
  const nums: number[] = [];
  let q = 0;
  for (;;) {
    const r = strtol0(args, q);
    nums.push(r.value);
    q = r.end;
    while (args[q] === ' ' || args[q] === '\t') q++;
    if (args[q] === ')') break;
    if (args[q] !== ',' || nums.length === 3) return invalid;
    q++;
  }
  let start: number;
  let step: number;
  let end: number;
  if (nums.length === 1) {
    end = nums[0];
    step = end < 1 ? -1 : 1;
    start = end < 0 ? -1 : 1;
  } else if (nums.length === 2) {
    [start, end] = nums;
    step = start <= end ? 1 : -1;
  } else {
    [start, step, end] = nums;
    if (!step || (start < end && step < 0) || (start > end && step > 0)) return { error: `Invalid ~SEQ values '${buf}'` };
  }
  if (hex && (start < 0 || end < 0)) return { error: `~SEQx is only valid for positive numbers '${buf}'` };
  if (Math.floor((end - start) / step) + 1 > MAX_EXPANSIONS) return { error: `~SEQ makes more than ${MAX_EXPANSIONS} lines` };
  const values: string[] = [];
  for (let v = start; step > 0 ? v <= end : v >= end; v += step) values.push(hex ? v.toString(16) : String(v));
  return { name, values, rest: buf.slice(close + 1).replace(/^[ \t]+/, '') };
}

/** keepalived.conf and its includes are small: more than this is not a config (a device, a log file by mistake). */
export const MAX_CONF_BYTES = 1024 * 1024;

/** Reads a regular file of at most MAX_CONF_BYTES as UTF-8 (one open, the descriptor fstat-ed). */
function readCapped(path: string): string {
  // O_NONBLOCK: opening a FIFO for reading would wait for a writer forever; fstat then refuses it
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'not a regular file' });
    const buf = Buffer.alloc(Math.min(st.size, MAX_CONF_BYTES) + 1);
    let n = 0;
    for (let r; n < buf.length && (r = readSync(fd, buf, n, buf.length - n, null)) > 0;) n += r;
    if (n > MAX_CONF_BYTES) throw Object.assign(new Error('too large'), { code: `larger than ${MAX_CONF_BYTES} bytes` });
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Relative to cwd when under it and shorter; from / (where `tmp/x` reads as a path missing its slash) always absolute. */
function defaultDisplay(path: string): string {
  const cwd = process.cwd();
  const rel = relative(cwd, path);
  return cwd !== '/' && rel && !rel.startsWith('..') && !isAbsolute(rel) && rel.length < path.length ? rel : path;
}

/** What an include pattern matched that keepalived does not read (lib/parser.c check_glob_file), and why. */
export interface IncludeSkip {
  path: string;
  /** "a directory", "executable", "a FIFO" … */
  what: string;
}

/** A line as process_stream() gets it from read_line(): a brace alone, or words without braces. */
interface Segment extends Loc {
  brace?: '{' | '}';
  tokens: string[];
  /** the segment's text (keepalived's buf_extern: what a script line is split from again) */
  raw: string;
  /** the whole line it came from, after decomment() */
  lineText: string;
  /** which read of a line it came from: the segments of one line share it */
  phys: number;
}

/** Reads FILE and its includes into a flat list of segments the way keepalived's read_line() does, then builds the block tree. */
export function parseKeepalivedConf(path: string, opts: ParseOptions = {}): Parsed {
  const read = opts.readFile ?? readCapped;
  const display = opts.display ?? defaultDisplay;
  const files: string[] = [];
  const paths: string[] = [];
  const notes: ParseNote[] = [];
  const defs = new Map<string, Definition>();
  const segments: Segment[] = [];
  let idNoted = false;
  const lineMaps = new Map<string, number[]>();
  let expanded = 0;
  let phys = 0;
  let physText = '';

  // keepalived's standard definitions (parser.c set_std_definitions): ${_PWD} (the directory of the file
  // being read: keepalived chdir()s there), ${_INSTANCE} (the config id), ${_HASH}, ${_BANG}, and
  // ${_RANDOM [min [max]]} (get_random: random() % (max − min + 1) + min, default 0..32767, a new number
  // at each use and each read): the model takes min and notes it (`random`). A user's definition wins.
  let pwd = '';
  let at: Loc = { file: '', line: 0 };
  const lookup = (name: string, atEnd: boolean, params: boolean, paramText?: string): Definition | undefined => {
    const d = defs.get(name);
    // check_definition keeps a standard definition's max_params when a user's overrides it: `${_RANDOM 1 2}` is its value then
    if (d) return (d.lines && !atEnd) || (params && name !== '_RANDOM') ? undefined : d;
    if (name === '_RANDOM') {
      // strtoul twice over the digits and blanks find_definition allowed; a third number is ignored (with a log line)
      const nums = (paramText ?? '').trim().split(/ +/).filter(Boolean).map(Number);
      const min = nums[0] ?? 0;
      const max = nums.length > 1 ? nums[1] : 32767;
      notes.push({ kind: 'random', keyword: '_RANDOM', ...at, text: paramText ? `\${_RANDOM ${paramText}}` : '$_RANDOM', lost: [String(min), String(max)] });
      return { value: String(min) };
    }
    if (params) return undefined;
    if (name === '_PWD') return { value: pwd };
    if (name === '_INSTANCE') return opts.configId === undefined ? undefined : { value: opts.configId };
    if (name === '_HASH') return { value: '#' };
    if (name === '_BANG') return { value: '!' };
    return undefined;
  };

  /** an unterminated double quote, once per line: keepalived reports it and reads the line up to the quote */
  const quoteNote = (where: Loc, text: string) => {
    if (notes.some((n) => n.kind === 'unterminated-quote' && n.file === where.file && n.line === where.line)) return;
    notes.push({ kind: 'unterminated-quote', keyword: words(text).tokens[0] ?? '', ...where, text });
  };

  const readFile = (abs: string, from: Loc | undefined, depth: number) => {
    const shown = display(abs);
    let text: string;
    try {
      text = read(abs);
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      if (from) throw new KeepalivedParseError(from.file, from.line, `cannot read included file ${shown}: ${why}`);
      throw new KeepalivedParseError(shown, 0, `cannot read keepalived config: ${why}`);
    }
    files.push(shown);
    paths.push(abs);
    // keepalived reads bytes: a UTF-8 byte-order mark is part of the first word (an unknown keyword)
    if (text.startsWith('\uFEFF')) notes.push({ kind: 'bom', keyword: words(decomment(text.slice(1).split(/\r?\n/)[0]).text).tokens[0] ?? '', file: shown, line: 1, text: '' });
    const outerPwd = pwd;
    pwd = dirname(abs);
    // keepalived reads a line into a MAXBUF (1024) buffer: a longer line is cut after 1023 bytes and
    // the rest read as the next line, which its messages number one higher (2.2.7, parser.c)
    const src: string[] = [];
    const real: number[] = [];
    text.split(/\r?\n/).forEach((l, i) => {
      const buf = Buffer.from(l, 'utf8');
      if (buf.length < MAX_LINE_BYTES) {
        src.push(l);
        real.push(i + 1);
        return;
      }
      if (buf.length > MAX_LINE_BYTES) notes.push({ kind: 'long-line', keyword: words(l).tokens[0] ?? '', file: shown, line: i + 1, text: `${buf.length} bytes` });
      for (let o = 0; o < buf.length; o += MAX_LINE_BYTES) {
        src.push(buf.subarray(o, o + MAX_LINE_BYTES).toString('utf8'));
        real.push(i + 1);
      }
      // a line that fills the buffer exactly leaves its newline to a read of its own: an empty line keepalived counts
      if (buf.length % MAX_LINE_BYTES === 0) {
        src.push('');
        real.push(i + 1);
      }
    });
    if (src.length !== real.at(-1)) lineMaps.set(abs, real);
    /** a `$NAME=…\` definition being continued (read_line's multiline_param_def) */
    let multi: { name: string; lines: string[] } | undefined;
    const endMulti = () => {
      if (!multi) return;
      const lines = multi.lines.filter((l, i) => l || i > 0);
      defs.set(multi.name, lines.length ? { value: lines.join('\n'), lines } : { value: '' });
      multi = undefined;
    };
    for (let i = 0; i < src.length; i++) {
      const where = { file: shown, line: real[i] };
      // keepalived strips the end-of-line characters; an empty line ends a multi-line definition
      if (!src[i]) {
        endMulti();
        continue;
      }
      const d = decomment(src[i]);
      if (!d.text) continue;
      if (multi) {
        if (d.unterminated) quoteNote(where, d.text);
        // each line is added without its trailing backslash; one without one is the last
        const more = d.text.endsWith('\\');
        const line = more ? d.text.slice(0, -1).replace(/[ \t]+$/, '') : d.text;
        if (line) multi.lines.push(line);
        if (!more) endMulti();
        continue;
      }
      // lib/parser.c decomment: "Unterminated quote", and the line is read all the same: a `#` after the quote is
      // no comment, no brace after it splits the line, and its words end at the quote ("Unmatched quote")
      if (d.unterminated) quoteNote(where, d.text);
      const started = readLine(d.text, where, abs, shown, depth, 0);
      if (started) multi = started;
    }
    endMulti();
    pwd = outerPwd;
  };

  /** braces of `@id` lines this config id does not read, not yet balanced by others: a line read meanwhile is read without them */
  const dropped: { depth: number; first?: ParseNote } = { depth: 0 };
  const readDespiteDrop = () => {
    if (!dropped.first) return;
    notes.push(dropped.first);
    dropped.first = undefined;
  };

  /** `@id` / `@^id` lines: the line without its id when this config id reads it, else undefined */
  const conditionalLine = (text: string, where: Loc): string | undefined => {
    const c = conditional(text);
    // keepalived drops an `@id` with nothing after it
    if (!c) return undefined;
    if (opts.configId === undefined) {
      if (!idNoted) notes.push({ kind: 'config-id-unknown', keyword: words(c.rest).tokens[0] ?? '', ...where, text });
      idNoted = true;
    } else if ((c.id === opts.configId) === c.reverse) {
      // the line goes with its braces: a block whose other lines are read loses them (noted when such a line comes)
      const t = unquoted(c.rest);
      const net = (t.match(/\{/g)?.length ?? 0) - (t.match(/\}/g)?.length ?? 0);
      if (net) {
        dropped.depth += net;
        dropped.first ??= { kind: 'conditional-brace', keyword: words(c.rest).tokens[0] ?? '', ...where, text, lost: [opts.configId] };
        if (!dropped.depth) dropped.first = undefined;
      }
      return undefined;
    }
    return c.rest;
  };

  /**
   * One line (or a brace's residue, a repetition, a line of a multi-line definition) as read_line()
   * treats it: the `@id` check, a `$NAME=` definition, `~SEQ`/`~LST`, substitution (run again while it
   * leaves an `@` first or a `$`), an include, then the split at the first brace, whose residue is read
   * the same way. Returns a multi-line definition that the next lines of the file continue.
   */
  const readLine = (text: string, where: Loc, abs: string, shown: string, depth: number, nesting: number, fresh = true): { name: string; lines: string[] } | undefined => {
    if (fresh) {
      phys++;
      physText = text;
    }
    if (nesting > MAX_INCLUDE_DEPTH * 32) throw new KeepalivedParseError(where.file, where.line, 'definitions nested too deep (a definition using itself?)');
    if (nesting && ++expanded > MAX_EXPANSIONS) throw new KeepalivedParseError(where.file, where.line, `more than ${MAX_EXPANSIONS} lines from definitions and ~SEQ`);
    let buf = text;
    at = where;
    let more: string[] = [];
    for (;;) {
      if (buf[0] === '@') {
        const rest = conditionalLine(buf, where);
        if (rest === undefined) return undefined;
        buf = rest;
      }
      readDespiteDrop();
      const def = buf[0] === '$' ? definition(buf) : undefined;
      if (def) {
        if (def.multiline) return { name: def.name, lines: [def.value] };
        defs.set(def.name, { value: def.value });
        return undefined;
      }
      // `~SEQ(var, start, step, end) rest`, `~SEQx(…)` (hex), `~LST(var, a, b, …) rest`: rest once per value (keepalived.conf(5))
      if (buf.startsWith('~SEQ')) {
        const seq = sequence(buf, (t) => replaceParams(t, lookup).text);
        if ('error' in seq) {
          if (/more than/.test(seq.error)) throw new KeepalivedParseError(where.file, where.line, seq.error);
          // keepalived reports it and drops the line
          notes.push({ kind: 'seq-invalid', keyword: '~SEQ', ...where, text: seq.error });
          return undefined;
        }
        for (const v of seq.values) {
          defs.set(seq.name, { value: v });
          readLine(seq.rest, where, abs, shown, depth, nesting + 1);
        }
        return undefined;
      }
      if (buf.startsWith('~LST')) {
        const rep = /^~LST[ \t]*\(([^)]*)\)[ \t]*(.*)$/s.exec(buf);
        if (!rep) {
          notes.push({ kind: 'seq-invalid', keyword: '~LST', ...where, text: `Invalid ~LST specification '${buf}'` });
          return undefined;
        }
        const [name, ...values] = rep[1].split(',').map((a) => a.trim());
        for (const v of values) {
          defs.set(name, { value: v });
          readLine(rep[2], where, abs, shown, depth, nesting + 1);
        }
        return undefined;
      }
      if (buf[0] === '~' || !buf.includes('$')) break;
      const r = replaceParams(buf, lookup);
      if (r.loop) throw new KeepalivedParseError(where.file, where.line, 'a definition uses itself: substitution never ends (keepalived loops forever on this line)');
      more = [...r.more, ...more];
      if (!r.changed) {
        buf = r.text;
        break;
      }
      buf = decomment(r.text).text;
      if (buf[0] !== '@' && !buf.includes('$')) break;
    }
    if (buf) readSegments(buf, where, abs, shown, depth, nesting);
    for (const l of more) readLine(l, where, abs, shown, depth, nesting + 1);
    return undefined;
  };

  /** An include, or the line split at its first brace (the residue read as a line of its own). */
  const readSegments = (buf: string, where: Loc, abs: string, shown: string, depth: number, nesting: number) => {
    const inc = include(buf);
    if (inc) {
      if (depth >= MAX_INCLUDE_DEPTH) throw new KeepalivedParseError(shown, where.line, `includes nested deeper than ${MAX_INCLUDE_DEPTH} (an include loop?)`);
      const { read: matches, skipped } = globMatches(inc.pattern, dirname(abs));
      for (const s of skipped) notes.push({ kind: 'include-skipped', keyword: inc.keyword, file: shown, line: where.line, text: inc.pattern, skipped: s });
      if (!matches.length && !skipped.length) notes.push({ kind: 'include-empty', keyword: inc.keyword, file: shown, line: where.line, text: inc.pattern });
      for (const m of matches) readFile(m, where, depth + 1);
      return;
    }
    const { head, residue } = splitAtBrace(buf);
    const id = phys;
    if (head === '{' || head === '}') segments.push({ ...where, brace: head, tokens: [head], raw: head, lineText: physText, phys: id });
    else {
      const w = words(head);
      if (w.unmatched) quoteNote(where, head);
      if (w.tokens.length) {
        const plain = unquoted(head);
        if (plain.includes(';')) notes.push({ kind: 'semicolon', keyword: w.tokens[0], ...where, text: head });
        // `//` starts no comment in keepalived (a URL's `://` is not that mistake)
        if (/(^|[^:])\/\//.test(plain)) notes.push({ kind: 'slash-comment', keyword: w.tokens[0], ...where, text: head });
        segments.push({ ...where, tokens: w.tokens, raw: head, lineText: physText, phys: id });
      }
    }
    if (residue !== undefined) readLine(residue, where, abs, shown, depth, nesting, false);
  };

  readFile(resolve(path), undefined, 0);
  const nodes = buildTree(segments, notes);
  return { nodes, files, paths, notes, lineMaps };
}

/** What kind of file a stat shows, for the include notes (lib/parser.c check_glob_file reads regular files only). */
function kindOf(st: Stats): string {
  if (!st.isFile()) return kind(st);
  return st.mode & 0o111 ? `executable (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')})` : 'a regular file';
}

/**
 * What an include pattern names, relative to the including file's directory, sorted (glob(3) with
 * GLOB_BRACE: `conf.d/{a,b}.conf`). lib/parser.c open_conf_file()/check_glob_file() then read only
 * regular files without any execute bit: a directory, a FIFO, a device or an executable file is
 * skipped ("… is not a regular non-executable file - skipping").
 */
function globMatches(pattern: string, base: string): { read: string[]; skipped: IncludeSkip[] } {
  const abs = isAbsolute(pattern) ? pattern : resolve(base, pattern);
  let names: string[];
  if (!/[*?[{]/.test(pattern)) names = [abs];
  else {
    try {
      names = globSync(abs).map((p) => resolve(p)).sort();
    } catch {
      names = [];
    }
  }
  const read: string[] = [];
  const skipped: IncludeSkip[] = [];
  for (const p of names) {
    let st: Stats;
    try {
      st = statSync(p);
    } catch {
      continue;
    }
    const what = kindOf(st);
    if (what === 'a regular file') read.push(p);
    else skipped.push({ path: p, what });
  }
  return { read, skipped };
}

/** Whether `kw` opens a block inside `parent` (undefined: the top level). */
function takesBlock(kw: string, parent: string | undefined): boolean {
  if (parent === undefined) return true;
  // process_stream: only a keyword with a sub-level, or a list (alloc_value_block), takes the '{'; after
  // any other, known (`interface eth0 {`) or not, it is "Unexpected '{' - ignoring"
  return !KNOWN_IN[parent] || BLOCK_OPENERS[parent]?.[kw] !== undefined;
}

/**
 * process_stream()'s blocks from read_line()'s segments. `{` right after a keyword opens its
 * block; `}` closes the innermost. Inside a block whose keywords keepalived lists (the modeled
 * ones: vrrp_instance, vrrp_script, global_defs …), an unknown keyword takes no block: its `{`
 * is "Unexpected '{' - ignoring", the lines inside are read as keywords of the enclosing block
 * and its `}` closes that block (noted: `block-not-skipped`). At the top level an unknown
 * keyword keeps its block here: keepalived reads what is inside at the top level, where it is
 * unknown too. A `{ … }` written on one line keeps only its first keyword (noted when more was
 * written, `one-line-block`).
 */
function buildTree(segs: Segment[], notes: ParseNote[]): KNode[] {
  const root: KNode[] = [];
  /** `value`: a list of values (alloc_value_block): a `{` in it is a value, only `}` means something */
  type Open = { node: KNode | undefined; list: KNode[]; bracePhys: number; value?: boolean };
  const stack: Open[] = [{ node: undefined, list: root, bracePhys: -1 }];
  /** the keyword just read, which a `{` next would open (keepalived: bob_needed) */
  let last: KNode | undefined;
  /** the keyword just read opens a block whether or not a `{` follows (BLOCK_OPENERS) */
  let pending: { node: KNode; kind: 'sub' | 'value' } | undefined;
  /** read_line's block_depth: `{` read minus `}` read */
  let depth = 0;
  /** a stray `{` closed this block with its `}`: what keepalived then reads at the top level */
  let strayNote: ParseNote | undefined;
  /** a block opened without its `{`: what keepalived reads into it that is not one of its keywords */
  let openNote: { note: ParseNote; node: KNode } | undefined;
  const physOf = new WeakMap<KNode, number>();

  for (const s of segs) {
    if (pending && s.brace !== '{') {
      // process_stream: "Missing '{' at beginning of configuration block", and the lines up to the next `}` are the block's all the same
      const { node, kind } = pending;
      node.children = [];
      stack.push({ node, list: node.children, bracePhys: -1, value: kind === 'value' });
      const note: ParseNote = { kind: 'missing-brace', keyword: node.keyword, file: node.file, line: node.line, text: [node.keyword, ...node.args].join(' '), block: kind, lost: [] };
      notes.push(note);
      openNote = { note, node };
      depth++;
    }
    pending = undefined;
    const top = stack[stack.length - 1];
    if (s.brace === '}') {
      last = undefined;
      if (stack.length === 1) {
        // read_line: "Extra '}' found"; process_stream at the top level: "Unknown keyword '}'"; nothing else changes
        if (depth < 1) notes.push({ kind: 'extra-brace', keyword: '}', file: s.file, line: s.line, text: s.lineText });
        else depth--;
        continue;
      }
      depth--;
      stack.pop();
      const n = top.node!;
      const kids = n.children!;
      if (openNote?.node === n) {
        if (s.file === n.file) openNote.note.end = s.line;
        openNote = undefined;
      }
      if (top.bracePhys === s.phys && physOf.get(n) === s.phys && kids.every((k) => physOf.get(k) === s.phys)) oneLineBlock(n, kids, s, notes);
      if (stack.length === 1 && strayNote && !strayNote.lost && strayNote.text === `${n.keyword} ${n.args[0] ?? ''}`.trim()) strayNote.lost = [];
      continue;
    }
    if (s.brace === '{' && !top.value) {
      depth++;
      const parent = top.node?.keyword;
      if (last && !last.children && takesBlock(last.keyword, parent)) {
        last.children = [];
        stack.push({ node: last, list: last.children, bracePhys: s.phys, value: BLOCK_OPENERS[parent ?? '']?.[last.keyword] === 'value' });
      } else if (last && parent && top.node) {
        // keepalived: "Unexpected '{' - ignoring"; the block's lines are read as keywords of `parent`
        strayNote = { kind: 'block-not-skipped', keyword: last.keyword, file: last.file, line: last.line, text: `${parent} ${top.node.args[0] ?? ''}`.trim(), lost: undefined };
        notes.push(strayNote);
      } else if (!last) notes.push({ kind: 'stray-brace', keyword: '{', file: s.file, line: s.line, text: s.lineText });
      last = undefined;
      continue;
    }
    if (s.brace === '{') depth++;
    const node: KNode = { keyword: s.tokens[0], args: s.tokens.slice(1), file: s.file, line: s.line, raw: s.raw };
    physOf.set(node, s.phys);
    top.list.push(node);
    if (openNote && top.node === openNote.node && !top.value && !BLOCK_KEYWORDS[top.node.keyword]?.has(node.keyword)) openNote.note.lost!.push(`${node.keyword}${node.args.length ? ` ${node.args.join(' ')}` : ''}`);
    else if (openNote && top.node === openNote.node && top.value && (TOP_KEYWORDS.has(node.keyword) || BLOCK_KEYWORDS[stack[stack.length - 2].node?.keyword ?? '']?.has(node.keyword))) openNote.note.lost!.push(`${node.keyword}${node.args.length ? ` ${node.args.join(' ')}` : ''}`);
    if (stack.length === 1 && strayNote?.lost && !TOP_KEYWORDS.has(node.keyword)) strayNote.lost.push(`${node.keyword}${node.args.length ? ' …' : ''}`);
    else if (stack.length === 1 && strayNote?.lost) strayNote = undefined;
    // a value is never a keyword: it opens nothing
    last = top.value ? undefined : node;
    const opens = top.value ? undefined : BLOCK_OPENERS[top.node?.keyword ?? '']?.[node.keyword];
    if (opens) pending = { node, kind: opens };
    // alloc_value_block: the words after a list's keyword are not its first entry ("Block … has extra parameters")
    if (opens === 'value' && node.args.length) notes.push({ kind: 'block-args', keyword: node.keyword, file: node.file, line: node.line, text: [node.keyword, ...node.args].join(' '), lost: [node.args.join(' ')] });
  }
  // keepalived reads to the end of the file and says "There are N missing '}'s or extra '{'s": the open blocks end there
  for (let i = stack.length - 1; i > 0; i--) {
    const open = stack[i].node!;
    notes.push({ kind: 'unclosed-block', keyword: open.keyword, file: open.file, line: open.line, text: [open.keyword, ...open.args].join(' ') });
  }
  return root;
}

/** `kw { a b }` on one line: keepalived reads `a` with the rest as its values; a second keyword written there is lost. */
function oneLineBlock(node: KNode, kids: KNode[], s: Segment, notes: ParseNote[]) {
  node.oneLine = true;
  const inner = kids.flatMap((k) => [k.keyword, ...k.args]);
  if (!inner.length) return;
  const statements = inner.join(' ').split(';').map((x) => x.trim()).filter(Boolean);
  const known = ONE_LINE_KEYWORDS[node.keyword] ?? [];
  const second = inner.findIndex((t, i) => i > 0 && known.includes(t.replace(/;$/, '')));
  if (statements.length > 1 || second > 0) {
    const lost = statements.length > 1 ? statements.slice(1) : [inner.slice(second).join(' ')];
    notes.push({ kind: 'one-line-block', keyword: node.keyword, file: s.file, line: s.line, text: s.lineText, lost });
  }
}

/** Keywords of the blocks whose one-line form hides several keywords even without `;`. */
const ONE_LINE_KEYWORDS: Record<string, string[]> = {
  vrrp_script: ['script', 'interval', 'timeout', 'weight', 'rise', 'fall', 'user', 'init_fail'],
  track_file: ['file', 'weight', 'init_file'],
  vrrp_track_file: ['file', 'weight', 'init_file'],
  vrrp_track_process: ['process', 'param_match', 'weight', 'quorum', 'quorum_max', 'fork_delay', 'terminate_delay', 'delay', 'full_command'],
  vrrp_instance: ['state', 'interface', 'virtual_router_id', 'priority', 'advert_int', 'nopreempt', 'preempt_delay'],
  global_defs: ['router_id', 'script_user', 'enable_script_security', 'vrrp_strict'],
};
