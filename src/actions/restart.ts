// Restart, decide vs act. planRestart is pure: results + budget → what to do.
// The acting half runs the config test and starts the restart command detached
// (own session and process group, output to a log file), so keepalived killing
// hacheck's process group at its script timeout does not kill the restart.
import { closeSync, writeSync } from 'node:fs';
import { runBounded } from '../sys/bounded-run.js';
import { openAppend, readTrusted } from '../sys/trusted-file.js';
import { join } from 'node:path';
import * as v from 'valibot';
import { duration, fmtMs, intRange, path, relativeProblem } from '../config/units.js';
import { readStat } from '../sys/proc.js';
import type { ProbeResult } from '../probes/types.js';
import { budgetStatus, describeSpent, type BudgetState } from './budget.js';

/** node:child_process only when a restart runs: it is not loaded at start-up (nor into the binary's start-up snapshot). */
const spawn = () => process.getBuiltinModule('node:child_process').spawn;

const argv = () =>
  v.pipe(
    v.array(v.pipe(v.string('each argument must be a string'), v.minLength(1, 'empty argument')), 'must be a list: [program, arg, …] (run without a shell)'),
    v.minLength(1, 'needs at least the program'),
    // a name is looked up in PATH; a path with a / is taken from the working directory: / under keepalived, another by hand
    v.check((a) => !a[0].includes('/') || relativeProblem(a[0]) === undefined, (i) => `program ${relativeProblem((i.input as string[])[0], 'path')!}`),
  );

export const restartSchema = v.strictObject({
  enabled: v.optional(v.boolean(), false),
  /** restart command; default `systemctl restart nginx` when systemd is PID 1, else `nginx` */
  cmd: v.optional(argv()),
  /** run first; a failure means nginx is not touched */
  config_test: v.optional(argv(), ['nginx', '-t']),
  budget: v.optional(v.strictObject({
    max: v.optional(intRange(1, 100, 'restart.budget.max'), 3),
    window: v.optional(duration(1000, 86_400_000), '10m'),
  }), {}),
  /** no new restart this long after the last one */
  grace: v.optional(duration(0, 3_600_000), '30s'),
  /** a failing run this soon after a restart waits for health instead of failing at once */
  settle: v.optional(duration(0, 600_000), '10s'),
  /**
   * failing runs in a row whose restartable failures all have ambiguous evidence
   * (a timeout, a 5xx, a reset, a pid file unreadable while a master runs) needed
   * before a restart; definitive evidence (nginx gone, stopped, no worker, a refused
   * local connection) restarts on the first. 1: every failing run restarts.
   */
  ambiguous_runs: v.optional(intRange(1, 100, 'restart.ambiguous_runs'), 2),
  /** re-probe interval while waiting for health */
  poll: v.optional(duration(10, 10_000), '100ms'),
  /** restart command output; default <state_dir>/restart.log */
  log: v.optional(path('file path')),
  /**
   * orphaned nginx workers (their master killed) hold the listening sockets, so a
   * new master cannot bind: stop them (TERM, then KILL) before restarting. Off:
   * the restart is not attempted and the run names them.
   */
  kill_orphans: v.optional(v.boolean('restart.kill_orphans must be true or false'), false),
});
export type RestartConfig = v.InferOutput<typeof restartSchema>;

/** Probe kinds whose failure a restart can fix; a CPU or memory breach it cannot. */
export const RESTARTABLE = new Set(['process', 'port', 'http']);

export type RestartAction = 'none' | 'restart' | 'skip';
export interface RestartPlan {
  action: RestartAction;
  reason: string;
  /** names of the failing probes a restart should fix */
  failing: string[];
  /** skip only: a recent restart may still bring nginx up, so re-probe until the deadline */
  awaitRecent?: boolean;
}

/** The critical process/port/http probes that fail: what a restart should fix. */
const restartable = (results: ProbeResult[]) => results.filter((r) => !r.ok && r.severity === 'critical' && RESTARTABLE.has(r.kind));

/**
 * Pure: how sure the restartable failures are: 'definitive' when one failed
 * check says so (Check.evidence: nginx gone, zombie or stopped, no live worker,
 * a refused local connection), else 'ambiguous' (timeouts, resets, statuses,
 * a pid file unreadable while a master runs); undefined when none fails.
 */
export function restartEvidence(results: ProbeResult[]): 'definitive' | 'ambiguous' | undefined {
  const failing = restartable(results);
  if (!failing.length) return undefined;
  return failing.some((r) => r.checks.some((c) => !c.ok && c.evidence === 'definitive')) ? 'definitive' : 'ambiguous';
}

/**
 * Pure: what to do about these results, given the budget, at wall-clock `now`.
 * `probedAt`: wall-clock ms when `results` began to be measured (unknown: assume before any recovery).
 * `ambiguousRuns`: failing runs in a row with only ambiguous evidence, this one
 * included (restartEvidence); fewer than `cfg.ambiguous_runs` is no restart yet.
 * Undefined: not counted (no such gate).
 */
export function planRestart(results: ProbeResult[], budget: BudgetState, cfg: RestartConfig, now: number, probedAt?: number, ambiguousRuns?: number): RestartPlan {
  const failing = restartable(results).map((r) => r.name);
  if (!cfg.enabled) return { action: 'none', reason: 'restart disabled', failing };
  if (failing.length === 0) {
    const other = results.some((r) => !r.ok && r.severity === 'critical');
    return { action: 'none', reason: other ? 'only resource probes fail: a restart would not help' : 'nginx probes pass', failing };
  }
  const s = budgetStatus(budget, cfg, now);
  if (s.spentUntil !== undefined) return { action: 'skip', reason: describeSpent(s, cfg, now), failing };
  if (budget.running) {
    // Two restarts at once (a hung `systemctl restart` and a new one) only make things worse.
    const ago = Math.max(0, now - budget.running.at);
    return {
      action: 'skip',
      reason: `the restart command started ${fmtMs(ago)} ago (pid ${budget.running.pid}: ${budget.running.cmd.join(' ')}) is still running`,
      failing,
      awaitRecent: ago < cfg.settle,
    };
  }
  if (s.graceUntil !== undefined && s.last) {
    const ago = now - s.last.at;
    return {
      action: 'skip',
      reason: `nginx was restarted ${fmtMs(Math.max(0, ago))} ago by pid ${s.last.by}; no new restart within the grace period (${fmtMs(cfg.grace)})`,
      failing,
      // Measured after a run saw that restart recover: this failure is a new one, fail now.
      awaitRecent: ago < cfg.settle && !(budget.recoveredAt !== undefined && budget.recoveredAt >= s.last.at && (probedAt ?? 0) > budget.recoveredAt),
    };
  }
  if (ambiguousRuns !== undefined && ambiguousRuns < cfg.ambiguous_runs && restartEvidence(results) === 'ambiguous') {
    // one slow answer is what CPU contention makes too: restarting a serving nginx drops every connection
    return {
      action: 'skip',
      reason: `not restarting yet: ${failing.join(', ')} failing with ambiguous evidence only (a timeout, a status, a reset) in ${ambiguousRuns} run${ambiguousRuns === 1 ? '' : 's'} in a row, ${cfg.ambiguous_runs} needed (restart.ambiguous_runs); definitive evidence restarts at once`,
      failing,
    };
  }
  return { action: 'restart', reason: `${failing.join(', ')} failing; restart ${s.used + 1} of ${s.max} in ${fmtMs(cfg.budget.window)}`, failing };
}

const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** keepalived may run scripts with an empty environment; nginx lives in /usr/sbin. */
function childEnv(): NodeJS.ProcessEnv {
  return process.env.PATH ? process.env : { ...process.env, PATH: SYSTEM_PATH };
}

export function defaultRestartCmd(): string[] {
  return readStat(1)?.comm === 'systemd' ? ['systemctl', 'restart', 'nginx'] : ['nginx'];
}

export interface ConfigTest {
  ok: boolean;
  /** nginx's own words on failure: its first [emerg]/[alert] line, the cause */
  message: string;
  durationMs: number;
  /** everything the command printed (kept in restart.log) */
  output?: string;
}

const MAX_OUTPUT = 64 * 1024;

/** "nginx: [emerg] x" and log-style "2026/11/24 23:39:48 [emerg] 123#123: x" in one plain form: "[emerg] x". */
const plainLine = (l: string) => l.replace(/^nginx: /, '').replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d /, '').replace(/^(\[\w+\]) \d+#\d+: (?:\*\d+ )?/, '$1 ');

/**
 * The cause among nginx's output lines: its first [emerg] or [alert] line (nginx
 * logs the cause first and consequences after, e.g. "bind() … failed (98: Address
 * already in use)" before "still could not bind()"), else the first [crit]/[error]
 * line, else the last line. '' when there is no output.
 */
export function causeLine(lines: string[]): string {
  const ls = lines.map((l) => l.trim()).filter(Boolean);
  const first = (re: RegExp) => ls.find((l) => re.test(l));
  const hit = first(/\[(emerg|alert)\]/) ?? first(/\[(crit|error)\]/);
  return hit ? plainLine(hit) : ls[ls.length - 1] ?? '';
}

/** nginx -t output -> its cause line, for "config test failed: …" (the rest goes to restart.log). */
export function configTestMessage(output: string): string {
  return causeLine(output.split('\n')) || 'no output';
}

/** Runs the config test, killed at the deadline (its whole process group: src/sys/bounded-run.ts). */
export async function runConfigTest(cmd: string[], deadline: number): Promise<ConfigTest> {
  const r = await runBounded(cmd, { timeoutMs: deadline - performance.now(), env: childEnv(), maxOutput: MAX_OUTPUT });
  const result = (ok: boolean, message: string): ConfigTest => ({ ok, message, durationMs: r.durationMs, output: r.out });
  if (r.error) return result(false, `cannot run ${cmd[0]}: ${r.error}`);
  if (r.timedOut) return result(false, `${cmd.join(' ')} did not finish within the deadline (${fmtMs(Math.round(r.durationMs))})`);
  if (r.code === 0) return result(true, configTestMessage(r.out));
  return result(false, configTestMessage(r.out) + (r.signal ? ` (killed by ${r.signal})` : ''));
}

export interface StartedRestart {
  pid?: number;
  /** resolves when the command exits (the start of nginx, for `nginx` or `systemctl restart`) */
  exited: Promise<{ code: number | null; signal: string | null; error?: string }>;
  logPath: string;
}

const LOG_MAX_BYTES = 1024 * 1024;

/** The line each restart starts its part of the log with. */
const header = (pid: number) => ` hacheck[${pid}]: restarting nginx: `;

export function restartLogPath(cfg: RestartConfig, stateDir: string): string {
  return cfg.log ?? join(stateDir, 'restart.log');
}

/** Appended, never through a symlink or into a file another user owns (src/sys/trusted-file.ts). */
function openLog(path: string): number {
  // its directory made only once the path to it is judged (src/sys/trusted-file.ts)
  return openAppend(path, { mode: 0o640, rotateBytes: LOG_MAX_BYTES, mkdir: true });
}

/**
 * Starts the restart command in its own session (setsid via `detached`) with
 * stdout/stderr appended to the log file, and does not wait for it: it must
 * outlive this process. The exit status is observed only while we live.
 */
export function startRestart(cmd: string[], logPath: string): StartedRestart {
  let fd: number | undefined;
  try {
    fd = openLog(logPath);
    writeSync(fd, `${new Date().toISOString()}${header(process.pid)}${cmd.join(' ')}\n`);
  } catch {
    fd = undefined; // an unwritable log never blocks the restart itself
  }
  const out = fd ?? 'ignore';
  const child = spawn()(cmd[0], cmd.slice(1), { detached: true, stdio: ['ignore', out, out], cwd: '/', env: childEnv() });
  if (fd !== undefined) closeSync(fd);
  child.unref();
  const exited = new Promise<{ code: number | null; signal: string | null; error?: string }>((resolve) => {
    child.once('error', (e: NodeJS.ErrnoException) => resolve({ code: null, signal: null, error: `cannot run ${cmd[0]}: ${e.code ?? e.message}` }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return { pid: child.pid, exited, logPath };
}

/**
 * The cause of a failed restart: nginx's first [emerg]/[alert] line among what
 * the restart command wrote after this process's header line in the log (the
 * rest stays in the log). '' when the log holds no part of ours.
 */
export function restartCause(path: string): string {
  try {
    // through the trusted-file layer: never a symlink, never a file another user owns or can write
    const lines = readTrusted(path, { tail: MAX_OUTPUT }).toString('utf8').split('\n');
    let from = -1;
    for (let i = lines.length - 1; i >= 0 && from < 0; i--) if (lines[i].includes(header(process.pid))) from = i;
    if (from < 0) return ''; // our part is not there (log unwritable, rotated): no older run's line
    return causeLine(lines.slice(from + 1).filter((l) => !/ hacheck\[\d+\]: /.test(l)));
  } catch {
    return '';
  }
}

/** Appends a failed config test's full output to the restart log; false when it cannot be written. */
export function logConfigTest(cmd: string[], output: string, logPath: string): boolean {
  try {
    const fd = openLog(logPath);
    try {
      writeSync(fd, `${new Date().toISOString()} hacheck[${process.pid}]: config test failed: ${cmd.join(' ')}\n${output.endsWith('\n') || !output ? output : `${output}\n`}`);
    } finally {
      closeSync(fd);
    }
    return true;
  } catch {
    return false;
  }
}
