// A stopped worker of a busy nginx (thousands of kept-alive connections): which listening
// sockets each worker polls is read from its epoll's fdinfo, and that reading must not grow with
// the connections. It read every descriptor's link of every worker (~12 µs a connection): 16,000
// connections over 8 workers made the check ~200 ms, each cycle while a worker stayed stopped
// (a debugger, a forgotten SIGSTOP), and the agent's own URL checks were not started before its
// 300 ms cycle deadline ("cycle inconclusive … did not get the CPU"), a healthy nginx's cycles lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as v from 'valibot';
import { prober, schema } from '../../src/probes/process.ts';
import { startDaemonNginx, waitFor, workersOf } from '../fixtures/nginx-daemon.ts';

async function probe(raw: Record<string, unknown>) {
  const cfg = v.parse(schema, { type: 'process', ...raw });
  const r = await prober.run(cfg, { signal: new AbortController().signal, deadline: performance.now() + 2000, stateDir: '/nonexistent' });
  return r.checks[0];
}

const CONNS = 12_000;

test(`a worker SIGSTOPped beside workers holding ${CONNS} connections: the check stays a warning and takes milliseconds, not one read per connection`, async (t) => {
  const n = await startDaemonNginx(t, { comm: 'hc-wbusy-ngx', workers: 4, main: 'worker_rlimit_nofile 20000;', http: 'keepalive_timeout 600s;' });
  const m = n.master()!;
  const before = workersOf(n, m);
  writeFileSync(n.conf, readFileSync(n.conf, 'utf8').replace('worker_connections 64;', 'worker_connections 8000;'));
  process.kill(m, 'SIGHUP');
  await waitFor(() => { const w = workersOf(n, m); return w.length === 4 && w.every((p) => !before.includes(p)); }, 5000, () => JSON.stringify(n.procs()));
  const socks: Socket[] = [];
  t.after(() => { for (const s of socks) s.destroy(); });
  for (let i = 0; i < CONNS; i++) socks.push(connect(n.port, '127.0.0.1').on('error', () => {}));
  const fds = () => workersOf(n, m).reduce((sum, w) => sum + readdirSync(`/proc/${w}/fd`).length, 0);
  await waitFor(() => fds() >= CONNS, 10_000, () => `worker descriptors: ${fds()}`);

  const [w1] = workersOf(n, m);
  process.kill(w1, 'SIGSTOP');
  t.after(() => { try { process.kill(w1, 'SIGCONT'); } catch { /* gone */ } });
  await waitFor(() => n.procs().find((p) => p.pid === w1)?.state === 'T', 2000, () => JSON.stringify(n.procs()));
  for (const raw of [{ process: n.comm, pidfile: n.pidfile, min_workers: 1 }, { process: n.comm, min_workers: 1 }]) {
    const ms: number[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await probe(raw);
      assert.equal(c.ok, true, c.reason);
      assert.deepEqual(c.warnings, [`worker ${w1} stopped (SIGSTOP/traced): it accepts nothing`]);
      ms.push(c.durationMs);
    }
    // measured here: ~15 ms after, ~150 ms before (it grew with the connections)
    assert.ok(Math.min(...ms) < 75, `${JSON.stringify(raw)}: ${ms.map((x) => x.toFixed(1)).join(', ')} ms`);
  }
});
