// The agent's files, without an agent: the status judgement, the track_file
// values, Prometheus rendering, atomic replacement, and the agent config section.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { judgeStatus, type AgentLiveness } from '../../src/output/status.ts';
import { exitValue, trackValue } from '../../src/output/state-file.ts';
import { escapeLabel, renderMetrics } from '../../src/output/metrics.ts';
import { writeFileAtomic } from '../../src/sys/atomic-write.ts';
import { readConfigFile, validate } from '../../src/config/load.ts';
import { parseListen } from '../../src/commands/agent.ts';

const alive: AgentLiveness = { alive: () => true };
const now = 1_800_000_000_000;
const doc = (extra: Record<string, unknown> = {}) => JSON.stringify({ time_ms: now - 500, pid: 42, verdict: 'healthy', reasons: [], ...extra });
const judge = (read: { text?: string; error?: string }, liveness = alive, maxAgeMs = 3000) => judgeStatus(read, '/run/hacheck/status.json', { maxAgeMs, now, liveness });

test('status: fresh and healthy (or warning) → 0', () => {
  assert.equal(judge({ text: doc() }).code, 0);
  assert.equal(judge({ text: doc({ verdict: 'warning', reasons: ['cpu (warning): busy'] }) }).code, 0);
});

test('status: missing, unreadable, garbage, empty, wrong shape → 1 with the reason', () => {
  assert.match(judge({ error: 'ENOENT' }).reason, /missing/);
  assert.equal(judge({ error: 'EACCES' }).code, 1);
  assert.match(judge({ error: 'EACCES' }).reason, /unreadable: EACCES/);
  assert.match(judge({ text: '' }).reason, /not valid JSON/);
  assert.match(judge({ text: '{"time_ms": 1' }).reason, /not valid JSON/);
  assert.match(judge({ text: '0\n' }).reason, /not an agent status/);
  assert.match(judge({ text: '{"verdict":"healthy"}' }).reason, /not an agent status/);
});

test('status: stale, from the future, stopped, writer gone, unhealthy → 1; forced down → 3', () => {
  const stale = judge({ text: doc({ time_ms: now - 3001 }) });
  assert.equal(stale.code, 1);
  assert.match(stale.reason, /stale.*dead or hung/);
  assert.match(judge({ text: doc({ time_ms: now + 10_000 }) }).reason, /future/);
  assert.match(judge({ text: doc({ verdict: 'stopped' }) }).reason, /stopped/);
  const gone = judge({ text: doc() }, { alive: () => false });
  assert.equal(gone.code, 1);
  assert.match(gone.reason, /pid 42 is gone/);
  assert.equal(judge({ text: doc() }, { alive: () => undefined }).code, 0, 'no /proc: freshness alone decides');
  const bad = judge({ text: doc({ verdict: 'unhealthy', reasons: ['port: 127.0.0.1:80 not accepting connections'] }) });
  assert.equal(bad.code, 1);
  assert.match(bad.reason, /unhealthy: port/);
  assert.equal(judge({ text: doc({ verdict: 'forced-down' }) }).code, 3);
  // the agent's own reason says "forced down" already: said once, as `check` says it
  const drained = judge({ text: doc({ verdict: 'forced-down', reasons: ['forced down: maintenance file /etc/hacheck/maintenance present'] }) });
  assert.equal(drained.code, 3);
  assert.equal(drained.reason, 'forced down: maintenance file /etc/hacheck/maintenance present');
  assert.equal(judge({ text: doc({ verdict: 'forced-down', reasons: ['drained by hand'] }) }).reason, 'forced down: drained by hand');
  assert.equal(judge({ text: doc({ verdict: 'bogus' }) }).code, 1);
});

const agentDefaults = () => validate({ raw: {} }).agent;

test('track values: defaults 0/1, warning defaults to healthy, forced down to unhealthy; graded values', () => {
  const a = agentDefaults();
  assert.deepEqual(['healthy', 'warning', 'unhealthy', 'forced-down'].map((v) => trackValue(v as never, a.values)), [0, 0, 1, 1]);
  const g = validate({ raw: { agent: { values: { healthy: 0, warning: 5, unhealthy: 20, forced_down: 30 } } } }).agent;
  assert.deepEqual(['healthy', 'warning', 'unhealthy', 'forced-down'].map((v) => trackValue(v as never, g.values)), [0, 5, 20, 30]);
});

test('exit value: default unhealthy; healthy, keep, a number', () => {
  assert.equal(exitValue(agentDefaults()), 1);
  const on = (on_exit: unknown) => exitValue(validate({ raw: { agent: { on_exit, values: { unhealthy: 9 } } } }).agent);
  assert.equal(on('unhealthy'), 9);
  assert.equal(on('healthy'), 0);
  assert.equal(on('keep'), undefined);
  assert.equal(on(7), 7);
});

test('agent config: defaults, and bad values rejected with file:line', () => {
  const a = agentDefaults();
  assert.equal(a.interval, 1000);
  assert.equal(a.rise, 2);
  assert.equal(a.fall, 2);
  assert.equal(a.on_exit, 'unhealthy');
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-agent-cfg-'));
  try {
    const cases: [string, RegExp][] = [
      ['agent:\n  interval: 1.5\n', /:2: agent.interval: expected a duration/],
      ['agent:\n  interval: 5ms\n', /:2: agent.interval: duration 5ms out of range/],
      ['agent:\n  rise: 0\n', /:2: agent.rise: rise must be >= 1/],
      ['agent:\n  fall: 2.5\n', /:2: agent.fall: fall must be an integer/],
      ['agent:\n  on_exit: maybe\n', /:2: agent.on_exit: on_exit must be/],
      ['agent:\n  values:\n    healthy: 300\n', /:3: agent.values.healthy: values.healthy must be <= 254/],
      ['agent:\n  metrics:\n    listen: 9464\n', /:3: agent.metrics.listen/],
      ['agent:\n  statefile: /run/x\n', /:2: .*unknown key "statefile"/],
    ];
    for (const [yaml, re] of cases) {
      const f = join(dir, 'c.yaml');
      writeFileSync(f, yaml);
      assert.throws(() => validate(readConfigFile(f)), re, yaml);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('metrics listen address parsing', () => {
  assert.deepEqual(parseListen('127.0.0.1:9464'), { host: '127.0.0.1', port: 9464 });
  assert.deepEqual(parseListen('[::1]:0'), { host: '::1', port: 0 });
  assert.throws(() => parseListen('9464'));
});

test('Prometheus text: families with HELP/TYPE, escaped labels, one-hot verdict', () => {
  const text = renderMetrics({
    verdict: 'unhealthy', observed: 'unhealthy', value: 1, cycleMs: 3.5, intervalMs: 1000, cycles: 10, overruns: 0, inconclusive: 0, stateChanges: 2, restarts: 1,
    lastSuccess: 1_800_000_000, lastCycle: 1_800_000_001, startTime: 1_799_999_000, version: '0.1.0',
    probes: [{ kind: 'http', name: 'http', severity: 'critical', ok: false, summary: 'x', durationMs: 12.25, metrics: { urls_ok: 0 },
      checks: [{ target: 'http://h/"a"\\b', ok: false, value: 'x', expect: 'y', durationMs: 12 }] }],
  });
  assert.ok(text.endsWith('\n'));
  assert.match(text, /^# HELP hacheck_up .*\n# TYPE hacheck_up gauge\nhacheck_up 0$/m);
  assert.match(text, /^hacheck_verdict\{verdict="unhealthy"\} 1$/m);
  assert.match(text, /^hacheck_verdict\{verdict="healthy"\} 0$/m);
  assert.match(text, /^hacheck_probe_success\{probe="http",kind="http",severity="critical"\} 0$/m);
  assert.match(text, /^hacheck_probe_duration_seconds\{probe="http",kind="http",severity="critical"\} 0.01225$/m);
  assert.match(text, /^hacheck_check_success\{probe="http",target="http:\/\/h\/\\"a\\"\\\\b"\} 0$/m);
  assert.match(text, /^hacheck_state_changes_total 2$/m);
  assert.match(text, /^hacheck_restarts_total 1$/m);
  assert.match(text, /^# TYPE hacheck_restarts_total counter$/m);
  assert.match(text, /^hacheck_cycle_duration_seconds 0.0035$/m);
  assert.match(text, /^hacheck_last_success_timestamp_seconds 1800000000$/m);
  assert.match(text, /^hacheck_probe_value\{probe="http",metric="urls_ok"\} 0$/m);
  // every sample line is name{labels} value
  for (const line of text.trim().split('\n')) if (!line.startsWith('#')) assert.match(line, /^[a-z_:]+(\{.*\})? [-+0-9.eInfNa]+$/, line);
  assert.equal(escapeLabel('a\nb'), 'a\\nb');
});

test('atomic write: content replaced, no temp file left, directory created on request', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-atomic-'));
  try {
    const f = join(dir, 'sub', 'state');
    writeFileAtomic(f, '0\n', { fsync: true, mkdir: true });
    writeFileAtomic(f, '1\n', { fsync: true });
    assert.equal(readFileSync(f, 'utf8'), '1\n');
    assert.deepEqual(readdirSync(join(dir, 'sub')), ['state']);
    assert.throws(() => writeFileAtomic(join(dir, 'missing', 'x'), '1\n'), /ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("docs/configuration.md's agent: section: its config example validates", () => {
  const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  const at = doc.indexOf('## `agent:`');
  assert.ok(at >= 0, 'configuration.md has the agent: section');
  const yaml = /```yaml\n([\s\S]*?)```/.exec(doc.slice(at))?.[1];
  assert.ok(yaml);
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-doc-agent-'));
  try {
    writeFileSync(join(dir, 'c.yaml'), yaml);
    const a = validate(readConfigFile(join(dir, 'c.yaml'))).agent;
    assert.equal(a.interval, 500);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
