// The process probe against nginx's real process states, each reached the way
// nginx documents it (https://nginx.org/en/docs/control.html): binary upgrade
// (USR2, WINCH, QUIT) and its rollback (HUP the old master, QUIT the new), a
// reload (HUP) with a long request in flight, cache manager/loader, a reload
// whose new workers cannot start. In process (the prober) for the exact values,
// and through the built CLI (dist/) for the exit codes an operator sees
// (shared case 01-binary-upgrade).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';
import { prober, schema } from '../../src/probes/process.ts';
import { alive, startDaemonNginx, waitFor, workersOf, type DaemonNginx } from '../fixtures/nginx-daemon.ts';
import { slowHttpServer } from '../fixtures/servers.ts';
import { hacheck } from '../fixtures/hacheck.ts';

async function probe(raw: Record<string, unknown>) {
  const cfg = v.parse(schema, { type: 'process', ...raw });
  const r = await prober.run(cfg, { signal: new AbortController().signal, deadline: performance.now() + 2000, stateDir: '/nonexistent' });
  return { ...r.checks[0], metrics: r.metrics! };
}

/** Both modes, min_workers 2 (worker_processes 2). */
async function both(n: DaemonNginx, min = 2) {
  return { pidfile: await probe({ process: n.comm, pidfile: n.pidfile, min_workers: min }), name: await probe({ process: n.comm, min_workers: min }) };
}

/** The shared case's two configs (process + http), run through the CLI: exit codes. */
function caseConfigs(n: DaemonNginx): { pidfile: string; name: string } {
  const write = (file: string, proc: string) => {
    const f = join(n.dir, file);
    writeFileSync(f, `timeout: 3s\nmaintenance_file: ""\nstate_dir: ${n.dir}/state-${file}\nprobes:\n  - type: process\n${proc}    min_workers: 2\n  - type: http\n    urls: [ "http://127.0.0.1:${n.port}/" ]\n`);
    return f;
  };
  return {
    pidfile: write('by-pidfile.yaml', `    process: ${n.comm}\n    pidfile: ${n.pidfile}\n`),
    name: write('by-name.yaml', `    process: ${n.comm}\n`),
  };
}

async function cliBoth(n: DaemonNginx, step: string) {
  const cfgs = caseConfigs(n);
  for (const [mode, f] of Object.entries(cfgs)) {
    const r = await hacheck('-c', f, '--json');
    const rep = JSON.parse(r.stdout);
    assert.equal(r.code, 0, `${step}, ${mode}: ${JSON.stringify(rep.reasons)}`);
  }
}

test('binary upgrade USR2 -> WINCH -> QUIT: healthy at every step, pidfile and name mode (case 01)', async (t) => {
  const n = await startDaemonNginx(t, { comm: 'hc-upg-ngx' });
  const old = n.master()!;
  let s = await both(n);
  assert.equal(s.pidfile.ok, true, s.pidfile.reason);
  assert.equal(s.name.ok, true, s.name.reason);
  await cliBoth(n, '0. running');

  // 1. USR2: the old master renames nginx.pid to nginx.pid.oldbin and starts the new binary as its child
  process.kill(old, 'SIGUSR2');
  await waitFor(() => n.master() !== undefined && n.master() !== old && workersOf(n, n.master()!).length === 2, 5000, () => JSON.stringify(n.procs()));
  const neu = n.master()!;
  s = await both(n);
  assert.equal(s.pidfile.ok, true, s.pidfile.reason);
  assert.equal(s.name.ok, true, s.name.reason);
  assert.match(s.pidfile.value, new RegExp(`^pid ${neu} hc-upg-ngx \\w+, 2 workers; binary upgrade in progress: old master ${old} \\(nginx\\.pid\\.oldbin, 2 workers\\), new master ${neu} \\(2 workers\\)$`));
  assert.match(s.name.value, new RegExp(`binary upgrade in progress: old master ${old} \\(2 workers\\), new master ${neu} \\(2 workers\\)`));
  // the new master is not a worker of the old one
  assert.equal(s.name.metrics.masters, 2);
  assert.equal(s.name.metrics.workers, 2);
  assert.deepEqual(s.name.processes!.filter((p) => p.role === 'master').map((p) => p.pid).sort(), [old, neu].sort());
  await cliBoth(n, '1. after USR2');

  // 2. WINCH: the old master's workers shut down; the new master serves (rollback still possible)
  process.kill(old, 'SIGWINCH');
  await waitFor(() => n.procs().every((p) => p.ppid !== old || p.pid === neu), 5000, () => JSON.stringify(n.procs()));
  s = await both(n);
  assert.equal(s.pidfile.ok, true, s.pidfile.reason);
  assert.equal(s.name.ok, true, `was "1 live worker, need >= 2": ${s.name.reason}`);
  assert.match(s.pidfile.value, new RegExp(`old master ${old} \\(nginx\\.pid\\.oldbin, 0 workers\\), new master ${neu} \\(2 workers\\)`));
  assert.match(s.name.value, new RegExp(`^pid ${neu} `), 'name mode judges the master that has the workers');
  await cliBoth(n, '2. after WINCH');

  // 3. QUIT the old master: upgrade done
  process.kill(old, 'SIGQUIT');
  await waitFor(() => !alive(old), 5000, () => JSON.stringify(n.procs()));
  s = await both(n);
  assert.equal(s.pidfile.ok, true, s.pidfile.reason);
  assert.equal(s.name.ok, true, s.name.reason);
  assert.match(s.pidfile.value, new RegExp(`^pid ${neu} hc-upg-ngx \\w+, 2 workers$`));
  await cliBoth(n, '3. after QUIT');
});

test('binary upgrade rolled back (USR2, WINCH, HUP the old master, QUIT the new): healthy at every step', async (t) => {
  const slow = await slowHttpServer(t, 3000);
  const n = await startDaemonNginx(t, { comm: 'hc-rbk-ngx', server: `location = /slow { proxy_pass http://127.0.0.1:${slow.port}/; }` });
  const old = n.master()!;
  process.kill(old, 'SIGUSR2');
  await waitFor(() => n.master() !== undefined && n.master() !== old && workersOf(n, n.master()!).length === 2, 5000, () => JSON.stringify(n.procs()));
  const neu = n.master()!;
  process.kill(old, 'SIGWINCH');
  await waitFor(() => workersOf(n, old).length === 0, 5000, () => JSON.stringify(n.procs()));
  let s = await both(n);
  assert.equal(s.pidfile.ok && s.name.ok, true, `${s.pidfile.reason} / ${s.name.reason}`);
  // a long request on a new worker (only the new master's workers accept now): it keeps the new
  // master alive after its QUIT below, while nginx.pid still names it
  const req = inFlight(n.port);
  await waitFor(() => slow.accepted() >= 1, 3000, () => 'the upstream never saw the request');

  // HUP the old master: it starts workers again (without re-reading its config)
  process.kill(old, 'SIGHUP');
  await waitFor(() => workersOf(n, old).length === 2, 5000, () => JSON.stringify(n.procs()));
  s = await both(n);
  assert.equal(s.pidfile.ok, true, s.pidfile.reason);
  assert.equal(s.name.ok, true, s.name.reason);
  assert.match(s.pidfile.value, new RegExp(`old master ${old} \\(nginx\\.pid\\.oldbin, 2 workers\\), new master ${neu} \\(2 workers\\)`));
  await cliBoth(n, 'rollback: after HUP to the old master');

  // QUIT the new master: its worker finishes the request; nginx.pid names it until it exits.
  // The pair is one nginx: the old master's workers serve, so pidfile mode stays healthy.
  process.kill(neu, 'SIGQUIT');
  await waitFor(() => workersOf(n, neu).length === 0 && shuttingDown(n, neu).length === 1, 5000, () => JSON.stringify(n.procs()));
  s = await both(n);
  assert.equal(n.master(), neu);
  assert.equal(s.pidfile.ok, true, s.pidfile.reason);
  assert.equal(s.name.ok, true, s.name.reason);
  assert.match(s.pidfile.value, new RegExp(`^pid ${neu} hc-rbk-ngx \\w+, 0 workers, 1 shutting down; binary upgrade in progress: old master ${old} \\(nginx\\.pid\\.oldbin, 2 workers\\), new master ${neu} \\(0 workers, 1 shutting down\\); stopping: 1 worker finishing requests, none taking new ones \\(master ${neu}\\); serving: master ${old} \\(2 workers\\)$`));
  await cliBoth(n, 'rollback: new master finishing its requests');

  // once it exits, the old master renames nginx.pid.oldbin back to nginx.pid
  assert.equal(await req.done, 200);
  await waitFor(() => !alive(neu) && n.master() === old, 5000, () => `${n.master()} ${JSON.stringify(n.procs())}`);
  s = await both(n);
  assert.equal(s.pidfile.ok, true, s.pidfile.reason);
  assert.equal(s.name.ok, true, s.name.reason);
  assert.match(s.pidfile.value, new RegExp(`^pid ${old} hc-rbk-ngx \\w+, 2 workers$`));
  await cliBoth(n, 'rollback: after QUIT to the new master');
});

/** GET /slow and keep the connection busy until the upstream answers; resolves with the status. */
function inFlight(port: number): { done: Promise<number> } {
  const done = new Promise<number>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/slow', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
  return { done };
}

const shuttingDown = (n: DaemonNginx, master: number) => n.procs().filter((p) => p.ppid === master && p.title === 'nginx: worker process is shutting down').map((p) => p.pid);

test('reload (HUP) with a long request in flight: healthy during the overlap, the old generation shows as shutting down', async (t) => {
  const slow = await slowHttpServer(t, 4000);
  const n = await startDaemonNginx(t, { comm: 'hc-hup-ngx', server: `location = /slow { proxy_pass http://127.0.0.1:${slow.port}/; }` });
  const m = n.master()!;
  const before = workersOf(n, m);
  const req = inFlight(n.port);
  await waitFor(() => slow.accepted() >= 1, 3000, () => 'the upstream never saw the request');
  process.kill(m, 'SIGHUP');
  // one old worker holds the request: it stays, titled "worker process is shutting down"
  await waitFor(() => shuttingDown(n, m).length === 1 && workersOf(n, m).filter((p) => !before.includes(p)).length === 2, 5000, () => JSON.stringify(n.procs()));
  const s = await both(n);
  for (const c of [s.pidfile, s.name]) {
    assert.equal(c.ok, true, c.reason);
    assert.match(c.value, /, 2 workers, 1 shutting down; reload: 2 workers, 1 shutting down$/);
    assert.equal(c.metrics.workers, 2);
    assert.equal(c.metrics.workers_shutting_down, 1);
  }
  assert.equal((await probe({ process: n.comm, pidfile: n.pidfile, min_workers: 3 })).reason, '2 live workers (1 shutting down), need >= 3');
  await cliBoth(n, 'reload overlap');
  assert.equal(await req.done, 200, 'the in-flight request was finished by the old worker');
});

test('proxy_cache_path: cache manager and loader are never workers', async (t) => {
  const n = await startDaemonNginx(t, { comm: 'hc-cache-ngx', http: 'proxy_cache_path {dir}/cache keys_zone=hc:1m;' });
  await waitFor(() => n.procs().some((p) => p.title === 'nginx: cache manager process'), 5000, () => JSON.stringify(n.procs()));
  const ok = await both(n, 2);
  for (const c of [ok.pidfile, ok.name]) {
    assert.equal(c.ok, true, c.reason);
    assert.match(c.value, /, 2 workers, [12] cache process(es)?$/);
    assert.ok(c.metrics.cache_processes >= 1);
    assert.equal(c.metrics.workers, 2);
  }
  const more = await both(n, 3);
  for (const c of [more.pidfile, more.name]) {
    assert.equal(c.ok, false);
    assert.equal(c.reason, '2 live workers, need >= 3');
  }
});

test('reload into a config nginx -t passes but whose workers cannot start: unhealthy from the process probe alone, in milliseconds', async (t) => {
  const slow = await slowHttpServer(t, 4000);
  const n = await startDaemonNginx(t, { comm: 'hc-bad-ngx', server: `location = /slow { proxy_pass http://127.0.0.1:${slow.port}/; }` });
  const m = n.master()!;
  // working_directory is only chdir()ed by each worker at start (ngx_worker_process_init): nginx -t
  // does not look, the new workers exit with fatal code 2 and the master does not respawn them
  n.configure({ main: `working_directory ${n.dir}/no-such-dir;`, server: `location = /slow { proxy_pass http://127.0.0.1:${slow.port}/; }` });
  assert.equal(n.test().status, 0, 'nginx -t passes');
  const req = inFlight(n.port);
  await waitFor(() => slow.accepted() >= 1, 3000, () => 'the upstream never saw the request');
  process.kill(m, 'SIGHUP');
  await waitFor(() => workersOf(n, m).length === 0 && shuttingDown(n, m).length === 1, 5000, () => JSON.stringify(n.procs()));
  const s = await both(n, 2);
  for (const c of [s.pidfile, s.name]) {
    assert.equal(c.ok, false);
    assert.match(c.reason!, /^0 live workers \(1 shutting down\), need >= 2: workers are finishing their requests and no new worker runs \(nginx stopping gracefully, or a reload whose new workers could not start/);
    assert.equal(c.evidence, 'definitive');
  }
  // the whole run: nginx accepts (the master holds the sockets) and answers nothing, so the
  // http probe would hang to the deadline; the process probe decides (definitive evidence ends the
  // run without fail_fast), long before it
  const f = join(n.dir, 'fast.yaml');
  writeFileSync(f, `timeout: 10s\nmaintenance_file: ""\nstate_dir: ${n.dir}/state\nprobes:\n  - type: process\n    process: ${n.comm}\n    pidfile: ${n.pidfile}\n    min_workers: 2\n  - type: http\n    urls: [ "http://127.0.0.1:${n.port}/" ]\n`);
  const r = await hacheck('-c', f, '--json');
  const rep = JSON.parse(r.stdout);
  assert.equal(r.code, 1);
  assert.match(rep.reasons[0], /^process: 0 live workers \(1 shutting down\), need >= 2/);
  const proc = rep.probes.find((p: { kind: string }) => p.kind === 'process');
  assert.ok(proc.durationMs < 100, `the process probe decided in ${proc.durationMs} ms`);
  assert.ok(rep.elapsed_ms < 2000, `the run ended ${rep.elapsed_ms} ms after its start, deadline 10 s`);
  assert.equal(await req.done, 200, 'the old worker still finished its request');

  // once the old worker is gone: no worker at all
  await waitFor(() => shuttingDown(n, m).length === 0, 8000, () => JSON.stringify(n.procs()));
  const gone = await probe({ process: n.comm, pidfile: n.pidfile, min_workers: 2 });
  assert.equal(gone.reason, '0 live workers, need >= 2: the master runs no worker (nginx does not respawn one that failed to start; see the error_log)');
  assert.equal(gone.evidence, 'definitive');
});

test('nginx.pid not yet written during USR2 (only nginx.pid.oldbin), a pidfile naming a worker, perfdata from the same roles', async (t) => {
  const n = await startDaemonNginx(t, { comm: 'hc-pid-ngx' });
  const m = n.master()!;
  // between USR2 and the new master writing nginx.pid, only nginx.pid.oldbin exists
  renameSync(n.pidfile, `${n.pidfile}.oldbin`);
  const starting = await probe({ process: n.comm, pidfile: n.pidfile, min_workers: 2 });
  assert.equal(starting.ok, true, starting.reason);
  assert.match(starting.value, new RegExp(`^pid ${m} hc-pid-ngx \\w+, 2 workers; binary upgrade starting: nginx\\.pid not yet written by the new master; judging the old master \\(nginx\\.pid\\.oldbin\\)$`));
  // the new master has created nginx.pid (O_TRUNC) but not yet written its pid: the same moment
  writeFileSync(n.pidfile, '');
  const creating = await probe({ process: n.comm, pidfile: n.pidfile, min_workers: 2 });
  assert.equal(creating.ok, true, creating.reason);
  assert.match(creating.value, /binary upgrade starting: nginx\.pid not yet written by the new master; judging the old master \(nginx\.pid\.oldbin\)$/);
  renameSync(`${n.pidfile}.oldbin`, n.pidfile);

  const w = workersOf(n, m)[0];
  const f = join(n.dir, 'worker.pid');
  writeFileSync(f, `${w}\n`);
  const worker = await probe({ process: n.comm, pidfile: f });
  assert.equal(worker.ok, false);
  assert.equal(worker.reason, `stale pidfile: pid ${w} is an nginx worker process, not a master`);
  assert.equal(worker.evidence, 'definitive');

  // Nagios perfdata counts what the probe classified (2 workers; cache processes and masters apart)
  const cfg = join(n.dir, 'nagios.yaml');
  writeFileSync(cfg, `timeout: 3s\nmaintenance_file: ""\nstate_dir: ${n.dir}/state\nprobes:\n  - type: process\n    process: ${n.comm}\n    min_workers: 2\n`);
  const r = await hacheck('-c', cfg, '--format', 'nagios');
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.stdout, / process_masters=1;;;0 process_workers=2;;;0 process_workers_shutting_down=0;;;0 process_cache_processes=0;;;0 process_orphans=0;;;0/);
});

test('graceful stop (QUIT) with a request in flight: unhealthy at once, the master is not serving anything new', async (t) => {
  const slow = await slowHttpServer(t, 3000);
  const n = await startDaemonNginx(t, { comm: 'hc-quit-ngx', server: `location = /slow { proxy_pass http://127.0.0.1:${slow.port}/; }` });
  const m = n.master()!;
  const req = inFlight(n.port);
  await waitFor(() => slow.accepted() >= 1, 3000, () => 'the upstream never saw the request');
  process.kill(m, 'SIGQUIT');
  await waitFor(() => workersOf(n, m).length === 0 && shuttingDown(n, m).length === 1, 5000, () => JSON.stringify(n.procs()));
  const s = await both(n, 1);
  for (const c of [s.pidfile, s.name]) {
    assert.equal(c.ok, false);
    assert.match(c.reason!, /^0 live workers \(1 shutting down\), need >= 1: workers are finishing their requests and no new worker runs \(nginx stopping gracefully/);
    assert.equal(c.evidence, 'definitive');
  }
  assert.equal(await req.done, 200);
});

test('a worker SIGSTOPped: a warning while the others accept from the same socket; unhealthy with listen … reuseport, where its own socket keeps getting a share of new connections', async (t) => {
  const n = await startDaemonNginx(t, { comm: 'hc-wstop-ngx' });
  const m = n.master()!;
  const [w1] = workersOf(n, m);
  process.kill(w1, 'SIGSTOP');
  t.after(() => { try { process.kill(w1, 'SIGCONT'); } catch { /* gone */ } });
  await waitFor(() => n.procs().find((p) => p.pid === w1)?.state === 'T', 2000, () => JSON.stringify(n.procs()));
  let s = await both(n, 1);
  for (const c of [s.pidfile, s.name]) {
    assert.equal(c.ok, true, c.reason);
    assert.match(c.value, /^pid \d+ hc-wstop-ngx \w+, 1 worker, 1 stopped$/);
    assert.deepEqual(c.warnings, [`worker ${w1} stopped (SIGSTOP/traced): it accepts nothing`]);
  }
  process.kill(w1, 'SIGCONT');

  // reuseport: each worker its own socket (nginx closes the others' in each worker)
  writeFileSync(n.conf, readFileSync(n.conf, 'utf8').replace(`listen 127.0.0.1:${n.port};`, `listen 127.0.0.1:${n.port} reuseport;`));
  process.kill(m, 'SIGHUP');
  await waitFor(() => workersOf(n, m).length === 2 && !workersOf(n, m).includes(w1) && n.procs().every((p) => p.ppid !== m || !p.title.includes('shutting down')), 5000, () => JSON.stringify(n.procs()));
  const [w2] = workersOf(n, m);
  process.kill(w2, 'SIGSTOP');
  t.after(() => { try { process.kill(w2, 'SIGCONT'); } catch { /* gone */ } });
  await waitFor(() => n.procs().find((p) => p.pid === w2)?.state === 'T', 2000, () => JSON.stringify(n.procs()));
  s = await both(n, 1);
  for (const c of [s.pidfile, s.name]) {
    assert.equal(c.ok, false);
    assert.equal(c.reason, `stopped (SIGSTOP/traced) worker ${w2} (127.0.0.1:${n.port}) alone polls a listening socket: new connections queued there wait (listen … reuseport gives each worker its own socket; with accept_mutex on, a stopped worker holding it keeps every other one from accepting)`);
    assert.equal(c.evidence, 'definitive');
  }
});
