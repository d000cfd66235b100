// The whole restart flow behind one call, for `check` and `agent`:
// plan → lock → re-plan under the lock → config test → record → start the
// restart command → re-probe the failed probes until healthy or the deadline.
import type { Config } from '../config/schema.js';
import type { ProbeResult } from '../probes/types.js';
import { probeNames, runProbes } from '../probes/run.js';
import { fmtMs } from '../config/units.js';
import { lockBudget, noteRecovered, noteRestartPid, readBudget, recordRestart } from './budget.js';
import { starvedReason } from '../verdict/starved.js';
import { clearAmbiguousRuns, countAmbiguousRun } from './ambiguous-runs.js';
import {
  defaultRestartCmd, logConfigTest, planRestart, restartCause, restartEvidence, restartLogPath, runConfigTest, startRestart,
  type RestartAction, type StartedRestart,
} from './restart.js';
import { findOrphans, orphansBlock, stopOrphansForRestart, type OrphanInfo } from './orphans.js';

export interface RestartOutcome {
  action: RestartAction;
  reason: string;
  /** the restart (or one started by another run) brought the failed probes back */
  recovered?: boolean;
  cmd?: string[];
  pid?: number;
  configTest?: { ok: boolean; message: string; durationMs: number };
  log?: string;
  /** orphaned nginx workers found before the restart (pids), and what was done about them */
  orphans?: OrphanInfo;
}

export interface Recovery {
  /** the input results, with re-probed ones replaced */
  results: ProbeResult[];
  /** lines for the human output */
  notes: string[];
  restart: RestartOutcome;
}

/** The lock stays valid this long past our deadline if we are stopped without releasing it. */
const LOCK_SLACK_MS = 2000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `opts.probedAt`: wall-clock ms when `results` began to be measured; `opts.spanMs`:
 * the run's whole deadline (ms), to tell a run too starved to measure anything
 * (src/verdict/starved.ts), which never restarts nginx.
 */
export async function recoverIfNeeded(cfg: Config, results: ProbeResult[], opts: { deadline: number; probedAt?: number; spanMs?: number }): Promise<Recovery> {
  const rc = cfg.restart;
  const stateDir = cfg.state_dir;
  const done = (restart: RestartOutcome, res = results, notes: string[] = []): Recovery => ({ results: res, notes, restart });

  const evidence = restartEvidence(results);
  if (evidence === undefined || !rc.enabled) {
    if (rc.enabled) clearAmbiguousRuns(stateDir);
    const none = planRestart(results, readBudget(stateDir), rc, Date.now(), opts.probedAt);
    return done({ action: 'none', reason: none.reason });
  }
  // hacheck was not on the CPU to see the answers it timed out on: nothing about nginx, no restart, not counted
  const starved = opts.spanMs !== undefined ? starvedReason(results, opts.spanMs, { subject: 'hacheck', deadline: 'deadline' }) : undefined;
  if (starved) {
    const reason = `not restarting: inconclusive run, ${starved}`;
    return done({ action: 'skip', reason }, results, [reason]);
  }
  // ambiguous evidence restarts only once it held for restart.ambiguous_runs runs in a row
  let runs: number | undefined;
  if (evidence === 'ambiguous') runs = countAmbiguousRun(stateDir, Date.now(), rc.budget.window);
  else clearAmbiguousRuns(stateDir);

  // Cheap first look without the lock: a healthy run never touches it.
  const first = planRestart(results, readBudget(stateDir), rc, Date.now(), opts.probedAt, runs);
  if (first.action === 'none') return done({ action: 'none', reason: first.reason });
  if (first.action === 'skip' && !first.awaitRecent) return done({ action: 'skip', reason: first.reason }, results, [first.reason]);

  const deadline = opts.deadline;
  const got = await lockBudget(stateDir, { deadline, holdMs: Math.max(0, deadline - performance.now()) + LOCK_SLACK_MS });
  if (!got.ok) {
    if (got.error) {
      const reason = `not restarting: the restart budget cannot be kept (${got.error})`;
      return done({ action: 'skip', reason }, results, [reason]);
    }
    // Another run holds the lock until our deadline: it is restarting nginx.
    const reason = `another hacheck run (pid ${got.holder?.pid ?? '?'}) is handling the restart`;
    return awaitHealth(cfg, results, first.failing, deadline, { action: 'skip', reason }, [reason]);
  }
  // Under the lock: decide again (another run may have restarted meanwhile),
  // test the config, record, start. The lock is released before waiting for health.
  const lock = got.lock;
  let wait: { outcome: RestartOutcome; notes: string[]; failing: string[]; started?: StartedRestart };
  try {
    const budget = readBudget(stateDir);
    const plan = planRestart(results, budget, rc, Date.now(), opts.probedAt, runs);
    if (plan.action === 'skip' && plan.awaitRecent) {
      wait = { outcome: { action: 'skip', reason: plan.reason }, notes: [plan.reason], failing: plan.failing };
    } else if (plan.action !== 'restart') {
      return done({ action: plan.action, reason: plan.reason }, results, plan.action === 'skip' ? [plan.reason] : []);
    } else {
      // Orphaned workers of a killed master hold the sockets: without kill_orphans a new
      // master could only fail to bind, so neither the config test nor the restart runs.
      // (only the watched nginx's: another instance's orphans, on other ports, are left alone and said so)
      const found = findOrphans(cfg, results);
      const orphans = found.blocking;
      const aside = found.note ? [found.note] : [];
      if (orphans.length && !rc.kill_orphans) {
        const reason = `${orphansBlock(orphans)} (restart.kill_orphans: true stops them before a restart)`;
        return done({ action: 'skip', reason, orphans: { pids: orphans.map((p) => p.pid) } }, results, [...aside, `${reason}; nginx not restarted`]);
      }
      const { output, ...test } = await runConfigTest(rc.config_test, deadline);
      const logPath = restartLogPath(rc, stateDir);
      if (!test.ok) {
        const reason = `config test failed: ${test.message}`;
        const logged = logConfigTest(rc.config_test, output ?? '', logPath);
        return done({ action: 'skip', reason, configTest: test, ...(logged && { log: logPath }) }, results, [`${reason} (nginx not restarted${logged ? `; full output in ${logPath}` : ''})`]);
      }
      // the config is good: only now stop the orphans (they still serve the old one)
      const stopped = orphans.length ? await stopOrphansForRestart(orphans, deadline) : undefined;
      if (stopped?.failure) {
        return done({ action: 'skip', reason: stopped.failure, configTest: test, orphans: stopped.info }, results, [`${stopped.failure}; nginx not restarted`]);
      }
      if (!lock.stillHeld() || performance.now() >= deadline) {
        const reason = 'deadline reached before the restart could start';
        return done({ action: 'skip', reason, configTest: test }, results, [reason]);
      }
      const cmd = rc.cmd ?? defaultRestartCmd();
      // Record first: if we are killed right after starting it, the restart still counts.
      if (!recordRestart(stateDir, budget, { at: Date.now(), by: process.pid, cmd }, rc)) {
        const reason = `not restarting: cannot write the restart budget in ${stateDir}`;
        return done({ action: 'skip', reason, configTest: test }, results, [reason]);
      }
      const started = startRestart(cmd, logPath);
      noteRestartPid(stateDir, budget, started.pid);
      if (runs !== undefined) clearAmbiguousRuns(stateDir);
      wait = {
        outcome: { action: 'restart', reason: plan.reason, cmd, pid: started.pid, configTest: test, log: started.logPath, ...(stopped && { orphans: stopped.info }) },
        notes: [...aside, ...(stopped ? [stopped.note] : []), `restarting nginx: ${cmd.join(' ')} (${plan.reason})`],
        failing: plan.failing,
        started,
      };
    }
  } finally {
    lock.release();
  }
  return awaitHealth(cfg, results, wait.failing, deadline, wait.outcome, wait.notes, wait.started);
}

/** Re-runs the failed probes every `poll` until they pass or the deadline. */
async function awaitHealth(
  cfg: Config,
  results: ProbeResult[],
  failing: string[],
  deadline: number,
  outcome: RestartOutcome,
  notes: string[],
  started?: StartedRestart,
): Promise<Recovery> {
  const t0 = performance.now();
  const names = probeNames(cfg.probes);
  const idx = names.map((n, i) => (failing.includes(n) ? i : -1)).filter((i) => i >= 0);
  const probes = idx.map((i) => cfg.probes[i]);
  let exit: { code: number | null; signal: string | null; error?: string } | undefined;
  started?.exited.then((e) => { exit = e; });
  let latest: ProbeResult[] = [];
  let round = 0;
  while (performance.now() < deadline) {
    latest = await runProbes(probes, { deadline, stateDir: cfg.state_dir });
    // runProbes names its own subset; give results back their run-wide names.
    latest = latest.map((r, j) => ({ ...r, name: names[idx[j]] }));
    if (latest.every((r) => r.ok)) {
      const merged = results.map((r) => latest.find((l) => l.name === r.name) ?? r);
      noteRecovered(cfg.state_dir);
      const what = outcome.action === 'restart' ? 'recovered after restart' : 'recovered (restart by another run)';
      return { results: merged, notes: [...notes, `${what} in ${fmtMs(Math.round(performance.now() - t0))}`], restart: { ...outcome, recovered: true } };
    }
    if (exit && (exit.code !== 0 || exit.error)) break;
    // nginx usually answers within tens of ms: look again soon, then every `poll`.
    await sleep(Math.min(cfg.restart.poll, 20 * 2 ** round++, Math.max(0, deadline - performance.now())));
  }
  const merged = latest.length ? results.map((r) => latest.find((l) => l.name === r.name) ?? r) : results;
  let why: string;
  if (exit?.error) why = `restart command failed: ${exit.error}`;
  else if (exit && exit.code !== 0) {
    // nginx's first [emerg]/[alert] line is the cause; the rest stays in the log
    const line = started ? restartCause(started.logPath) : '';
    why = `restart command exited with ${exit.code ?? exit.signal}${line ? `: ${line}` : ''}${started ? ` (full output in ${started.logPath})` : ''}`;
  } else why = `not healthy within the deadline (${fmtMs(Math.round(performance.now() - t0))} after ${outcome.action === 'restart' ? 'the restart' : 'waiting'})`;
  return { results: merged, notes: [...notes, why], restart: { ...outcome, recovered: false, reason: `${outcome.reason}; ${why}` } };
}
