// rise/fall hysteresis, in one place, pure: the agent's per-cycle probe verdict
// in, the verdict it publishes out. keepalived semantics: a healthy node turns
// unhealthy only after `fall` consecutive failing cycles, and back only after
// `rise` consecutive passing ones. Within "up", healthy ↔ warning follows the
// probes at once (a graded value, not a failover). The maintenance flag is the
// operator's decision and applies at once, while the probes keep being tracked,
// so removing the flag returns straight to what the probes say.
import type { VerdictName } from './verdict.js';

/** What the probes said this cycle (decide() without the maintenance flag). */
export type Observed = Exclude<VerdictName, 'forced-down'>;

export interface HysteresisConfig {
  rise: number;
  fall: number;
}

export interface HysteresisState {
  /** the probes' settled health; undefined before the first cycle */
  up?: boolean;
  /** consecutive cycles that disagree with `up` */
  streak: number;
  /** the verdict last published */
  published?: VerdictName;
}

export interface Step {
  state: HysteresisState;
  /** the verdict to publish after this cycle */
  verdict: VerdictName;
  /** differs from the verdict published before */
  changed: boolean;
}

export const INITIAL: HysteresisState = { streak: 0 };

/**
 * One cycle. The first observation decides at once (an agent that just started
 * has no history to smooth; it publishes what it measured).
 */
export function observe(prev: HysteresisState, observed: Observed, forcedDown: boolean, cfg: HysteresisConfig): Step {
  const good = observed !== 'unhealthy';
  let up = prev.up;
  let streak = prev.streak;
  if (up === undefined) {
    up = good;
    streak = 0;
  } else if (good === up) {
    streak = 0;
  } else if (++streak >= (up ? cfg.fall : cfg.rise)) {
    up = good;
    streak = 0;
  }
  let verdict: VerdictName;
  if (forcedDown) verdict = 'forced-down';
  else if (!up) verdict = 'unhealthy';
  else if (good) verdict = observed;
  // Up but failing, not yet `fall` times: keep publishing the last "up" verdict.
  else verdict = prev.published === 'warning' ? 'warning' : 'healthy';
  return { state: { up, streak, published: verdict }, verdict, changed: verdict !== prev.published };
}

/** Cycles still needed before the settled health flips, for status output (0: none pending). */
export function pendingFlip(state: HysteresisState, cfg: HysteresisConfig): number {
  if (state.up === undefined || state.streak === 0) return 0;
  return (state.up ? cfg.fall : cfg.rise) - state.streak;
}
