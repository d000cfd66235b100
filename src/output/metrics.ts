// Prometheus text exposition format (0.0.4) for the agent: written to a
// node_exporter textfile directory and/or served over HTTP.
//
// Label sets are identities, stable for the life of a config: probe (its unique
// name), kind and severity as configured, target as configured (a URL, a port,
// a pidfile, comm=NAME, system). Anything measured is a sample value, never a
// label, so a stopped nginx changes values, not series.
// Names follow https://prometheus.io/docs/practices/naming/ (base units in the
// name, _total only on counters); the series list is in docs/agent.md.
import type { ProbeResult } from '../probes/types.js';
import type { VerdictName } from '../verdict/verdict.js';
import { redact } from './redact.js';
import { FACTS } from './facts.js';

export interface AgentMetrics {
  verdict: VerdictName;
  observed: VerdictName;
  value: number;
  probes: ProbeResult[];
  cycleMs: number;
  intervalMs: number;
  cycles: number;
  /** cycles that ran past their interval (the next start was skipped, never overlapped) */
  overruns: number;
  /** cycles held as inconclusive: their only failures were checks the agent itself was too starved to run (src/verdict/starved.ts) */
  inconclusive: number;
  stateChanges: number;
  restarts: number;
  /** epoch seconds of the last cycle whose probes passed; 0 = never */
  lastSuccess: number;
  /** epoch seconds of the end of the last cycle; 0 = none finished */
  lastCycle: number;
  startTime: number;
  version: string;
  /** restart.enabled: restarts counted in the budget's window (state dir, shared with one-shot runs), its max and window */
  restartBudget?: { used: number; max: number; windowMs: number };
}

/** What the textfile says once the agent has stopped: no probe facts, hacheck_up 0. */
export interface StoppedMetrics extends Omit<AgentMetrics, 'verdict' | 'observed' | 'probes' | 'cycleMs' | 'restartBudget'> {
  /** the track_file value left behind (agent.on_exit), or the last one written when on_exit is keep; NaN when none */
  value: number;
}

/** The values of hacheck_verdict: the hysteresis' verdicts, and "stopped" (written on the agent's way out). */
const VERDICTS = ['healthy', 'warning', 'unhealthy', 'forced-down', 'stopped'] as const;

/** Label values: URL credentials masked (src/output/redact.ts), backslash, double quote and newline escaped. */
export function escapeLabel(s: string): string {
  s = redact(s);
  // most values need nothing: one scan instead of three replaces (the agent renders every cycle)
  if (!/[\\"\n]/.test(s)) return s;
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Metric names: [a-zA-Z_:][a-zA-Z0-9_:]* */
export function metricName(s: string): string {
  const n = s.replace(/[^a-zA-Z0-9_:]/g, '_');
  return /^[a-zA-Z_:]/.test(n) ? n : `_${n}`;
}

/**
 * A check's target as a label value: the configured identity (URL, host:port,
 * pidfile, comm=NAME, system). The one place a target becomes a label, so a
 * rewrite of what may be shown (e.g. secrets in URLs) applies to every series.
 */
export function targetLabel(target: string): string {
  return target;
}

type Labels = Record<string, string>;

/** `{a="x",b="y"}` (escaped), or '' for no labels. */
function renderLabels(labels: Labels): string {
  let out = '';
  for (const k in labels) out += `${out ? ',' : '{'}${k}="${escapeLabel(labels[k])}"`;
  return out ? `${out}}` : '';
}

const num = (n: number) => (Number.isInteger(n) ? String(n) : Number.isFinite(n) ? String(+n.toFixed(6)) : n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN');

class Exposition {
  private readonly out: string[] = [];
  private readonly seen = new Set<string>();
  family(name: string, type: 'gauge' | 'counter', help: string, samples: [Labels, number][]): this {
    // a family twice is invalid exposition (test/output/metrics.test.ts checks the names); never throw in the agent for it
    if (this.seen.has(name)) return this;
    this.seen.add(name);
    // help texts are this file's and facts.ts' constants: one line, no backslash (test/output/metrics.test.ts)
    this.out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) this.out.push(`${name}${renderLabels(labels)} ${num(value)}`);
    return this;
  }
  text(): string {
    return this.out.join('\n') + '\n';
  }
}

const oneHot = (current: string | undefined, values: readonly string[]): [Labels, number][] => values.map((v) => [{ verdict: v }, v === current ? 1 : 0]);

/** Families of a running and of a stopped agent alike. */
function common(e: Exposition, m: StoppedMetrics, verdict: (typeof VERDICTS)[number]) {
  e.family('hacheck_up', 'gauge', '1 when the published verdict lets this node hold the VIP (healthy or warning); 0 once the agent stopped', [[{}, verdict === 'healthy' || verdict === 'warning' ? 1 : 0]]);
  e.family('hacheck_verdict', 'gauge', 'published verdict after rise/fall hysteresis, "stopped" once the agent exited (one-hot)', oneHot(verdict, VERDICTS));
  e.family('hacheck_track_file_value', 'gauge', 'value in the keepalived track_file (after a stop: the on-exit value left there)', [[{}, m.value]]);
  e.family('hacheck_state_changes_total', 'counter', 'published verdict changes since the agent started', [[{}, m.stateChanges]]);
  e.family('hacheck_restarts_total', 'counter', 'nginx restarts this agent started', [[{}, m.restarts]]);
  e.family('hacheck_cycles_total', 'counter', 'probe cycles run', [[{}, m.cycles]]);
  e.family('hacheck_cycle_overruns_total', 'counter', 'cycles that took longer than the interval (next start skipped, never overlapped)', [[{}, m.overruns]]);
  e.family('hacheck_inconclusive_cycles_total', 'counter', 'cycles that said nothing about nginx: their only failures were checks the agent was too starved to run in time (verdict held)', [[{}, m.inconclusive]]);
  e.family('hacheck_interval_seconds', 'gauge', 'configured interval between cycles', [[{}, m.intervalMs / 1000]]);
  e.family('hacheck_last_success_timestamp_seconds', 'gauge', 'end of the last cycle whose probes passed (0: never)', [[{}, m.lastSuccess]]);
  e.family('hacheck_last_cycle_timestamp_seconds', 'gauge', 'end of the last cycle (0: none finished); older than a few intervals = a stale or dead agent', [[{}, m.lastCycle]]);
  e.family('hacheck_start_time_seconds', 'gauge', 'when the agent started', [[{}, m.startTime]]);
  e.family('hacheck_build_info', 'gauge', 'hacheck version (always 1)', [[{ version: m.version }, 1]]);
}

export function renderMetrics(m: AgentMetrics): string {
  const e = new Exposition();
  common(e, m, m.verdict);
  e.family('hacheck_observed_verdict', 'gauge', "this cycle's probe verdict before hysteresis (one-hot)", oneHot(m.observed, VERDICTS.slice(0, 4)));
  e.family('hacheck_cycle_duration_seconds', 'gauge', 'duration of the last cycle', [[{}, m.cycleMs / 1000]]);
  if (m.restartBudget) {
    const b = m.restartBudget;
    e.family('hacheck_restart_budget_used', 'gauge', "restarts counted in the budget's window (this agent's and one-shot runs' alike); at the max no restart is tried", [[{}, b.used]]);
    e.family('hacheck_restart_budget_max', 'gauge', 'restart.budget.max: restarts allowed per window', [[{}, b.max]]);
    e.family('hacheck_restart_budget_window_seconds', 'gauge', 'restart.budget.window', [[{}, b.windowMs / 1000]]);
  }

  const probe = (r: ProbeResult): Labels => ({ probe: r.name, kind: r.kind, severity: r.severity });
  e.family('hacheck_probe_success', 'gauge', '1 when the probe passed in the last cycle', m.probes.map((r) => [probe(r), r.ok ? 1 : 0]));
  e.family('hacheck_probe_duration_seconds', 'gauge', 'duration of the probe in the last cycle', m.probes.map((r) => [probe(r), r.durationMs / 1000]));
  e.family('hacheck_probe_timed_out', 'gauge', '1 when the probe hit the cycle deadline', m.probes.map((r) => [probe(r), r.timedOut ? 1 : 0]));
  const checks = m.probes.flatMap((r) => r.checks.map((c): [Labels, (typeof r.checks)[number]] => [{ probe: r.name, target: targetLabel(c.target) }, c]));
  e.family('hacheck_check_success', 'gauge', '1 when the target (URL, port, pidfile, process name, system) passed in the last cycle', checks.map(([l, c]) => [l, c.ok ? 1 : 0]));
  e.family('hacheck_check_duration_seconds', 'gauge', 'duration of the target check in the last cycle', checks.map(([l, c]) => [l, c.durationMs / 1000]));

  // Each measured fact in its own family, in base units; keys without an entry in FACTS only in the generic family below.
  const byFamily = new Map<string, [Labels, number][]>();
  for (const r of m.probes) {
    for (const [k, v] of Object.entries(r.metrics ?? {})) {
      const f = FACTS[k];
      if (!f) continue;
      let list = byFamily.get(k);
      if (!list) byFamily.set(k, (list = []));
      list.push([{ probe: r.name }, v * f.scale]);
    }
  }
  for (const [k, samples] of byFamily) e.family(FACTS[k].name, FACTS[k].type, FACTS[k].help, samples);

  const values = m.probes.flatMap((r) => Object.entries(r.metrics ?? {}).map(([k, v]): [Labels, number] => [{ probe: r.name, metric: k }, v]));
  e.family('hacheck_probe_value', 'gauge', "deprecated: the probe's facts in their own units, one series per fact name; use the hacheck_cpu_*, hacheck_nginx_*, ... families", values);
  return e.text();
}

/**
 * The textfile an agent leaves on its way out (SIGTERM, SIGINT, a fatal
 * error): hacheck_up 0, hacheck_verdict{verdict="stopped"} 1, the track_file
 * value it left, its counters; no probe series (nothing is being measured).
 */
export function renderStoppedMetrics(m: StoppedMetrics): string {
  const e = new Exposition();
  common(e, m, 'stopped');
  return e.text();
}
