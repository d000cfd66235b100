// The probe contract. Every prober lives in its own file, owns its config
// schema, and returns data (never throws for a failed target: failures are results).

export type Severity = 'critical' | 'warning';

/** One measured target inside a probe: a URL, a port, a pidfile. */
export interface Check {
  target: string;
  ok: boolean;
  /** what was measured, for humans ("200 in 3 ms", "pid 812 nginx, 2 workers") */
  value: string;
  /** what was expected ("status 200-399", "connect") */
  expect: string;
  /** why it failed (absent when ok) */
  reason?: string;
  /** non-fatal findings (certificate expires in 5 days) */
  warnings?: string[];
  durationMs: number;
  timedOut?: boolean;
  /**
   * A timed-out check: the ms of the run's deadline left when it started (its
   * own timeout may be shorter). Less than half of a cycle deadline left means
   * the agent started it late: it was not on the CPU (src/verdict/starved.ts).
   */
  startedWithMs?: number;
  /**
   * How sure a failure is (absent = 'ambiguous'). 'definitive': a fact CPU
   * contention cannot produce (master gone, zombie or stopped per /proc, no live
   * worker process, connection refused on a local port or URL, pidfile naming another
   * program). 'ambiguous': timeouts, resets, slow answers, threshold breaches.
   * The agent's hysteresis flips on the first definitive failure (issue 17).
   */
  evidence?: 'definitive' | 'ambiguous';
  /**
   * process probe: every nginx process it looked at, with the role nginx's own
   * process title gives it (src/sys/nginx-procs.ts), so --json, the agent's
   * status and metrics show one classification.
   */
  processes?: { pid: number; ppid: number; role: string; state: string }[];
}

export interface ProbeResult {
  kind: string;
  /** unique name of this probe instance ("http", "http#2", or the user's name) */
  name: string;
  severity: Severity;
  ok: boolean;
  /** one-line summary ("2/3 URLs ok, quorum 2") */
  summary: string;
  checks: Check[];
  durationMs: number;
  timedOut?: boolean;
  /** not waited for: another probe's definitive failure decided the run first (src/probes/run.ts); not a cause of its own */
  notWaited?: boolean;
  /** numeric facts for perfdata and Prometheus: {status_code: 200, ...} */
  metrics?: Record<string, number>;
  /** the critical limit for some metrics (same keys), for Nagios perfdata */
  thresholds?: Record<string, number>;
}

export interface ProbeContext {
  /** aborted when the run's deadline passes (src/probes/run.ts): probes wait on it, with no timer of their own for that deadline */
  signal: AbortSignal;
  /** absolute deadline, in performance.now() milliseconds */
  deadline: number;
  /** directory where probes may persist samples between runs (may be unwritable) */
  stateDir: string;
  /** unique name of the probe being run (keys its persisted samples and counters) */
  name?: string;
}

/** Common keys every probe config carries. */
export interface ProbeBase {
  type: string;
  name?: string;
  severity: Severity;
}

export interface Prober<C extends ProbeBase = ProbeBase> {
  /** valibot schema of this probe's config entry (validated at load) */
  schema: import('valibot').GenericSchema<unknown, C>;
  run(cfg: C, ctx: ProbeContext): Promise<Omit<ProbeResult, 'kind' | 'name' | 'severity' | 'durationMs'>>;
  /**
   * The targets its checks name, as configured (the same text run() puts in
   * Check.target). The runner reports a probe it did not wait for (deadline,
   * fail-fast) target by target with these, so a stopped nginx changes values,
   * not series: hacheck_check_success{probe,target} stays, at 0.
   */
  targets?(cfg: C): string[];
  /** Its metrics (same keys as run() gives) for a run that did not wait for it: NaN where it measures, config-derived values as configured. */
  unmeasured?(cfg: C): Record<string, number>;
}

export function remainingMs(ctx: ProbeContext): number {
  return Math.max(0, ctx.deadline - performance.now());
}
