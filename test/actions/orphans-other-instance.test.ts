// Two nginx instances of one binary (repro-5): A is watched (its pid file, its
// port, its URL), B serves another port with another pid file. B's master dies
// and its workers live on, still serving; then A dies whole. The restart flow
// must restart A — with kill_orphans off or on — and leave B's orphans alone:
// they listen nowhere A needs and were not started by A's master. The process
// probe does not blame them on A's master either. Real daemonized nginx; A is
// killed hard as on a machine whose PID 1 reaps nothing: SIGSTOP the master,
// SIGKILL its workers, then it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alive, restartConfig, startDaemonNginx, waitFor, workersOf, type DaemonNginx } from '../fixtures/nginx-daemon.ts';
import { hacheck } from '../fixtures/hacheck.ts';
import { readStat } from '../../src/sys/proc.ts';
import { conflicts, neededEndpoints } from '../../src/actions/orphans.ts';
import { parseProcAddress } from '../../src/sys/proc.ts';

const COMM = 'hc-two-ngx';

/** Kills a whole instance hard: master stopped, workers SIGKILLed, then the master. */
async function killAll(n: DaemonNginx): Promise<number> {
  const m = n.master()!;
  process.kill(m, 'SIGSTOP');
  const ws = workersOf(n, m);
  for (const w of ws) process.kill(w, 'SIGKILL');
  process.kill(m, 'SIGKILL');
  await waitFor(() => !alive(m) && !ws.some(alive), 3000, () => `instance ${m} still alive`);
  return m;
}

async function serves(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) })).status === 200;
  } catch {
    return false;
  }
}

for (const killOrphans of [false, true]) {
  test(`another instance's orphans (other port, other pid file) neither block nor get killed; A is restarted (kill_orphans: ${killOrphans})`, async (t) => {
    const a = await startDaemonNginx(t, { comm: COMM });
    const b = await startDaemonNginx(t, { comm: COMM });
    // B loses its master; its workers keep serving B's port
    const mb = b.master()!;
    const orphans = workersOf(b, mb).sort((x, y) => x - y);
    assert.equal(orphans.length, 2);
    process.kill(mb, 'SIGSTOP');
    process.kill(mb, 'SIGKILL');
    await waitFor(() => !alive(mb), 3000, () => `B's master ${mb} still alive`);
    assert.ok(await serves(b.port), "B's orphans serve");
    const ma = await killAll(a);

    // the process probe blames only what A's master started: nothing here; B's orphans are named as another nginx's
    let r = await hacheck('-c', restartConfig(a), '--no-restart', '--json');
    let rep = JSON.parse(r.stdout);
    assert.equal(r.code, 1);
    assert.equal(rep.reasons[0], `process: stale pidfile: pid ${ma} is not running; orphaned ${COMM} workers ${orphans.join(', ')} of process group ${mb} (not pid ${ma}'s) hold listening sockets`);

    r = await hacheck('-c', restartConfig(a, killOrphans ? '  kill_orphans: true\n' : ''), '--json');
    rep = JSON.parse(r.stdout);
    assert.equal(r.code, 0, JSON.stringify(rep.reasons) + rep.notes.join(' | '));
    assert.equal(rep.restart.action, 'restart');
    assert.equal(rep.restart.recovered, true);
    assert.equal(rep.restart.orphans, undefined, 'no orphan of A');
    assert.match(rep.notes.join('\n'), new RegExp(`left alone: orphaned ${COMM} workers ${orphans.join(', ')} hold listening sockets of another nginx \\(127\\.0\\.0\\.1:${b.port}\\)`));
    assert.ok(orphans.every(alive), "B's orphans were not signalled");
    assert.ok(await serves(b.port), 'B still serves');
    const fresh = a.master()!;
    assert.notEqual(fresh, ma);
    assert.equal(readStat(fresh)?.comm, COMM);
  });
}

test("A's own orphans still block (same process group as its dead master) and another's on A's port would too", async (t) => {
  const a = await startDaemonNginx(t, { comm: COMM });
  const ma = a.master()!;
  const ws = workersOf(a, ma).sort((x, y) => x - y);
  process.kill(ma, 'SIGSTOP');
  process.kill(ma, 'SIGKILL');
  await waitFor(() => !alive(ma), 3000, () => `master ${ma} still alive`);
  const r = await hacheck('-c', restartConfig(a), '--json');
  const rep = JSON.parse(r.stdout);
  assert.equal(r.code, 1);
  assert.equal(rep.reasons[0], `orphaned ${COMM} workers ${ws.join(', ')} hold the listening sockets; a new master cannot bind (restart.kill_orphans: true stops them before a restart)`);
  assert.ok(ws.every(alive));
});

test('which listening sockets conflict with what the config probes', () => {
  assert.deepEqual(parseProcAddress('0100007F:1F90'), { addr: '127.0.0.1', port: 8080 });
  assert.deepEqual(parseProcAddress('00000000000000000000000001000000:0050'), { addr: '0000:0000:0000:0000:0000:0000:0000:0001', port: 80 });
  assert.deepEqual(parseProcAddress('0000000000000000FFFF00000100007F:0050'), { addr: '127.0.0.1', port: 80 });
  const any = { addr: '0.0.0.0', port: 80 };
  assert.equal(conflicts(any, { host: '127.0.0.1', port: 80 }), true);
  assert.equal(conflicts(any, { host: '127.0.0.1', port: 81 }), false);
  assert.equal(conflicts({ addr: '127.0.0.2', port: 80 }, { host: '127.0.0.1', port: 80 }), false);
  assert.equal(conflicts({ addr: '127.0.0.2', port: 80 }, { host: 'localhost', port: 80 }), true, 'a name: the port decides');
  assert.equal(conflicts({ addr: '0000:0000:0000:0000:0000:0000:0000:0001', port: 80 }, { host: '::1', port: 80 }), true);
  const cfg = { probes: [
    { type: 'port', targets: [{ host: '127.0.0.1', port: 81 }] },
    { type: 'http', urls: [{ url: 'https://[::1]/x' }, { url: 'http://localhost:8080/', socket: '/run/x.sock' }] },
    { type: 'stub_status', url: 'http://127.0.0.1:82/status' },
  ] } as never;
  assert.deepEqual(neededEndpoints(cfg), [{ host: '127.0.0.1', port: 81 }, { host: '::1', port: 443 }, { host: '127.0.0.1', port: 82 }]);
});
