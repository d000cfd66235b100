// keepalived's own config check, the doctor's ground truth: `keepalived
// --config-test -f FILE` (keepalived(8), 2.0.4 and later) parses the file and its
// includes as the daemon would and prints on stderr what it ignores, removes or
// rewrites, one message a line, as `(FILE: Line N) text`, `(Line N) text` or a bare
// text. It starts no daemon and writes nothing: keepalived 2.2.7 reads the
// config into a memfd, opens no pid file and forks nothing (checked with strace).
// Some configs make 2.2.7 crash or hang in the check (an unknown track_file name
// beside a known one): the run is bounded by a deadline and killed.
import { runBounded } from '../sys/bounded-run.js';
import { existsSync } from 'node:fs';

export const KEEPALIVED_PATHS = ['/usr/sbin/keepalived', '/sbin/keepalived', '/usr/local/sbin/keepalived'];
/** --config-test appeared in keepalived 2.0.4 */
export const MIN_VERSION = [2, 0, 4] as const;
/** a config test takes ~10 ms (30-100 ms on a busy machine); this bounds a hung one */
export const CONFIG_TEST_DEADLINE_MS = 3000;
/** `keepalived --version` prints and exits at once */
export const VERSION_DEADLINE_MS = 1000;
const MAX_OUTPUT = 1024 * 1024;
/** keepalived runs with an empty environment but a PATH, as its own scripts do. */
const KEEPALIVED_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };

export interface KeepalivedLine {
  /** absolute path as keepalived printed it; undefined: no file named (`(Line N)` is the main file) */
  file?: string;
  line?: number;
  text: string;
}

export type ConfigTest =
  | { status: 'ran'; version: string; exitCode: number; lines: KeepalivedLine[]; ms: number; deadlineMs: number }
  | { status: 'missing' | 'too-old' | 'failed'; version?: string; reason: string; lines: KeepalivedLine[]; deadlineMs: number };

/** One line of keepalived's config-test output → where and what. */
export function parseLine(raw: string): KeepalivedLine | undefined {
  const text = raw.replace(/\s+$/, '');
  if (!text.trim()) return undefined;
  const m = /^\((?:(.+): )?Line (\d+)\) (.*)$/.exec(text);
  if (m) return { ...(m[1] && { file: m[1] }), line: Number(m[2]), text: m[3] };
  return { text };
}

export function parseOutput(out: string): KeepalivedLine[] {
  return out.split('\n').map(parseLine).filter((l): l is KeepalivedLine => !!l);
}

/** The keepalived binary: an explicit path, else the first of KEEPALIVED_PATHS that exists. */
export function findKeepalived(explicit?: string): string | undefined {
  if (explicit) return explicit;
  return KEEPALIVED_PATHS.find((p) => existsSync(p));
}

/** `keepalived --version` → "2.2.7" (it prints "Keepalived v2.2.7 (01/16,2022)" on stderr); undefined when it prints none within the deadline. */
export async function keepalivedVersion(bin: string, deadlineMs = VERSION_DEADLINE_MS): Promise<string | undefined> {
  const r = await runBounded([bin, '--version'], { timeoutMs: deadlineMs, env: KEEPALIVED_ENV, maxOutput: MAX_OUTPUT });
  return /Keepalived v(\d+\.\d+\.\d+)/.exec(r.out)?.[1];
}

export const versionAtLeast = (v: string, min: readonly number[]) => {
  const p = v.split('.').map(Number);
  for (let i = 0; i < min.length; i++) if ((p[i] ?? 0) !== min[i]) return (p[i] ?? 0) > min[i];
  return true;
};

/**
 * Runs `BIN --config-test -f FILE` (absolute FILE; with `configId`, `-i ID`: which `@ID`
 * lines keepalived reads, its default being this host's node name) with an empty environment and
 * stdin closed, killed after `deadlineMs`. Never throws: a missing or old keepalived,
 * a crash or a hang is a status with a reason.
 */
export async function runConfigTest(bin: string | undefined, file: string, deadlineMs = CONFIG_TEST_DEADLINE_MS, version?: string, configId?: string): Promise<ConfigTest> {
  if (!bin || !existsSync(bin)) return { status: 'missing', reason: `keepalived is not installed (looked for ${bin ?? KEEPALIVED_PATHS.join(', ')})`, lines: [], deadlineMs };
  const v = version ?? await keepalivedVersion(bin);
  if (!v) return { status: 'failed', reason: `${bin} --version printed no version`, lines: [], deadlineMs };
  if (!versionAtLeast(v, MIN_VERSION)) return { status: 'too-old', version: v, reason: `keepalived ${v} has no --config-test (2.0.4 or later)`, lines: [], deadlineMs };
  const r = await runBounded([bin, '--config-test', ...(configId !== undefined ? ['-i', configId] : []), '-f', file], { timeoutMs: deadlineMs, env: KEEPALIVED_ENV, maxOutput: MAX_OUTPUT });
  const lines = parseOutput(r.out);
  if (r.error) return { status: 'failed', version: v, reason: `cannot run ${bin}: ${r.error}`, lines: [], deadlineMs };
  if (r.timedOut) return { status: 'failed', version: v, reason: `keepalived ${v} --config-test did not finish within ${deadlineMs} ms (killed)`, lines, deadlineMs };
  if (r.signal) return { status: 'failed', version: v, reason: `keepalived ${v} --config-test crashed (${r.signal})`, lines, deadlineMs };
  return { status: 'ran', version: v, exitCode: r.code ?? 0, lines, ms: Math.round(r.durationMs), deadlineMs };
}
