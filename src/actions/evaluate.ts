// One evaluation, for `check` and for each `agent` cycle: the maintenance flag,
// the probes, and the restart flow when nginx probes fail. What to write or
// print with it stays with the caller.
import { lstatSync, realpathSync, statSync } from 'node:fs';
import { ancestorsProblem, euid } from '../sys/trusted-file.js';
import type { Config } from '../config/schema.js';
import type { ProbeResult } from '../probes/types.js';
import { runProbes } from '../probes/run.js';
import type { RestartOutcome } from './recover.js';
import { clearAmbiguousRuns } from './ambiguous-runs.js';

export interface Evaluation {
  /** probe results, with those re-probed after a restart replaced */
  results: ProbeResult[];
  /** the maintenance file is present: why */
  forcedDown?: string;
  /** lines for the human output */
  notes: string[];
  /** what the restart flow did, when it ran */
  restart?: RestartOutcome;
  /** the restart flow ran and nginx did not come back: why (first reason of the verdict) */
  restartFailure?: string;
}

/**
 * The operator's drain switch: "" turns it off. Its presence decides, so it
 * counts only when no other user could have put it there (the rule of
 * src/sys/trusted-file.ts): the name (a symlink included) and what it names
 * owned by root or the euid, every directory above it safe. A file any user
 * could plant would let that user force every node down (the VIP nowhere).
 * `ignored`: why a present file does not count, for the output's notes.
 */
export function maintenanceState(path: string): { reason?: string; ignored?: string } {
  if (!path) return {};
  let why: string | undefined;
  try {
    // absent is the usual case, every cycle: no ENOENT error object built for it
    const l = lstatSync(path, { throwIfNoEntry: false });
    if (!l) return {};
    const st = l.isSymbolicLink() ? statSync(path) : l;
    const me = euid();
    const owner = [l.uid, st.uid].find((u) => u !== 0 && u !== me);
    why = owner !== undefined ? `owned by uid ${owner}, not root` : ancestorsProblem(realpathSync(path));
  } catch {
    return {}; // absent (a dangling symlink included)
  }
  if (why) return { ignored: `maintenance file ${path} ignored: ${why} (another user could have put it there)` };
  return { reason: `forced down: maintenance file ${path} present` };
}

/** The reason forced down, undefined when not (or when the file present is not trusted). */
export function maintenanceReason(path: string): string | undefined {
  return maintenanceState(path).reason;
}

/**
 * `deadline`: performance.now() ms the run ends by; `spanMs`: the whole deadline the
 * run's starved test measures against (starvedReason): a one-shot run's --timeout,
 * counted from the process start (as check.ts's verdict); default, what is left at
 * the probes' start (an agent cycle, whose deadline starts with it).
 */
export async function evaluate(cfg: Config, deadline: number, spanMs?: number): Promise<Evaluation> {
  const { reason: forcedDown, ignored } = maintenanceState(cfg.maintenance_file);
  const pre = ignored ? [ignored] : [];
  const probedAt = Date.now();
  const t0 = performance.now();
  const results = await runProbes(cfg.probes, { deadline, stateDir: cfg.state_dir, failFast: cfg.fail_fast });
  if (!cfg.restart.enabled) return { results, forcedDown, notes: pre };
  if (results.every((r) => r.ok)) {
    // nginx answered: a run of ambiguous failures (restart.ambiguous_runs) ends here (one lstat when there is none)
    clearAmbiguousRuns(cfg.state_dir);
    return { results, forcedDown, notes: pre };
  }
  if (forcedDown) return { results, forcedDown, notes: [`${forcedDown}: no restart`] };
  const { recoverIfNeeded } = await import('./recover.js');
  const rec = await recoverIfNeeded(cfg, results, { deadline, probedAt, spanMs: spanMs ?? deadline - t0 });
  const failed = rec.restart.action !== 'none' && !rec.restart.recovered;
  return { results: rec.results, forcedDown, notes: [...pre, ...rec.notes], restart: rec.restart, ...(failed && { restartFailure: rec.restart.reason }) };
}
