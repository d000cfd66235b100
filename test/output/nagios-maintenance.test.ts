// --format nagios (plugin line, perfdata, 0/1/2/3) and the maintenance flag (exit 3).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hacheck, startHacheck } from '../fixtures/hacheck.ts';
import { hungServer } from '../fixtures/servers.ts';
import { sleep } from '../fixtures/nginx-lab.ts';
import { perfdata, perfLabel } from '../../src/output/nagios.ts';
import { availableParallelism, cpus } from 'node:os';

const dir = mkdtempSync(join(tmpdir(), 'hacheck-nagios-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** Healthy without nginx: a measure-only memory probe. Unhealthy: a process nobody runs. */
function config(name: string, probes: string, extra = ''): string {
  const f = join(dir, `${name}.yaml`);
  writeFileSync(f, `state_dir: ${dir}/state-${name}\nmaintenance_file: ${dir}/maint-${name}\n${extra}probes:\n${probes}`);
  return f;
}
const healthy = '  - type: memory\n    available_min: 0\n';
const missing = '  - type: process\n    process: no-such-proc\n';

test('nagios: OK line with perfdata, exit 0', async () => {
  const r = await hacheck('-c', config('ok', healthy), '--format', 'nagios');
  assert.equal(r.code, 0);
  const [line] = r.stdout.split('\n');
  assert.match(line, /^HACHECK OK - healthy \| memory_ok=1;;;0;1 memory_time=[\d.]+ms;;;0 memory_available_pct=[\d.]+%;;0:;0;100 /);
});

test('nagios: a failed critical probe is CRITICAL, exit 2, with the reason', async () => {
  const r = await hacheck('-c', config('crit', healthy + missing), '--format', 'nagios');
  assert.equal(r.code, 2);
  assert.match(r.stdout, /^HACHECK CRITICAL - unhealthy: process: no live no-such-proc process \| .*process_ok=0;;;0;1/);
});

test('nagios: a warning-only failure is WARNING, exit 1', async () => {
  const r = await hacheck('-c', config('warn', missing.replace('process\n', 'process\n    severity: warning\n')), '--format', 'nagios');
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stdout, /^HACHECK WARNING - warning: process \(warning\): no live no-such-proc process \|/);
});

test('nagios: a config error is UNKNOWN, exit 3, on stdout', async () => {
  const f = join(dir, 'bad.yaml');
  writeFileSync(f, 'probes:\n  - type: cpu\n    busy_max: 900\n');
  const r = await hacheck('-c', f, '--format', 'nagios');
  assert.equal(r.code, 3);
  assert.match(r.stdout, /^HACHECK UNKNOWN - .*bad\.yaml:3: probes\[0\]\.busy_max: percentage must be <= 100\n$/);
  // usage errors too: one UNKNOWN line on stdout (Nagios shows stdout only), whatever the flag's place or form
  for (const args of [['--format', 'nagios', '--bogus'], ['--format=nagios', '--bogus'], ['--bogus', '--format', 'nagios'], ['check', '--format', 'nagios', '--timeout']]) {
    const bad = await hacheck(...args);
    assert.equal(bad.code, 3, args.join(' '));
    assert.match(bad.stdout, /^HACHECK UNKNOWN - usage: (unknown option '--bogus'|option '--timeout <duration>' argument missing) \(see hacheck --help\)\n$/, args.join(' '));
    assert.match(bad.stderr, /^hacheck: /, 'the stderr line stays');
  }
  // only the check is a plugin: another command given --format nagios is a plain usage error (64), whatever argument is called "agent"
  for (const cmd of ['agent', 'status', 'doctor', 'init', 'validate']) {
    const other = await hacheck(cmd, '--format', 'nagios');
    assert.equal(other.code, 64, `${cmd}: ${other.stdout}${other.stderr}`);
    assert.equal(other.stdout, '', cmd);
  }
  assert.equal((await hacheck('--process', 'agent', '--format', 'nagios', '--bogus')).code, 3, 'a process named agent is no command');
  // without --format nagios a usage error stays 64 with nothing on stdout
  const plain = await hacheck('--bogus');
  assert.equal(plain.code, 64);
  assert.equal(plain.stdout, '');
});

test('nagios: the log line records the plugin code returned, not the vrrp_script one', async () => {
  const f = config('logcode', healthy + missing);
  const r = await hacheck('-c', f, '--format', 'nagios');
  assert.equal(r.code, 2);
  const rec = JSON.parse(r.stderr.trim().split('\n').pop()!);
  assert.equal(rec.exit_code, 2, r.stderr);
  assert.equal(rec.format, 'nagios');
  // a plain check logs its own exit code (1) on its next change
  rmSync(join(dir, 'state-logcode'), { recursive: true, force: true });
  const p = await hacheck('-c', f);
  assert.equal(p.code, 1);
  assert.equal(JSON.parse(p.stderr.trim().split('\n').pop()!).exit_code, 1);
});

test('perfdata: labels with spaces are quoted, limits go in the crit field', () => {
  const p = perfdata([{ kind: 'cpu', name: 'my cpu', severity: 'critical', ok: true, summary: '', checks: [], durationMs: 1.234, metrics: { busy_pct: 12.345 }, thresholds: { busy_pct: 90 } }]);
  assert.equal(p, "'my cpu_ok'=1;;;0;1 'my cpu_time'=1.23ms;;;0 'my cpu_busy_pct'=12.35%;;90;0;100");
});

test('perfdata per the guidelines: no = or \' in labels, UOM c for counters, bounds that hold the value, warn for warning probes', () => {
  const ncpu = Math.max(cpus().length, availableParallelism());
  const p = perfdata([
    { kind: 'cpu', name: "front end='1'", severity: 'critical', ok: false, summary: '', checks: [], durationMs: 2, metrics: { nginx_pct: 193.3, nginx_processes: 3 }, thresholds: { nginx_pct: 180 } },
    { kind: 'stub_status', name: 'stub', severity: 'warning', ok: true, summary: '', checks: [], durationMs: 1e-9, metrics: { requests: 123456789012, active: 3, window_ms: 1000 }, thresholds: { active: 100 } },
    { kind: 'memory', name: 'mem', severity: 'critical', ok: true, summary: '', checks: [], durationMs: 1, metrics: { available_pct: 50, available_bytes: 8e9 }, thresholds: { available_pct: 10 } },
    { kind: 'http', name: 'web', severity: 'critical', ok: true, summary: '', checks: [], durationMs: 1, metrics: { urls_ok: 2, urls_total: 3 } },
  ]).match(/(?:'[^']*'|[^\s'])+/g)!;
  assert.ok(p.includes(`'front end__1__nginx_pct'=193.3%;;180;0;${100 * ncpu}`), p.join('\n'));
  assert.ok(p.includes('stub_requests=123456789012c;;;0'), 'a counter: UOM c, no exponent');
  assert.ok(p.includes('stub_active=3;100;;0'), 'a warning probe puts its limit in warn');
  assert.ok(p.includes('stub_time=0ms;;;0'));
  assert.ok(p.includes('stub_window_ms=1000ms;;;0'));
  assert.ok(p.includes('mem_available_pct=50%;;10:;0;100'), 'a minimum: alert below 10');
  assert.ok(p.includes('mem_available_bytes=8000000000B;;;0'));
  assert.ok(p.includes('web_urls_ok=2;;;0;3'));
  assert.equal(perfLabel('a|b\nc\td'), 'a_b_c_d', 'a pipe or a control character would break the plugin output');
  // every label free of = and ' once unquoted
  for (const item of p) assert.doesNotMatch(item.replace(/^'([^']*)'=.*/, '$1').replace(/=.*/, ''), /[=']/);
});

test('maintenance file: exit 3 whatever the probes say, and no restart', async () => {
  const counter = join(dir, 'restarts');
  const cfgHealthy = config('m1', healthy);
  writeFileSync(join(dir, 'maint-m1'), '');
  const r1 = await hacheck('-c', cfgHealthy, '-v');
  assert.equal(r1.code, 3);
  assert.match(r1.stdout, /verdict: forced-down \(exit 3\)/);
  assert.match(r1.stdout, /forced down: maintenance file .*maint-m1 present/);

  const cfgDown = config('m2', missing, `restart:\n  enabled: true\n  config_test: ["true"]\n  cmd: [sh, -c, "echo x >> ${counter}"]\n`);
  writeFileSync(join(dir, 'maint-m2'), '');
  const r2 = await hacheck('-c', cfgDown, '--json');
  assert.equal(r2.code, 3);
  assert.equal(JSON.parse(r2.stdout).verdict, 'forced-down');
  assert.equal(existsSync(counter), false, 'nginx is never restarted during maintenance');

  const n = await hacheck('-c', cfgHealthy, '--format', 'nagios');
  assert.equal(n.code, 1);
  assert.match(n.stdout, /^HACHECK WARNING - forced down: maintenance file .*maint-m1 present \|/);

  // the flag overrides the file; "" turns it off
  assert.equal((await hacheck('-c', cfgHealthy, '--maintenance-file', '')).code, 0);
});

test('perfdata: a fact not measured this run (NaN: a probe not waited for) is "U", the guidelines\' undetermined value, never "NaN"', () => {
  const p = perfdata([{ kind: 'process', name: 'process', severity: 'critical', ok: false, summary: '', checks: [], durationMs: 1, metrics: { masters: NaN, workers: 2, orphans: NaN } }]);
  assert.equal(p, 'process_ok=0;;;0;1 process_time=1ms;;;0 process_masters=U;;;0 process_workers=2;;;0 process_orphans=U;;;0');
  const cpu = perfdata([{ kind: 'cpu', name: 'cpu', severity: 'critical', ok: false, summary: '', checks: [], durationMs: 1, metrics: { busy_pct: NaN }, thresholds: { busy_pct: 90 } }]);
  assert.ok(cpu.endsWith(' cpu_busy_pct=U;;90;0;100'), cpu);
});

test('nagios: a check stopped by SIGTERM, SIGINT or SIGHUP answers one UNKNOWN line, code 3 (not "(No output on stdout)" and 143)', async () => {
  const hung = await hungServer({ after });
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    const before = hung.accepted();
    const { child, done } = startHacheck(['check', '--url', `http://127.0.0.1:${hung.port}/`, '--maintenance-file', '', '--state-dir', join(dir, 'sig'), '--timeout', '20s', '--format', 'nagios']);
    // the check is under way once its request reached the server
    for (let i = 0; i < 400 && hung.accepted() === before; i++) await sleep(25);
    child.kill(sig);
    const r = await done;
    assert.equal(r.code, 3, `${sig}: ${r.signal} ${r.stdout}`);
    assert.equal(r.stdout, `HACHECK UNKNOWN - interrupted by ${sig} before the check finished\n`);
  }
  // without --format nagios the signal keeps its default: keepalived reads the death as a failure
  const before = hung.accepted();
  const { child, done } = startHacheck(['check', '--url', `http://127.0.0.1:${hung.port}/`, '--maintenance-file', '', '--state-dir', join(dir, 'sig'), '--timeout', '20s']);
  for (let i = 0; i < 400 && hung.accepted() === before; i++) await sleep(25);
  child.kill('SIGTERM');
  assert.equal((await done).signal, 'SIGTERM');
});
