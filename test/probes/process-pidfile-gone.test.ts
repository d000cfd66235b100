// process probe by pidfile when the pid file is missing. nginx deletes its pid
// file when it exits (`nginx -s stop`, `-s quit`: ngx_delete_pidfile): no file
// and no live master of this comm in /proc is nginx not running, as definitive
// as a dead pid (the agent flips on the first cycle). A master still visible (the
// file deleted under a running nginx, nginx started with another `pid` path, a
// master of another user) or another error stays ambiguous. An empty file (`nginx -t`
// creates one where nginx is not running) or one holding no pid is judged as a missing one.
// Real nginx under its own comm name; a look-alike run by nobody.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as v from 'valibot';
import * as proc from '../../src/probes/process.ts';
import { readStat } from '../../src/sys/proc.ts';
import { startNginx, type NginxServer } from '../fixtures/nginx-server.ts';
import { sleep } from '../fixtures/nginx-lab.ts';

const COMM = 'hc-gone-nginx';
const dir = mkdtempSync(join(tmpdir(), 'hc-pidgone-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function check(pidfile: string, comm = COMM) {
  const cfg = v.parse(proc.schema, { type: 'process', process: comm, pidfile });
  return (await proc.prober.run(cfg, { signal: new AbortController().signal, deadline: performance.now() + 2000, stateDir: '/nonexistent' })).checks[0];
}

/** `nginx -s <signal>` as an operator types it (the master's pid from the pid file), then its exit. */
async function signalNginx(ng: NginxServer, signal: 'stop' | 'quit'): Promise<void> {
  const r = spawnSync(join(ng.dir, COMM), ['-p', ng.dir, '-c', join(ng.dir, 'nginx.conf'), '-s', signal], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  if (ng.child.exitCode === null && ng.child.signalCode === null) await new Promise((resolve) => ng.child.once('exit', resolve));
  assert.equal(existsSync(ng.pidfile), false, 'nginx deleted its pid file on exit');
}

for (const signal of ['stop', 'quit'] as const) {
  test(`nginx -s ${signal}: no pidfile and no master is definitive`, async () => {
    const ng = await startNginx({ after }, { comm: COMM, workers: 1 });
    assert.equal((await check(ng.pidfile)).ok, true);
    await signalNginx(ng, signal);
    const c = await check(ng.pidfile);
    assert.equal(c.ok, false);
    assert.equal(c.value, 'no pidfile');
    assert.equal(c.reason, `${COMM} is not running: no pidfile and no ${COMM} master`);
    assert.equal(c.evidence, 'definitive');
  });
}

test('a missing pidfile while a master runs (deleted, or another pid path) stays ambiguous and names the master', async () => {
  const ng = await startNginx({ after }, { comm: COMM, workers: 1 });
  const elsewhere = await check(join(dir, 'other-path.pid'));
  assert.equal(elsewhere.ok, false);
  assert.equal(elsewhere.evidence, 'ambiguous');
  assert.match(elsewhere.reason!, new RegExp(`^cannot read pidfile: no such file \\(ENOENT\\); a running ${COMM} master is visible: pid ${ng.pid}`));
  unlinkSync(ng.pidfile);
  const deleted = await check(ng.pidfile);
  assert.equal(deleted.evidence, 'ambiguous');
  assert.match(deleted.reason!, /master is visible/);
});

test('nginx stopped, then `nginx -t` (ExecStartPre, the restart flow, an operator): it leaves an empty pid file, and no master is still definitive', async () => {
  const ng = await startNginx({ after }, { comm: COMM, workers: 1 });
  await signalNginx(ng, 'stop');
  const t = spawnSync(join(ng.dir, COMM), ['-t', '-p', ng.dir, '-c', join(ng.dir, 'nginx.conf')], { encoding: 'utf8' });
  assert.equal(t.status, 0, t.stderr);
  assert.equal(readFileSync(ng.pidfile, 'utf8'), '', 'nginx -t created the pid file, empty');
  const c = await check(ng.pidfile);
  assert.equal(c.ok, false);
  assert.equal(c.value, 'empty pidfile');
  assert.equal(c.reason, `${COMM} is not running: empty pidfile (nginx -t leaves one where nginx is not running) and no ${COMM} master`);
  assert.equal(c.evidence, 'definitive');
});

test('an empty pidfile while a master runs (the moment between nginx creating the file and writing its pid) stays ambiguous and names the master', async () => {
  const ng = await startNginx({ after }, { comm: COMM, workers: 1 });
  writeFileSync(ng.pidfile, '');
  const c = await check(ng.pidfile);
  assert.equal(c.evidence, 'ambiguous');
  assert.match(c.reason!, new RegExp(`^pidfile is empty; a running ${COMM} master is visible: pid ${ng.pid}, `));
});

test('a pidfile that cannot be read for another reason stays ambiguous even with no master', async () => {
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  const notDir = await check(join(file, 'nginx.pid'));
  assert.match(notDir.reason!, /ENOTDIR/);
  assert.equal(notDir.evidence, 'ambiguous');
});

test('a master of another user visible (not named as ours) keeps a missing pidfile ambiguous', { skip: process.getuid?.() !== 0 && 'needs root (setpriv)' }, async () => {
  const fake = 'hc-gone-fake';
  const base = mkdtempSync('/tmp/hc-pidgone-fake-');
  chmodSync(base, 0o755);
  after(() => rmSync(base, { recursive: true, force: true }));
  const bin = join(base, fake);
  copyFileSync('/bin/sleep', bin);
  chmodSync(bin, 0o755);
  const script = `( exec -a "nginx: worker process" ${bin} 60 ) & exec -a "nginx: master process /usr/sbin/nginx" ${bin} 60`;
  const c = spawn('setpriv', ['--reuid', 'nobody', '--regid', 'nogroup', '--clear-groups', 'bash', '-c', script], { detached: true, stdio: 'ignore' });
  after(() => { try { process.kill(-c.pid!, 'SIGKILL'); } catch { /* gone */ } });
  for (let i = 0; i < 200 && readStat(c.pid!)?.comm !== fake; i++) await sleep(10);
  const r = await check(join(dir, 'none.pid'), fake);
  assert.equal(r.evidence, 'ambiguous');
  assert.match(r.reason!, new RegExp(`^cannot read pidfile: no such file \\(ENOENT\\); 1 ${fake} master not run by root visible \\(pid ${c.pid}\\)$`));
});
