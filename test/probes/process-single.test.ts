// nginx run the ways that are not a daemonized master with N workers:
// `master_process off` (one untitled process serves: nginx forks nothing and
// sets no title), `daemon off` under a supervisor, `worker_processes auto`
// (one worker per CPU). Real nginx under its own comm, our child (reaped).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpus as cpus_ } from 'node:os';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as v from 'valibot';
import { prober, schema } from '../../src/probes/process.ts';
import { isDead, readTitle, snapshot } from '../../src/sys/proc.ts';
import { freePort, sleep } from '../fixtures/nginx-lab.ts';
import { NGINX } from '../fixtures/nginx-server.ts';

async function probe(raw: Record<string, unknown>) {
  const cfg = v.parse(schema, { type: 'process', ...raw });
  return (await prober.run(cfg, { signal: new AbortController().signal, deadline: performance.now() + 2000, stateDir: '/nonexistent' })).checks[0];
}

/**
 * nginx in the foreground with these top-level lines, our child (reaped) or, with `parent: 'no-reap'`, a
 * child of a perl that never waits (a supervisor that has not reaped it yet: a killed master stays a
 * zombie); resolves once `ready(procs)` holds (deadline 5 s).
 */
async function run(comm: string, main: string, ready: (n: number) => boolean, parent?: 'no-reap') {
  const dir = mkdtempSync(join(tmpdir(), 'hc-single-'));
  mkdirSync(join(dir, 'logs'));
  const bin = join(dir, comm);
  copyFileSync(NGINX, bin);
  const pidfile = join(dir, 'nginx.pid');
  const port = await freePort();
  writeFileSync(join(dir, 'nginx.conf'), `${main}
pid ${pidfile}; error_log ${dir}/logs/e.log; daemon off;
events { worker_connections 16; }
http { access_log off; client_body_temp_path ${dir}/c; proxy_temp_path ${dir}/p; fastcgi_temp_path ${dir}/f; uwsgi_temp_path ${dir}/u; scgi_temp_path ${dir}/s;
  server { listen 127.0.0.1:${port}; location / { return 200; } } }`);
  const args = ['-p', dir, '-c', join(dir, 'nginx.conf')];
  // a subreaper (prctl PR_SET_CHILD_SUBREAPER, x86-64 syscall 157) so the orphans come to it, not to PID 1
  // (which reaps nothing here); it reaps only on SIGUSR1, at the end
  const sup = parent && spawn('perl', ['-e', `use POSIX ":sys_wait_h"; $| = 1; syscall(${process.arch === 'arm64' ? 167 : 157}, 36, 1, 0, 0, 0);
    $SIG{USR1} = sub { 1 while waitpid(-1, WNOHANG) > 0; exit 0 }; my $p = fork; if ($p == 0) { exec @ARGV or die } print "$p\\n"; sleep 1 while 1;`, bin, ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
  const child = sup ? { pid: await new Promise<number>((r) => sup.stdout!.once('data', (b) => r(Number(String(b).trim())))) } : spawn(bin, args, { stdio: 'ignore' });
  const procs = () => snapshot().filter((p) => p.comm === comm && !isDead(p));
  after(async () => {
    for (const p of procs()) try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
    await sleep(20);
    sup?.kill('SIGUSR1'); // reaps them all, then exits
    rmSync(dir, { recursive: true, force: true });
  });
  const has = () => { try { return Number(readFileSync(pidfile, 'utf8')) === child.pid; } catch { return false; } };
  for (let i = 0; i < 500 && !(has() && ready(procs().length) && procs().every((p) => p.pid === child.pid || readTitle(p.pid)?.startsWith('nginx: '))); i++) await sleep(10);
  assert.ok(has(), `nginx wrote no pid file: ${readFileSync(join(dir, 'logs', 'e.log'), 'utf8')}`);
  return { pid: child.pid!, pidfile, comm };
}

test('master_process off: one process, no child, no title — min_workers 0 is healthy, the default says why it is not', async () => {
  const n = await run('hc-single-ngx', 'master_process off;', (k) => k === 1);
  assert.equal(readTitle(n.pid)?.startsWith('nginx: '), false, 'nginx titles nothing with master_process off');
  for (const by of [{ pidfile: n.pidfile }, {}]) {
    const ok = await probe({ process: n.comm, min_workers: 0, ...by });
    assert.equal(ok.ok, true, ok.reason);
    const c = await probe({ process: n.comm, ...by });
    assert.equal(c.ok, false);
    assert.match(c.reason!, new RegExp(`^0 live workers, need >= 1: pid ${n.pid} has no child and no nginx title \\(".*"\\): nginx with master_process off serves from this one process \\(set min_workers: 0\\), or not nginx$`));
  }
});

test('daemon off (a supervisor\'s child) and worker_processes auto: the master and one worker per CPU', async () => {
  // nginx 1.22's auto is sysconf(_SC_NPROCESSORS_ONLN) (ngx_os_init): os.cpus() reads the same online CPUs
  const cpus = cpus_().length;
  const n = await run('hc-auto-ngx', 'worker_processes auto;', (k) => k === cpus + 1);
  for (const by of [{ pidfile: n.pidfile }, {}]) {
    const c = await probe({ process: n.comm, min_workers: cpus, ...by });
    assert.equal(c.ok, true, c.reason);
    assert.match(c.value, new RegExp(`^pid ${n.pid} hc-auto-ngx \\w+, ${cpus} workers?$`));
  }
});

test('daemon off, master killed -9 and not yet reaped (a zombie): its orphaned workers are named as its own, though they lead no group', async () => {
  const n = await run('hc-zomb-ngx', 'worker_processes 2;', (k) => k === 3, 'no-reap');
  const workers = snapshot().filter((p) => p.comm === n.comm && p.ppid === n.pid).map((p) => p.pid).sort((a, b) => a - b);
  assert.equal(workers.length, 2);
  assert.notEqual(snapshot().find((p) => p.pid === workers[0])!.pgrp, n.pid, 'daemon off: the workers are in the supervisor\'s group');
  process.kill(n.pid, 'SIGKILL');
  for (let i = 0; i < 200 && snapshot().find((p) => p.pid === n.pid)?.state !== 'Z'; i++) await sleep(10);
  const c = await probe({ process: n.comm, pidfile: n.pidfile });
  assert.equal(c.ok, false);
  assert.equal(c.evidence, 'definitive');
  assert.equal(c.reason, `pid ${n.pid} is a zombie (master died); orphaned ${n.comm} workers ${workers.join(', ')} hold the listening sockets (their master is gone)`);
});

test('the only worker killed -9 (a crash, the OOM killer), again and again: nginx respawns it in milliseconds — never definitive, in either mode', async () => {
  const n = await run('hc-respawn-ngx', 'worker_processes 1;', (k) => k === 2);
  const worker = () => snapshot().find((p) => p.comm === n.comm && p.ppid === n.pid && !isDead(p) && readTitle(p.pid) === 'nginx: worker process')?.pid;
  const seen = new Map<string, number>();
  for (let i = 0; i < 15; i++) {
    let w: number | undefined;
    for (let j = 0; j < 200 && !(w = worker()); j++) await sleep(5);
    assert.ok(w, 'nginx respawned its worker');
    process.kill(w, 'SIGKILL');
    // probe through the window: the worker a zombie, then reaped, then its replacement forked and titled
    for (let j = 0; j < 40; j++) {
      const c = await probe({ process: n.comm, ...(j % 2 ? {} : { pidfile: n.pidfile }) });
      const key = c.ok ? 'ok' : `${c.evidence}: ${c.reason!.replace(/\d+/g, 'N')}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
  }
  const definitive = [...seen.keys()].filter((k) => k.startsWith('definitive'));
  assert.deepEqual(definitive, [], JSON.stringify([...seen]));
  // what an in-between run does say
  for (const k of seen.keys()) if (k !== 'ok') assert.match(k, /^ambiguous: N live workers, need >= N: (worker N killed, not yet reaped by the master|N just forked, not yet titled)/, k);
});
