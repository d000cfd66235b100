// `hacheck agent` and `hacheck status` as real processes against real nginx and
// real sockets: flips within fall × interval, back after rise, never a partial
// track_file, the status guard catching a killed or stopped agent, SIGHUP and
// SIGTERM. Bounds are generous (a loaded 2-core machine), never exact timings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onCleanup, type T } from '../fixtures/cleanup.ts';
import { hacheck, startHacheck, spawnAgent, cleanEnv, waitFor, HACHECK, type Run } from '../fixtures/hacheck.ts';
import { lab, killNginx, nginxUp, restartCount, freePort, sleep } from '../fixtures/nginx-lab.ts';
import { headServer, hungServer } from '../fixtures/servers.ts';

function tempDir(t: T): string {
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-agent-'));
  onCleanup(t, () => rmSync(dir, { recursive: true, force: true, maxRetries: 3 }));
  return dir;
}

interface Agent { child: ChildProcess; done: Promise<Run>; stateFile: string; statusFile: string; stderr: () => string }

/** spawnAgent with its track_file and status file in `dir`, and (unless fromConfig) a private state dir, no maintenance file, no restart. */
function agent(t: T, dir: string, args: string[], opts: { fromConfig?: boolean } = {}): Agent {
  const stateFile = join(dir, 'state');
  const statusFile = join(dir, 'status.json');
  // fromConfig: state dir, maintenance file and restart as the config file says
  const defaults = opts.fromConfig ? [] : ['--state-dir', join(dir, 'st'), '--maintenance-file', '', '--no-restart'];
  return { ...spawnAgent(t, ['--state-file', stateFile, '--status-file', statusFile, ...defaults, ...args]), stateFile, statusFile };
}

/** Records every content `file` shows, read every millisecond, until stop() (which returns them). */
function watchValues(file: string): { stop: () => Promise<string[]> } {
  const seen = new Set<string>();
  let watching = true;
  const loop = (async () => { while (watching) { seen.add(read(file) ?? 'missing'); await sleep(1); } })();
  return { stop: async () => { watching = false; await loop; return [...seen]; } };
}

const read = (f: string) => {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return undefined;
  }
};

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => { server.off('error', reject); resolve(); });
  });
}

async function openPort(t: T): Promise<{ port: number; server: Server }> {
  const server = createServer((s) => s.destroy());
  await listen(server, 0);
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  return { port: (server.address() as { port: number }).port, server };
}

const status = (...args: string[]) => hacheck('status', ...args);

test('agent against real nginx: kill → flips within fall × interval + one interval; back → flips after rise', async (t) => {
  const l = await lab(t);
  const dir = tempDir(t);
  const interval = 100;
  const rise = 3;
  const fall = 2;
  const a = agent(t, dir, ['--pidfile', l.pidfile, '--port', `127.0.0.1:${l.port}`, '--url', `http://127.0.0.1:${l.port}/`,
    '--interval', `${interval}ms`, '--rise', String(rise), '--fall', String(fall)]);
  await waitFor('healthy track_file', 10_000, () => read(a.stateFile) === '0\n');
  assert.equal((await status('--status-file', a.statusFile, '--max-age', '2s')).code, 0);

  killNginx(l);
  const t0 = performance.now();
  await waitFor('unhealthy track_file', 5_000, () => read(a.stateFile) === '1\n', 2);
  const down = performance.now() - t0;
  const bound = fall * interval + interval;
  // "within fall × interval + one interval", with a generous margin for a busy machine
  assert.ok(down < bound + 700, `flipped after ${down.toFixed(0)} ms, bound ${bound} ms (+700 ms margin)`);
  const st = await status('--status-file', a.statusFile, '--max-age', '2s');
  assert.equal(st.code, 1);
  assert.match(st.stderr, /^hacheck status: unhealthy: process: .*\n$/);

  // nginx back: the probes pass at once, the published verdict waits for `rise` passing cycles.
  assert.equal(spawnSync('nginx', ['-p', l.dir, '-c', l.conf]).status, 0);
  const t1 = performance.now();
  const held = await waitFor('a passing cycle still published as unhealthy (rise pending)', 5_000, () => {
    const doc = JSON.parse(read(a.statusFile) ?? '{}');
    return doc.observed === 'healthy' && doc.verdict === 'unhealthy' && doc.pending > 0 ? doc : undefined;
  }, 2);
  assert.equal(read(a.stateFile), '1\n', 'not flipped back before rise');
  assert.ok(held.pending <= rise - 1);
  await waitFor('healthy again', 5_000, () => read(a.stateFile) === '0\n', 2);
  const up = performance.now() - t1;
  assert.ok(up < rise * interval + interval + 1000, `flipped back after ${up.toFixed(0)} ms`);
  // the status file is written right after the track_file, in the same cycle
  const doc = await waitFor('status healthy', 2_000, () => {
    const d = JSON.parse(read(a.statusFile) ?? '{}');
    return d.verdict === 'healthy' ? d : undefined;
  }, 2);
  assert.equal(doc.rise, rise);
  assert.equal(doc.fall, fall);
  assert.equal(doc.probes.length, 3);
  // logs: JSON lines on change, not every cycle
  const lines = a.stderr().trim().split('\n').map((s) => JSON.parse(s) as { msg: string });
  assert.ok(lines.some((x) => /healthy → unhealthy/.test(x.msg)));
  assert.ok(lines.some((x) => /unhealthy → healthy/.test(x.msg)));
  assert.ok(lines.length < 10, `only changes and errors are logged, got:\n${lines.map((x) => x.msg).join('\n')}`);
});

test('agent restarts killed nginx with the one-shot budget and lock: agent + 3 overlapping one-shot runs → exactly one restart', async (t) => {
  const l = await lab(t);
  const dir = tempDir(t);
  // The lab's config: restart on (wrapper script counts restarts), state dir shared by agent and one-shot runs.
  const cfg = l.config('agent:\n  interval: 200ms\n  timeout: 3s\n');
  const a = agent(t, dir, ['-c', cfg, '--metrics-dir', join(dir, 'prom')], { fromConfig: true });
  await waitFor('healthy', 10_000, () => read(a.stateFile) === '0\n');
  killNginx(l);
  const oneShots = [0, 1, 2].map(() => hacheck('check', '-c', cfg));
  await waitFor('nginx restarted', 15_000, () => nginxUp(l), 20);
  const runs = await Promise.all(oneShots);
  await waitFor('agent healthy after the restart', 10_000, () => JSON.parse(read(a.statusFile) ?? '{}').observed === 'healthy');
  assert.equal(restartCount(l), 1, 'one restart between the agent and the one-shot runs');
  const byOneShot = runs.filter((r) => /restarted nginx/.test(r.stderr)).length;
  // the textfile is written after the status file in the same cycle: a read between the two saw 0
  const restartsByAgent = () => Number(/^hacheck_restarts_total (\d+)$/m.exec(read(join(dir, 'prom', 'hacheck.prom')) ?? '')?.[1]);
  await waitFor('the restart counted', 2_000, () => restartsByAgent() + byOneShot >= 1, 2);
  const byAgent = restartsByAgent();
  assert.equal(byAgent + byOneShot, 1, `agent ${byAgent}, one-shot ${byOneShot}`);
  await sleep(600);
  assert.equal(restartCount(l), 1, 'no second restart afterwards');
});

test('a track_file and status file that cannot be written: one error line each when it starts (not one per cycle, whatever temp file each attempt names), one "ok again" when it clears', async (t) => {
  const dir = tempDir(t);
  const { port } = await openPort(t);
  const sub = join(dir, 'sub');
  const a = spawnAgent(t, ['--state-file', join(sub, 'state'), '--status-file', join(sub, 'status.json'), '--state-dir', join(dir, 'st'),
    '--maintenance-file', '', '--no-restart', '--port', `127.0.0.1:${port}`, '--interval', '100ms']);
  await waitFor('healthy track_file', 10_000, () => read(join(sub, 'state')) === '0\n');
  // the directory becomes a file: every write fails with ENOTDIR, each naming a new temp file
  rmSync(sub, { recursive: true });
  writeFileSync(sub, 'not a directory\n');
  await sleep(1500);
  const lines = () => a.stderr().trim().split('\n').map((x) => JSON.parse(x) as { level: number; msg: string; what?: string });
  const errors = lines().filter((x) => x.level === 50);
  assert.deepEqual(errors.map((x) => x.what).sort(), [`state file ${join(sub, 'state')}`, `status file ${join(sub, 'status.json')}`],
    `one line each, not one per cycle:\n${errors.map((x) => x.msg).join('\n')}`);
  assert.match(errors[0].msg, /ENOTDIR/);
  // the file goes: both are written again, and each says so once
  rmSync(sub);
  await waitFor('track_file written again', 5_000, () => read(join(sub, 'state')) === '0\n');
  await waitFor('both cleared', 3_000, () => lines().filter((x) => / ok again$/.test(x.msg)).length === 2);
  assert.deepEqual(lines().filter((x) => / ok again$/.test(x.msg)).map((x) => x.what).sort(), [`state file ${join(sub, 'state')}`, `status file ${join(sub, 'status.json')}`]);
  assert.equal(lines().filter((x) => x.level === 50).length, 2, 'no error after it cleared');
});

test('a reader never sees an empty or partial track_file while the agent flips it thousands of times', async (t) => {
  const dir = tempDir(t);
  const port = await freePort();
  const a = agent(t, dir, ['--port', `127.0.0.1:${port}`, '--interval', '10ms', '--rise', '1', '--fall', '1', '--metrics-dir', join(dir, 'prom')]);
  await waitFor('first state', 10_000, () => read(a.stateFile));
  // The reader runs in its own process so that its tight loop and our port toggling do not share an event loop.
  const reader = spawn(process.execPath, ['-e', `
    const fs = require('fs');
    let reads = 0, bad = 0, missing = 0, values = {}, example = '';
    const stop = () => { process.stdout.write(JSON.stringify({ reads, bad, missing, values, example })); process.exit(0); };
    process.on('SIGTERM', stop);
    const end = Date.now() + 60000;
    (function loop() {
      for (let i = 0; i < 2000; i++) {
        let s;
        try { s = fs.readFileSync(process.argv[1], 'utf8'); } catch { missing++; continue; }
        reads++;
        values[s] = (values[s] || 0) + 1;
        if (s !== '0\\n' && s !== '1\\n') { bad++; example = JSON.stringify(s); }
      }
      if (Date.now() > end) stop(); else setImmediate(loop);
    })();
  `, a.stateFile], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  reader.stdout!.on('data', (b) => (out += b));
  const readerDone = new Promise((r) => reader.on('close', r));
  onCleanup(t, () => { try { reader.kill('SIGKILL'); } catch { /* gone */ } });

  // Open and close the port the agent probes, as fast as the agent cycles.
  const server = createServer((s) => s.destroy());
  const changes = () => Number(/^hacheck_state_changes_total (\d+)$/m.exec(read(join(dir, 'prom', 'hacheck.prom')) ?? '')?.[1] ?? 0);
  const target = 2000;
  const end = performance.now() + 45_000;
  while (changes() < target && performance.now() < end) {
    await listen(server, port);
    await sleep(12);
    await new Promise((r) => server.close(r));
    await sleep(12);
  }
  reader.kill('SIGTERM');
  await Promise.race([readerDone, sleep(5000)]);
  const r = JSON.parse(out);
  const flips = changes();
  t.diagnostic(`${flips} state changes, ${r.reads} reads: ${JSON.stringify(r.values)}`);
  assert.equal(r.bad, 0, `saw a partial or empty value: ${r.example}`);
  assert.equal(r.missing, 0, 'the track_file was missing at some read');
  assert.ok(flips >= 1000, `only ${flips} flips`);
  assert.ok(r.reads >= 10_000, `only ${r.reads} reads`);
  assert.ok(r.values['0\n'] > 0 && r.values['1\n'] > 0);
});

/** A healthy agent, then `signal` to it: `hacheck status --max-age 1s` must fail within max-age (+1 s margin). */
async function guardCatches(t: T, signal: NodeJS.Signals) {
  const dir = tempDir(t);
  const { port } = await openPort(t);
  const a = agent(t, dir, ['--port', `127.0.0.1:${port}`, '--interval', '100ms']);
  const guard = () => status('--status-file', a.statusFile, '--max-age', '1s');
  await waitFor('healthy status', 10_000, async () => (await guard()).code === 0, 50);
  process.kill(a.child.pid!, signal);
  const t0 = performance.now();
  const r = await waitFor('status to fail', 5_000, async () => {
    const s = await guard();
    return s.code !== 0 ? s : undefined;
  }, 20);
  const ms = performance.now() - t0;
  assert.equal(r.code, 1);
  assert.ok(ms < 1000 + 1000, `noticed after ${ms.toFixed(0)} ms (max-age 1s)`);
  return { a, r, guard };
}

test('kill -9 of the agent: `hacheck status --max-age` fails within max-age', async (t) => {
  const { a, r } = await guardCatches(t, 'SIGKILL');
  assert.match(r.stderr, /^hacheck status: (agent pid \d+ is gone|status stale).*\n$/);
  // The track_file itself still says healthy: that is why keepalived needs the guard.
  assert.equal(read(a.stateFile), '0\n');
});

test('SIGSTOP of the agent (hung): `hacheck status --max-age` fails within max-age', async (t) => {
  const { a, r, guard } = await guardCatches(t, 'SIGSTOP');
  assert.match(r.stderr, /status stale: written \d+\.\ds ago by pid \d+ \(max age 1s\): agent dead or hung/);
  process.kill(a.child.pid!, 'SIGCONT');
  // once it runs again, the guard passes again
  await waitFor('fresh again', 5_000, async () => (await guard()).code === 0, 50);
});

test('SIGHUP: a bad new config is logged and the old one kept; a good one applies', async (t) => {
  const dir = tempDir(t);
  const { port } = await openPort(t);
  const closed = await freePort();
  const cfgFile = join(dir, 'hacheck.yaml');
  const good = (p: number) => `agent:\n  interval: 100ms\n  fall: 1\nprobes:\n  - type: port\n    targets: ["127.0.0.1:${p}"]\n`;
  writeFileSync(cfgFile, good(port));
  const a = agent(t, dir, ['-c', cfgFile]);
  await waitFor('healthy', 10_000, () => read(a.stateFile) === '0\n');

  writeFileSync(cfgFile, `agent:\n  interval: 100ms\n  fall: 1\nprobes:\n  - type: port\n    targets: ["127.0.0.1:${closed}"]\n  - type: bogus\n`);
  process.kill(a.child.pid!, 'SIGHUP');
  await waitFor('reload failure logged', 5_000, () => /reload failed, keeping the old config: .*hacheck\.yaml:7: probes\[1\]\.type: unknown probe type /.test(a.stderr()));
  const before = JSON.parse(read(a.statusFile)!).cycle;
  await waitFor('more cycles after the bad reload', 5_000, () => JSON.parse(read(a.statusFile) ?? '{}').cycle >= before + 3);
  const doc = JSON.parse(read(a.statusFile)!);
  assert.equal(doc.verdict, 'healthy', 'still the old probes');
  assert.equal(doc.probes[0].checks[0].target, `127.0.0.1:${port}`);
  assert.equal(read(a.stateFile), '0\n');

  writeFileSync(cfgFile, good(closed));
  process.kill(a.child.pid!, 'SIGHUP');
  await waitFor('new config applied: unhealthy', 5_000, () => read(a.stateFile) === '1\n');
  assert.match(a.stderr(), /config reloaded/);
});

test('one agent per track_file: a second one exits 75 with one line and leaves the file and the status alone; a killed holder frees it; SIGHUP onto a kept track_file is refused', async (t) => {
  const dir = tempDir(t);
  const { port } = await openPort(t);
  const args = ['--port', `127.0.0.1:${port}`, '--interval', '100ms'];
  const a = agent(t, dir, args);
  await waitFor('healthy', 10_000, () => read(a.stateFile) === '0\n');
  // the same command again (an operator watching it by hand), then stopped with Ctrl-C
  const watch = watchValues(a.stateFile);
  const second = await hacheck('agent', '--state-file', a.stateFile, '--status-file', a.statusFile, '--state-dir', join(dir, 'st2'), '--maintenance-file', '', '--no-restart', ...args);
  await sleep(300);
  const seen = await watch.stop();
  assert.equal(second.code, 75, second.stderr);
  assert.equal(second.stderr, `hacheck: track_file ${a.stateFile} is kept by another hacheck agent (pid ${a.child.pid}): one agent per track_file; stop that one first (\`hacheck status\` shows it), or give this one its own agent.state_file, status_file and metrics\n`);
  assert.deepEqual(seen, ['0\n'], 'the track_file never left 0 (the second agent wrote nothing, not even on_exit)');
  assert.equal(JSON.parse(read(a.statusFile)!).pid, a.child.pid, 'the status file is still the first agent\'s');

  // SIGHUP of a third agent, moving its track_file onto the kept one: refused, it keeps its own
  const cfgFile = join(dir, 'third.yaml');
  const cfg = (state: string) => `state_dir: ${join(dir, 'st3')}\nmaintenance_file: ""\nagent:\n  interval: 100ms\n  state_file: ${state}\n  status_file: ${join(dir, 'third.json')}\nprobes:\n  - type: port\n    targets: ["127.0.0.1:${port}"]\n`;
  writeFileSync(cfgFile, cfg(join(dir, 'third-state')));
  const third = spawnAgent(t, ['-c', cfgFile]);
  await waitFor('third healthy', 10_000, () => read(join(dir, 'third-state')) === '0\n');
  writeFileSync(cfgFile, cfg(a.stateFile));
  process.kill(third.child.pid!, 'SIGHUP');
  await waitFor('reload refused', 5_000, () => /reload failed, keeping the old config: track_file .* is kept by another hacheck agent/.test(third.stderr()));
  const c0 = JSON.parse(read(join(dir, 'third.json'))!).cycle;
  await waitFor('third cycles on', 5_000, () => JSON.parse(read(join(dir, 'third.json')) ?? '{}').cycle >= c0 + 3);
  assert.equal(JSON.parse(read(join(dir, 'third.json'))!).state_file, join(dir, 'third-state'));
  assert.equal(JSON.parse(read(a.statusFile)!).pid, a.child.pid);

  // kill -9 of the first: its claim dies with it, a new agent starts at once
  process.kill(a.child.pid!, 'SIGKILL');
  await a.done;
  const next = agent(t, dir, args);
  await waitFor('the new agent writes the status', 10_000, () => JSON.parse(read(a.statusFile) ?? '{}').pid === next.child.pid);
  assert.equal(read(a.stateFile), '0\n');
});

test('the claim where another user could swap it: in the state dir, not beside the track_file; a claim directory of another owner is 78 naming the fix; the track_file respelled on SIGHUP is the same claim', async (t) => {
  const dir = tempDir(t);
  chmodSync(dir, 0o755);
  const { port } = await openPort(t);
  // a track_file directory nobody (65534) owns: they could swap .state.agent for a symlink between our check and our use
  const theirs = join(dir, 'theirs');
  mkdirSync(theirs);
  chownSync(theirs, 65534, 65534);
  const st = join(dir, 'st');
  const args = ['--state-file', join(theirs, 'state'), '--status-file', join(dir, 'status.json'), '--state-dir', st, '--maintenance-file', '', '--no-restart', '--port', `127.0.0.1:${port}`, '--interval', '100ms'];
  const a = spawnAgent(t, args);
  await waitFor('the agent runs', 10_000, () => JSON.parse(read(join(dir, 'status.json')) ?? '{}').pid === a.child.pid);
  assert.deepEqual(readdirSync(theirs).filter((f) => f.endsWith('.agent')), [], 'no claim in a directory another user owns');
  assert.equal(readdirSync(st).filter((f) => f.startsWith('agent-claim.')).length, 1);
  const second = await hacheck('agent', ...args);
  assert.equal(second.code, 75, second.stderr);
  process.kill(a.child.pid!, 'SIGKILL');
  await a.done;

  // a claim directory left by root, met by an agent run as nobody: not "try again later" but 78, with the fix
  const mine = join(dir, 'mine');
  mkdirSync(mine);
  chownSync(mine, 65534, 65534);
  mkdirSync(join(mine, 'st'), { mode: 0o700 });
  chownSync(join(mine, 'st'), 65534, 65534);
  mkdirSync(join(mine, 'st', '.state.agent'), { mode: 0o700 });
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, HACHECK, 'agent', '--state-dir', join(mine, 'st'), '--maintenance-file', '', '--no-restart', '--port', `127.0.0.1:${port}`],
    { env: cleanEnv(), encoding: 'utf8', timeout: 10_000 });
  assert.equal(r.status, 78, r.stderr);
  assert.match(r.stderr, new RegExp(`^hacheck: track_file ${mine}/st/state: cannot claim it for this agent: lock directory ${mine}/st/\\.state\\.agent .*\\(remove ${mine}/st/\\.state\\.agent if no hacheck agent runs, or run the agent as the user that made it\\)\\n$`));

  // a track_file directory on a read-only file system (a systemd unit's ReadWritePaths= without it): no claim
  // directory to remove, so the hint says what to fix instead
  const ro = join(dir, 'ro');
  mkdirSync(ro);
  const rr = spawnSync('unshare', ['-m', 'sh', '-c', 'mount --bind -o ro "$1" "$1" && shift && exec "$@"', 'sh', ro, process.execPath, HACHECK, 'agent', '--state-dir', join(dir, 'rw'), '--state-file', join(ro, 'state'),
    '--maintenance-file', '', '--no-restart', '--port', `127.0.0.1:${port}`], { env: cleanEnv(), encoding: 'utf8', timeout: 10_000 });
  assert.equal(rr.status, 78, rr.stderr);
  assert.match(rr.stderr, new RegExp(`^hacheck: track_file ${ro}/state: cannot claim it for this agent: .*\\(${ro}/\\.state\\.agent could not be made: the directory above it must exist and be writable \\(under systemd, listed in ReadWritePaths=\\)\\)\\n$`));

  // SIGHUP with the same track_file spelled through a symlink to its directory: the same claim, applied
  const real = join(dir, 'real');
  mkdirSync(real);
  symlinkSync(real, join(dir, 'alias'));
  const cfgFile = join(dir, 'hup.yaml');
  const cfg = (state: string) => `state_dir: ${join(dir, 'st4')}\nmaintenance_file: ""\nagent:\n  interval: 100ms\n  state_file: ${state}\n  status_file: ${join(dir, 'hup.json')}\nprobes:\n  - type: port\n    targets: ["127.0.0.1:${port}"]\n`;
  writeFileSync(cfgFile, cfg(join(real, 'state')));
  const h = spawnAgent(t, ['-c', cfgFile]);
  await waitFor('healthy', 10_000, () => read(join(real, 'state')) === '0\n');
  const watch = watchValues(join(real, 'state'));
  writeFileSync(cfgFile, cfg(join(dir, 'alias', 'state')));
  process.kill(h.child.pid!, 'SIGHUP');
  await waitFor('reloaded', 5_000, () => /config reloaded/.test(h.stderr()));
  await waitFor('status names the new spelling', 5_000, () => JSON.parse(read(join(dir, 'hup.json')) ?? '{}').state_file === join(dir, 'alias', 'state'));
  const seen = await watch.stop();
  assert.doesNotMatch(h.stderr(), /reload failed|is kept by another/);
  assert.deepEqual(seen, ['0\n'], 'no on_exit blip: the old spelling is the same file');
});

test('SIGHUP moving agent.state_file: the old track_file gets the on_exit value (keepalived may still track it), not a healthy 0 for ever', async (t) => {
  const dir = tempDir(t);
  const { port } = await openPort(t);
  const cfgFile = join(dir, 'hacheck.yaml');
  const cfg = (state: string, extra = '') => `state_dir: ${join(dir, 'st')}\nmaintenance_file: ""\nagent:\n  interval: 100ms\n  state_file: ${join(dir, state)}\n  status_file: ${join(dir, 'status.json')}\n${extra}probes:\n  - type: port\n    targets: ["127.0.0.1:${port}"]\n`;
  writeFileSync(cfgFile, cfg('old-state'));
  const a = spawnAgent(t, ['-c', cfgFile]);
  await waitFor('healthy in old-state', 10_000, () => read(join(dir, 'old-state')) === '0\n');
  writeFileSync(cfgFile, cfg('new-state'));
  process.kill(a.child.pid!, 'SIGHUP');
  await waitFor('healthy in new-state', 5_000, () => read(join(dir, 'new-state')) === '0\n');
  assert.equal(read(join(dir, 'old-state')), '1\n', 'the abandoned track_file says unhealthy (on_exit default)');
  assert.match(a.stderr(), /track_file moved to .*new-state; .*old-state left with 1 \(on_exit\)/);
  // on_exit keep (of the config that named the file): the operator's choice for a stop holds for a move too, and is said
  writeFileSync(cfgFile, cfg('new-state', '  on_exit: keep\n'));
  process.kill(a.child.pid!, 'SIGHUP');
  await waitFor('reloaded', 5_000, () => (a.stderr().match(/config reloaded/g) ?? []).length >= 2);
  await sleep(300);
  writeFileSync(cfgFile, cfg('third-state', '  on_exit: keep\n'));
  process.kill(a.child.pid!, 'SIGHUP');
  await waitFor('healthy in third-state', 5_000, () => read(join(dir, 'third-state')) === '0\n');
  assert.equal(read(join(dir, 'new-state')), '0\n');
  await waitFor('the keep logged', 2_000, () => /new-state kept as it is \(on_exit keep\)/.test(a.stderr()));
  process.kill(a.child.pid!, 'SIGTERM');
  assert.equal((await a.done).code, 0);
});

test('SIGTERM: writes the configured exit value and exits within 1 s, even mid-cycle', async (t) => {
  const dir = tempDir(t);
  const hung = await hungServer(t);
  // A cycle that hangs for its whole 10 s deadline on a URL that never answers.
  const a = agent(t, dir, ['--url', `http://127.0.0.1:${hung.port}/`, '--interval', '10s', '--on-exit', '7', '--fall', '1']);
  await waitFor('the hung URL being probed', 10_000, () => hung.accepted() > 0);
  await sleep(100);
  process.kill(a.child.pid!, 'SIGTERM');
  const t0 = performance.now();
  const r = await a.done;
  const ms = performance.now() - t0;
  assert.equal(r.code, 0);
  assert.ok(ms < 1000, `exited after ${ms.toFixed(0)} ms`);
  assert.equal(read(a.stateFile), '7\n');
  const s = await status('--status-file', a.statusFile);
  assert.equal(s.code, 1);
  assert.match(s.stderr, /stopped/);
});

test('SIGINT with defaults leaves the unhealthy value; metrics served over HTTP while running', async (t) => {
  const dir = tempDir(t);
  const { port } = await openPort(t);
  const mport = await freePort();
  const a = agent(t, dir, ['--port', `127.0.0.1:${port}`, '--interval', '50ms', '--metrics-listen', `127.0.0.1:${mport}`]);
  await waitFor('healthy', 10_000, () => read(a.stateFile) === '0\n');
  const res = await fetch(`http://127.0.0.1:${mport}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0.0.4/);
  const body = await res.text();
  assert.match(body, /^hacheck_up 1$/m);
  assert.match(body, /^hacheck_probe_success\{probe="port",kind="port",severity="critical"\} 1$/m);
  assert.match(body, /^hacheck_cycles_total \d+$/m);
  assert.equal((await fetch(`http://127.0.0.1:${mport}/nope`)).status, 404);
  process.kill(a.child.pid!, 'SIGINT');
  const t0 = performance.now();
  assert.equal((await a.done).code, 0);
  assert.ok(performance.now() - t0 < 1000);
  assert.equal(read(a.stateFile), '1\n');
});

test('SIGUSR1 and SIGUSR2 (what operators send nginx) are ignored, said once, and open no inspector; SIGQUIT stops like SIGTERM, with on_exit', async (t) => {
  const dir = tempDir(t);
  const { port } = await openPort(t);
  const a = agent(t, dir, ['--port', `127.0.0.1:${port}`, '--interval', '50ms']);
  await waitFor('healthy', 10_000, () => read(a.stateFile) === '0\n');
  const listening9229 = () => ['/proc/net/tcp', '/proc/net/tcp6'].reduce((n, f) => n + (read(f) ?? '').split('\n').filter((l) => / [0-9A-F]+:2415 [0-9A-F]+:0000 0A /.test(l)).length, 0);
  const before = listening9229();
  for (const sig of ['SIGUSR1', 'SIGUSR1', 'SIGUSR2'] as const) process.kill(a.child.pid!, sig);
  await sleep(300);
  assert.equal(a.child.exitCode, null, 'still running');
  assert.equal(listening9229(), before, 'no inspector on 9229');
  assert.equal(read(a.stateFile), '0\n');
  process.kill(a.child.pid!, 'SIGQUIT');
  const r = await a.done;
  assert.equal(r.code, 0);
  assert.equal(read(a.stateFile), '1\n', 'on_exit written');
  assert.equal(r.stderr.match(/SIGUSR1 ignored/g)?.length, 1, r.stderr);
  assert.equal(r.stderr.match(/SIGUSR2 ignored/g)?.length, 1, r.stderr);
  assert.match(r.stderr, /stopped by SIGQUIT/);
});

test('status: missing, garbage, bad --max-age; agent: bad flags and config → 64 / 78, one line', async (t) => {
  const dir = tempDir(t);
  let r = await status('--status-file', join(dir, 'nope.json'));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^hacheck status: status file .*nope\.json missing/);
  writeFileSync(join(dir, 'status.json'), '{"time_ms": 12');
  r = await status('--state-dir', dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /not valid JSON/);
  r = await status('--state-dir', dir, '--json');
  assert.equal(JSON.parse(r.stdout).ok, false);
  r = await status('--state-dir', dir, '--max-age', 'soon');
  assert.equal(r.code, 64);
  assert.match(r.stderr, /^hacheck: --max-age: bad duration "soon"/);

  r = await hacheck('agent', '--interval', '1.5', '--state-dir', dir);
  assert.equal(r.code, 64);
  assert.match(r.stderr, /--interval.*bad duration|agent\.interval/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  writeFileSync(join(dir, 'bad.yaml'), 'agent:\n  rise: 0\n');
  r = await hacheck('agent', '-c', join(dir, 'bad.yaml'));
  assert.equal(r.code, 78);
  assert.match(r.stderr, /bad\.yaml:2: agent\.rise: rise must be >= 1/);
  // definitive evidence is the surer kind: needing more of it than of ambiguous evidence is refused
  writeFileSync(join(dir, 'fall.yaml'), 'agent:\n  fall: 2\n  definitive_fall: 3\n');
  r = await hacheck('agent', '-c', join(dir, 'fall.yaml'));
  assert.equal(r.code, 78);
  assert.match(r.stderr, /^hacheck: .*fall\.yaml:3: agent\.definitive_fall: definitive_fall 3 is more than fall 2: .*use definitive_fall 2 or less\n$/);
  r = await hacheck('agent', '--fall', '2', '--definitive-fall', '3', '--state-dir', dir);
  assert.equal(r.code, 64);
  assert.match(r.stderr, /^hacheck: --definitive-fall: definitive_fall 3 is more than fall 2/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  // a file valid on its own, made inconsistent by --fall: the flag given is named
  writeFileSync(join(dir, 'dfall.yaml'), 'agent:\n  fall: 3\n  definitive_fall: 2\n');
  r = await hacheck('agent', '-c', join(dir, 'dfall.yaml'), '--fall', '1', '--state-dir', dir);
  assert.equal(r.code, 64);
  assert.match(r.stderr, /^hacheck: --fall: definitive_fall 2 is more than fall 1/);
  // a device or FIFO as the track_file or status file: refused before anything is claimed or written (rename would replace it)
  spawnSync('mknod', [join(dir, 'null'), 'c', '1', '3']);
  r = await hacheck('agent', '--state-file', join(dir, 'null'), '--port', '127.0.0.1:1', '--state-dir', dir);
  assert.equal(r.code, 64);
  assert.equal(r.stderr, `hacheck: --state-file: ${join(dir, 'null')} is a character device: the agent replaces this file on every write; name a regular file (e.g. /run/hacheck/state)\n`);
  assert.ok(lstatSync(join(dir, 'null')).isCharacterDevice());
  // --timeout is --cycle-timeout here (help says so): the same range, named as given, not the one-shot run's 50ms..10m
  for (const flag of ['--timeout', '--cycle-timeout']) {
    r = await hacheck('agent', flag, '2h', '--port', '127.0.0.1:1', '--state-dir', dir);
    assert.equal(r.code, 64, flag);
    assert.equal(r.stderr, `hacheck: ${flag}: duration 2h out of range (10ms..60m)\n`);
  }
});

test('memory: a full GC between cycles once start-up is over (then one a minute); the agent keeps cycling', async (t) => {
  const dir = tempDir(t);
  const { port } = await openPort(t);
  const statusFile = join(dir, 'status.json');
  // --trace-gc prints every collection on stdout; a gc() call is reason "testing"
  const child = spawn(process.execPath, ['--trace-gc', HACHECK, 'agent', '--state-file', join(dir, 'state'), '--status-file', statusFile,
    '--state-dir', join(dir, 'st'), '--maintenance-file', '', '--no-restart', '--port', `127.0.0.1:${port}`, '--interval', '250ms'],
  { env: cleanEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b) => (out += b));
  onCleanup(t, async () => {
    try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
    if (child.exitCode === null && child.signalCode === null) await Promise.race([new Promise((r) => child.once('close', r)), sleep(5000)]);
  });
  const cycle = () => (JSON.parse(read(statusFile) ?? '{}') as { cycle?: number }).cycle ?? 0;
  await waitFor('the first cycle', 10_000, () => cycle() > 0);
  assert.doesNotMatch(out, /Mark-Compact[^\n]*testing/, 'no forced GC during start-up');
  await waitFor('a forced full GC (after ~10 s)', 30_000, () => /Mark-Compact[^\n]*testing/.test(out), 50);
  const after = cycle();
  await waitFor('cycles after the GC', 5_000, () => cycle() >= after + 2, 50);
  const s = JSON.parse(read(statusFile)!) as { verdict: string };
  assert.equal(s.verdict, 'healthy');
  assert.equal(child.exitCode, null);
});

// Evidence-graded fall (issue 17). fall 1000 = ambiguous evidence never flips within the test.
test('graded fall: nginx killed (master gone, port refused: definitive) flips on the first failing cycle even with fall 1000; status and log say so', async (t) => {
  const l = await lab(t);
  const dir = tempDir(t);
  const a = agent(t, dir, ['--pidfile', l.pidfile, '--port', `127.0.0.1:${l.port}`, '--url', `http://127.0.0.1:${l.port}/`,
    '--interval', '100ms', '--rise', '2', '--fall', '1000']);
  await waitFor('healthy track_file', 10_000, () => read(a.stateFile) === '0\n');
  // the track_file is written before the status file in a cycle: wait for the latter too
  const before = await waitFor('status file', 5_000, () => (read(a.statusFile) ? JSON.parse(read(a.statusFile)!) : undefined), 2);
  assert.equal(before.timeout_ms, 300, 'a 100 ms agent gets the 300 ms default cycle deadline');
  assert.equal(before.definitive_fall, 1);
  assert.equal(before.evidence, null);
  killNginx(l);
  await waitFor('unhealthy track_file', 5_000, () => read(a.stateFile) === '1\n', 2);
  const doc = await waitFor('status unhealthy', 2_000, () => {
    const d = JSON.parse(read(a.statusFile) ?? '{}');
    return d.verdict === 'unhealthy' ? d : undefined;
  }, 2);
  assert.equal(doc.decided_by, 'definitive');
  assert.equal(doc.evidence, 'definitive');
  // the first definitive failure (pid not running, or the local port refused) ends the cycle; the rest are not waited for
  const failing = (doc.probes as { ok: boolean; kind: string; summary: string; checks: { ok: boolean; evidence?: string }[] }[]).filter((p) => !p.ok);
  const decided = failing.filter((p) => p.checks.some((c) => !c.ok && c.evidence === 'definitive'));
  assert.ok(decided.length >= 1 && decided.every((p) => ['process', 'port', 'http'].includes(p.kind)), JSON.stringify(failing));
  for (const p of failing.filter((x) => !decided.includes(x))) assert.match(p.summary, /definitively\)$|ECONNREFUSED/, p.summary);
  const st = await status('--status-file', a.statusFile, '--max-age', '2s', '--verbose');
  assert.equal(st.code, 1);
  assert.match(st.stderr, /^hacheck status: unhealthy: .*\[definitive evidence\]\n$/);
  assert.match(st.stdout, /unhealthy by definitive evidence/);
  assert.match(st.stdout, /FAIL process: .*\[definitive\]/);
  const lines = a.stderr().trim().split('\n').map((s) => JSON.parse(s) as { msg: string; decided_by?: string });
  const flip = lines.find((x) => /healthy → unhealthy/.test(x.msg));
  assert.ok(flip, a.stderr());
  assert.equal(flip.decided_by, 'definitive');
  assert.match(flip.msg, /definitive evidence: definitive_fall 1/);
});

test('graded fall: a URL that stops answering (timeout: ambiguous) needs `fall` cycles; with --definitive-fall as high as fall, a killed nginx does too', async (t) => {
  const hung = await hungServer(t);
  const dir = tempDir(t);
  // fall 3 at 100 ms: never on the first failing cycle
  const a = agent(t, dir, ['--url', `http://127.0.0.1:${hung.port}/`, '--interval', '100ms', '--cycle-timeout', '150ms', '--rise', '1', '--fall', '3']);
  // the first cycle decides at once (unhealthy, ambiguous)
  const first = await waitFor('first cycle', 10_000, () => {
    const d = JSON.parse(read(a.statusFile) ?? '{}');
    return d.cycle >= 1 ? d : undefined;
  });
  assert.equal(first.verdict, 'unhealthy');
  assert.equal(first.evidence, 'ambiguous');
  assert.equal(first.decided_by, 'ambiguous');

  const l = await lab(t);
  const b = agent(t, tempDir(t), ['--pidfile', l.pidfile, '--interval', '100ms', '--rise', '1', '--fall', '1000', '--definitive-fall', '1000']);
  await waitFor('healthy track_file', 10_000, () => read(b.stateFile) === '0\n');
  killNginx(l);
  const pending = await waitFor('failing cycles counted', 5_000, () => {
    const d = JSON.parse(read(b.statusFile) ?? '{}');
    return d.evidence === 'definitive' && d.pending > 0 ? d : undefined;
  }, 2);
  await sleep(500);
  assert.equal(read(b.stateFile), '0\n', `definitive_fall 1000: still healthy (pending ${pending.pending})`);
});

test('graded fall: nginx stopped (SIGSTOP): the cycle ends at the definitive failure, not at the hung URL\'s deadline', async (t) => {
  const l = await lab(t);
  const dir = tempDir(t);
  const a = agent(t, dir, ['--pidfile', l.pidfile, '--url', `http://127.0.0.1:${l.port}/`, '--interval', '100ms', '--cycle-timeout', '5s', '--rise', '1', '--fall', '1000']);
  await waitFor('healthy track_file', 10_000, () => read(a.stateFile) === '0\n');
  const master = Number(readFileSync(l.pidfile, 'utf8').trim());
  const group = spawnSync('pgrep', ['-g', String(master)], { encoding: 'utf8' }).stdout.trim().split('\n').map(Number).filter(Boolean);
  for (const p of group) process.kill(p, 'SIGSTOP');
  t.after(() => { for (const p of group) try { process.kill(p, 'SIGCONT'); } catch { /* gone */ } });
  const doc = await waitFor('status unhealthy', 10_000, () => {
    const d = JSON.parse(read(a.statusFile) ?? '{}');
    return d.verdict === 'unhealthy' ? d : undefined;
  }, 2);
  assert.equal(doc.decided_by, 'definitive');
  const http = (doc.probes as { kind: string; summary: string }[]).find((p) => p.kind === 'http');
  assert.match(http!.summary, /not waited for: the run is unhealthy already \(process failed, definitively\)/);
});

test('while unhealthy, a new cause is logged once, with this cycle\'s evidence (hung URL: ambiguous; then the port refused: definitive; then the URL alone again)', async (t) => {
  const dir = tempDir(t);
  let hang = false;
  const web = await headServer(t, (s) => { if (!hang) s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok'); });
  const port = await freePort();
  let server = createServer((s) => s.destroy());
  await listen(server, port);
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const a = agent(t, dir, ['--url', `http://127.0.0.1:${web.port}/`, '--port', `127.0.0.1:${port}`, '--interval', '100ms', '--fall', '2']);
  await waitFor('healthy', 10_000, () => read(a.stateFile) === '0\n');
  hang = true;
  await waitFor('unhealthy (ambiguous)', 5_000, () => read(a.stateFile) === '1\n');
  assert.match(a.stderr(), /healthy → unhealthy \(track_file 1, ambiguous evidence: fall 2\)/);
  await new Promise<void>((r) => server.close(() => r()));
  await waitFor('the refusal logged', 5_000, () => /still unhealthy \(track_file 1\), now definitive evidence: .*port/.test(a.stderr()));
  server = createServer((s) => s.destroy());
  await listen(server, port);
  await waitFor('the URL alone again', 5_000, () => /now definitive evidence[\s\S]*still unhealthy \(track_file 1\), now ambiguous evidence: http/.test(a.stderr()));
  await sleep(500);
  const lines = a.stderr().split('\n').filter((l) => l.includes('still unhealthy'));
  assert.equal(lines.length, 2, `logged on change, not every cycle: ${lines.join('\n')}`);
});
