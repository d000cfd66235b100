// A run stops waiting for the other probes once its verdict cannot change:
// - a critical failure with definitive evidence (a pidfile naming another program,
//   a dead or stopped master) ends the run at once, fail_fast or not;
// - fail_fast: true does the same for any critical failure (a reset, a 5xx);
// - otherwise an ambiguous failure waits, so every failing probe is named.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hacheck } from '../fixtures/hacheck.ts';
import { hungServer, otherProgram, resetServer } from '../fixtures/servers.ts';

const dir = mkdtempSync(join(tmpdir(), 'hacheck-failfast-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** first probe: `stale` = a pidfile naming another program (definitive), `reset` = a URL whose server resets (ambiguous). */
async function setup(first: 'stale' | 'reset', failFast: boolean, severity = 'critical') {
  const hung = await hungServer({ after });
  let probe: string[];
  if (first === 'stale') {
    const pidfile = join(dir, 'nginx.pid');
    writeFileSync(pidfile, `${otherProgram({ after })}\n`);
    probe = ['  - type: process', `    pidfile: ${pidfile}`, `    severity: ${severity}`];
  } else {
    const reset = await resetServer({ after });
    probe = ['  - type: http', '    name: first', `    urls: [http://127.0.0.1:${reset.port}/]`, `    severity: ${severity}`];
  }
  const cfg = join(dir, `c-${first}-${failFast}-${severity}.yaml`);
  writeFileSync(cfg, [
    'timeout: 3s', `state_dir: ${join(dir, 'state')}`, 'maintenance_file: ""', `fail_fast: ${failFast}`, 'probes:',
    ...probe,
    '  - type: http', `    urls: [http://127.0.0.1:${hung.port}/]`, '',
  ].join('\n'));
  return cfg;
}

test('fail_fast: a failed critical probe ends the run; the hung URL is reported as not waited for', async () => {
  const r = await hacheck('-c', await setup('reset', true), '--json');
  assert.equal(r.code, 1);
  const rep = JSON.parse(r.stdout);
  assert.ok(rep.elapsed_ms < 1500, `did not wait for the 3 s deadline: ${rep.elapsed_ms} ms`);
  assert.match(rep.reasons[0], /^first: /);
  assert.equal(rep.probes[1].summary, 'not waited for: the run is unhealthy already (first failed; fail_fast)');
});

test('definitive evidence ends the run without fail_fast: a pidfile naming another program', async () => {
  const r = await hacheck('-c', await setup('stale', false), '--json');
  assert.equal(r.code, 1);
  const rep = JSON.parse(r.stdout);
  assert.ok(rep.elapsed_ms < 1500, `did not wait for the 3 s deadline: ${rep.elapsed_ms} ms`);
  assert.match(rep.reasons[0], /^process: .*(stale pidfile|comm)/);
  assert.equal(rep.probes[0].checks[0].evidence, 'definitive');
  assert.equal(rep.probes[1].summary, 'not waited for: the run is unhealthy already (process failed, definitively)');
});

test('without fail_fast an ambiguous failure waits and names the hung URL; a failed warning probe never cuts the run short', async () => {
  for (const cfg of [await setup('reset', false), await setup('reset', true, 'warning'), await setup('stale', false, 'warning')]) {
    const r = await hacheck('-c', cfg, '--json');
    assert.equal(r.code, 1);
    const rep = JSON.parse(r.stdout);
    assert.ok(rep.elapsed_ms > 2500, `waited for the deadline: ${rep.elapsed_ms} ms`);
    assert.match(JSON.stringify(rep.probes[1]), /server hung|no response headers/);
  }
});

test('a probe not waited for still names every configured target and the facts it would measure (NaN: null in JSON): cpu, io sampling in-run', async () => {
  const pidfile = join(dir, 'nginx-other.pid');
  writeFileSync(pidfile, `${otherProgram({ after })}\n`);
  const cfg = join(dir, 'c-unmeasured.yaml');
  writeFileSync(cfg, [
    'timeout: 3s', `state_dir: ${join(dir, 'state-unmeasured')}`, 'maintenance_file: ""', 'probes:',
    '  - type: process', `    pidfile: ${pidfile}`,
    // a fresh state dir: both take an in-run sample (sample: 2s), longer than the run waits after a definitive failure
    '  - type: cpu', '    sample: 2s', '    nginx_max: 500',
    '  - type: io', '    sample: 2s', '    devices: [sda, vda]', '    nginx_read_max: 1GB', '',
  ].join('\n'));
  const r = await hacheck('-c', cfg, '--json');
  assert.equal(r.code, 1, r.stderr);
  const rep = JSON.parse(r.stdout);
  const [proc, cpu, io] = rep.probes;
  assert.equal(proc.checks[0].evidence, 'definitive');
  assert.deepEqual(Object.keys(proc.metrics).sort(), ['cache_processes', 'masters', 'orphans', 'workers', 'workers_shutting_down'], 'a pid file naming another program: the same facts as any other path');
  assert.match(cpu.summary, /^not waited for/);
  assert.deepEqual(cpu.checks.map((c: { target: string; ok: boolean }) => [c.target, c.ok]), [['system', false], ['comm=nginx', false]]);
  assert.deepEqual(Object.keys(cpu.metrics).sort(), ['breach_streak', 'busy_pct', 'iowait_pct', 'nginx_pct', 'nginx_processes', 'steal_pct', 'window_ms']);
  assert.ok(Object.values(cpu.metrics).every((v) => v === null), JSON.stringify(cpu.metrics));
  assert.deepEqual(io.checks.map((c: { target: string }) => c.target), ['sda,vda', 'comm=nginx']);
  assert.deepEqual(Object.keys(io.metrics).sort(), ['breach_streak', 'nginx_processes', 'nginx_read_bps', 'nginx_write_bps', 'read_bps', 'window_ms', 'write_bps']);
  const nagios = await hacheck('-c', cfg, '--format', 'nagios');
  assert.equal(nagios.code, 2);
  assert.match(nagios.stdout, / cpu_busy_pct=U;;;0;100 /);
  assert.doesNotMatch(nagios.stdout, /NaN|null/);
});
