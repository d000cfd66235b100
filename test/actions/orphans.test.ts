// Master killed -9, workers orphaned (shared case 04-master-killed-orphan-workers):
// the orphans keep the listening sockets and keep serving, so a new master
// cannot bind. The process probe names them; the restart flow sees them before
// it runs the restart command and stops them only with restart.kill_orphans.
// Also: a failed restart reports nginx's first [emerg] line (the cause), not its last.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { createServer } from 'node:http';
import { join } from 'node:path';
import * as v from 'valibot';
import { prober, schema } from '../../src/probes/process.ts';
import { alive, restartConfig, startDaemonNginx, waitFor, workersOf, type DaemonNginx } from '../fixtures/nginx-daemon.ts';
import { hacheck } from '../fixtures/hacheck.ts';
import { readStat, readTitle, snapshot } from '../../src/sys/proc.ts';

async function probe(raw: Record<string, unknown>) {
  const cfg = v.parse(schema, { type: 'process', ...raw });
  const r = await prober.run(cfg, { signal: new AbortController().signal, deadline: performance.now() + 2000, stateDir: '/nonexistent' });
  return { ...r.checks[0], metrics: r.metrics! };
}

/** SIGSTOP the master (it cannot respawn a worker), then SIGKILL it; its workers live on. */
async function killMaster(n: DaemonNginx): Promise<{ master: number; workers: number[] }> {
  const master = n.master()!;
  const workers = workersOf(n, master).sort((a, b) => a - b);
  assert.equal(workers.length, 2);
  process.kill(master, 'SIGSTOP');
  process.kill(master, 'SIGKILL');
  await waitFor(() => !alive(master), 3000, () => `master ${master} still alive`);
  return { master, workers };
}

test('master killed -9, workers orphaned: unhealthy naming them; restart refuses without kill_orphans, brings nginx back with it (case 04)', async (t) => {
  const n = await startDaemonNginx(t, { comm: 'hc-orph-ngx' });
  const { master, workers } = await killMaster(n);
  const pids = workers.join(', ');
  // the orphans still serve
  const res = await fetch(`http://127.0.0.1:${n.port}/`);
  assert.equal(res.status, 200);

  const byPid = await probe({ process: n.comm, pidfile: n.pidfile });
  assert.equal(byPid.ok, false);
  assert.equal(byPid.reason, `stale pidfile: pid ${master} is not running; orphaned hc-orph-ngx workers ${pids} hold the listening sockets (their master is gone)`);
  assert.equal(byPid.evidence, 'definitive');
  assert.equal(byPid.metrics.orphans, 2);
  const byName = await probe({ process: n.comm });
  assert.equal(byName.ok, false);
  assert.equal(byName.reason, `no live hc-orph-ngx master; orphaned hc-orph-ngx workers ${pids} hold the listening sockets (their master is gone)`);
  assert.equal(byName.evidence, 'definitive');

  // check without restart
  let r = await hacheck('-c', restartConfig(n), '--no-restart', '--json');
  let rep = JSON.parse(r.stdout);
  assert.equal(r.code, 1);
  assert.equal(rep.reasons[0], `process: stale pidfile: pid ${master} is not running; orphaned hc-orph-ngx workers ${pids} hold the listening sockets (their master is gone)`);

  // restart without kill_orphans: not attempted (it could only fail to bind), says why and names them
  r = await hacheck('-c', restartConfig(n), '--json');
  rep = JSON.parse(r.stdout);
  assert.equal(r.code, 1);
  assert.equal(rep.reasons[0], `orphaned hc-orph-ngx workers ${pids} hold the listening sockets; a new master cannot bind (restart.kill_orphans: true stops them before a restart)`);
  assert.equal(rep.restart.action, 'skip');
  assert.deepEqual(rep.restart.orphans.pids, workers);
  assert.equal(rep.restart.configTest, undefined, 'no nginx -t for a restart that could only fail to bind');
  assert.ok(workers.every(alive), 'the orphans were left alone');
  assert.equal(n.master(), master, 'no restart ran');
  assert.ok(rep.elapsed_ms < 3000, `no bind() retries sat out: ${rep.elapsed_ms} ms`);

  // with kill_orphans: stopped (TERM; KILL for one that cannot act on TERM: SIGSTOPped), nginx restarted, healthy: exit 0
  process.kill(workers[1], 'SIGSTOP');
  r = await hacheck('-c', restartConfig(n, '  kill_orphans: true\n'), '--json');
  rep = JSON.parse(r.stdout);
  assert.equal(r.code, 0, JSON.stringify(rep.reasons) + rep.notes.join(' | '));
  assert.equal(rep.restart.action, 'restart');
  assert.equal(rep.restart.recovered, true);
  assert.deepEqual(rep.restart.orphans.pids, workers);
  assert.deepEqual(rep.restart.orphans.termed, [workers[0]]);
  assert.deepEqual(rep.restart.orphans.killed, [workers[1]]);
  assert.deepEqual(rep.restart.orphans.left, []);
  assert.match(rep.notes.join('\n'), new RegExp(`orphaned hc-orph-ngx workers ${pids} hold the listening sockets; a new master cannot bind: stopped them \\(kill_orphans\\), ${workers[0]} on SIGTERM, ${workers[1]} on SIGKILL`));
  assert.ok(workers.every((w) => !alive(w)));
  const fresh = n.master()!;
  assert.notEqual(fresh, master);
  assert.ok(alive(fresh));
  assert.equal(readStat(fresh)?.comm, n.comm);
});

test('a failed restart reports nginx\'s first [emerg] line (the cause), the rest is in restart.log', async (t) => {
  const n = await startDaemonNginx(t, { comm: 'hc-emerg-ngx' });
  const { workers } = await killMaster(n);
  for (const w of workers) process.kill(w, 'SIGKILL');
  await waitFor(() => !workers.some(alive), 3000, () => 'workers still alive');
  // another program holds the port (and answers 503 at once): nginx's bind() fails, it retries, then gives up
  const squatter = createServer((_q, res) => { res.statusCode = 503; res.end(); });
  await new Promise<void>((resolve) => squatter.listen(n.port, '127.0.0.1', resolve));
  t.after(() => squatter.close());
  const r = await hacheck('-c', restartConfig(n), '--json', '--timeout', '8s');
  const rep = JSON.parse(r.stdout);
  assert.equal(r.code, 1);
  const log = join(n.dir, 'state', 'restart.log');
  assert.equal(rep.restart.log, log);
  assert.match(rep.reasons[0], new RegExp(`restart command exited with 1: \\[emerg\\] bind\\(\\) to 127\\.0\\.0\\.1:${n.port} failed \\(98: Address already in use\\) \\(full output in ${log.replace(/[.]/g, '\\.')}\\)$`));
  assert.match(readFileSync(log, 'utf8'), /still could not bind\(\)/, 'the last line is in the log');
});

test('missing pidfile: said in words, and the running master named with where its pid file is', async (t) => {
  const n = await startDaemonNginx(t, { comm: 'hc-nopid-ngx' });
  const c = await probe({ process: n.comm, pidfile: join(n.dir, 'other.pid') });
  assert.equal(c.ok, false);
  assert.equal(c.reason, `cannot read pidfile: no such file (ENOENT); a running hc-nopid-ngx master is visible: pid ${n.master()}, its pid file is the "pid" of ${n.conf} (nginx's default /run/nginx.pid when not set)`);
});

test('a look-alike orphan (any user: a program named like nginx, titled "worker process", holding no listening socket) neither blocks the restart nor is signalled', async (t) => {
  const n = await startDaemonNginx(t, { comm: 'hc-look-ngx' });
  // nginx gone whole (master and workers), as after an OOM kill of everything
  const master = n.master()!;
  const workers = workersOf(n, master);
  process.kill(master, 'SIGSTOP');
  for (const w of workers) process.kill(w, 'SIGKILL');
  process.kill(master, 'SIGKILL');
  await waitFor(() => !alive(master) && !workers.some(alive), 3000, () => 'nginx still alive');
  // nobody's look-alike: comm hc-look-ngx, title "nginx: worker process", parent gone
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-look-'));
  chmodSync(dir, 0o755);
  const bin = join(dir, n.comm);
  copyFileSync('/usr/bin/perl', bin);
  chmodSync(bin, 0o755);
  const script = `exit 0 if fork; $0 = 'nginx: worker process'; open(my $f, '>', '/proc/self/comm') or die; print $f '${n.comm}'; close $f; sleep 60;`;
  spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', bin, '-e', script], { stdio: 'ignore' });
  let fake = 0;
  await waitFor(() => {
    fake = snapshot().find((p) => p.comm === n.comm && readTitle(p.pid) === 'nginx: worker process')?.pid ?? 0;
    return fake > 0;
  }, 3000, () => 'no look-alike');
  t.after(() => {
    try { process.kill(fake, 'SIGKILL'); } catch { /* gone */ }
    rmSync(dir, { recursive: true, force: true });
  });
  const c = await probe({ process: n.comm, pidfile: n.pidfile });
  assert.equal(c.ok, false);
  // a look-alike is not of the dead master's process group: named apart, as another's
  assert.match(c.reason!, new RegExp(`orphaned ${n.comm} worker ${fake} of process group \\d+ \\(not pid \\d+'s\\) holds no listening socket`));
  // the restart is not refused (nothing holds nginx's port), nor is the look-alike signalled, kill_orphans or not
  for (const extra of ['', '  kill_orphans: true\n']) {
    const r = await hacheck('-c', restartConfig(n, extra), '--json');
    const rep = JSON.parse(r.stdout);
    assert.equal(r.code, 0, JSON.stringify(rep.reasons) + rep.notes.join(' | '));
    assert.equal(rep.restart.action, 'restart');
    assert.equal(rep.restart.recovered, true);
    assert.equal(rep.restart.orphans, undefined);
    assert.ok(alive(fake), 'the look-alike was not signalled');
    // stop the restarted nginx for the next round (SIGSTOP first: PID 1 does not reap)
    const m = n.master()!;
    const ws = workersOf(n, m);
    process.kill(m, 'SIGSTOP');
    for (const w of ws) process.kill(w, 'SIGKILL');
    process.kill(m, 'SIGKILL');
    await waitFor(() => !alive(m) && !ws.some(alive), 3000, () => 'restarted nginx still alive');
  }
});
