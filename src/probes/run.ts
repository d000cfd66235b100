// Runs configured probes concurrently under one hard deadline. A probe that
// ignores the abort signal is abandoned at the deadline and reported as hung,
// so a run never outlives --timeout by more than a few milliseconds.
import { probers, type ProbeKind } from './index.js';
import { deadlineTimer } from '../sys/abort.js';
import type { Check, ProbeBase, ProbeResult, ProbeContext } from './types.js';

/** How long an aborted probe gets to report its own (more precise) timeout result. */
const ABORT_GRACE_MS = 15;
/**
 * After a definitive critical failure, how long the other probes may still
 * report: a refused port or URL answers within a few ms and is worth naming; a
 * hung one (SIGSTOPped nginx) is not worth waiting for.
 */
const DEFINITIVE_GRACE_MS = 30;

/** probeNames of a config's probe list, kept for as long as the list lives (the agent runs the same list every cycle) */
const namesOf = new WeakMap<ProbeBase[], string[]>();

export function probeNames(probes: ProbeBase[]): string[] {
  const seen = new Map<string, number>();
  return probes.map((p) => {
    const base = p.name ?? p.type;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}#${n}`;
  });
}

/**
 * `failFast`: once a critical probe has failed the run is unhealthy whatever
 * the others say; stop waiting for them (they are reported as not waited for).
 * A critical failure with definitive evidence (a check marked
 * `evidence: 'definitive'`: master gone, zombie or stopped, no live worker,
 * connection refused on a local port) ends the wait the same way without
 * `failFast`: no other probe can make the run healthy, and a hung URL of a dead
 * nginx would otherwise hold the verdict until the deadline (issue 13).
 */
export async function runProbes(probes: ProbeBase[], opts: { deadline: number; stateDir: string; failFast?: boolean }): Promise<ProbeResult[]> {
  // Waits on the deadline go through one listener (src/sys/abort.ts onAbort), plus one for a
  // run's DNS resolver (src/sys/resolve.ts): no listener limit to raise.
  const ac = new AbortController();
  const ctx: ProbeContext = { signal: ac.signal, deadline: opts.deadline, stateDir: opts.stateDir };
  let names = namesOf.get(probes);
  if (!names) namesOf.set(probes, (names = probeNames(probes)));
  const left = Math.max(0, opts.deadline - performance.now());
  // A deadline already spent (start-up ate --timeout) is spent for every probe, not 1 ms later.
  if (left <= 0) ac.abort();
  // one timer pending at a time: the abort, then the grace after it
  let hardTimer: NodeJS.Timeout | undefined;
  let onHard: (v: 'deadline') => void = () => {};
  const hard = new Promise<'deadline'>((resolve) => (onHard = resolve));
  // after the poll phase (src/sys/abort.ts): a reply already in a socket after a stall is read first
  const cancelAbort = deadlineTimer(left, () => {
    ac.abort();
    hardTimer = setTimeout(() => onHard('deadline'), ABORT_GRACE_MS);
  });
  let decidedBy: string | undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  let onDecided: (v: 'decided') => void = () => {};
  const decided = new Promise<'decided'>((resolve) => (onDecided = resolve));
  try {
    return await Promise.all(
      probes.map(async (cfg, i): Promise<ProbeResult> => {
        const t0 = performance.now();
        const head = { kind: cfg.type, name: names[i], severity: cfg.severity };
        const prober = probers[cfg.type as ProbeKind];
        const run = prober.run(cfg as never, { ...ctx, name: names[i] }).then(
          (r) => ({ ...head, ...r, durationMs: performance.now() - t0, timedOut: r.timedOut ?? r.checks.some((c) => c.timedOut) }),
          (e: Error): ProbeResult => ({
            ...head, ok: false, checks: [], durationMs: performance.now() - t0,
            summary: `probe error: ${e?.message ?? e}`,
          }),
        );
        // a probe not waited for still names its targets (one failed check each): stable series, a row per target
        const unanswered = (value: string, reason: string, timedOut?: boolean): Check[] =>
          (prober.targets?.(cfg as never) ?? []).map((target) => ({ target, ok: false, value, expect: '', reason, durationMs: performance.now() - t0, ...(timedOut && { timedOut }) }));
        const r = await Promise.race([run, hard, decided]);
        if (r === 'decided') {
          const summary = `not waited for: the run is unhealthy already (${decidedBy})`;
          return { ...head, ok: false, notWaited: true, checks: unanswered('not waited for', summary), metrics: prober.unmeasured?.(cfg as never), durationMs: performance.now() - t0, summary };
        }
        if (r !== 'deadline') {
          const definitive = !r.ok && r.checks.some((c) => !c.ok && c.evidence === 'definitive');
          if ((opts.failFast || definitive) && !r.ok && r.severity === 'critical' && !decidedBy) {
            decidedBy = definitive ? `${r.name} failed, definitively` : `${r.name} failed; fail_fast`;
            const decide = () => { onDecided('decided'); ac.abort(); };
            if (opts.failFast) decide();
            else graceTimer = setTimeout(decide, DEFINITIVE_GRACE_MS);
          }
          return r;
        }
        const summary = `probe ${names[i]} did not finish before the deadline (hung)`;
        return { ...head, ok: false, timedOut: true, checks: unanswered('no answer', summary, true), metrics: prober.unmeasured?.(cfg as never), durationMs: performance.now() - t0, summary };
      }),
    );
  } finally {
    // No timer may outlive the run: the binary's start-up snapshot is taken right after a warm-up
    // run (src/sea-main.ts), and a timer left pending there broke every timer of the deserialised
    // process (a hung URL then held the check until the server closed the connection).
    cancelAbort();
    clearTimeout(hardTimer);
    clearTimeout(graceTimer);
  }
}
