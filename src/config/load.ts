// Loads YAML, validates it against the schema, and maps every problem to
// "file:line: path: reason". Flags are applied as a second layer over the file.
import { readFileSync, existsSync } from 'node:fs';
import * as v from 'valibot';
import { parseDocument, LineCounter, isMap, isScalar, visit, type Document } from 'yaml';
import { configSchema, type Config } from './schema.js';
import { DEFAULT_CONFIG_PATH } from './defaults.js';

export { DEFAULT_CONFIG_PATH };

export class ConfigError extends Error {
  constructor(message: string, readonly kind: 'config' | 'usage' = 'config') {
    super(message);
  }
}

type Raw = Record<string, unknown>;

export interface Loaded {
  path?: string;
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

export function readConfigFile(path: string): Loaded {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = { ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'is a directory' }[code ?? ''];
    throw new ConfigError(`${path}: cannot read config: ${why ? `${why} (${code})` : code ?? (e as Error).message}`);
  }
  return parseConfigText(text, path);
}

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
  const lines = new LineCounter();
  // logLevel 'error': the library's warnings become our errors below instead of process warnings on stderr
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  // warnings: an unknown tag (!!js/function …) that the library would read as a plain string
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    const line = lines.linePos(problem.pos[0]).line;
    const reason = problem.code === 'RESOURCE_EXHAUSTION' ? `nesting too deep (${problem.message.split('\n')[0]})` : problem.message.split('\n')[0];
    throw new ConfigError(`${path}:${line}: YAML ${doc.errors.length ? 'syntax error' : 'error'}: ${reason}`);
  }
  const top = doc.contents;
  if (top === null || (isScalar(top) && top.value === null) || (isMap(top) && top.items.length === 0)) {
    throw new ConfigError(`${path}:${top?.range ? lines.linePos(top.range[0]).line : 1}: empty config: no keys (a template that rendered nothing?); write the probes to run, e.g. "probes: [{type: process, pidfile: /run/nginx.pid}]"`);
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    throw new ConfigError(`${path}:${aliasLine(doc, lines, e as Error)}: YAML error: ${yamlReason(e as Error)}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${path}:1: the config must be a YAML mapping (key: value)`);
  return { path, raw: raw as Raw, doc, lines };
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
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more: fix this one and run hacheck validate again)` : '';
  const where = pathText(keys);
  const unknownKey = issue.expected === 'never' && keys.length > 0;
  const missingKey = issue.kind === 'schema' && issue.received === 'undefined' && issue.message.startsWith('Invalid key');
  const reason = unknownKey ? `unknown key "${keys[keys.length - 1]}"` : missingKey ? `missing required key "${keys[keys.length - 1]}"` : issue.message;
  if (kind === 'usage') throw new ConfigError(`${describeKey ? describeKey(where) : where}: ${reason}${more}`, 'usage');
  throw new ConfigError(`${loaded.path ?? 'config'}${line ? `:${line}` : ''}: ${where ? `${where}: ` : ''}${reason}${more}`);
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

/** The file named with -c, else the default path when it exists, else none. `-c ''` is a usage error, not "no -c". */
export function loadFile(path: string | undefined): Loaded {
  if (path !== undefined && path.trim() === '') throw new ConfigError('-c/--config: empty path (""): name a config file, or leave the flag out', 'usage');
  if (path !== undefined) return readConfigFile(path);
  if (existsSync(DEFAULT_CONFIG_PATH)) return readConfigFile(DEFAULT_CONFIG_PATH);
  return { raw: {} };
}
