// The one nginx process classification (src/sys/nginx-procs.ts): roles from
// nginx's titles (ngx_setproctitle in src/os/unix/ngx_process_cycle.c), parentage,
// state; the tree-shape fallback; reading titles from /proc/<pid>/cmdline.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classify, describeOrphans, pidfileHint, roleOfTitle, scanNginx } from '../../src/sys/nginx-procs.ts';
import { orphansBlock } from '../../src/actions/orphans.ts';
import { cmdlineTitle, family, holding, holdsListeningSocket, listeningInodes, listPids, readStat, readTitle, readUids, releaseHeld, snapshot, type ProcStat } from '../../src/sys/proc.ts';
import { sleep } from '../fixtures/nginx-lab.ts';
import * as v from 'valibot';
import { prober, schema } from '../../src/probes/process.ts';

const st = (pid: number, ppid: number, state = 'S', startTicks = pid): ProcStat => ({
  pid, ppid, state, comm: 'nginx', pgrp: pid, session: pid, utimeTicks: 0, stimeTicks: 0, startTicks, rssPages: 0,
});

function tree(rows: [pid: number, ppid: number, title: string, state?: string][], uids: Record<number, number> = {}) {
  // every synthetic process runs as root unless `uids` says otherwise (never the /proc of whatever has that pid here)
  return classify(rows.map(([pid, ppid, , state]) => st(pid, ppid, state)), new Map(rows.map(([pid, , title]) => [pid, title])), (pid) => uids[pid] ?? 0);
}

test('titles: every process nginx names, and nothing else', () => {
  assert.equal(roleOfTitle('nginx: master process /usr/sbin/nginx -g daemon on; master_process on;'), 'master');
  assert.equal(roleOfTitle('nginx: worker process'), 'worker');
  assert.equal(roleOfTitle('nginx: worker process is shutting down'), 'shutting-down');
  assert.equal(roleOfTitle('nginx: cache manager process'), 'cache-manager');
  assert.equal(roleOfTitle('nginx: cache loader process'), 'cache-loader');
  assert.equal(roleOfTitle('nginx: privileged agent process'), 'helper');
  for (const t of ['/usr/sbin/nginx -g daemon off;', 'nginx', '', 'openresty: worker process', 'xnginx: worker process', 'xangie: worker process']) assert.equal(roleOfTitle(t), undefined, t);
});

test('Angie (comm angie) titles its processes "angie: …" with nginx\'s words: the same roles, not the tree-shape guess', () => {
  assert.equal(roleOfTitle('angie: master process /usr/sbin/angie'), 'master');
  assert.equal(roleOfTitle('angie: worker process'), 'worker');
  assert.equal(roleOfTitle('angie: worker process is shutting down'), 'shutting-down');
  assert.equal(roleOfTitle('angie: cache manager process'), 'cache-manager');
  // a reload overlap and a graceful stop read as with nginx (by shape, a shutting-down worker counted as live)
  const t = tree([[10, 1, 'angie: master process /usr/sbin/angie'], [11, 10, 'angie: worker process is shutting down'], [12, 10, 'angie: worker process']]);
  assert.equal(t.byShape, false);
  assert.deepEqual([t.masters[0].workers.map((p) => p.pid), t.masters[0].shuttingDown.map((p) => p.pid)], [[12], [11]]);
  assert.equal(pidfileHint('angie: master process /usr/sbin/angie -g pid /run/a.pid;'), 'its pid file is /run/a.pid (-g on its command line)');
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
  assert.equal(orphansBlock(t.orphans.slice(0, 1)), 'orphaned nginx worker 51 holds the listening sockets; a new master cannot bind');
  assert.equal(orphansBlock(t.orphans.slice(0, 2)), 'orphaned nginx workers 51, 52 hold the listening sockets; a new master cannot bind');
  assert.deepEqual(t.masters.map((g) => g.master.pid), [60]);
});

test('exiting (alive in the table, memory already released: an empty cmdline) is gone for serving: no live worker, no live master', () => {
  // a graceful stop: the idle worker is exiting, the busy one finishes its request
  const stop = tree([
    [10, 1, 'nginx: master process nginx'],
    [11, 10, '', 'S'],
    [12, 10, 'nginx: worker process is shutting down'],
  ]);
  assert.deepEqual(stop.masters.map((g) => [g.master.pid, g.workers.length, g.shuttingDown.length]), [[10, 0, 1]]);
  assert.equal(stop.byShape, false, 'an exiting process has no title: not a reason to fall back to shape');
  // the master exiting: its workers are orphans, and it is no master
  const master = tree([[20, 1, '', 'R'], [21, 20, 'nginx: worker process'], [22, 20, 'nginx: worker process']]);
  assert.deepEqual(master.masters, []);
  assert.deepEqual(master.orphans.map((p) => p.pid), [21, 22]);
  // shape: the child of an exiting process is no worker of it
  const shape = tree([[30, 1, '', 'R'], [31, 30, '/opt/proxy/bin/proxy']]);
  assert.deepEqual(shape.masters.map((g) => [g.master.pid, g.workers.length]), [[31, 0]]);
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

test('readTitle: a title padded with NULs (nginx\'s ngx_setproctitle, node\'s process.title) is its text', async (t) => {
  const script = "process.title = process.argv[1]; setTimeout(() => {}, 30000)";
  const kids = ['nginx: worker process', 'nginx: wörker process'].map((title) => spawn(process.execPath, ['-e', script, title, 'x'.repeat(200)], { stdio: 'ignore' }));
  t.after(() => kids.forEach((k) => k.kill('SIGKILL')));
  const until = performance.now() + 5000;
  while (performance.now() < until && !kids.every((k) => readTitle(k.pid!)?.startsWith('nginx: '))) await sleep(20);
  assert.match(readFileSync(`/proc/${kids[0].pid}/cmdline`, 'latin1'), /^nginx: worker process\0{20,}$/, 'padded, as nginx pads');
  assert.equal(readTitle(kids[0].pid!), 'nginx: worker process');
  assert.equal(readTitle(kids[1].pid!), 'nginx: wörker process');
});

test('cmdlineTitle: the same text as cutting trailing NULs byte by byte and joining the rest with spaces', () => {
  // the reference: readTitle before its one-call path for NUL padding
  const reference = (b: Buffer, n: number) => {
    let end = n;
    while (end > 0 && b[end - 1] === 0) end--;
    return b.toString('utf8', 0, end).replace(/\0+/g, ' ');
  };
  const cases = ['', '\0', '\0\0', 'a', 'a\0', 'a\0\0\0', '\0a', 'a\0b\0', 'a\0\0b\0\0', 'perl\0-e\0sleep 60\0a b\0', 'nginx: worker process\0\0\0\0'].map((s) => Buffer.from(s, 'latin1'));
  // bytes that make broken and truncated UTF-8 sequences before, between and after NULs
  const pool = [0x00, 0x00, 0x41, 0x20, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0xff, 0x80, 0xc0, 0xed, 0xa0];
  let seed = 7;
  const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  for (let i = 0; i < 20000; i++) cases.push(Buffer.from(Array.from({ length: 1 + rand(10) }, () => pool[rand(pool.length)]).concat(Array(rand(4)).fill(0))));
  for (const c of cases) {
    const b = Buffer.alloc(4096, 0x55); // stale bytes past n are never read
    c.copy(b);
    assert.equal(cmdlineTitle(b, c.length), reference(b, c.length), JSON.stringify([...c]));
  }
});

test('readStat and readUids: the fields proc(5) gives, for a live process, a zombie and a pid that is gone', async (t) => {
  const me = readStat(process.pid)!;
  assert.equal(me.ppid, process.ppid);
  assert.equal(me.state, 'R');
  const uid = process.getuid!();
  assert.deepEqual(readUids(process.pid), { real: uid, effective: uid });
  assert.equal(readStat(2 ** 22 + 1), undefined, 'no such pid');
  assert.equal(readUids(2 ** 22 + 1), undefined, 'no such pid');
  assert.deepEqual(family(2 ** 22 + 1), [], 'no such pid');
  // every process here: the same uids as the whole status file's Uid line, and the same stat as a split of the whole line
  for (const pid of listPids().slice(0, 200)) {
    let status: string;
    let stat: string;
    try {
      status = readFileSync(`/proc/${pid}/status`, 'latin1');
      stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    } catch {
      continue; // gone meanwhile
    }
    const m = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status)!;
    const u = readUids(pid);
    if (u) assert.deepEqual(u, { real: Number(m[1]), effective: Number(m[2]) }, String(pid));
    const st = readStat(pid);
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (st) assert.deepEqual([st.comm, st.ppid, st.pgrp, st.session, st.startTicks], [stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ...[1, 2, 3, 19].map((i) => Number(rest[i]))], String(pid));
  }
  // a zombie still has its stat and status (until its parent reaps it)
  const parent = spawn('perl', ['-e', '$| = 1; my $k = fork; if (!$k) { exit 0 } print "$k\n"; sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.after(() => parent.kill('SIGKILL'));
  const [line] = await once(parent.stdout!, 'data');
  const zombie = Number(String(line).trim());
  const until = performance.now() + 3000;
  while (readStat(zombie)?.state !== 'Z' && performance.now() < until) await sleep(10);
  assert.equal(readStat(zombie)?.state, 'Z');
  assert.deepEqual(readUids(zombie), { real: uid, effective: uid });
  assert.deepEqual(family(zombie)?.map((p) => p.pid), [zombie]);
});

test('readStat: a comm that is not ASCII is its bytes, one char each (as the kernel keeps it)', async (t) => {
  // libuv sets the comm with prctl(PR_SET_NAME) from process.title: the UTF-8 bytes of "hc-é-ñ"
  const kid = spawn(process.execPath, ['-e', "process.title = 'hc-é-ñ'; setTimeout(() => {}, 30000)"], { stdio: 'ignore' });
  t.after(() => kid.kill('SIGKILL'));
  const bytes = Buffer.from('hc-é-ñ').toString('latin1');
  const until = performance.now() + 5000;
  while (readStat(kid.pid!)?.comm !== bytes && performance.now() < until) await sleep(20);
  assert.equal(readStat(kid.pid!)?.comm, bytes);
  assert.equal(readStat(kid.pid!)?.ppid, process.pid);
  assert.equal(holding(() => readStat(kid.pid!))?.comm, bytes, 'the same through a held descriptor');
});

test('readStat: a comm with spaces and parentheses, through a new and a held descriptor: the fields after the last ")"', async (t) => {
  const comm = 'a) (b c) )';
  const kid = spawn(process.execPath, ['-e', `process.title = ${JSON.stringify(comm)}; setTimeout(() => {}, 30000)`], { stdio: 'ignore' });
  t.after(() => kid.kill('SIGKILL'));
  const pid = kid.pid!;
  const until = performance.now() + 5000;
  while (readStat(pid)?.comm !== comm && performance.now() < until) await sleep(20);
  const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const want = { pid, comm, state: rest[0], ppid: Number(rest[1]), pgrp: Number(rest[2]), session: Number(rest[3]), startTicks: Number(rest[19]) };
  for (const st of [readStat(pid)!, holding(() => readStat(pid))!, holding(() => readStat(pid))!]) {
    assert.deepEqual({ pid: st.pid, comm: st.comm, state: st.state, ppid: st.ppid, pgrp: st.pgrp, session: st.session, startTicks: st.startTicks }, want);
    assert.equal(st.ppid, process.pid);
    for (const n of [st.utimeTicks, st.stimeTicks, st.rssPages]) assert.ok(Number.isSafeInteger(n) && n >= 0, String(n));
    assert.ok(st.rssPages > 0);
  }
  releaseHeld();
});

test('family through held descriptors: a child started after a read is listed by the next one, a reaped process is gone', async (t) => {
  // no child, then one, then two: each started when a line arrives on stdin
  const sh = spawn('sh', ['-c', 'read x; sleep 30 & read y; sleep 30 & read z; wait'], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  t.after(() => { try { process.kill(-sh.pid!, 'SIGKILL'); } catch { /* gone */ } });
  const pid = sh.pid!;
  const kids = () => (holding(() => family(pid)) ?? []).slice(1).map((p) => p.comm);
  const until = performance.now() + 5000;
  while (readStat(pid)?.comm !== 'sh' && performance.now() < until) await sleep(10);
  assert.deepEqual(kids(), []);
  for (const want of [['sleep'], ['sleep', 'sleep']]) {
    sh.stdin!.write('\n');
    // a forked child is "sh" until it has run exec
    while (kids().join() !== want.join() && performance.now() < until) await sleep(10);
    assert.deepEqual(kids(), want);
  }
  const held = readdirSync('/proc/self/fd').map((fd) => { try { return readlinkSync(`/proc/self/fd/${fd}`); } catch { return ''; } });
  assert.ok(held.includes(`/proc/${pid}/task/${pid}/children`), 'the children file is held');
  process.kill(-pid, 'SIGKILL');
  await once(sh, 'exit');
  assert.deepEqual(holding(() => family(pid)), [], 'reaped: gone, not a process without children');
  for (let i = 0; i < 17; i++) releaseHeld();
});

test('family: the children of a single-threaded process, and of every thread of a threaded one', async (t) => {
  // sh runs one thread: its children are in task/<pid>/children alone
  const sh = spawn('sh', ['-c', 'sleep 30 & sleep 30 & wait'], { stdio: 'ignore' });
  // a perl thread forks sleep: that child is listed under the thread's task, not the main one's
  const threaded = spawn('perl', ['-Mthreads', '-e', 'threads->create(sub { system("sleep", "30") })->join'], { stdio: 'ignore', detached: true });
  t.after(() => {
    sh.kill('SIGKILL');
    try { process.kill(-threaded.pid!, 'SIGKILL'); } catch { /* gone */ }
  });
  const kids = (pid: number) => (family(pid) ?? []).slice(1).map((p) => p.comm).sort();
  const until = performance.now() + 5000;
  // the children by name once they have exec'd (between fork and exec, a child still has its parent's comm)
  const ready = () => kids(sh.pid!).join() === 'sleep,sleep' && kids(threaded.pid!).join() === 'sleep';
  while (!ready() && performance.now() < until) await sleep(20);
  assert.deepEqual(kids(sh.pid!), ['sleep', 'sleep']);
  assert.equal(readdirSync(`/proc/${threaded.pid}/task`).length, 2, 'perl and its thread');
  assert.deepEqual(kids(threaded.pid!), ['sleep']);
  assert.equal(family(threaded.pid!)![0].pid, threaded.pid);
});

test('held /proc descriptors (the pidfile path): every read is fresh, a reaped process reads as gone, unused ones are closed, at most 256', async (t) => {
  // /proc files this process holds open, by path
  const heldPaths = () => readdirSync('/proc/self/fd').map((fd) => { try { return readlinkSync(`/proc/self/fd/${fd}`); } catch { return ''; } }).filter((l) => /^\/proc\/\d+\//.test(l));
  const release = () => { for (let i = 0; i < 17; i++) releaseHeld(); };
  release();
  const before = heldPaths().length;
  // a child that takes each line on stdin as its title
  const kid = spawn(process.execPath, ['-e', "process.title = 'hc-held one'; require('readline').createInterface({ input: process.stdin }).on('line', (l) => { process.title = l })"], { stdio: ['pipe', 'ignore', 'ignore'] });
  t.after(() => kid.kill('SIGKILL'));
  const pid = kid.pid!;
  const until = performance.now() + 5000;
  const read = () => holding(() => ({ title: readTitle(pid), state: readStat(pid)?.state, uids: readUids(pid) }));
  while (read().title !== 'hc-held one' && performance.now() < until) await sleep(20);
  const uid = process.getuid!();
  assert.deepEqual({ ...read(), state: undefined }, { title: 'hc-held one', state: undefined, uids: { real: uid, effective: uid } });
  assert.deepEqual(heldPaths().filter((l) => l.startsWith(`/proc/${pid}/`)).sort(), ['cmdline', 'stat', 'status'].map((f) => `/proc/${pid}/${f}`));
  kid.stdin!.write('hc-held two\n');
  while (read().title !== 'hc-held two' && performance.now() < until) await sleep(20);
  assert.equal(read().title, 'hc-held two', 'a new title through the same descriptor');
  kid.kill('SIGSTOP');
  while (read().state !== 'T' && performance.now() < until) await sleep(10);
  assert.equal(read().state, 'T', 'stopped, through the same descriptor');
  kid.kill('SIGCONT');
  kid.kill('SIGKILL');
  await once(kid, 'exit'); // reaped: the pid may be anyone's now
  assert.deepEqual(read(), { title: undefined, state: undefined, uids: undefined });
  assert.deepEqual(heldPaths().filter((l) => l.startsWith(`/proc/${pid}/`)), [], 'a reaped process\'s descriptors are closed when read');
  // every process on the machine: no more than 256 held, all closed once unread
  holding(() => snapshot().forEach((p) => readTitle(p.pid)));
  assert.ok(heldPaths().length - before <= 256, String(heldPaths().length));
  releaseHeld();
  assert.ok(heldPaths().length > before, 'kept for the next rounds');
  release();
  assert.equal(heldPaths().length, before, 'closed after 16 rounds unread');
  // outside holding(): nothing is kept
  readStat(process.pid);
  readTitle(process.pid);
  readUids(process.pid);
  assert.equal(heldPaths().length, before);
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

test('a worker nginx just forked (switched to `user`, still titled like its master) is a worker starting, not the new master of a binary upgrade', async (t) => {
  // synthetic: same uid as the master is an upgrade's new master, another uid a worker not yet titled
  const up = tree([[50, 1, 'nginx: master process nginx'], [51, 50, 'nginx: master process nginx'], [52, 50, 'nginx: worker process']]);
  assert.deepEqual(up.masters.map((g) => g.master.pid), [50, 51]);
  const fork = tree([[50, 1, 'nginx: master process nginx'], [51, 50, 'nginx: master process nginx'], [52, 50, 'nginx: worker process']], { 51: 33, 52: 33 });
  assert.deepEqual(fork.masters.map((g) => g.master.pid), [50]);
  assert.deepEqual(fork.masters[0].workers.map((p) => p.pid), [51, 52]);
  assert.deepEqual(fork.masters[0].newMasters, []);
  // real /proc: a root process titled like nginx's master with one child that setuid(nobody) and kept
  // that title (nginx's worker between fork and ngx_setproctitle) and one titled worker
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-fork-'));
  const comm = 'hc-fork-ngx';
  const bin = join(dir, comm);
  copyFileSync('/usr/bin/perl', bin);
  // perl's $0 also renames the comm: prctl(PR_SET_NAME) puts it back (/proc/self/comm is root's after setuid)
  const prctl = ({ x64: 157, arm64: 167 } as Record<string, number>)[process.arch] ?? 157;
  const script = `use POSIX; sub title { $0 = shift; my $n = '${comm}'; syscall(${prctl}, 15, $n, 0, 0, 0) == 0 or die }
    title('nginx: master process /usr/sbin/nginx');
    if (!fork) { POSIX::setgid(65534); POSIX::setuid(65534) or die; title('nginx: master process /usr/sbin/nginx'); sleep 30; exit }
    if (!fork) { POSIX::setgid(65534); POSIX::setuid(65534) or die; title('nginx: worker process'); sleep 30; exit }
    sleep 30;`;
  const child = spawn(bin, ['-e', script], { stdio: 'ignore', detached: true });
  t.after(() => {
    try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
    rmSync(dir, { recursive: true, force: true });
  });
  const until = performance.now() + 3000;
  let real = scanNginx(comm);
  const ready = () => real.processes.filter((p) => p.ppid === child.pid && readUids(p.pid)?.effective === 65534 && p.title.startsWith('nginx: ')).length === 2;
  while (!ready() && performance.now() < until) {
    await sleep(20);
    real = scanNginx(comm);
  }
  assert.deepEqual(real.masters.map((g) => g.master.pid), [child.pid]);
  assert.equal(real.masters[0].workers.length, 2);
  const r = await prober.run(v.parse(schema, { type: 'process', process: comm, min_workers: 2 }), { signal: new AbortController().signal, deadline: performance.now() + 2000, stateDir: '/nonexistent' });
  assert.equal(r.ok, true, r.summary);
  assert.doesNotMatch(r.checks[0].value, /binary upgrade/);
});

test('listening sockets: /proc/<pid>/net/tcp{,6} LISTEN inodes (read up to the first other state), matched against /proc/<pid>/fd', async (t) => {
  const server = createServer((s) => s.on('error', () => {})).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = connect((server.address() as { port: number }).port, '127.0.0.1');
  await once(client, 'connect');
  t.after(() => { client.destroy(); server.close(); });
  const listening = listeningInodes(process.pid)!;
  assert.ok(listening.size >= 1);
  assert.equal(holdsListeningSocket(process.pid, listening), true, 'this process listens');
  const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
  t.after(() => sleeper.kill('SIGKILL'));
  await sleep(30);
  assert.equal(holdsListeningSocket(sleeper.pid!, listening), false, 'sleep holds no socket');
  assert.equal(holdsListeningSocket(2 ** 22 + 1, listening), undefined, 'no such pid');
  // the established connection's socket is not a listening one
  const fds = readdirSync(`/proc/${process.pid}/fd`).map((fd) => { try { return readlinkSync(`/proc/${process.pid}/fd/${fd}`); } catch { return ''; } });
  const sockets = fds.map((l) => /^socket:\[(\d+)\]$/.exec(l)?.[1]).filter((x): x is string => !!x);
  assert.ok(sockets.some((s) => !listening.has(s)), 'a connected socket is not in the LISTEN set');
});

test('parseUids: the kernel\'s tab-separated Uid line, else any spacing; a missing or garbled line is no answer', async () => {
  const { parseUids } = await import('../../src/sys/proc.ts');
  const status = (uid: string) => `Name:\tnginx\nUmask:\t0022\nState:\tS (sleeping)\nPid:\t7\nPPid:\t1\n${uid}\nGid:\t0\t0\t0\t0\n`;
  assert.deepEqual(parseUids(status('Uid:\t0\t33\t33\t33')), { real: 0, effective: 33 });
  assert.deepEqual(parseUids('Uid:\t1000\t1000\t1000\t1000\n'), { real: 1000, effective: 1000 });
  assert.deepEqual(parseUids(status('Uid:  65534   4294967295 0 0')), { real: 65534, effective: 4294967295 });
  assert.equal(parseUids(status('Gid:\t0\t0\t0\t0')), undefined);
  assert.equal(parseUids(status('Uid:\tx\t0\t0\t0')), undefined);
  assert.equal(parseUids(status('Uid:\t0')), undefined);
  assert.equal(parseUids('XUid:\t5\t5\t5\t5\n'), undefined);
  // "Uid:" inside another line's value is not the field
  assert.deepEqual(parseUids(`Name:\tUid:\t9\t9\t9\nUid:\t1\t2\t3\t4\n`), { real: 1, effective: 2 });
  // the reference: every live process's status parsed both ways
  const { readdirSync, readFileSync } = await import('node:fs');
  for (const d of readdirSync('/proc').filter((x) => /^\d+$/.test(x)).slice(0, 50)) {
    let text: string;
    try { text = readFileSync(`/proc/${d}/status`, 'latin1'); } catch { continue; }
    const m = /^Uid:\s+(\d+)\s+(\d+)/m.exec(text);
    assert.deepEqual(parseUids(text), m ? { real: Number(m[1]), effective: Number(m[2]) } : undefined, `/proc/${d}/status`);
  }
});

test('a real child whose cmdline reads empty (what an exiting worker shows: do_exit released its memory) is not a live worker; a master that shows it is exiting', async (t) => {
  // perl's $0 = '' leaves a one-NUL cmdline, the title an exiting process reads as; prctl puts the comm back
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-exiting-'));
  const comm = 'hc-exit-ngx';
  const bin = join(dir, comm);
  copyFileSync('/usr/bin/perl', bin);
  const prctl = ({ x64: 157, arm64: 167 } as Record<string, number>)[process.arch] ?? 157;
  const title = `sub title { $0 = shift; my $n = '${comm}'; syscall(${prctl}, 15, $n, 0, 0, 0) == 0 or die }`;
  // a master with one exiting-looking child and one shutting down (a graceful stop's last moment)
  const stopping = spawn(bin, ['-e', `${title} title('nginx: master process /usr/sbin/nginx');
    if (!fork) { title(''); sleep 30; exit } if (!fork) { title('nginx: worker process is shutting down'); sleep 30; exit } sleep 30;`], { stdio: 'ignore', detached: true });
  // a master that reads as exiting, with two titled workers
  const going = spawn(bin, ['-e', `${title} title('nginx: master process /usr/sbin/nginx');
    for (1..2) { if (!fork) { title('nginx: worker process'); sleep 30; exit } } title(''); sleep 30;`], { stdio: 'ignore', detached: true });
  t.after(() => {
    for (const c of [stopping, going]) try { process.kill(-c.pid!, 'SIGKILL'); } catch { /* gone */ }
    rmSync(dir, { recursive: true, force: true });
  });
  const kids = (pid: number) => snapshot().filter((p) => p.ppid === pid && p.comm === comm);
  const until = performance.now() + 3000;
  const ready = () => kids(stopping.pid!).filter((p) => readTitle(p.pid) !== 'nginx: master process /usr/sbin/nginx').length === 2
    && kids(going.pid!).filter((p) => readTitle(p.pid) === 'nginx: worker process').length === 2 && readTitle(going.pid!) === '';
  while (!ready() && performance.now() < until) await sleep(20);
  assert.ok(ready(), 'the perl processes did not take their titles');
  const run = (raw: Record<string, unknown>) => prober.run(v.parse(schema, { type: 'process', ...raw }), { signal: new AbortController().signal, deadline: performance.now() + 2000, stateDir: '/nonexistent' });
  const pidfile = join(dir, 'nginx.pid');
  writeFileSync(pidfile, `${stopping.pid}\n`);
  for (const r of [await run({ process: comm, pidfile }), await run({ process: comm })]) {
    const c = r.checks[0];
    assert.equal(c.ok, false, 'was healthy: the exiting child counted as a worker by shape');
    assert.match(c.reason!, /^0 live workers \(1 shutting down\), need >= 1: workers are finishing their requests/);
    assert.equal(c.evidence, 'definitive');
  }
  writeFileSync(pidfile, `${going.pid}\n`);
  const byPid = (await run({ process: comm, pidfile })).checks[0];
  assert.equal(byPid.ok, false);
  assert.equal(byPid.reason, `pid ${going.pid} is exiting (its memory is released: the master is going away)`);
  assert.equal(byPid.evidence, 'definitive');
});
