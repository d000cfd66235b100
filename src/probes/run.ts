// Runs configured probes concurrently under one hard deadline. A probe that
// ignores the abort signal is abandoned at the deadline and reported as hung,
// so a run never outlives --timeout by more than a few milliseconds.
import { probers, type ProbeKind } from './index.js';
import type { ProbeBase, ProbeResult, ProbeContext } from './types.js';

/** How long an aborted probe gets to report its own (more precise) timeout result. */
const ABORT_GRACE_MS = 15;

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
 * 'definitive': only once a critical probe has failed with definitive evidence
 * (Check.evidence: a dead or stopped master, a refused local port), which no
 * other probe's answer can soften (the agent: a stopped nginx's URL would
 * otherwise hold the cycle until its deadline).
 */
export async function runProbes(probes: ProbeBase[], opts: { deadline: number; stateDir: string; failFast?: boolean | 'definitive' }): Promise<ProbeResult[]> {
  const ac = new AbortController();
  const ctx: ProbeContext = { signal: ac.signal, deadline: opts.deadline, stateDir: opts.stateDir };
  let names = namesOf.get(probes);
  if (!names) namesOf.set(probes, (names = probeNames(probes)));
  const left = Math.max(0, opts.deadline - performance.now());
  // A deadline already spent (start-up ate --timeout) is spent for every probe, not 1 ms later.
  if (left <= 0) ac.abort();
  const abortTimer = setTimeout(() => ac.abort(), left);
  let hardTimer: NodeJS.Timeout | undefined;
  const hard = new Promise<'deadline'>((resolve) => {
    hardTimer = setTimeout(() => resolve('deadline'), left + ABORT_GRACE_MS);
  });
  let decidedBy: string | undefined;
  let decidedHow = 'fail_fast';
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
        const r = await Promise.race([run, hard, decided]);
        if (r === 'decided') {
          return {
            ...head, ok: false, checks: [], durationMs: performance.now() - t0,
            summary: `not waited for: the run is unhealthy already (${decidedBy} failed; ${decidedHow})`,
          };
        }
        if (r !== 'deadline') {
          const definitive = r.checks.some((c) => !c.ok && c.evidence === 'definitive');
          if ((opts.failFast === true || (opts.failFast === 'definitive' && definitive)) && !r.ok && r.severity === 'critical' && !decidedBy) {
            decidedBy = r.name;
            if (opts.failFast === 'definitive') decidedHow = 'definitive evidence';
            onDecided('decided');
            ac.abort();
          }
          return r;
        }
        return {
          ...head, ok: false, timedOut: true, checks: [], durationMs: performance.now() - t0,
          summary: `probe ${names[i]} did not finish before the deadline (hung)`,
        };
      }),
    );
  } finally {
    clearTimeout(abortTimer);
    clearTimeout(hardTimer);
  }
}
