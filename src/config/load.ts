// Loads YAML, validates it against the schema, and maps every problem to
// "file:line: path: reason". Flags are applied as a second layer over the file.
import { existsSync } from 'node:fs';
import * as v from 'valibot';
import { parseDocument, LineCounter, isAlias, isMap, isPair, isScalar, isSeq, visit, type Document, type Node } from 'yaml';
import { configSchema, type Config } from './schema.js';
import { didYouMean } from './units.js';
import { DEFAULT_CONFIG_PATH, DEFAULT_STATE_DIR } from './defaults.js';
import { resolve } from 'node:path';
import { BoundedReadError, euid, readInput } from '../sys/trusted-file.js';

export { DEFAULT_CONFIG_PATH };

export class ConfigError extends Error {
  constructor(message: string, readonly kind: 'config' | 'usage' = 'config') {
    super(message);
  }
}

type Raw = Record<string, unknown>;

export interface Loaded {
  path?: string;
  /** why another user could have written the file (it, or a directory above it); undefined: trusted */
  untrusted?: string;
  raw: Raw;
  doc?: Document;
  lines?: LineCounter;
}

function pathText(path: readonly (string | number)[]): string {
  return path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${k}` : k), '');
}

/** Line of the deepest existing YAML node along the issue's path. */
function lineOf(loaded: Loaded, path: (string | number)[]): number | undefined {
  if (!loaded.doc || !loaded.lines) return undefined;
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? loaded.doc.contents : (loaded.doc.getIn(path.slice(0, n), true) as { range?: number[] } | undefined);
    // for an unknown key, point at the key itself
    if (n === path.length && n > 0) {
      const parent = n === 1 ? loaded.doc.contents : loaded.doc.getIn(path.slice(0, n - 1), true);
      if (isMap(parent)) {
        const pair = parent.items.find((it) => (it.key as { value?: unknown })?.value === path[n - 1]);
        const kr = (pair?.key as { range?: number[] } | undefined)?.range;
        if (kr) return loaded.lines.linePos(kr[0]).line;
      }
    }
    const range = (node as { range?: number[] } | undefined)?.range;
    if (range) return loaded.lines.linePos(range[0]).line;
  }
  return undefined;
}

/**
 * The largest config read, in bytes. The YAML library (jitless, as the binary runs) parses
 * ~6 µs a byte of dense flow text: 1 MiB was 6 s, far past any --timeout, while a real config
 * is a few KiB (the reference example ~4 KiB; 64 KiB holds ~1,000 URLs). Measured in
 * docs/performance.md (config size).
 */
export const MAX_CONFIG_BYTES = 64 * 1024;

/** How long a config read may take when no --timeout says (the check's default deadline). */
export const DEFAULT_READ_DEADLINE_MS = 1500;

/**
 * Reads a config: a regular file, a pipe (-c /dev/stdin, -c <(…)) or /dev/null,
 * at most MAX_CONFIG_BYTES, a pipe's writer not waited for past `deadline` (performance.now()
 * ms; default the check's default deadline from process start), through the
 * trusted-file layer (src/sys/trusted-file.ts), which also says whether another
 * user could have written it (`untrusted`). ConfigError (78) for anything else.
 */
export function readConfigFile(path: string, deadline = Math.max(DEFAULT_READ_DEADLINE_MS, performance.now() + 100)): Loaded {
  let read: ReturnType<typeof readInput>;
  try {
    read = readInput(path, { maxBytes: MAX_CONFIG_BYTES, deadline, strictUtf8: true });
  } catch (e) {
    if (e instanceof BoundedReadError) throw new ConfigError(`${path}: cannot read config: ${e.why}`);
    const code = (e as NodeJS.ErrnoException).code;
    const why = { ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'is a directory', ENXIO: 'not a regular file or a pipe (a socket)' }[code ?? ''];
    throw new ConfigError(`${path}: cannot read config: ${why ? `${why} (${code})` : code ?? (e as Error).message}`);
  }
  return { ...parseConfigText(read.text, path), ...(read.untrusted && { untrusted: read.untrusted }) };
}

/**
 * The keys of a config that name where root writes or creates files: a config
 * another user could have written must not choose them (root would replace
 * /etc/shadow with "1\n" for them). Their defaults, root's, apply instead.
 */
export const WRITE_PATH_KEYS = ['state_dir', 'log.file', 'agent.state_file', 'agent.status_file', 'agent.metrics.textfile_dir', 'restart.log'] as const;

/** Where root writes when a config names none of WRITE_PATH_KEYS (a key given its default value changes nothing). */
const DEFAULT_WRITE_PATHS: Partial<Record<(typeof WRITE_PATH_KEYS)[number], string>> = {
  state_dir: DEFAULT_STATE_DIR,
  'agent.state_file': `${DEFAULT_STATE_DIR}/state`,
  'agent.status_file': `${DEFAULT_STATE_DIR}/status.json`,
  'restart.log': `${DEFAULT_STATE_DIR}/restart.log`,
};

/** The value at a dotted key of the raw file, if the file sets it. */
function rawAt(raw: Raw, key: string): unknown {
  let x: unknown = raw;
  for (const k of key.split('.')) x = x && typeof x === 'object' && !Array.isArray(x) ? (x as Raw)[k] : undefined;
  return x;
}

/**
 * A config decides whether this node may hold the VIP (which probes run, what
 * passes), and may act as root on the operator's behalf: restart on, a command
 * named (restart.cmd, restart.config_test), a path root writes or creates
 * (WRITE_PATH_KEYS). So it must be one no other user could have written, as
 * keepalived's enable_script_security demands of a script: else ConfigError
 * (78) naming the file, the reason and what it would have done. (A user who can
 * write it could make a node whose nginx is down read healthy with
 * `probes: [{type: port, targets: ["22"]}]`.)
 */
export function requireTrusted(loaded: Loaded, cfg: Config): void {
  if (!loaded.untrusted) return;
  const r = (loaded.raw.restart ?? {}) as Record<string, unknown>;
  // a key spelling out its default (the shipped hacheck.yaml writes state_dir: /run/hacheck) moves nothing
  const paths = WRITE_PATH_KEYS.filter((k) => { const x = rawAt(loaded.raw, k); return x !== undefined && !(typeof x === 'string' && resolve(x) === DEFAULT_WRITE_PATHS[k]); });
  const powers = [
    cfg.restart.enabled && 'enables restart',
    r.cmd !== undefined && 'names restart.cmd',
    r.config_test !== undefined && 'names restart.config_test',
    paths.length > 0 && `names ${paths.join(', ')} (where root writes)`,
  ].filter(Boolean);
  if (!powers.length) powers.push("decides this node's verdict (a user who can write it can make a node whose nginx is down read healthy)");
  throw new ConfigError(`${loaded.path}: refusing a config that ${powers.join(' and ')} to run as uid ${euid()}: ${loaded.untrusted} `
    + "(the file and every directory above it must be owned by root or this user and not writable by group/other, as keepalived's enable_script_security requires)");
}

/**
 * Every ca_file, client_cert and client_key a config names must pass the same
 * rule as a config that runs commands (a CA bundle another user can write
 * decides which servers hacheck believes); the private key — client_key, else
 * the client_cert that holds it — must also not be readable by other users, as
 * ssh demands of a private key: judged by fstat of the descriptor read
 * (trusted-file readInput's `secret`). ConfigError (78) otherwise.
 */
export function requireTrustedCaFiles(cfg: Config, configPath: string | undefined, deadline?: number): void {
  const seen = new Map<string, { key: string; secret: boolean }>();
  const note = (file: unknown, key: string, secret: boolean) => {
    if (typeof file !== 'string') return;
    const had = seen.get(file);
    seen.set(file, { key: had?.secret ? had.key : key, secret: secret || !!had?.secret });
  };
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === 'object' && !(x instanceof RegExp)) {
      const o = x as Record<string, unknown>;
      note(o.ca_file, 'ca_file', false);
      // without client_key, client_cert holds the key too
      note(o.client_cert, 'client_cert', o.client_key === undefined);
      note(o.client_key, 'client_key', true);
      // not into headers: a request header may be named ca_file; its value is text for the server, not a file
      for (const [k, v] of Object.entries(o)) if (k !== 'ca_file' && k !== 'client_cert' && k !== 'client_key' && k !== 'headers') walk(v);
    }
  };
  walk(cfg.probes);
  for (const [file, { key, secret }] of seen) {
    let read: ReturnType<typeof readInput>;
    try {
      read = readInput(file, { deadline, secret });
    } catch (e) {
      throw new ConfigError(`${configPath ?? 'config'}: ${key} ${file}: cannot read it: ${e instanceof BoundedReadError ? e.why : (e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (read.untrusted) throw new ConfigError(`${configPath ?? 'config'}: ${key} ${file} is not trusted: ${read.untrusted} (it must be owned by root or this user and not writable by group/other, nor any directory above it)`);
    if (read.exposed) throw new ConfigError(`${configPath ?? 'config'}: ${key} ${file} holds a private key and is ${read.exposed}: ssh refuses such a private key (chmod 600 ${file})`);
  }
}

/** `-c /dev/null`: no config file, deliberately (see loadFile). */
export const NO_CONFIG = '/dev/null';

/** Alias expansions allowed when building the config (yaml's default): a config needs a handful; an alias bomb needs millions. */
const MAX_ALIAS_COUNT = 100;

/**
 * YAML text → Loaded; `path` names it in errors. Every problem the YAML
 * library finds (syntax, duplicate keys, unknown tags, nesting too deep,
 * unresolved aliases, an alias bomb) is a ConfigError with file:line, never an
 * exception of the library's. An empty document (nothing, only comments, `~`,
 * `{}`) is an error too: it is a config that rendered empty, not "use the defaults".
 */
export function parseConfigText(text: string, path: string): Loaded {
  // YAML 1.2 section 5.1: a stream holds printable characters only (tab, CR, LF, NEL and the rest);
  // a NUL read as part of a value ("1s\0") was shown as "1s " and a UTF-16 file read as one odd key
  const control = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F\x80-\x84\x86-\x9F\uFFFE\uFFFF]|\uFEFF(?!^)/u.exec(text.replace(/^\uFEFF/, ''));
  if (control) {
    const line = text.slice(0, control.index + (text.startsWith('\uFEFF') ? 1 : 0)).split('\n').length;
    const code = `U+${control[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    throw new ConfigError(`${path}:${line}: control character ${code} in the text: a config is printable text${code === 'U+0000' ? ' (a UTF-16 file? save it as UTF-8)' : ''}`);
  }
  const lines = new LineCounter();
  // logLevel 'error': the library's warnings become our errors below instead of process warnings on stderr
  // uniqueKeys off: the library compares each key with every earlier one of its map (7,000 keys in
  // 64 KiB took 2.7 s); literalValues() finds duplicates with a set, in one pass
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false, logLevel: 'error' });
  // warnings: an unknown tag (!!js/function …) that the library would read as a plain string
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    // an error at the end of the text (an unclosed bracket or quote) names the last line with text, not the empty one after its newline
    const line = lines.linePos(Math.max(0, Math.min(problem.pos[0], text.trimEnd().length - 1))).line;
    const reason = problem.code === 'RESOURCE_EXHAUSTION' ? `nesting too deep (${problem.message.split('\n')[0]})`
      : problem.code === 'MULTIPLE_DOCS' ? 'a second YAML document (after ---): a config is one document; remove the --- line and what follows, or merge the two'
      : problem.code === 'DUPLICATE_KEY' ? `duplicate key ${JSON.stringify(/^(?:"[^"\n]*"|'[^'\n]*'|[^:\n]*)/.exec(text.slice(problem.pos[0]))![0].trim() || '?')} in one mapping: the second would replace the first; keep one`
      : problem.message.split('\n')[0];
    throw new ConfigError(`${path}:${line}: YAML ${doc.errors.length ? 'syntax error' : 'error'}: ${reason}`);
  }
  const version = doc.directives?.yaml;
  if (version?.explicit && version.version !== '1.2') {
    throw new ConfigError(`${path}:1: YAML error: %YAML ${version.version}: hacheck reads YAML 1.2 (under 1.1, 0120 is 80, 1:20 is 80 and yes is true); remove the %YAML line`);
  }
  const top = doc.contents;
  if (top === null || (isScalar(top) && top.value === null) || (isMap(top) && top.items.length === 0)) {
    throw new ConfigError(`${path}:${top?.range ? lines.linePos(top.range[0]).line : 1}: empty config: no keys (a template that rendered nothing?); write the probes to run, e.g. "probes: [{type: process, pidfile: /run/nginx.pid}]"`);
  }
  literalValues(doc, path, lines);
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    throw new ConfigError(`${path}:${aliasLine(doc, lines, e as Error)}: YAML error: ${yamlReason(e as Error)}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${path}:1: the config must be a YAML mapping (key: value)`);
  return { path, raw: raw as Raw, doc, lines };
}

/** A number as this config writes one: decimal, an optional minus, no leading zero, a fraction only when it is one (90.5, never 80.0). */
const PLAIN_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$/;
/** The only tags whose values a config holds (text, numbers, true/false, null, lists, maps). */
const PLAIN_TAGS = new Set(['tag:yaml.org,2002:str', 'tag:yaml.org,2002:int', 'tag:yaml.org,2002:float', 'tag:yaml.org,2002:bool', 'tag:yaml.org,2002:null', 'tag:yaml.org,2002:map', 'tag:yaml.org,2002:seq']);

/**
 * Every value means what it says, or the config is refused (78, file:line, key):
 * - a number written in another form than a plain decimal (0x50, 0o120, 1e2,
 *   +80, 080, 80.0, .5, .inf, .nan) — YAML 1.2's core schema reads each as a
 *   number (0x50 is 80, 1e2 is 100), so `port: 0x50` or `targets: [1e2]`
 *   would probe another port than the one written; a leading zero is octal to
 *   a YAML 1.1 reader (PyYAML, the tools around the file), decimal here;
 * - a value of another type than text, number, true/false, null, list or map
 *   (!!binary, !!timestamp, !!set, !!omap): nothing in the config is one;
 * - a merge key `<<` (YAML 1.1 only; 1.2 reads it as a key named "<<").
 * Iterative (no recursion limit); aliases are judged where their anchor is.
 */
function literalValues(doc: Document, path: string, lines: LineCounter): void {
  const stack: { node: unknown; keys: (string | number)[] }[] = [{ node: doc.contents, keys: [] }];
  const fail = (node: Node, keys: (string | number)[], why: string): never => {
    const at = node.range ? lines.linePos(node.range[0]).line : 1;
    throw new ConfigError(`${path}:${at}: ${keys.length ? `${pathText(keys)}: ` : ''}${why}`);
  };
  while (stack.length) {
    const { node, keys } = stack.pop()!;
    if (!node || isAlias(node)) continue;
    if (isScalar(node)) {
      const { value } = node;
      const tag = node.tag && !PLAIN_TAGS.has(node.tag) ? node.tag.replace(/^tag:yaml\.org,2002:/, '!!') : undefined;
      if (tag || !(value === null || ['string', 'number', 'boolean'].includes(typeof value))) {
        fail(node, keys, `YAML tag ${tag ?? typeof value} (${JSON.stringify(String(node.source ?? ''))}): a config holds only text, numbers, true/false, lists and maps`);
      }
      if (typeof value === 'number') {
        const text = String(node.source ?? value).trim();
        if (!PLAIN_NUMBER.test(text) || (text.includes('.') && Number.isInteger(value))) {
          const meant = !Number.isFinite(value) ? String(value) : /^[-+]?0[0-9]/.test(text) ? `the number ${value}, a YAML 1.1 reader as octal` : `the number ${value}`;
          const fix = Number.isFinite(value) ? `write ${value} if that is meant, or "${text}" in quotes for the text` : 'write a number';
          fail(node, keys, `${text} is not written as a plain decimal number (YAML reads it as ${meant}): ${fix}`);
        }
      }
      continue;
    }
    if (isMap(node) || isSeq(node)) {
      if (node.tag && !PLAIN_TAGS.has(node.tag)) fail(node, keys, `YAML tag ${node.tag.replace(/^tag:yaml\.org,2002:/, '!!')}: a config holds only text, numbers, true/false, lists and maps`);
      // pushed last to first: the first problem in the file is the one reported
      const next: typeof stack = [];
      const seen = new Set<string>();
      node.items.forEach((item, i) => {
        if (isPair(item)) {
          const k = isScalar(item.key) ? item.key.value : item.key;
          const name = k === null || typeof k !== 'object' ? String(k) : '?';
          // as the JavaScript object the config becomes: 1 and "1" are one key
          if (isScalar(item.key) && seen.has(name)) {
            fail(item.key, [], `YAML syntax error: duplicate key ${JSON.stringify(name)} in one mapping: the second would replace the first; keep one`);
          }
          seen.add(name);
          if (name === '<<' && isScalar(item.key) && item.key.type === 'PLAIN') {
            fail(item.key, keys, 'merge key "<<": YAML 1.2 has none, and readers disagree on what it overrides; write the keys out (an alias of a whole value, as "headers: *h", works)');
          }
          next.push({ node: item.key, keys: [...keys, name] }, { node: item.value, keys: [...keys, name] });
        } else next.push({ node: item, keys: [...keys, i] });
      });
      stack.push(...next.reverse());
    }
  }
}

/** The library's exception while building values (aliases; a nesting too deep for the stack) → our words. */
function yamlReason(e: Error): string {
  const msg = String(e?.message ?? e);
  if (/Excessive alias count/.test(msg)) return `too many alias expansions (more than ${MAX_ALIAS_COUNT}: an alias bomb?); a config needs only a few aliases`;
  if (/Unresolved alias/.test(msg)) return `alias ${msg.replace(/^.*:\s*/, '*')} names no anchor defined before it`;
  if (e instanceof RangeError) return 'nesting too deep';
  return msg.split('\n')[0];
}

/** Line of the alias the error names, else of the first alias, else 1. */
function aliasLine(doc: Document, lines: LineCounter, e: Error): number {
  if (e instanceof RangeError) return 1; // too deep to walk again
  const source = /Unresolved alias.*:\s*(\S+)$/.exec(String(e?.message))?.[1];
  let at: number | undefined;
  try {
    visit(doc, {
      Alias(_, node) {
        if (source !== undefined && node.source !== source) return undefined;
        at = node.range?.[0];
        return visit.BREAK;
      },
    });
  } catch {
    // the walk itself failed: no line to give but the first
  }
  return at === undefined ? 1 : lines.linePos(at).line;
}

function issueKeys(issue: v.BaseIssue<unknown>): (string | number)[] {
  return (issue.path ?? []).map((p) => p.key as string | number);
}

/** Validates; the problem nearest the top of the file becomes a one-line ConfigError. */
export function validate(loaded: Loaded, kind: 'config' | 'usage' = 'config', describeKey?: (path: string) => string): Config {
  const r = v.safeParse(configSchema, loaded.raw, { abortPipeEarly: true });
  if (r.success) return r.output;
  // Each top-level issue is a separate problem; report the first one in the file, and how many more.
  const problems = r.issues.map((i) => {
    const d = deepest([i]);
    return { ...d, line: kind === 'config' ? lineOf(loaded, d.keys) : undefined };
  });
  const first = problems.reduce((a, b) => ((b.line ?? Infinity) < (a.line ?? Infinity) ? b : a));
  const { issue, keys, line } = first;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more${kind === 'config' ? ': fix this one and run hacheck validate again' : ''})` : '';
  let where = pathText(keys);
  const unknownKey = issue.expected === 'never' && keys.length > 0;
  // a list where a map belongs: valibot reads its indexes as unknown keys ("metrics.0")
  const listForMap = unknownKey && Array.isArray(valueAt(loaded.raw, keys.slice(0, -1)));
  if (listForMap) where = pathText(keys.slice(0, -1));
  const missingKey = issue.kind === 'schema' && issue.received === 'undefined' && issue.message.startsWith('Invalid key');
  const meant = unknownKey ? didYouMean(String(keys[keys.length - 1]), keysAt(keys.slice(0, -1), loaded.raw)) : undefined;
  const reason = listForMap ? 'expected a map (key: value lines, or {key: value}), got a list'
    : unknownKey ? `unknown key "${keys[keys.length - 1]}"${meant ? ` (did you mean "${meant}"?)` : ''}`
    : missingKey ? `missing required key "${keys[keys.length - 1]}"`
    // `log:` with every key below it commented out is null, not "the defaults": said so, not "Expected Object but received null"
    : issue.kind === 'schema' && issue.received === 'null' && /^(Object|Array)$/.test(String(issue.expected))
      ? (typeof keys[keys.length - 1] === 'number' ? 'an empty list item ("-" with nothing after it, or ~)'
        : `empty value (nothing after "${keys[keys.length - 1] ?? ''}:", or only comments below it): give it ${issue.expected === 'Array' ? 'items' : 'keys'}, or leave the key out for its default`)
    // YAML 1.2 (what hacheck reads) has only true/false: yes/no/on/off are text
    : issue.kind === 'schema' && issue.expected === 'boolean' && typeof issue.input === 'string' ? `expected true or false, got ${JSON.stringify(issue.input)} (in YAML 1.2 yes, no, on and off are text)`
    // valibot's "Invalid type: Expected Array but received Object", in YAML's words
    : issue.kind === 'schema' && issue.expected === 'Array' && issue.message.startsWith('Invalid type') ? `expected a list ([a, b] or lines starting with "- "), got ${shown(issue.input)}`
    : issue.kind === 'schema' && issue.expected === 'Object' && issue.message.startsWith('Invalid type') ? `expected a map (key: value lines, or {key: value}), got ${shown(issue.input)}`
    : issue.message;
  if (kind === 'usage') throw new ConfigError(`${describeKey ? describeKey(where) : where}: ${reason}${more}`, 'usage');
  throw new ConfigError(`${loaded.path ?? 'config'}${line ? `:${line}` : ''}: ${where ? `${where}: ` : ''}${reason}${more}`);
}

/** The raw value at a key path, if there is one. */
function valueAt(raw: unknown, keys: (string | number)[]): unknown {
  let x = raw;
  for (const k of keys) x = x !== null && typeof x === 'object' ? (x as Record<string | number, unknown>)[k] : undefined;
  return x;
}

/** A wrong value, shortly, for "got …": a map, a list, or the value itself. */
function shown(x: unknown): string {
  if (Array.isArray(x)) return 'a list';
  if (x !== null && typeof x === 'object') return 'a map';
  const text = JSON.stringify(x) ?? String(x);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

type SchemaNode = { type?: string; entries?: Record<string, SchemaNode>; wrapped?: SchemaNode; pipe?: SchemaNode[]; item?: SchemaNode; options?: SchemaNode[]; key?: string; literal?: unknown };

/**
 * The keys the schema allows in the object at `path` of the raw config (a probe
 * entry's by its `type`): the pool a mistyped key is matched against.
 */
function keysAt(path: (string | number)[], raw: unknown): string[] {
  let node = configSchema as unknown as SchemaNode;
  let value: unknown = raw;
  const unwrap = (n: SchemaNode | undefined, v: unknown): SchemaNode | undefined => {
    for (let i = 0; n && i < 10; i++) {
      if (n.wrapped) n = n.wrapped;
      else if (n.type === 'variant' && n.options && n.key) {
        const want = v && typeof v === 'object' ? (v as Record<string, unknown>)[n.key] : undefined;
        n = n.options.find((o) => unwrap(o, v)?.entries?.[n!.key!]?.literal === want);
      } else if (n.type === 'union' && n.options) n = n.options.find((o) => unwrap(o, v)?.entries) ?? n.options[0];
      else if (!n.entries && !n.item && n.pipe?.[0] && n.pipe[0] !== n) n = n.pipe[0];
      else return n;
    }
    return n;
  };
  for (const k of path) {
    const n = unwrap(node, value);
    const next = typeof k === 'number' ? n?.item : n?.entries?.[k];
    if (!next) return [];
    node = next;
    value = value && typeof value === 'object' ? (value as Record<string | number, unknown>)[k] : undefined;
  }
  return Object.keys(unwrap(node, value)?.entries ?? {});
}

/**
 * Union/variant issues nest the real reason, with paths relative to the union's
 * input: report the deepest one (a failed check beats a type mismatch at the
 * same depth), with its full path.
 */
function deepest(issues: v.BaseIssue<unknown>[], base: (string | number)[] = []): { issue: v.BaseIssue<unknown>; keys: (string | number)[] } {
  const score = (x: { issue: v.BaseIssue<unknown>; keys: unknown[] }) => x.keys.length * 2 + (x.issue.kind === 'validation' ? 1 : 0);
  let best = { issue: issues[0], keys: [...base, ...issueKeys(issues[0])] };
  for (const i of issues) {
    const keys = [...base, ...issueKeys(i)];
    const sub = i.issues?.length ? deepest(i.issues, keys) : { issue: i, keys };
    if (score(sub) > score(best)) best = sub;
  }
  return best;
}

/**
 * The file named with -c, else the default path when it exists, else none.
 * `-c ''` is a usage error, not "no -c". `-c /dev/null`, said in so many words,
 * is "no config file" (flags and defaults only, as without -c and without
 * /etc/hacheck/hacheck.yaml); any other empty input (an empty or comments-only
 * file, an empty pipe such as -c /dev/stdin </dev/null) is "empty config" (78).
 */
export function loadFile(path: string | undefined, deadline?: number): Loaded {
  if (path !== undefined && path.trim() === '') throw new ConfigError('-c/--config: empty path (""): name a config file, or leave the flag out', 'usage');
  if (path === NO_CONFIG) return { raw: {} };
  if (path !== undefined) return readConfigFile(path, deadline);
  if (existsSync(DEFAULT_CONFIG_PATH)) return readConfigFile(DEFAULT_CONFIG_PATH, deadline);
  return { raw: {} };
}
