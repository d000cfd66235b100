// One evaluation, for `check` and for each `agent` cycle: the maintenance flag,
// the probes, and the restart flow when nginx probes fail. What to write or
// print with it stays with the caller.
import { existsSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import type { ProbeResult } from '../probes/types.js';
import { runProbes } from '../probes/run.js';
import type { RestartOutcome } from './recover.js';

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

/** The operator's drain switch: "" turns it off. */
export function maintenanceReason(path: string): string | undefined {
  return path && existsSync(path) ? `forced down: maintenance file ${path} present` : undefined;
}

export async function evaluate(cfg: Config, deadline: number): Promise<Evaluation> {
  const forcedDown = maintenanceReason(cfg.maintenance_file);
  const probedAt = Date.now();
  const results = await runProbes(cfg.probes, { deadline, stateDir: cfg.state_dir, failFast: cfg.fail_fast });
  if (!cfg.restart.enabled || results.every((r) => r.ok)) return { results, forcedDown, notes: [] };
  if (forcedDown) return { results, forcedDown, notes: [`${forcedDown}: no restart`] };
  const { recoverIfNeeded } = await import('./recover.js');
  const rec = await recoverIfNeeded(cfg, results, { deadline, probedAt });
  const failed = rec.restart.action !== 'none' && !rec.restart.recovered;
  return { results: rec.results, forcedDown, notes: rec.notes, restart: rec.restart, ...(failed && { restartFailure: rec.restart.reason }) };
}
