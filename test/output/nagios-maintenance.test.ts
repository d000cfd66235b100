// --format nagios (plugin line, perfdata, 0/1/2/3) and the maintenance flag (exit 3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hacheck } from '../fixtures/hacheck.ts';
import { perfdata } from '../../src/output/nagios.ts';

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
  assert.match(line, /^HACHECK OK - healthy \| memory_ok=1;;;0;1 memory_time=[\d.]+ms;;;0 memory_available_pct=[\d.]+%;;0;0;100 /);
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
  const bad = await hacheck('--format', 'nagios', '--bogus');
  assert.equal(bad.code, 3);
});

test('perfdata: labels with spaces are quoted, limits go in the crit field', () => {
  const p = perfdata([{ kind: 'cpu', name: 'my cpu', severity: 'critical', ok: true, summary: '', checks: [], durationMs: 1.234, metrics: { busy_pct: 12.345 }, thresholds: { busy_pct: 90 } }]);
  assert.equal(p, "'my cpu_ok'=1;;;0;1 'my cpu_time'=1.23ms;;;0 'my cpu_busy_pct'=12.35%;;90;0;100");
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
