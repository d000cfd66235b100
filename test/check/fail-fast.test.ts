// fail_fast: once a critical probe fails, the run does not wait for the others
// (a SIGSTOPped nginx fails the pidfile check at once while its URLs hang).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hacheck } from '../fixtures/hacheck.ts';
import { hungServer, otherProgram } from '../fixtures/servers.ts';

const dir = mkdtempSync(join(tmpdir(), 'hacheck-failfast-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function setup(failFast: boolean, severity = 'critical') {
  const hung = await hungServer({ after });
  const pidfile = join(dir, 'nginx.pid');
  writeFileSync(pidfile, `${otherProgram({ after })}\n`); // a stale pidfile: fails at once
  const cfg = join(dir, `c-${failFast}-${severity}.yaml`);
  writeFileSync(cfg, [
    'timeout: 3s', `state_dir: ${join(dir, 'state')}`, 'maintenance_file: ""', `fail_fast: ${failFast}`, 'probes:',
    '  - type: process', `    pidfile: ${pidfile}`, `    severity: ${severity}`,
    '  - type: http', `    urls: [http://127.0.0.1:${hung.port}/]`, '',
  ].join('\n'));
  return cfg;
}

test('fail_fast: a failed critical probe ends the run; the hung URL is reported as not waited for', async () => {
  const r = await hacheck('-c', await setup(true), '--json');
  assert.equal(r.code, 1);
  const rep = JSON.parse(r.stdout);
  assert.ok(rep.elapsed_ms < 1500, `did not wait for the 3 s deadline: ${rep.elapsed_ms} ms`);
  assert.match(rep.reasons[0], /^process: .*(stale pidfile|comm)/);
  assert.equal(rep.probes[1].summary, 'not waited for: the run is unhealthy already (process failed; fail_fast)');
});

test('without fail_fast the run waits and names the hung URL; a failed warning probe never cuts the run short', async () => {
  for (const cfg of [await setup(false), await setup(true, 'warning')]) {
    const r = await hacheck('-c', cfg, '--json');
    assert.equal(r.code, 1);
    const rep = JSON.parse(r.stdout);
    assert.ok(rep.elapsed_ms > 2500, `waited for the deadline: ${rep.elapsed_ms} ms`);
    assert.match(JSON.stringify(rep.probes[1]), /server hung/);
  }
});
