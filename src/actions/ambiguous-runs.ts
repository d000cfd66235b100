// Failing runs in a row whose restartable failures had only ambiguous evidence,
// for restart.ambiguous_runs (src/actions/restart.ts planRestart). Apart from
// the budget so a healthy run's check (one lstat) loads nothing more.
import { lstatSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { readJson, stateDir as safeStateDir, writeJson } from '../sys/state-dir.js';

/**
 * Failing runs in a row whose restartable failures were all ambiguous
 * (planRestart's `ambiguousRuns`), kept beside the budget so one-shot runs and
 * an agent count together. A run whose nginx probes pass removes it
 * (clearAmbiguousRuns); one older than `windowMs` (the budget window: nothing
 * ran meanwhile) starts again at 1. Written without the lock: two runs counting
 * at once lose one count, which only delays a restart by one run.
 */
const AMBIGUOUS = 'restart-ambiguous.json';

/** Counts this run (wall-clock `now`) and returns the runs in a row, it included. */
export function countAmbiguousRun(stateDir: string, now: number, windowMs: number): number {
  const s = readJson<{ runs?: unknown; last?: unknown }>(stateDir, AMBIGUOUS);
  const prev = typeof s?.runs === 'number' && typeof s.last === 'number' && now - s.last < windowMs && s.last <= now ? s.runs : 0;
  const runs = prev + 1;
  writeJson(stateDir, AMBIGUOUS, { runs, last: now });
  return runs;
}

/** nginx's probes passed (or failed with definitive evidence, which restarts at once): the count starts again. */
export function clearAmbiguousRuns(stateDir: string): void {
  const s = safeStateDir(stateDir);
  if (!s.ok) return;
  const f = join(s.real, AMBIGUOUS);
  // the usual case, every healthy run: absent, and no error object built for it
  if (!lstatSync(f, { throwIfNoEntry: false })) return;
  try {
    unlinkSync(f);
  } catch { /* gone meanwhile, or a read-only dir: the window ends it */ }
}
