// The one nginx process classification (src/sys/nginx-procs.ts): roles from
// nginx's titles (ngx_setproctitle in src/os/unix/ngx_process_cycle.c), parentage,
// state; the tree-shape fallback; reading titles from /proc/<pid>/cmdline.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classify, describeOrphans, pidfileHint, roleOfTitle, scanNginx } from '../../src/sys/nginx-procs.ts';
import { readTitle, type ProcStat } from '../../src/sys/proc.ts';
import { sleep } from '../fixtures/nginx-lab.ts';
import * as v from 'valibot';
import { prober, schema } from '../../src/probes/process.ts';

const st = (pid: number, ppid: number, state = 'S', startTicks = pid): ProcStat => ({
  pid, ppid, state, comm: 'nginx', pgrp: pid, session: pid, utimeTicks: 0, stimeTicks: 0, startTicks, rssPages: 0,
});

function tree(rows: [pid: number, ppid: number, title: string, state?: string][]) {
  return classify(rows.map(([pid, ppid, , state]) => st(pid, ppid, state)), new Map(rows.map(([pid, , title]) => [pid, title])));
}

test('titles: every process nginx names, and nothing else', () => {
  assert.equal(roleOfTitle('nginx: master process /usr/sbin/nginx -g daemon on; master_process on;'), 'master');
  assert.equal(roleOfTitle('nginx: worker process'), 'worker');
  assert.equal(roleOfTitle('nginx: worker process is shutting down'), 'shutting-down');
  assert.equal(roleOfTitle('nginx: cache manager process'), 'cache-manager');
  assert.equal(roleOfTitle('nginx: cache loader process'), 'cache-loader');
  assert.equal(roleOfTitle('nginx: privileged agent process'), 'helper');
  for (const t of ['/usr/sbin/nginx -g daemon off;', 'nginx', '', 'openresty: worker process', 'xnginx: worker process']) assert.equal(roleOfTitle(t), undefined, t);
});

test('reload overlap: new workers count, the shutting-down generation and cache processes do not', () => {
  const t = tree([
    [10, 1, 'nginx: master process nginx'],
    [11, 10, 'nginx: worker process is shutting down'],
    [12, 10, 'nginx: worker process'],
    [13, 10, 'nginx: worker process'],
    [14, 10, 'nginx: cache manager process'],
    [15, 10, 'nginx: cache loader process'],
    [16, 10, 'nginx: worker process', 'T'],
    [17, 10, '', 'Z'],
  ]);
  assert.equal(t.masters.length, 1);
  const g = t.masters[0];
  assert.deepEqual(g.workers.map((p) => p.pid), [12, 13]);
  assert.deepEqual(g.shuttingDown.map((p) => p.pid), [11]);
  assert.deepEqual(g.cache.map((p) => p.pid), [14, 15]);
  assert.deepEqual(g.stopped.map((p) => p.pid), [16]);
  assert.deepEqual(t.orphans, []);
  assert.equal(t.byShape, false, 'a zombie has no title and is not a reason to fall back');
});

test('binary upgrade: the new master is a master (not a worker) tied to the old one', () => {
  const t = tree([
    [50, 1, 'nginx: master process /usr/sbin/nginx'],
    [84, 50, 'nginx: master process /usr/sbin/nginx'],
    [86, 84, 'nginx: worker process'],
    [87, 84, 'nginx: worker process'],
  ]);
  assert.deepEqual(t.masters.map((g) => g.master.pid), [50, 84]);
  const [old, neu] = t.masters;
  assert.deepEqual(old.workers, []);
  assert.deepEqual(old.newMasters.map((p) => p.pid), [84]);
  assert.equal(neu.oldMaster?.pid, 50);
  assert.deepEqual(neu.workers.map((p) => p.pid), [86, 87]);
});

test('orphans: titled workers and cache processes whose master is gone, dead or a zombie', () => {
  const t = tree([
    [49, 1, '', 'Z'],
    [51, 1, 'nginx: worker process'],
    [52, 1, 'nginx: worker process is shutting down'],
    [53, 1, 'nginx: cache manager process'],
    [60, 1, 'nginx: master process nginx'],
    [61, 60, 'nginx: worker process'],
  ]);
  assert.deepEqual(t.orphans.map((p) => p.pid), [51, 52, 53]);
  assert.equal(describeOrphans(t.orphans), 'orphaned nginx processes 51, 52, 53');
  assert.equal(describeOrphans(t.orphans.slice(0, 2)), 'orphaned nginx workers 51, 52');
  assert.equal(describeOrphans(t.orphans.slice(0, 1)), 'orphaned nginx worker 51');
  assert.deepEqual(t.masters.map((g) => g.master.pid), [60]);
});

test('titles not nginx\'s: roles from the tree shape, and said so', () => {
  const t = tree([
    [70, 1, '/opt/proxy/bin/proxy --config /etc/proxy.conf'],
    [71, 70, '/opt/proxy/bin/proxy --config /etc/proxy.conf'],
    [72, 70, '/opt/proxy/bin/proxy --config /etc/proxy.conf'],
  ]);
  assert.equal(t.byShape, true);
  assert.equal(t.foreignTitle, '/opt/proxy/bin/proxy --config /etc/proxy.conf');
  assert.deepEqual(t.masters.map((g) => [g.master.pid, g.workers.map((p) => p.pid)]), [[70, [71, 72]]]);
  assert.deepEqual(t.orphans, [], 'no orphan is guessed from shape');
});

test('pidfileHint: -g pid (relative to -p), else the config\'s pid directive and nginx\'s default', () => {
  assert.equal(pidfileHint('nginx: master process /usr/sbin/nginx -g daemon on; master_process on; pid /run/x.pid;'), 'its pid file is /run/x.pid (-g on its command line)');
  assert.equal(pidfileHint('nginx: master process /usr/sbin/nginx -p /srv/ng -g pid logs/n.pid; -c conf/n.conf'), 'its pid file is /srv/ng/logs/n.pid (-g on its command line)');
  assert.equal(pidfileHint('nginx: master process /usr/sbin/nginx -p /srv/ng -c conf/n.conf'), 'its pid file is the "pid" of /srv/ng/conf/n.conf (nginx\'s default /run/nginx.pid when not set)');
  assert.equal(pidfileHint('nginx: master process /usr/sbin/nginx'), 'its pid file is the "pid" of /etc/nginx/nginx.conf (nginx\'s default /run/nginx.pid when not set)');
});

test('readTitle: /proc/<pid>/cmdline with NUL-separated arguments joined by spaces, trailing NULs cut', async (t) => {
  const child = spawn('perl', ['-e', 'sleep 60', 'a b'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  await sleep(50);
  assert.equal(readTitle(child.pid!), 'perl -e sleep 60 a b');
  assert.equal(readTitle(2 ** 22 + 1), undefined, 'no such pid');
});

test('a real program that is not nginx (a renamed perl with two children): roles by shape', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-shape-'));
  const comm = 'hc-shape-perl';
  const bin = join(dir, comm);
  copyFileSync('/usr/bin/perl', bin);
  const child = spawn(bin, ['-e', 'for (1..2) { exit 0 if fork == 0 && sleep 30 } sleep 30'], { stdio: 'ignore', detached: true });
  after(() => {
    try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
    rmSync(dir, { recursive: true, force: true });
  });
  const until = performance.now() + 3000;
  let t = scanNginx(comm);
  while (t.masters[0]?.workers.length !== 2 && performance.now() < until) {
    await sleep(20);
    t = scanNginx(comm);
  }
  assert.equal(t.byShape, true);
  assert.equal(t.masters.length, 1);
  assert.equal(t.masters[0].master.pid, child.pid);
  assert.equal(t.masters[0].workers.length, 2);
  // and the probe says so (--verbose shows the value)
  const r = await prober.run(v.parse(schema, { type: 'process', process: comm, min_workers: 2 }), { signal: new AbortController().signal, deadline: performance.now() + 2000, stateDir: '/nonexistent' });
  assert.equal(r.ok, true, r.summary);
  assert.match(r.checks[0].value, new RegExp(`^pid ${child.pid} ${comm} \\w+, 2 workers; roles from the process tree: titles are not nginx's \\("${bin.replace(/[/.-]/g, '.')}`));
});
