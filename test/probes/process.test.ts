// process probe, in process, against a real nginx run under its own comm name
// (a copy of the binary) so other nginx instances on the machine do not count:
// by name and by pidfile; dead master, zombie, stale pidfile, too few workers, SIGSTOP.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { readStat, readTitle, snapshot } from '../../src/sys/proc.ts';
import { startHacheck } from '../fixtures/hacheck.ts';
import { join } from 'node:path';
import * as v from 'valibot';
import { prober, schema } from '../../src/probes/process.ts';
import { killNginxAndWait, startNginx, workerPids } from '../fixtures/nginx-server.ts';
import { otherProgram, zombie } from '../fixtures/servers.ts';
import { sleep } from '../fixtures/nginx-lab.ts';

const COMM = 'hc-proc-nginx';
const ng = await startNginx({ after }, { comm: COMM, workers: 2 });

async function probe(raw: Record<string, unknown>) {
  const cfg = v.parse(schema, { type: 'process', ...raw });
  const r = await prober.run(cfg, { signal: new AbortController().signal, deadline: performance.now() + 2000, stateDir: '/nonexistent' });
  assert.equal(r.checks.length, 1);
  return { ...r.checks[0], probeOk: r.ok, summary: r.summary };
}

function pidfileWith(name: string, text: string): string {
  const f = join(ng.dir, name);
  writeFileSync(f, text);
  return f;
}

test('by comm name: the master and its workers', async () => {
  const c = await probe({ process: COMM });
  assert.equal(c.ok, true, c.reason);
  assert.equal(c.target, `comm=${COMM}`);
  assert.match(c.value, new RegExp(`^pid ${ng.pid} ${COMM} \\w+, 2 workers$`));
});

test('by pidfile: alive, comm matches, enough workers', async () => {
  const c = await probe({ process: COMM, pidfile: ng.pidfile });
  assert.equal(c.ok, true, c.reason);
  assert.equal(c.target, ng.pidfile);
  assert.match(c.value, /, 2 workers$/);
});

test('fewer workers than required', async () => {
  const c = await probe({ process: COMM, pidfile: ng.pidfile, min_workers: 3 });
  assert.equal(c.ok, false);
  assert.equal(c.reason, '2 live workers, need >= 3');
  const byName = await probe({ process: COMM, min_workers: 3 });
  assert.equal(byName.ok, false);
  assert.equal(byName.reason, '2 live workers, need >= 3');
});

test('stale pidfile: the pid now belongs to another program (comm mismatch)', async () => {
  const pid = otherProgram({ after });
  const c = await probe({ process: COMM, pidfile: pidfileWith('stale.pid', `${pid}\n`) });
  assert.equal(c.ok, false);
  assert.equal(c.value, `pid ${pid} is sleep`);
  assert.equal(c.reason, `stale pidfile: pid ${pid} now belongs to "sleep", not "${COMM}"`);
});

test('pidfile of a zombie is dead', async () => {
  const pid = await zombie({ after });
  // even when the comm would match: a zombie serves nothing
  const c = await probe({ process: 'perl', pidfile: pidfileWith('zombie.pid', `${pid}\n`) });
  assert.equal(c.ok, false);
  assert.equal(c.value, `pid ${pid} zombie`);
  assert.match(c.reason!, /zombie/);
});

test('pidfile missing, empty, or not a pid', async () => {
  // (a comm nobody runs: the hint naming a running master is tested in test/actions/orphans.test.ts)
  // no pid file and no master at all: nginx is not running (a clean stop deletes the pid file): definitive
  const missing = await probe({ process: 'hc-no-such', pidfile: join(ng.dir, 'no-such.pid') });
  assert.equal(missing.ok, false);
  assert.equal(missing.reason, 'hc-no-such is not running: no pidfile and no hc-no-such master');
  assert.equal(missing.evidence, 'definitive');
  // a file that names no pid: with a master of the comm running, ambiguous and the master named
  const holds: Record<string, string> = { '': 'pidfile is empty', 'nginx\n': 'pidfile holds "nginx" (not a pid)', '-1\n': 'pidfile holds "-1" (not a pid)', '12 34\n': 'pidfile holds "12 34" (not a pid)' };
  for (const [text, why] of Object.entries(holds)) {
    const c = await probe({ process: COMM, pidfile: pidfileWith('bad.pid', text) });
    assert.equal(c.ok, false, JSON.stringify(text));
    assert.equal(c.evidence, 'ambiguous', JSON.stringify(text));
    assert.match(c.reason!, new RegExp(`^${why.replace(/[()]/g, '\\$&')}; a running ${COMM} master is visible: pid ${ng.pid}, `), JSON.stringify(text));
  }
  // and with none: nginx is not running (`nginx -t` leaves an empty pid file behind): definitive
  const e = await probe({ process: 'hc-no-such', pidfile: pidfileWith('bad.pid', '') });
  assert.equal(e.value, 'empty pidfile');
  assert.equal(e.reason, 'hc-no-such is not running: empty pidfile (nginx -t leaves one where nginx is not running) and no hc-no-such master');
  assert.equal(e.evidence, 'definitive');
  const g = await probe({ process: 'hc-no-such', pidfile: pidfileWith('bad.pid', '12 34\n') });
  assert.equal(g.reason, 'hc-no-such is not running: pidfile holds "12 34" (not a pid) and no hc-no-such master');
  assert.equal(g.evidence, 'definitive');
});

test('a name nobody runs', async () => {
  const c = await probe({ process: 'hc-no-such' });
  assert.equal(c.ok, false);
  assert.equal(c.value, 'none');
  assert.equal(c.reason, 'no live hc-no-such process');
});

test('SIGSTOPped master is alive but serves nothing', async (t) => {
  process.kill(ng.pid, 'SIGSTOP');
  t.after(() => process.kill(ng.pid, 'SIGCONT'));
  const until = performance.now() + 2000;
  let c = await probe({ process: COMM, pidfile: ng.pidfile });
  while (c.ok && performance.now() < until) {
    await sleep(10);
    c = await probe({ process: COMM, pidfile: ng.pidfile });
  }
  assert.equal(c.ok, false);
  assert.match(c.reason!, /is stopped/);
});

test('nginx killed -9 (master and workers): dead by pidfile and by name', async () => {
  const workers = workerPids(ng);
  assert.equal(workers.length, 2);
  await killNginxAndWait(ng);
  const byPid = await probe({ process: COMM, pidfile: ng.pidfile });
  assert.equal(byPid.ok, false);
  assert.match(byPid.reason!, new RegExp(`^(stale pidfile: pid ${ng.pid} is not running|pid ${ng.pid} is a zombie \\(master died\\))$`));
  const byName = await probe({ process: COMM });
  assert.equal(byName.ok, false);
  assert.match(byName.reason!, new RegExp(`^no live ${COMM} process`));
});

test('schema: comm names are at most 15 characters', () => {
  assert.throws(() => v.parse(schema, { type: 'process', process: 'a-very-long-process-name' }), /at most 15 characters/);
  assert.throws(() => v.parse(schema, { type: 'process', min_workers: -1 }), /min_workers must be >= 0/);
});

test('only the master killed (workers orphaned, still running): dead by pidfile and by name', async () => {
  const comm = 'hc-orphan-ngx';
  const ng2 = await startNginx({ after }, { comm, workers: 2 });
  const workers = workerPids(ng2);
  assert.equal(workers.length, 2);
  process.kill(ng2.pid, 'SIGKILL');
  await new Promise((resolve) => (ng2.child.exitCode !== null || ng2.child.signalCode !== null ? resolve(null) : ng2.child.once('exit', resolve)));
  const byPid = await probe({ process: comm, pidfile: ng2.pidfile });
  assert.equal(byPid.ok, false);
  assert.match(byPid.reason!, new RegExp(`^(stale pidfile: pid ${ng2.pid} is not running|pid ${ng2.pid} is a zombie \\(master died\\)); orphaned ${comm} workers ${workers.sort((a, b) => a - b).join(', ')} hold the listening sockets`));
  const byName = await probe({ process: comm });
  assert.equal(byName.ok, false, 'orphaned workers are not a healthy nginx');
  assert.equal(byName.reason, `no live ${comm} master; orphaned ${comm} workers ${workers.sort((a, b) => a - b).join(', ')} hold the listening sockets (their master is gone)`);
  assert.equal(byName.evidence, 'definitive');
});

test('by name, a look-alike master started by another user (comm and title are theirs to set) is not counted', async (t) => {
  // what any local user can do: a program named like nginx, titled "nginx: master process"
  // with two children titled "nginx: worker process"; run as nobody
  const comm = 'hc-fake-ngx';
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-fake-'));
  chmodSync(dir, 0o755);
  const bin = join(dir, comm);
  copyFileSync('/usr/bin/perl', bin);
  chmodSync(bin, 0o755);
  const script = `sub title { $0 = shift; open(my $f, '>', '/proc/self/comm') or die; print $f '${comm}'; close $f }
    title('nginx: master process /usr/sbin/nginx');
    for (1..2) { if (!fork) { title('nginx: worker process'); sleep 60; exit } }
    sleep 60;`;
  const fake = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', bin, '-e', script], { stdio: 'ignore' });
  t.after(() => {
    for (const p of snapshot().filter((s) => s.comm === comm)) try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
    rmSync(dir, { recursive: true, force: true });
  });
  const until = performance.now() + 5000;
  while (performance.now() < until && !snapshot().some((s) => s.comm === comm && readTitle(s.pid) === 'nginx: worker process' && s.ppid === fake.pid)) await sleep(10);
  await sleep(50); // the second worker
  const c = await probe({ process: comm, min_workers: 2 });
  assert.equal(c.ok, false, 'a look-alike run by nobody is no nginx');
  assert.equal(c.evidence, 'definitive');
  assert.equal(c.reason, `no live ${comm} master run by root; ignored: ${comm} master ${fake.pid} (uid 65534) not run by root (any local user can start one; watch an nginx run by another user with pidfile)`);
  // nor is it named as the running master when the pid file is missing (but, a master, it keeps that ambiguous)
  const missing = await probe({ process: comm, pidfile: join(dir, 'no-such.pid') });
  assert.equal(missing.reason, `cannot read pidfile: no such file (ENOENT); 1 ${comm} master not run by root visible (pid ${fake.pid})`);
  assert.equal(missing.evidence, 'ambiguous');
  // beside a real root-run nginx of the same comm: the real one is judged, the look-alike named
  const ng3 = await startNginx({ after }, { comm, workers: 2 });
  const real = await probe({ process: comm, min_workers: 2 });
  assert.equal(real.ok, true, real.reason);
  assert.match(real.value, new RegExp(`^pid ${ng3.pid} ${comm} \\w+, 2 workers; ignored: ${comm} master ${fake.pid} \\(uid 65534\\)`));
});

test('pidfile that is a FIFO, a link to /dev/zero or to the real pid file, a directory, a huge file or a pid no kernel gives: one clear line at once, never a hang', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-pidfile-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const fifo = join(dir, 'fifo.pid');
  spawnSync('mkfifo', [fifo]);
  const zero = join(dir, 'zero.pid');
  symlinkSync('/dev/zero', zero);
  const link = join(dir, 'link.pid');
  const real = join(dir, 'real.pid');
  writeFileSync(real, `${process.pid}\n`);
  symlinkSync(real, link);
  const big = join(dir, 'big.pid');
  writeFileSync(big, `${process.pid}${' '.repeat(100_000)}\n`);
  mkdirSync(join(dir, 'dir.pid'));
  const cases: [string, RegExp][] = [
    [zero, /^cannot read pidfile: is a symbolic link to "\/dev\/zero" \(not followed\) \(ELOOP\)/],
    // where it points is named (readlink), the target is not read
    [link, new RegExp(`^cannot read pidfile: is a symbolic link to "${real.replace(/[.]/g, '\\.')}" \\(not followed\\) \\(ELOOP\\)`)],
    [big, /^cannot read pidfile: pidfile does not hold a pid \(more than 64 bytes\)/],
    [join(dir, 'dir.pid'), /^cannot read pidfile: is a directory, not a regular file/],
  ];
  for (const [pidfile, reason] of cases) {
    const c = await probe({ process: 'hc-no-such', pidfile });
    assert.equal(c.ok, false, pidfile);
    assert.match(c.reason!, reason, pidfile);
  }
  // a FIFO: a blocking read would hold the run forever, past --timeout (the built CLI, in its own process)
  const run = startHacheck(['check', '--process', 'hc-no-such', '--pidfile', fifo, '--timeout', '500ms', '--state-dir', join(dir, 'state'), '-v']);
  const guard = setTimeout(() => { try { process.kill(-run.child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 5000);
  const r = await run.done;
  clearTimeout(guard);
  assert.equal(r.signal, null, 'hacheck hung on a FIFO pid file (killed after 5 s)');
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /cannot read pidfile: is a FIFO, not a regular file/);
  for (const text of ['99999999999999999999\n', '4194305\n', `${process.pid}\r\n`, `${process.pid}`]) {
    const c = await probe({ process: 'hc-no-such', pidfile: pidfileWith('odd.pid', text) });
    assert.equal(c.ok, false);
    // CRLF and no newline are still a pid (this test's own, not the comm asked for); the others are none
    const none = `hc-no-such is not running: pidfile holds "${text.trim()}" (no pid is above PID_MAX_LIMIT 4194304) and no hc-no-such master`;
    assert.equal(c.reason, text.startsWith(String(process.pid)) ? `stale pidfile: pid ${process.pid} now belongs to "${readStat(process.pid)!.comm}", not "hc-no-such"` : none, JSON.stringify(text));
  }
});

test('a pid file replaced between runs (the probe keeps its descriptor from the last run): rewritten in place it is read again; a symbolic link, a FIFO, another file or none is never read through the kept descriptor', async () => {
  const comm = 'hc-swap-nginx';
  const ng = await startNginx({ after }, { comm, workers: 1 });
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-pidswap-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const f = join(dir, 'nginx.pid');
  const run = () => probe({ process: comm, pidfile: f });
  const healthy = async () => {
    const c = await run();
    assert.equal(c.ok, true, c.reason);
  };
  const stale = `stale pidfile: pid ${process.pid} now belongs to "${readStat(process.pid)!.comm}", not "${comm}"`;
  writeFileSync(f, `${ng.pid}\n`);
  await healthy();
  writeFileSync(f, `${process.pid}\n`); // the same inode, truncated and written (as nginx does)
  assert.equal((await run()).reason, stale);
  writeFileSync(f, `${ng.pid}\n`);
  await healthy();
  const real = join(dir, 'real.pid');
  writeFileSync(real, `${ng.pid}\n`);
  rmSync(f);
  symlinkSync(real, f);
  assert.match((await run()).reason!, /^cannot read pidfile: is a symbolic link to ".*real\.pid" \(not followed\) \(ELOOP\)/);
  rmSync(f);
  writeFileSync(f, `${ng.pid}\n`);
  await healthy();
  rmSync(f);
  spawnSync('mkfifo', [f]);
  assert.match((await run()).reason!, /^cannot read pidfile: is a FIFO, not a regular file/);
  rmSync(f);
  writeFileSync(f, `${ng.pid}\n`);
  await healthy();
  const other = join(dir, 'other.pid');
  writeFileSync(other, `${process.pid}\n`);
  renameSync(other, f); // another inode under the same name
  assert.equal((await run()).reason, stale);
  rmSync(f);
  assert.match((await run()).reason!, /^cannot read pidfile: no such file \(ENOENT\)/);
  writeFileSync(f, `${ng.pid}\n`);
  await healthy();
});

test('pidfile mode: a master-titled child with no nginx.pid.oldbin is a worker just forked (same uid as its master: no `user` switch), not a binary upgrade', async (t) => {
  // nginx's worker between fork and ngx_setproctitle, with a master not run as root (its workers
  // keep its uid); nginx.pid.oldbin exists for the whole life of an upgrade's new master
  const comm = 'hc-fork2-ngx';
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-fork2-'));
  const bin = join(dir, comm);
  copyFileSync('/usr/bin/perl', bin);
  const pidfile = join(dir, 'nginx.pid');
  const script = `sub title { $0 = shift; open(my $f, '>', '/proc/self/comm') or die; print $f '${comm}'; close $f }
    title('nginx: master process /usr/sbin/nginx');
    if (!fork) { sleep 60; exit }
    if (!fork) { title('nginx: worker process'); sleep 60; exit }
    open(my $p, '>', '${pidfile}') or die; print $p "$$\\n"; close $p;
    sleep 60;`;
  const child = spawn(bin, ['-e', script], { stdio: 'ignore', detached: true });
  t.after(() => {
    try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
    rmSync(dir, { recursive: true, force: true });
  });
  const until = performance.now() + 3000;
  const kids = () => snapshot().filter((s) => s.ppid === child.pid && s.comm === comm && readTitle(s.pid)?.startsWith('nginx: '));
  while ((kids().length < 2 || !existsSync(pidfile)) && performance.now() < until) await sleep(20);
  const c = await probe({ process: comm, pidfile, min_workers: 2 });
  assert.equal(c.ok, true, c.reason);
  assert.match(c.value, new RegExp(`^pid ${child.pid} ${comm} \\w+, 2 workers$`));
  // with nginx.pid.oldbin it is what nginx does during an upgrade: the child is a new master
  writeFileSync(`${pidfile}.oldbin`, `${child.pid}\n`);
  const up = await probe({ process: comm, pidfile, min_workers: 1 });
  assert.match(up.value, /binary upgrade in progress/);
});
