// An agent cycle whose only failures are timed-out checks the agent itself
// started late — with less than half the cycle deadline left, or not at all —
// says nothing about nginx: the agent was not on the CPU
// (starved by higher-priority work, stopped). Counting such a cycle as an
// ambiguous failure moved a healthy VIP at fall 2 / 300 ms under `nice -10`
// CPU load (issue 17 review: the deciding cycles read "not started before the
// deadline" and "no response headers within 32 ms"). The agent holds its
// published verdict through such cycles, for at most STARVED_HOLD_MS.
import type { ProbeResult } from '../probes/types.js';

/**
 * How long inconclusive cycles in a row may hold the published verdict: past
 * this the agent's timeouts count again (an agent that cannot run its checks
 * for this long cannot vouch for nginx either, and a hung nginx must not keep
 * the VIP behind a starved agent for ever).
 */
export const STARVED_HOLD_MS = 5000;

/** starvedReason's words for an agent cycle (the default) and for a one-shot run (its deadline counts from process start). */
export const AGENT = { subject: 'the agent', deadline: 'cycle deadline' };
export const ONE_SHOT = { subject: 'hacheck', deadline: 'deadline (counted from the process start)' };

/**
 * Pure. Why this failing run is not evidence about nginx, or undefined when it
 * is. `results`: one cycle's probe results; `deadlineMs`: the cycle deadline.
 * Inconclusive when every failed check of every failed critical probe timed
 * out (Check.timedOut) having started with less than half of `deadlineMs`
 * left (Check.startedWithMs; a timed-out check without it and without any
 * duration was never started), and no failed check carries definitive
 * evidence. When it started, not how long it ran: a URL's own `timeout`
 * shorter than half the deadline is its limit, and hitting it is evidence. A
 * probe failing with no checks (a probe error), a check failing otherwise (a
 * status, a refusal, a reset) or a probe that hung past the deadline is
 * evidence, as before. `who` names the subject and the deadline in the text
 * (AGENT, ONE_SHOT).
 */
export function starvedReason(results: ProbeResult[], deadlineMs: number, who: { subject: string; deadline: string } = AGENT): string | undefined {
  const failed = results.filter((r) => !r.ok && r.severity === 'critical');
  if (failed.length === 0) return undefined;
  const half = deadlineMs / 2;
  let shortest = Infinity;
  let where = '';
  for (const r of failed) {
    const bad = r.checks.filter((c) => !c.ok);
    if (bad.length === 0) return undefined;
    for (const c of bad) {
      if (c.evidence === 'definitive' || !c.timedOut) return undefined;
      const left = c.startedWithMs ?? (c.durationMs < 1 ? 0 : undefined);
      if (left === undefined || !(left < half)) return undefined;
      if (left < shortest) {
        shortest = left;
        where = `${r.name} ${c.target}`;
      }
    }
  }
  const had = shortest < 1 ? 'was not started before the deadline' : `started with ${Math.round(shortest)} ms of the ${Math.round(deadlineMs)} ms ${who.deadline} left`;
  return `${who.subject} did not get the CPU to run its checks in time (${where} ${had})`;
}

/** What StarvedRun.step says about one cycle: hold the verdict or not, and a line to log on a change. */
export interface StarvedStep {
  /** no observation: hysteresis.hold() instead of observe() */
  hold: boolean;
  log?: { level: 'info' | 'warn'; msg: string };
}

/**
 * Inconclusive cycles in a row, keepalived-style (logged when a run starts, when
 * its STARVED_HOLD_MS are up, and when it ends). Feed every cycle: `reason` from
 * starvedReason (undefined for a pass or a cycle with evidence), `t0` its start
 * in performance.now() ms.
 */
export class StarvedRun {
  private since: number | undefined;
  private cycles = 0;
  private counting = false;

  step(reason: string | undefined, t0: number): StarvedStep {
    if (reason === undefined) {
      const ended = this.since !== undefined;
      const cycles = this.cycles;
      this.since = undefined;
      this.cycles = 0;
      this.counting = false;
      return ended ? { hold: false, log: { level: 'info', msg: `checks run in time again (after ${cycles} cycle(s) with checks started late)` } } : { hold: false };
    }
    this.cycles++;
    if (this.since === undefined) {
      this.since = t0;
      return { hold: true, log: { level: 'warn', msg: `cycle inconclusive, ${reason}: holding the verdict (for at most ${STARVED_HOLD_MS / 1000}s)` } };
    }
    if (t0 - this.since < STARVED_HOLD_MS) return { hold: true };
    if (this.counting) return { hold: false };
    this.counting = true;
    return { hold: false, log: { level: 'warn', msg: `starved for ${STARVED_HOLD_MS / 1000}s: timeouts count toward fall again (${reason})` } };
  }
}
