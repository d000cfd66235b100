// keepalived.conf reader: the syntax keepalived 2.x accepts (keepalived.conf(5)),
// with file:line kept for every keyword so the doctor can point at the line.
//
// - keywords one per line; `{` opens a block (same line or the next), `}` closes it
// - comments start with `#` or `!` anywhere outside quotes
// - quoted strings ("…" or '…') with the man page's backslash escapes
// - `include` (and includer/includem/includew/includeb/includea) with globs,
//   relative to the directory of the including file, files in sorted order
// - `$NAME=\` multi-line definitions, `~SEQ`/`~SEQx`/`~LST` repetition, `@id` conditional lines
// - `$NAME=value` definitions and `$NAME` / `${NAME}` substitution, keepalived's `${_PWD}` and `${_INSTANCE}`
// Quirks keepalived has and users trip over are recorded as notes (not errors):
// a one-line `{ a; b }` block (keepalived keeps only the first keyword), a `;`
// (not a separator), `//` (not a comment).
import { closeSync, constants, fstatSync, globSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, resolve, isAbsolute, relative } from 'node:path';

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
}

export type ParseNoteKind = 'one-line-block' | 'semicolon' | 'slash-comment' | 'include-empty' | 'config-id-unknown' | 'long-line';

export interface ParseNote extends Loc {
  kind: ParseNoteKind;
  /** the block keyword (one-line-block) or the keyword of the line */
  keyword: string;
  text: string;
  /** what keepalived silently drops (one-line-block) */
  lost?: string[];
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

interface Line extends Loc {
  tokens: string[];
  raw: string;
}

const INCLUDE = new Set(['include', 'includer', 'includem', 'includew', 'includeb', 'includea']);
const MAX_INCLUDE_DEPTH = 32;
/** keepalived's line buffer is MAXBUF 1024 bytes: it reads at most 1023 bytes of a line at a time */
export const MAX_LINE_BYTES = 1023;
/** lines one line may become through ~SEQ and multi-line definitions (keepalived's own example makes 65024 instances) */
const MAX_EXPANSIONS = 100_000;

/** `~SEQ(var, [start,] [step,] end)`'s values (keepalived.conf(5), "Sequence blocks"); hex with ~SEQx. */
function sequence(args: string[], hex: boolean, where: Loc): string[] {
  const n = args.map((a) => Number(a));
  if (!n.length || n.length > 3 || n.some((x) => !Number.isInteger(x))) throw new KeepalivedParseError(where.file, where.line, `~SEQ needs whole numbers: (var, [start,] [step,] end)`);
  const end = n[n.length - 1];
  const start = n.length >= 2 ? n[0] : end > 0 ? 1 : -1;
  const step = n.length === 3 ? n[1] : end >= start ? 1 : -1;
  if (step === 0) throw new KeepalivedParseError(where.file, where.line, '~SEQ step 0 never ends');
  const out: string[] = [];
  for (let v = start; step > 0 ? v <= end : v >= end; v += step) {
    out.push(hex ? v.toString(16) : String(v));
    if (out.length > MAX_EXPANSIONS) throw new KeepalivedParseError(where.file, where.line, `~SEQ makes more than ${MAX_EXPANSIONS} lines`);
  }
  return out;
}

const ESCAPES: Record<string, string> = { a: '\x07', b: '\b', E: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** One line → tokens. `{` and `}` are tokens of their own outside quotes. */
export function tokenize(text: string, where: Loc, braces = true): { tokens: string[]; semicolon: boolean; slash: boolean } {
  const tokens: string[] = [];
  let cur: string | undefined;
  let quote: string | undefined;
  let semicolon = false;
  let slash = false;
  const push = () => {
    if (cur !== undefined) tokens.push(cur);
    cur = undefined;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === '\\' && i + 1 < text.length) {
        const n = text[++i];
        if (n in ESCAPES) cur += ESCAPES[n];
        else if (n === 'x') {
          const m = /^[0-9a-fA-F]+/.exec(text.slice(i + 1));
          if (m) { cur += String.fromCharCode(parseInt(m[0], 16) & 0xff); i += m[0].length; } else cur += 'x';
        } else if (/[0-7]/.test(n)) {
          const m = /^[0-7]{1,3}/.exec(text.slice(i))!;
          cur += String.fromCharCode(parseInt(m[0], 8) & 0xff);
          i += m[0].length - 1;
        } else if (n === 'c' && i + 1 < text.length) cur += String.fromCharCode(text.charCodeAt(++i) & 0x1f);
        else cur += n;
      } else if (ch === quote) quote = undefined;
      else cur += ch;
      continue;
    }
    if (ch === '#' || ch === '!') break;
    if (ch === '"' || ch === "'") {
      quote = ch;
      cur ??= '';
    } else if (braces && (ch === '{' || ch === '}')) {
      push();
      tokens.push(ch);
    } else if (/\s/.test(ch)) push();
    else {
      if (ch === ';') semicolon = true;
      // `//` starts no comment in keepalived (a URL's `://` is not that mistake)
      if (ch === '/' && text[i + 1] === '/' && text[i - 1] !== ':') slash = true;
      cur = (cur ?? '') + ch;
    }
  }
  if (quote) throw new KeepalivedParseError(where.file, where.line, `unterminated ${quote === '"' ? 'double' : 'single'} quote`);
  push();
  return { tokens, semicolon, slash };
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

/** Reads FILE and its includes into a flat list of lines, then builds the block tree. */
export function parseKeepalivedConf(path: string, opts: ParseOptions = {}): Parsed {
  const read = opts.readFile ?? readCapped;
  const display = opts.display ?? defaultDisplay;
  const files: string[] = [];
  const paths: string[] = [];
  const notes: ParseNote[] = [];
  const defs = new Map<string, string>();
  /** multi-line definitions (`$NAME=\` and continued lines), expanded where `$NAME` stands alone on a line */
  const multi = new Map<string, string[]>();
  const lines: Line[] = [];
  let idNoted = false;
  const lineMaps = new Map<string, number[]>();
  let expanded = 0;

  // parameter substitution happens on the line, before it is split (keepalived does the same)
  // keepalived's pre-defined ${_PWD} (the directory of the file being read) and ${_INSTANCE} (the config id)
  let pwd = '';
  const predefined = (name: string) => (name === '_PWD' ? pwd : name === '_INSTANCE' ? opts.configId : undefined);
  const substitute = (text: string) =>
    text.includes('$') ? text.replace(/\$\{(\w+)\}|\$(\w+)/g, (m, a, b) => defs.get(a ?? b) ?? predefined(a ?? b) ?? m) : text;

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
      if (buf.length > MAX_LINE_BYTES) notes.push({ kind: 'long-line', keyword: l.trim().split(/\s/)[0] ?? '', file: shown, line: i + 1, text: `${buf.length} bytes` });
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
    for (let i = 0; i < src.length; i++) {
      const where = { file: shown, line: real[i] };
      const trimmed = src[i].trim();
      const body = conditional(trimmed, where);
      if (body === undefined) continue;
      // a trailing backslash continues a `$NAME=` definition only (keepalived 2.2.7: on any other
      // line it is part of the word, `priority \` is "Unknown keyword 'priority\'")
      const def = /^\$(\w+)\s*=\s*(.*)$/.exec(body);
      if (def && /\\\s*$/.test(def[2])) {
        const value: string[] = [def[2].replace(/\\\s*$/, '').trim()];
        while (i + 1 < src.length) {
          const next = src[++i];
          const more = /\\\s*$/.test(next);
          value.push(next.replace(/\\\s*$/, '').trim());
          if (!more) break;
        }
        multi.set(def[1], value.filter(Boolean));
        defs.delete(def[1]);
        continue;
      }
      // elsewhere keepalived glues the backslash to the word before it: `priority \` → keyword `priority\`
      readLine(body.replace(/\s+\\\s*$/, '\\'), where, abs, shown, depth);
    }
    pwd = outerPwd;
  };

  /** `@id keyword …` / `@^id keyword …`: the line without its id when this config id reads it, else undefined */
  const conditional = (text: string, where: Loc): string | undefined => {
    if (!text.startsWith('@')) return text;
    const m = /^@(\^?)(\S*)\s*(.*)$/.exec(text)!;
    // keepalived drops an `@id` with nothing after it
    if (!m[3]) return undefined;
    if (opts.configId === undefined) {
      if (!idNoted) notes.push({ kind: 'config-id-unknown', keyword: m[3].split(/\s/)[0], ...where, text });
      idNoted = true;
    } else if ((m[2] === opts.configId) === (m[1] === '^')) return undefined;
    return m[3];
  };

  /** One logical line: a definition, `~SEQ`/`~LST` repetition, a multi-line definition's use, an include, or keywords. */
  const readLine = (text: string, where: Loc, abs: string, shown: string, depth: number, nesting = 0): void => {
    if (nesting > MAX_INCLUDE_DEPTH) throw new KeepalivedParseError(where.file, where.line, `definitions nested deeper than ${MAX_INCLUDE_DEPTH} (a definition using itself?)`);
    if (nesting && ++expanded > MAX_EXPANSIONS) throw new KeepalivedParseError(where.file, where.line, `more than ${MAX_EXPANSIONS} lines from definitions and ~SEQ`);
    const body = nesting ? conditional(text.trim(), where) : text;
    if (body === undefined) return;
    const def = /^\$(\w+)\s*=\s*(.*)$/.exec(body);
    if (def) {
      defs.set(def[1], def[2].trim());
      multi.delete(def[1]);
      return;
    }
    // `~SEQ(var, start, step, end) rest`, `~SEQx(…)` (hex), `~LST(var, a, b, …) rest`: rest once per value (keepalived.conf(5))
    const rep = /^~(SEQx?|LST)\(([^)]*)\)\s*(.*)$/.exec(body);
    if (rep) {
      const [name, ...args] = rep[2].split(',').map((a) => substitute(a.trim()));
      const values = rep[1] === 'LST' ? args : sequence(args, rep[1] === 'SEQx', where);
      for (const v of values) {
        defs.set(name, v);
        multi.delete(name);
        readLine(rep[3], where, abs, shown, depth, nesting + 1);
      }
      return;
    }
    // a multi-line definition used alone on a line: its lines, each read in turn
    const use = /^\$(?:\{(\w+)\}|(\w+))$/.exec(body);
    const block = use && multi.get(use[1] ?? use[2]);
    if (block) {
      for (const l of block) readLine(l, where, abs, shown, depth, nesting + 1);
      return;
    }
    // an include's file name may hold csh-style braces: `include conf.d/{a,b}.conf`
    const subst = substitute(body);
    let tk: ReturnType<typeof tokenize>;
    try {
      tk = tokenize(subst, where, !INCLUDE.has(subst.split(/\s/)[0]));
    } catch (e) {
      const cut = notes.some((n) => n.kind === 'long-line' && n.file === where.file && n.line === where.line);
      if (cut && e instanceof KeepalivedParseError) throw new KeepalivedParseError(where.file, where.line, `${e.reason}: the line is longer than keepalived reads (${MAX_LINE_BYTES} bytes), it cuts it there and reads the rest as another line (2.2.7's own config test crashes on this one)`);
      throw e;
    }
    const { tokens: toks, semicolon, slash } = tk;
    if (!toks.length) return;
    if (INCLUDE.has(toks[0])) {
      if (toks.length < 2) throw new KeepalivedParseError(shown, where.line, `${toks[0]} needs a file name`);
      if (depth >= MAX_INCLUDE_DEPTH) throw new KeepalivedParseError(shown, where.line, `includes nested deeper than ${MAX_INCLUDE_DEPTH} (an include loop?)`);
      const pattern = toks[1];
      const base = dirname(abs);
      const matches = globMatches(pattern, base);
      if (!matches.length) notes.push({ kind: 'include-empty', keyword: toks[0], file: shown, line: where.line, text: pattern });
      for (const m of matches) readFile(m, where, depth + 1);
      return;
    }
    if (semicolon) notes.push({ kind: 'semicolon', keyword: toks[0], ...where, text: body });
    if (slash) notes.push({ kind: 'slash-comment', keyword: toks[0], ...where, text: body });
    lines.push({ ...where, tokens: toks, raw: body });
  };

  readFile(resolve(path), undefined, 0);
  const nodes = buildTree(lines, notes);
  return { nodes, files, paths, notes, lineMaps };
}

/** Files matching an include pattern, relative to the including file's directory, sorted (as glob(3) returns them). */
function globMatches(pattern: string, base: string): string[] {
  const abs = isAbsolute(pattern) ? pattern : resolve(base, pattern);
  if (!/[*?[{]/.test(pattern)) {
    try {
      return statSync(abs).isFile() ? [abs] : [];
    } catch {
      return [];
    }
  }
  try {
    return globSync(abs)
      .map((p) => resolve(p))
      .filter((p) => {
        try {
          return statSync(p).isFile();
        } catch {
          return false;
        }
      })
      .sort();
  } catch {
    return [];
  }
}

function buildTree(lines: Line[], notes: ParseNote[]): KNode[] {
  const root: KNode[] = [];
  const stack: { node: KNode | undefined; list: KNode[] }[] = [{ node: undefined, list: root }];
  let last: KNode | undefined; // the previous keyword, for a `{` on the next line

  for (const ln of lines) {
    let toks = ln.tokens;
    // leading `}`s close blocks
    while (toks[0] === '}') {
      if (stack.length === 1) throw new KeepalivedParseError(ln.file, ln.line, "unexpected '}': no block is open");
      stack.pop();
      toks = toks.slice(1);
      last = undefined;
    }
    if (!toks.length) continue;
    // `{` alone (or leading) on a line opens a block for the previous keyword
    if (toks[0] === '{') {
      if (!last || last.children) throw new KeepalivedParseError(ln.file, ln.line, "unexpected '{': no keyword before it");
      last.children = [];
      stack.push({ node: last, list: last.children });
      toks = toks.slice(1);
      if (!toks.length) continue;
    }
    const top = stack[stack.length - 1];
    const open = toks.indexOf('{');
    const kwTokens = open >= 0 ? toks.slice(0, open) : toks;
    if (kwTokens.includes('}')) throw new KeepalivedParseError(ln.file, ln.line, "unexpected '}' in the middle of a line");
    if (!kwTokens.length) throw new KeepalivedParseError(ln.file, ln.line, "unexpected '{'");
    const node: KNode = { keyword: kwTokens[0], args: kwTokens.slice(1), file: ln.file, line: ln.line };
    top.list.push(node);
    last = node;
    if (open < 0) continue;
    node.children = [];
    const rest = toks.slice(open + 1);
    const close = rest.lastIndexOf('}');
    if (close < 0) {
      // `kw {` then content: keepalived ignores what follows the brace on that line
      stack.push({ node, list: node.children });
      continue;
    }
    // one-line block `kw { … }`: keepalived reads the first keyword and drops the rest
    node.oneLine = true;
    const inner = rest.slice(0, close);
    if (rest.slice(close + 1).length) throw new KeepalivedParseError(ln.file, ln.line, `text after '}' on a one-line block: ${rest.slice(close + 1).join(' ')}`);
    if (inner.includes('{') || inner.includes('}')) throw new KeepalivedParseError(ln.file, ln.line, 'nested braces on one line: put each keyword on its own line');
    if (inner.length) {
      node.children.push({ keyword: inner[0], args: inner.slice(1), file: ln.file, line: ln.line });
      const statements = inner.join(' ').split(';').map((s) => s.trim()).filter(Boolean);
      const known = BLOCK_KEYWORDS[node.keyword] ?? [];
      const second = inner.findIndex((t, i) => i > 0 && known.includes(t.replace(/;$/, '')));
      if (statements.length > 1 || second > 0) {
        const lost = statements.length > 1 ? statements.slice(1) : [inner.slice(second).join(' ')];
        notes.push({ kind: 'one-line-block', keyword: node.keyword, file: ln.file, line: ln.line, text: ln.raw, lost });
      }
    }
    last = undefined;
  }
  if (stack.length > 1) {
    const open = stack[stack.length - 1].node!;
    throw new KeepalivedParseError(open.file, open.line, `'${open.keyword}' block is never closed: missing '}'`);
  }
  return root;
}

/** Keywords of the blocks whose one-line form hides several keywords even without `;`. */
const BLOCK_KEYWORDS: Record<string, string[]> = {
  vrrp_script: ['script', 'interval', 'timeout', 'weight', 'rise', 'fall', 'user', 'init_fail'],
  track_file: ['file', 'weight', 'init_file'],
  vrrp_track_file: ['file', 'weight', 'init_file'],
  vrrp_track_process: ['process', 'param_match', 'weight', 'quorum', 'quorum_max', 'fork_delay', 'terminate_delay', 'delay', 'full_command'],
  vrrp_instance: ['state', 'interface', 'virtual_router_id', 'priority', 'advert_int', 'nopreempt', 'preempt_delay'],
  global_defs: ['router_id', 'script_user', 'enable_script_security', 'vrrp_strict'],
};
