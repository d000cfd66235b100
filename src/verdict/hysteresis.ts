// rise/fall hysteresis, in one place, pure: the agent's per-cycle probe verdict
// in, the verdict it publishes out. keepalived semantics: a healthy node turns
// unhealthy only after `fall` consecutive failing cycles, and back only after
// `rise` consecutive passing ones. Within "up", healthy ↔ warning follows the
// probes at once (a graded value, not a failover). The maintenance flag is the
// operator's decision and applies at once, while the probes keep being tracked,
// so removing the flag returns straight to what the probes say.
//
// Graded by evidence (issue 17): a failure whose evidence is *definitive* (a
// fact CPU contention cannot produce: master gone, zombie or stopped, no live
// worker, connection refused on a local port) needs only `definitive_fall`
// consecutive cycles (default 1: the first one); an *ambiguous* one (timeout,
// reset, slow answer, threshold breach) needs `fall`. Every false VIP move
// measured under CPU contention began with one slow answer judged at fall 1;
// none of them had definitive evidence. The same counter settles the one-shot
// check's `for: N` (src/probes/window.ts).
import type { VerdictName } from './verdict.js';

/** What the probes said this cycle (decide() without the maintenance flag). */
export type Observed = Exclude<VerdictName, 'forced-down'>;

/** How sure a failure is (see Check.evidence in src/probes/types.ts). */
export type Evidence = 'definitive' | 'ambiguous';

/** Consecutive failures needed, by evidence. */
export interface FallConfig {
  /** consecutive failing observations with ambiguous evidence */
  fall: number;
  /** consecutive failing observations with definitive evidence (default DEFAULT_DEFINITIVE_FALL) */
  definitive_fall?: number;
}

export interface HysteresisConfig extends FallConfig {
  rise: number;
}

/** The default `definitive_fall`: definitive evidence flips on the first cycle. */
export const DEFAULT_DEFINITIVE_FALL = 1;

/** A run of consecutive failing observations. */
export interface FailStreak {
  /** failing observations in a row, whatever their evidence */
  count: number;
  /** the trailing ones of those whose evidence was definitive */
  definitive: number;
}

export const NO_FAILS: FailStreak = { count: 0, definitive: 0 };

/** Pure: the streak after one more observation (`evidence` undefined: a pass, which ends it). */
export function extendStreak(prev: FailStreak, evidence: Evidence | undefined): FailStreak {
  if (evidence === undefined) return NO_FAILS;
  return { count: prev.count + 1, definitive: evidence === 'definitive' ? prev.definitive + 1 : 0 };
}

/**
 * Pure: whether the streak has lasted long enough to count as a failure, and
 * which kind of evidence decided it ('definitive' wins when both limits are
 * reached: it is the reason it would have failed anyway); undefined: not yet.
 */
export function fallen(s: FailStreak, cfg: FallConfig): Evidence | undefined {
  if (s.definitive > 0 && s.definitive >= (cfg.definitive_fall ?? DEFAULT_DEFINITIVE_FALL)) return 'definitive';
  if (s.count > 0 && s.count >= cfg.fall) return 'ambiguous';
  return undefined;
}

export interface HysteresisState {
  /** the probes' settled health; undefined before the first cycle */
  up?: boolean;
  /** consecutive cycles that disagree with `up` */
  streak: number;
  /** while up: the trailing failing cycles with definitive evidence */
  definitive?: number;
  /** the verdict last published */
  published?: VerdictName;
  /** while down: which kind of evidence turned the node unhealthy */
  decidedBy?: Evidence;
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
 * The verdict to publish: the maintenance flag first, then the settled health;
 * while up, a passing cycle's own verdict (`observed`), else (failing, not yet
 * `fall` times, or no observation) the last "up" verdict published.
 */
function publish(forcedDown: boolean, up: boolean, observed: Observed | undefined, published: VerdictName | undefined): VerdictName {
  if (forcedDown) return 'forced-down';
  if (!up) return 'unhealthy';
  if (observed !== undefined) return observed;
  return published === 'warning' ? 'warning' : 'healthy';
}

/**
 * One cycle. `evidence` grades a failing cycle (default ambiguous); ignored
 * for a passing one. The first observation decides at once (an agent that
 * just started has no history to smooth; it publishes what it measured).
 */
export function observe(prev: HysteresisState, observed: Observed, forcedDown: boolean, cfg: HysteresisConfig, evidence: Evidence = 'ambiguous'): Step {
  const good = observed !== 'unhealthy';
  let up = prev.up;
  let streak = prev.streak;
  let definitive = prev.definitive ?? 0;
  let decidedBy = prev.decidedBy;
  if (up === undefined) {
    up = good;
    streak = 0;
    definitive = 0;
    decidedBy = good ? undefined : evidence;
  } else if (up) {
    const s = extendStreak({ count: streak, definitive }, good ? undefined : evidence);
    const by = fallen(s, cfg);
    if (by) {
      up = false;
      streak = 0;
      definitive = 0;
      decidedBy = by;
    } else {
      streak = s.count;
      definitive = s.definitive;
    }
  } else if (!good) {
    streak = 0;
    // a definitive failure while down (an ambiguous one turned into a dead master) is the better reason
    if (evidence === 'definitive') decidedBy = 'definitive';
  } else if (++streak >= cfg.rise) {
    up = true;
    streak = 0;
    definitive = 0;
    decidedBy = undefined;
  }
  const verdict = publish(forcedDown, up, good ? observed : undefined, prev.published);
  const state: HysteresisState = { up, streak, published: verdict };
  if (definitive) state.definitive = definitive;
  if (decidedBy) state.decidedBy = decidedBy;
  return { state, verdict, changed: verdict !== prev.published };
}

/**
 * A cycle that observed nothing about nginx (src/verdict/starved.ts: the agent
 * itself was starved): counters and settled health stay as they were, the
 * maintenance flag still applies at once. Call only after a first observation
 * (`prev.up` set): with no history there is nothing to hold.
 */
export function hold(prev: HysteresisState, forcedDown: boolean): Step {
  const verdict = publish(forcedDown, !!prev.up, undefined, prev.published);
  return { state: { ...prev, published: verdict }, verdict, changed: verdict !== prev.published };
}

/** Cycles still needed before the settled health flips, for status output (0: none pending). */
export function pendingFlip(state: HysteresisState, cfg: HysteresisConfig): number {
  if (state.up === undefined || state.streak === 0) return 0;
  if (!state.up) return cfg.rise - state.streak;
  const byAmbiguous = cfg.fall - state.streak;
  const byDefinitive = state.definitive ? (cfg.definitive_fall ?? DEFAULT_DEFINITIVE_FALL) - state.definitive : Infinity;
  return Math.max(1, Math.min(byAmbiguous, byDefinitive));
}
