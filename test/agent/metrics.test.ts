// The agent's metrics as Prometheus' own tool reads them (promtool check
// metrics) over both outputs — the node_exporter textfile and /metrics over
// HTTP — while running, when the measured processes go away (label sets must
// not change), and on every way out: SIGTERM, SIGINT and a fatal error
// (an uncaught exception) each leave a textfile that says the agent stopped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onCleanup, type T } from '../fixtures/cleanup.ts';
import { HACHECK, cleanEnv, waitFor } from '../fixtures/hacheck.ts';
import { freePort, sleep } from '../fixtures/nginx-lab.ts';
import { hungServer, otherProgram } from '../fixtures/servers.ts';

const havePromtool = spawnSync('sh', ['-c', 'command -v promtool']).status === 0;

const read = (f: string) => {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return undefined;
  }
};

/** promtool's linter: exit 0 and nothing to say. */
function promtoolClean(text: string, what: string) {
  if (!havePromtool) return;
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(r.status, 0, `${what}: ${r.stdout}${r.stderr}`);
  assert.equal((r.stdout + r.stderr).trim(), '', what);
}

/** The identities of the samples: "name{labels}" of every sample line. */
/** A cycle in which every probe finished and passed (a loaded machine can push one past its deadline: no facts then). */
const complete = (text: string | undefined) => !!text && /^hacheck_up 1$/m.test(text) && !/^hacheck_probe_(timed_out\{.*\} 1|success\{.*\} 0)$/m.test(text);

const seriesOf = (text: string) => text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.replace(/ \S+$/, '')).sort();

function setup(t: T) {
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-metrics-'));
  onCleanup(t, () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function openPort(t: T): Promise<number> {
  const server = createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onCleanup(t, () => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as { port: number }).port;
}

interface Agent { child: ChildProcess; done: Promise<{ code: number | null; stderr: string }>; prom: string; state: string }

function startAgent(t: T, dir: string, args: string[], env: Record<string, string> = {}): Agent {
  const prom = join(dir, 'prom', 'hacheck.prom');
  const state = join(dir, 'state');
  const child = spawn(process.execPath, [HACHECK, 'agent', '--state-file', state, '--status-file', join(dir, 'status.json'), '--metrics-dir', join(dir, 'prom'), ...args],
    { env: cleanEnv(env), detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (b) => (stderr += b));
  let exited = false;
  const done = new Promise<{ code: number | null; stderr: string }>((r) => child.on('close', (code) => { exited = true; r({ code, stderr }); }));
  onCleanup(t, async () => {
    if (!exited) try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
    await Promise.race([done, sleep(5000)]);
  });
  return { child, done, prom, state };
}

/** The textfile an agent leaves behind: stopped, hacheck_up 0, the track_file value, no probe series; promtool-clean. */
function assertStopped(text: string | undefined, value: string) {
  assert.ok(text, 'textfile present');
  promtoolClean(text, 'textfile after exit');
  assert.match(text, /^hacheck_up 0$/m);
  assert.match(text, /^hacheck_verdict\{verdict="stopped"\} 1$/m);
  assert.match(text, /^hacheck_verdict\{verdict="healthy"\} 0$/m);
  assert.match(text, new RegExp(`^hacheck_track_file_value ${value}$`, 'm'));
  assert.doesNotMatch(text, /^hacheck_(probe|check)_/m, 'nothing measured any more');
}

test('textfile and /metrics: promtool-clean, label sets unchanged when the measured processes go away; SIGTERM leaves "stopped", /metrics gone', { timeout: 60_000 }, async (t) => {
  const dir = setup(t);
  const port = await openPort(t);
  // two processes with a name of their own stand in for nginx's (kernel comm = the executable's name)
  const bin = join(dir, 'hcstable');
  copyFileSync('/bin/sleep', bin);
  const procs = [0, 1].map(() => spawn(bin, ['300'], { stdio: 'ignore' }));
  onCleanup(t, () => { for (const p of procs) p.kill('SIGKILL'); });
  const cfg = join(dir, 'hacheck.yaml');
  writeFileSync(cfg, `state_dir: ${dir}/st\nmaintenance_file: ""\nprobes:\n  - type: port\n    targets: ["127.0.0.1:${port}"]\n  - type: cpu\n    process: hcstable\n    nginx_max: 1000\n  - type: memory\n    process: hcstable\n    nginx_rss_max: 1GB\n  - type: io\n    process: hcstable\n    nginx_read_max: 1GB\n`);
  const mport = await freePort();
  const a = startAgent(t, dir, ['-c', cfg, '--interval', '100ms', '--cycle-timeout', '5s', '--metrics-listen', `127.0.0.1:${mport}`]);

  const two = await waitFor('the two processes measured', 20_000, () => {
    const text = read(a.prom);
    return complete(text) && /^hacheck_nginx_processes\{probe="cpu"\} 2$/m.test(text!) && /^hacheck_nginx_processes\{probe="io"\} 2$/m.test(text!) ? text : undefined;
  });
  promtoolClean(two, 'textfile');
  assert.match(two, /^hacheck_up 1$/m);
  assert.match(two, /^hacheck_check_success\{probe="cpu",target="comm=hcstable"\} 1$/m);
  assert.match(two, /^hacheck_check_success\{probe="memory",target="comm=hcstable"\} 1$/m);
  assert.match(two, /^hacheck_check_success\{probe="io",target="system"\} 1$/m);
  const body = await waitFor('a complete cycle over HTTP', 20_000, async () => {
    const text = await (await fetch(`http://127.0.0.1:${mport}/metrics`)).text();
    return complete(text) && /^hacheck_nginx_processes\{probe="cpu"\} 2$/m.test(text) ? text : undefined;
  });
  promtoolClean(body, '/metrics');
  assert.deepEqual(seriesOf(body), seriesOf(two), 'the same series over HTTP and in the textfile');

  for (const p of procs) p.kill('SIGKILL');
  const none = await waitFor('no process left', 20_000, () => {
    const text = read(a.prom);
    return complete(text) && /^hacheck_nginx_processes\{probe="cpu"\} 0$/m.test(text!) && /^hacheck_nginx_processes\{probe="memory"\} 0$/m.test(text!) && /^hacheck_nginx_processes\{probe="io"\} 0$/m.test(text!) ? text : undefined;
  });
  assert.deepEqual(seriesOf(none), seriesOf(two), 'measured values change samples, never series');

  process.kill(a.child.pid!, 'SIGTERM');
  const r = await a.done;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(read(a.state), '1\n');
  assertStopped(read(a.prom), '1');
  await assert.rejects(fetch(`http://127.0.0.1:${mport}/metrics`), 'the listener is gone with the process');
});

test('SIGINT with on_exit keep: the textfile says stopped and the value kept in the track_file', { timeout: 60_000 }, async (t) => {
  const dir = setup(t);
  const port = await openPort(t);
  const a = startAgent(t, dir, ['--state-dir', join(dir, 'st'), '--maintenance-file', '', '--no-restart', '--port', `127.0.0.1:${port}`, '--interval', '50ms', '--on-exit', 'keep']);
  await waitFor('healthy textfile', 20_000, () => /^hacheck_up 1$/m.test(read(a.prom) ?? ''));
  process.kill(a.child.pid!, 'SIGINT');
  assert.equal((await a.done).code, 0);
  assert.equal(read(a.state), '0\n', 'keep: the track_file is left as it was');
  assertStopped(read(a.prom), '0');
});

test('a fatal error (an uncaught exception in the agent) takes the same way out: exit 70, one line, track_file on-exit value, textfile stopped', { timeout: 60_000 }, async (t) => {
  const dir = setup(t);
  const port = await openPort(t);
  // A real uncaught exception inside the agent process, from a timer nobody awaits (preloaded with --require).
  const fault = join(dir, 'fault.cjs');
  writeFileSync(fault, `const fs = require('node:fs');\nconst t = setInterval(() => { if (/^hacheck_up 1$/m.test(fs.existsSync(${JSON.stringify(join(dir, 'prom', 'hacheck.prom'))}) ? fs.readFileSync(${JSON.stringify(join(dir, 'prom', 'hacheck.prom'))}, 'utf8') : '')) { clearInterval(t); throw new Error('injected fault'); } }, 50);\n`);
  const a = startAgent(t, dir, ['--state-dir', join(dir, 'st'), '--maintenance-file', '', '--no-restart', '--port', `127.0.0.1:${port}`, '--interval', '50ms', '--on-exit', '5'],
    { NODE_OPTIONS: `--require ${fault}` });
  const r = await a.done;
  assert.equal(r.code, 70, r.stderr);
  assert.match(r.stderr, /fatal error: injected fault/);
  assert.match(r.stderr, /^hacheck: internal error \(a bug, please report it\): Error: injected fault/m);
  assert.equal(read(a.state), '5\n');
  assertStopped(read(a.prom), '5');
  assert.equal(JSON.parse(read(join(dir, 'status.json'))!).verdict, 'stopped');
});

test('SIGHUP moving the textfile directory removes the old hacheck.prom (no file left claiming a verdict nobody keeps)', { timeout: 60_000 }, async (t) => {
  const dir = setup(t);
  const port = await openPort(t);
  const cfg = join(dir, 'hacheck.yaml');
  const conf = (sub: string) => `state_dir: ${dir}/st\nmaintenance_file: ""\nagent:\n  interval: 50ms\n  metrics:\n    textfile_dir: ${join(dir, sub)}\nprobes:\n  - type: port\n    targets: ["127.0.0.1:${port}"]\n`;
  writeFileSync(cfg, conf('a'));
  const child = spawn(process.execPath, [HACHECK, 'agent', '-c', cfg, '--state-file', join(dir, 'state'), '--status-file', join(dir, 'status.json')], { env: cleanEnv(), detached: true, stdio: 'ignore' });
  const done = new Promise((r) => child.on('close', r));
  onCleanup(t, async () => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } await Promise.race([done, sleep(5000)]); });
  await waitFor('textfile in a/', 20_000, () => /^hacheck_up 1$/m.test(read(join(dir, 'a', 'hacheck.prom')) ?? ''));
  writeFileSync(cfg, conf('b'));
  process.kill(child.pid!, 'SIGHUP');
  await waitFor('textfile in b/', 20_000, () => /^hacheck_up 1$/m.test(read(join(dir, 'b', 'hacheck.prom')) ?? ''));
  assert.equal(read(join(dir, 'a', 'hacheck.prom')), undefined, 'a/hacheck.prom removed');
  process.kill(child.pid!, 'SIGTERM');
  await done;
  assertStopped(read(join(dir, 'b', 'hacheck.prom')), '1');
});

test('probes not waited for (nginx gone: the run is decided) keep their per-target series, at 0: an nginx stop changes samples, not series', { timeout: 60_000 }, async (t) => {
  const dir = setup(t);
  const hung = await hungServer(t);
  const port = await openPort(t);
  const pidfile = join(dir, 'nginx.pid');
  const cfg = join(dir, 'hacheck.yaml');
  writeFileSync(cfg, `state_dir: ${dir}/st\nmaintenance_file: ""\nprobes:\n  - type: process\n    pidfile: ${pidfile}\n  - type: http\n    urls: ["http://127.0.0.1:${hung.port}/a", "http://127.0.0.1:${hung.port}/b"]\n  - type: stub_status\n    url: http://127.0.0.1:${hung.port}/status\n  - type: port\n    targets: ["localhost:${hung.port}", "127.0.0.1:${port}"]\n`);
  const targets = (text: string) => seriesOf(text).filter((l) => l.startsWith('hacheck_check_success'));
  const want = [`hacheck_check_success{probe="http",target="http://127.0.0.1:${hung.port}/a"}`, `hacheck_check_success{probe="http",target="http://127.0.0.1:${hung.port}/b"}`,
    `hacheck_check_success{probe="port",target="127.0.0.1:${port}"}`, `hacheck_check_success{probe="port",target="localhost:${hung.port}"}`,
    `hacheck_check_success{probe="process",target="${pidfile}"}`, `hacheck_check_success{probe="stub_status",target="http://127.0.0.1:${hung.port}/status"}`].sort();
  // a pid file naming another program: definitive, the other probes are not waited for
  writeFileSync(pidfile, `${otherProgram(t)}\n`);
  const a = startAgent(t, dir, ['-c', cfg, '--interval', '400ms', '--cycle-timeout', '300ms']);
  const decided = await waitFor('a decided cycle', 20_000, () => {
    const text = read(a.prom);
    return text && /^hacheck_probe_success\{probe="http".*\} 0$/m.test(text) && /^hacheck_cycles_total [1-9]/m.test(text) ? text : undefined;
  });
  promtoolClean(decided, 'textfile, probes not waited for');
  assert.deepEqual(targets(decided), want, decided);
  assert.match(decided, new RegExp(`^hacheck_check_success\\{probe="http",target="http://127\\.0\\.0\\.1:${hung.port}/a"\\} 0$`, 'm'));
  // a pid file that is a symbolic link (not followed: ambiguous whatever nginx this machine runs; an empty one
  // is definitive when no nginx master runs): every probe runs to its deadline; the same series
  rmSync(pidfile);
  symlinkSync('/etc/hostname', pidfile);
  let last: string | undefined;
  const waited = await waitFor('a cycle that waited for the hung URLs', 20_000, () => {
    const text = (last = read(a.prom));
    return text && /^hacheck_probe_timed_out\{probe="http".*\} 1$/m.test(text) ? text : undefined;
  }).catch((e) => { console.log(last); throw e; });
  assert.deepEqual(seriesOf(waited), seriesOf(decided), 'the same series whether the run waited for the probes or not');
  process.kill(a.child.pid!, 'SIGTERM');
  await a.done;
});
