// The agent's Prometheus exposition: names per Prometheus' naming practice
// (base units in the name, _total only on counters), one family per measured
// fact, label sets that are identities, and promtool's own linter on the text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { FACTS } from '../../src/output/facts.ts';
import { renderMetrics, renderStoppedMetrics, type AgentMetrics } from '../../src/output/metrics.ts';
import type { ProbeResult } from '../../src/probes/types.ts';

const havePromtool = spawnSync('sh', ['-c', 'command -v promtool']).status === 0;

/** Every fact key in one probe or another, so every family appears. */
const probes: ProbeResult[] = [
  { kind: 'cpu', name: 'cpu', severity: 'critical', ok: true, summary: '', durationMs: 1.5, checks: [{ target: 'system', ok: true, value: '', expect: '', durationMs: 1 }, { target: 'comm=nginx', ok: true, value: '', expect: '', durationMs: 1 }],
    metrics: Object.fromEntries(Object.keys(FACTS).map((k, i) => [k, i + 1])), thresholds: { busy_pct: 90 } },
  { kind: 'http', name: 'front end', severity: 'warning', ok: false, summary: '', durationMs: 12, timedOut: true, checks: [{ target: 'https://h/"a"\\b', ok: false, value: '', expect: '', durationMs: 12 }], metrics: { urls_ok: 0, urls_total: 1, unknown_key: 7 } },
];
const m: AgentMetrics = {
  verdict: 'healthy', observed: 'unhealthy', value: 0, probes, cycleMs: 3.5, intervalMs: 1000, cycles: 10, overruns: 1, inconclusive: 3, stateChanges: 2, restarts: 1,
  lastSuccess: 1_800_000_000, lastCycle: 1_800_000_001, startTime: 1_799_999_000, version: '0.1.0', restartBudget: { used: 1, max: 3, windowMs: 600_000 },
};

const families = (text: string) => [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map(([, n, t]) => [n, t] as const);

test('FACTS: valid, unique names with units; counters and only counters end in _total', () => {
  const names = Object.values(FACTS).map((f) => f.name);
  assert.equal(new Set(names).size, names.length);
  for (const f of Object.values(FACTS)) {
    assert.match(f.name, /^hacheck_[a-z_]+$/);
    assert.equal(f.name.endsWith('_total'), f.type === 'counter', f.name);
    // percentages become ratios (Prometheus base unit), milliseconds seconds
    if (f.uom === '%') assert.ok(f.name.endsWith('_ratio') && f.scale === 0.01, f.name);
    if (f.uom === 'ms') assert.ok(f.name.endsWith('_seconds') && f.scale === 0.001, f.name);
    if (f.uom === 'B') assert.ok(f.name.endsWith('_bytes'), f.name);
  }
  assert.equal(FACTS.requests.uom, 'c');
});

test('exposition: every family once, facts in base units, identities as labels, the deprecated generic family kept', () => {
  const text = renderMetrics(m);
  const fams = families(text).map(([n]) => n);
  assert.equal(new Set(fams).size, fams.length, 'no family twice');
  for (const f of Object.values(FACTS)) assert.ok(fams.includes(f.name), f.name);
  assert.match(text, /^hacheck_cpu_busy_ratio\{probe="cpu"\} 0\.01$/m);
  assert.match(text, /^hacheck_probe_window_seconds\{probe="cpu"\} 0\.0\d+$/m);
  assert.match(text, /^# TYPE hacheck_nginx_http_requests_total counter$/m);
  assert.match(text, /^hacheck_check_success\{probe="cpu",target="comm=nginx"\} 1$/m);
  assert.match(text, /^hacheck_check_success\{probe="front end",target="https:\/\/h\/\\"a\\"\\\\b"\} 0$/m);
  assert.match(text, /^hacheck_probe_value\{probe="front end",metric="unknown_key"\} 7$/m);
  assert.match(text, /^hacheck_verdict\{verdict="stopped"\} 0$/m);
  assert.match(text, /^hacheck_observed_verdict\{verdict="unhealthy"\} 1$/m);
  assert.match(text, /^hacheck_restart_budget_used 1$/m);
  assert.match(text, /^hacheck_build_info\{version="0\.1\.0"\} 1$/m);
  // HELP texts are written unescaped: none may hold a backslash (a newline would split the line)
  for (const line of text.split('\n')) if (line.startsWith('# HELP ')) assert.doesNotMatch(line, /\\/, line);
  for (const f of Object.values(FACTS)) assert.doesNotMatch(f.help, /[\\\n]/, f.name);
  // no label value holds a measured number in parentheses (the old "(2 processes)")
  assert.doesNotMatch(text, /\(\d+ processes\)/);
});

test('stopped exposition: hacheck_up 0, verdict stopped, the value left, counters kept, no probe series', () => {
  const text = renderStoppedMetrics({ ...m, value: 1 });
  assert.match(text, /^hacheck_up 0$/m);
  assert.match(text, /^hacheck_verdict\{verdict="stopped"\} 1$/m);
  assert.match(text, /^hacheck_verdict\{verdict="healthy"\} 0$/m);
  assert.match(text, /^hacheck_track_file_value 1$/m);
  assert.match(text, /^hacheck_cycles_total 10$/m);
  assert.doesNotMatch(text, /^hacheck_(probe|check|cpu|nginx)_/m);
  assert.match(renderStoppedMetrics({ ...m, value: NaN }), /^hacheck_track_file_value NaN$/m);
});

test('promtool check metrics: both renderings lint clean', { skip: !havePromtool && 'promtool not installed' }, () => {
  for (const text of [renderMetrics(m), renderStoppedMetrics({ ...m, value: 1 })]) {
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal((r.stdout + r.stderr).trim(), '');
  }
});
