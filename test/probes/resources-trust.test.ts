// The resource probes' nginx figures (cpu nginx_max, memory nginx_rss_max, io
// nginx_*) count only the watched nginx: masters run by root (or hacheck's own
// user) and the processes below them, the process probe's trust rule. A process
// another user names nginx (prctl PR_SET_NAME) that burns a core and holds
// 200 MiB must not fail them (repro-11: it moved the VIP at will); it is named
// in the value. Real nginx (daemonized, its own comm), a real look-alike run by
// nobody through runuser.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as v from 'valibot';
import { prober as cpu, schema as cpuSchema } from '../../src/probes/cpu.ts';
import { prober as memory, schema as memorySchema } from '../../src/probes/memory.ts';
import { prober as io, schema as ioSchema } from '../../src/probes/io.ts';
import { readStat } from '../../src/sys/proc.ts';
import { watchedProcesses } from '../../src/sys/nginx-procs.ts';
import { startDaemonNginx } from '../fixtures/nginx-daemon.ts';
import { sleep } from '../fixtures/nginx-lab.ts';
import type { ProbeContext } from '../../src/probes/types.ts';

const root = (process.getuid?.() ?? 1) === 0;
const COMM = 'hc-res-ngx';
// the cpu and io probes keep their samples here (they make the directory: '/nonexistent' became one)
const stateDir = mkdtempSync(join(tmpdir(), 'hc-res-trust-'));
after(() => rmSync(stateDir, { recursive: true, force: true }));
const ctx = (name: string): ProbeContext => ({ signal: new AbortController().signal, deadline: performance.now() + 3000, stateDir, name });

/** nobody's process with comm COMM: `mib` MiB resident, one core busy; SIGKILLed by pid at the end. */
async function lookAlike(t: { after: (fn: () => void) => void }, mib: number, title?: string): Promise<number> {
  const py = `import ctypes,sys,time
ctypes.CDLL(None).prctl(15, b"${COMM}", 0, 0, 0)
b = bytearray(${mib} * 1024 * 1024)
for i in range(0, len(b), 4096): b[i] = 1
print("go", flush=True)
end = time.time() + 30
while time.time() < end: pass`;
  const argv = title ? ['bash', '-c', `exec -a "${title}" python3 -c '${py}'`] : ['python3', '-c', py];
  const c = spawn('runuser', ['-u', 'nobody', '--', ...argv], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.after(() => { try { process.kill(c.pid!, 'SIGKILL'); } catch { /* gone */ } });
  await new Promise((r) => c.stdout!.once('data', r));
  // runuser forks: the look-alike is its child
  let pid = 0;
  for (let i = 0; i < 100 && !pid; i++) {
    pid = watchedProcesses(COMM, undefined).ignored.others[0] ?? watchedProcesses(COMM).ignored.masters[0]?.pid ?? 0;
    if (!pid) await sleep(10);
  }
  assert.ok(pid && readStat(pid)?.comm === COMM, 'the look-alike runs');
  t.after(() => { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } });
  return pid;
}

test("another user's process named nginx fails no resource probe and is named as ignored (repro-11)", { skip: !root && 'needs root (runuser)' }, async (t) => {
  const n = await startDaemonNginx(t, { comm: COMM });
  const pid = await lookAlike(t, 200);
  const w = watchedProcesses(COMM);
  assert.equal(w.procs.length, 3, 'the master and its 2 workers');
  assert.ok(w.procs.some((p) => p.pid === n.master()));
  assert.ok(!w.procs.some((p) => p.pid === pid));

  const m = await memory.run(v.parse(memorySchema, { type: 'memory', process: COMM, nginx_rss_max: '100MiB' }) as never, ctx('memory'));
  const mc = m.checks.find((c) => c.target === `comm=${COMM}`)!;
  assert.equal(mc.ok, true, mc.reason);
  assert.equal(m.metrics!.nginx_processes, 3);
  assert.ok(m.metrics!.nginx_rss_bytes < 100 * 1024 * 1024);
  assert.match(mc.value, new RegExp(`; ignored: ${COMM} master ${pid} \\(uid 65534\\) not run by root`));

  const c = await cpu.run(v.parse(cpuSchema, { type: 'cpu', process: COMM, nginx_max: 50, sample: '300ms' }) as never, ctx('cpu'));
  const cc = c.checks.find((x) => x.target === `comm=${COMM}`)!;
  assert.equal(cc.ok, true, cc.reason);
  assert.ok(c.metrics!.nginx_pct < 50, `nginx ${c.metrics!.nginx_pct}%`);
  assert.equal(c.metrics!.nginx_processes, 3);
  assert.match(cc.value, new RegExp(`ignored: ${COMM} master ${pid} \\(uid 65534\\)`));

  const i = await io.run(v.parse(ioSchema, { type: 'io', process: COMM, nginx_write_max: '1GiB/s', sample: '100ms' }) as never, ctx('io'));
  const ic = i.checks.find((x) => x.target === `comm=${COMM}`)!;
  assert.equal(i.metrics!.nginx_processes, 3);
  assert.match(ic.value, /ignored: /);
});

test('a look-alike titled as a worker (no master of its own) is not counted either; an nginx alone has nothing ignored', { skip: !root && 'needs root (runuser)' }, async (t) => {
  await startDaemonNginx(t, { comm: COMM });
  let m = await memory.run(v.parse(memorySchema, { type: 'memory', process: COMM, nginx_rss_max: '100MiB' }) as never, ctx('memory'));
  let mc = m.checks.find((c) => c.target === `comm=${COMM}`)!;
  assert.doesNotMatch(mc.value, /ignored/);
  const pid = await lookAlike(t, 200, 'nginx: worker process');
  m = await memory.run(v.parse(memorySchema, { type: 'memory', process: COMM, nginx_rss_max: '100MiB' }) as never, ctx('memory'));
  mc = m.checks.find((c) => c.target === `comm=${COMM}`)!;
  assert.equal(mc.ok, true, mc.reason);
  assert.equal(m.metrics!.nginx_processes, 3);
  assert.match(mc.value, new RegExp(`ignored: 1 ${COMM} process under no master run by root \\(${pid}\\)`));
});

// Regression hunt after the fix above: a master run by www-data that its pid file vouches for was
// left out (0 processes counted while its workers burned 60 % of a core), and every root nginx on
// the host was counted. With a pidfile (its own, or inherited from the process probe of the same
// comm at config resolution) a resource probe counts that master's tree only, whoever runs it.
test('by pid file: only the master it names and its processes, whoever runs it; another root nginx is not counted', () => {
  const ps = (pid: number, ppid: number, comm = COMM, state = 'S') => ({ pid, ppid, comm, state, pgrp: pid, session: pid, utimeTicks: 0, stimeTicks: 0, startTicks: pid, rssPages: 1 });
  // 100: the watched master (run by www-data: ownership is the pid file's business, judged by the process probe's rule)
  const all = [ps(100, 1), ps(101, 100), ps(102, 100), ps(200, 1), ps(201, 200), ps(300, 1, 'bash'), ps(103, 100, COMM, 'Z')];
  const w = watchedProcesses(COMM, all, 0, { pid: 100, pidfile: '/run/a.pid' });
  assert.deepEqual(w.procs.map((p) => p.pid), [100, 101, 102]);
  assert.deepEqual(w.ignored.others, [200, 201]);
  const none = watchedProcesses(COMM, all, 0, { pidfile: '/run/a.pid' });
  assert.deepEqual(none.procs, [], 'a pid file naming no believed master: nothing counted');
});

test('the resource probes inherit the process probe\'s pidfile (same comm) at config resolution; an explicit one wins; another comm does not', async () => {
  const { resolveConfig } = await import('../../src/config/flags.ts');
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const d = mkdtempSync('/tmp/hc-inherit-');
  try {
    const f = join(d, 'c.yaml');
    writeFileSync(f, `probes:\n  - {type: process, pidfile: /run/a.pid}\n  - {type: cpu, nginx_max: 50}\n  - {type: memory, nginx_rss_max: 1GiB, pidfile: /run/b.pid}\n  - {type: io, nginx_write_max: 1GiB/s, process: other}\n`);
    const cfg = resolveConfig({ config: f, stateDir: join(d, 'st') } as never);
    const pidfiles = cfg.probes.map((p) => (p as { pidfile?: string }).pidfile);
    assert.deepEqual(pidfiles, ['/run/a.pid', '/run/a.pid', '/run/b.pid', undefined]);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('two root nginx on the host, the process probe on one: the memory probe counts that one only', { skip: !root && 'needs root' }, async (t) => {
  const a = await startDaemonNginx(t, { comm: COMM });
  const b = await startDaemonNginx(t, { comm: COMM });
  const m = await memory.run(v.parse(memorySchema, { type: 'memory', process: COMM, nginx_rss_max: '1GiB', pidfile: a.pidfile }) as never, ctx('memory'));
  const mc = m.checks.find((c) => c.target === `comm=${COMM}`)!;
  assert.equal(m.metrics!.nginx_processes, 3, mc.value);
  assert.match(mc.value, new RegExp(`ignored: 3 ${COMM} processes not under master ${a.master()} of ${a.pidfile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(.*${b.master()}`));
});
