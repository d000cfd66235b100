// Prometheus text exposition format (0.0.4) for the agent: written to a
// node_exporter textfile directory and/or served over HTTP.
import type { ProbeResult } from '../probes/types.js';
import type { VerdictName } from '../verdict/verdict.js';
import { redact } from './redact.js';

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
  stateChanges: number;
  restarts: number;
  /** epoch seconds of the last cycle whose probes passed; 0 = never */
  lastSuccess: number;
  startTime: number;
  version: string;
}

const VERDICTS: VerdictName[] = ['healthy', 'warning', 'unhealthy', 'forced-down'];

/** Label values: URL credentials masked (src/output/redact.ts), backslash, double quote and newline escaped. */
export function escapeLabel(s: string): string {
  return redact(s).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Metric names: [a-zA-Z_:][a-zA-Z0-9_:]* */
export function metricName(s: string): string {
  const n = s.replace(/[^a-zA-Z0-9_:]/g, '_');
  return /^[a-zA-Z_:]/.test(n) ? n : `_${n}`;
}

const num = (n: number) => (Number.isFinite(n) ? String(+n.toFixed(6)) : n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN');

export function renderMetrics(m: AgentMetrics): string {
  const out: string[] = [];
  const family = (name: string, type: 'gauge' | 'counter', help: string, samples: [labels: string, value: number][]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) out.push(`${name}${labels ? `{${labels}}` : ''} ${num(value)}`);
  };
  const probe = (r: ProbeResult) => `probe="${escapeLabel(r.name)}",kind="${escapeLabel(r.kind)}",severity="${r.severity}"`;

  family('hacheck_up', 'gauge', '1 when the published verdict lets this node hold the VIP (healthy or warning)', [['', m.verdict === 'healthy' || m.verdict === 'warning' ? 1 : 0]]);
  family('hacheck_verdict', 'gauge', 'published verdict after rise/fall hysteresis (one-hot)', VERDICTS.map((v) => [`verdict="${v}"`, m.verdict === v ? 1 : 0]));
  family('hacheck_observed_verdict', 'gauge', "this cycle's probe verdict before hysteresis (one-hot)", VERDICTS.map((v) => [`verdict="${v}"`, m.observed === v ? 1 : 0]));
  family('hacheck_track_file_value', 'gauge', 'value written to the keepalived track_file', [['', m.value]]);
  family('hacheck_probe_success', 'gauge', '1 when the probe passed in the last cycle', m.probes.map((r) => [probe(r), r.ok ? 1 : 0]));
  family('hacheck_probe_duration_seconds', 'gauge', 'duration of the probe in the last cycle', m.probes.map((r) => [probe(r), r.durationMs / 1000]));
  family('hacheck_probe_timed_out', 'gauge', '1 when the probe hit the cycle deadline', m.probes.map((r) => [probe(r), r.timedOut ? 1 : 0]));
  const checks = m.probes.flatMap((r) => r.checks.map((c) => [r, c] as const));
  family('hacheck_check_success', 'gauge', '1 when the target (URL, port, pidfile) passed in the last cycle', checks.map(([r, c]) => [`probe="${escapeLabel(r.name)}",target="${escapeLabel(c.target)}"`, c.ok ? 1 : 0]));
  family('hacheck_check_duration_seconds', 'gauge', 'duration of the target check in the last cycle', checks.map(([r, c]) => [`probe="${escapeLabel(r.name)}",target="${escapeLabel(c.target)}"`, c.durationMs / 1000]));
  const values = m.probes.flatMap((r) => Object.entries(r.metrics ?? {}).map(([k, v]) => [`probe="${escapeLabel(r.name)}",metric="${escapeLabel(k)}"`, v] as [string, number]));
  family('hacheck_probe_value', 'gauge', 'numeric facts a probe measured (status code, CPU %, workers, …)', values);
  family('hacheck_state_changes_total', 'counter', 'published verdict changes since the agent started', [['', m.stateChanges]]);
  family('hacheck_restarts_total', 'counter', 'nginx restarts this agent started', [['', m.restarts]]);
  family('hacheck_cycles_total', 'counter', 'probe cycles run', [['', m.cycles]]);
  family('hacheck_cycle_overruns_total', 'counter', 'cycles that took longer than the interval (next start skipped, never overlapped)', [['', m.overruns]]);
  family('hacheck_cycle_duration_seconds', 'gauge', 'duration of the last cycle', [['', m.cycleMs / 1000]]);
  family('hacheck_interval_seconds', 'gauge', 'configured interval between cycles', [['', m.intervalMs / 1000]]);
  family('hacheck_last_success_timestamp_seconds', 'gauge', 'end of the last cycle whose probes passed (0: never)', [['', m.lastSuccess]]);
  family('hacheck_start_time_seconds', 'gauge', 'when the agent started', [['', m.startTime]]);
  family('hacheck_build_info', 'gauge', 'hacheck version', [[`version="${escapeLabel(m.version)}"`, 1]]);
  return out.join('\n') + '\n';
}
