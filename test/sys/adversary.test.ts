// Nothing another user can write steers a root run (issue 15; cases
// ../shared/cases/adv-01…05, adv-07…09). Each test is root with a directory
// user `nobody` can write, and acts as nobody with setpriv; it asserts the
// refusal or the right verdict, and that decoy files outside the state dir are
// byte-for-byte unchanged. Skipped unless run as root with setpriv.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HACHECK, cleanEnv, hacheck, startHacheck } from '../fixtures/hacheck.ts';
import { readStat } from '../../src/sys/proc.ts';

const NOBODY = 65534;
const canRun = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;
const skip = canRun ? false : 'needs root and setpriv (acts as user nobody)';

/** A work dir root owns (0755) with `dirs` inside that nobody can write (0777). */
function workDir(t: { after: (fn: () => void) => void }, ...dirs: string[]): string {
  const w = mkdtempSync(join(tmpdir(), 'hacheck-adv-'));
  chmodSync(w, 0o755);
  for (const d of dirs) {
    mkdirSync(join(w, d));
    chmodSync(join(w, d), 0o777);
  }
  t.after(() => rmSync(w, { recursive: true, force: true }));
  return w;
}

/** Runs a node script as nobody (setpriv), synchronously: the attacker's move. */
function asNobody(script: string, ...args: string[]) {
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', script, ...args], { encoding: 'utf8', env: cleanEnv() });
  assert.equal(r.status, 0, `nobody's script failed: ${r.stderr}`);
}

/** Decoys outside the state dir: root-owned, 0644; `unchanged()` compares their bytes. */
function decoys(paths: string[]) {
  for (const p of paths) writeFileSync(p, `DECOY ${p}: root-owned, mode 0644, nobody cannot write it\n`, { mode: 0o644 });
  const before = paths.map((p) => readFileSync(p));
  return () => paths.forEach((p, i) => assert.deepEqual(readFileSync(p), before[i], `${p} changed`));
}

const yaml = (w: string, name: string, text: string) => {
  const p = join(w, name);
  writeFileSync(p, text, { mode: 0o644 });
  chmodSync(p, 0o644);
  return p;
};
const FAILING_RESTART = (extra = '') => `timeout: 1500ms\nmaintenance_file: ""\nprobes:\n  - type: port\n    targets: [1]\nrestart:\n  enabled: true\n  cmd: [/bin/echo, restart-command-output]\n  config_test: [/bin/true]\n${extra}`;
const UNSAFE = /state_dir .* is writable by other users \(mode 0777\): not used/;

let server: Server;
let port = 0;
test.before(async () => {
  server = createServer((s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});
test.after(() => server.close());

test('adv-01: a cache file flipped between a root-owned file and a forged one never makes root run the forged command', { skip }, async (t) => {
  const w = workDir(t, 'atk');
  const state = join(w, 'state');
  mkdirSync(state, { mode: 0o700 });
  const unchanged = decoys([join(w, 'decoy')]);
  const cfg = yaml(w, 'legit.yaml', `timeout: 1500ms\nmaintenance_file: ""\nprobes:\n  - type: port\n    targets: [${port}]\n`);
  const args = ['-c', cfg, '--state-dir', state];
  assert.equal((await hacheck(...args)).code, 0);
  // the forged cache: root's own entry (same key), restart on, the attacker's commands; owned by nobody
  const cache = JSON.parse(readFileSync(join(state, 'config-cache.json'), 'utf8')) as { entries: { key: string; config: string }[] };
  const e = cache.entries[0];
  const c = JSON.parse(e.config);
  c.probes = [{ type: 'port', name: 'port', targets: [{ host: '127.0.0.1', port: 1 }], severity: 'critical' }];
  c.restart = { ...c.restart, enabled: true, cmd: ['/bin/sh', '-c', `id > ${w}/atk/PWNED-cmd`], config_test: ['/bin/sh', '-c', `id > ${w}/atk/PWNED-config-test`] };
  const evil = join(w, 'atk', 'evil.json');
  writeFileSync(evil, JSON.stringify({ entries: [{ key: e.key, config: JSON.stringify(c) }] }));
  chownSync(evil, NOBODY, NOBODY);
  chmodSync(state, 0o777); // the operator's mistake: a state dir nobody can write
  // nobody flips config-cache.json between a symlink to a root-owned 0644 file, a symlink to
  // the forge and a regular file of its own, in a tight loop, for a bounded time
  const flipper = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', `
    const fs = require('fs'); const [cache, good, evil, secs] = process.argv.slice(1);
    const d = require('path').dirname(cache); const end = Date.now() + Number(secs) * 1000; let i = 0;
    while (Date.now() < end) {
      const tmp = d + '/.f' + (i % 3);
      try { fs.unlinkSync(tmp); } catch {}
      if (i % 3 === 0) fs.symlinkSync(good, tmp); else if (i % 3 === 1) fs.symlinkSync(evil, tmp); else fs.copyFileSync(evil, tmp);
      fs.renameSync(tmp, cache); i++;
    }`, join(state, 'config-cache.json'), '/etc/hostname', evil, '4'], { stdio: 'ignore', env: cleanEnv() });
  const flipped = new Promise((r) => flipper.on('exit', r));
  t.after(() => { try { flipper.kill('SIGKILL'); } catch { /* gone */ } });
  let runs = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 3000) {
    const r = await hacheck(...args);
    runs++;
    assert.equal(r.code, 0, `run ${runs}: the legit config's verdict (healthy), never the forged one: ${r.stderr}`);
    assert.match(r.stderr, UNSAFE);
    assert.ok(!existsSync(join(w, 'atk', 'PWNED-cmd')) && !existsSync(join(w, 'atk', 'PWNED-config-test')), `run ${runs} ran the forged command`);
  }
  await flipped;
  assert.ok(runs >= 3, `only ${runs} runs`);
  unchanged();
});

test('adv-02: predictable temp names planted as symlinks: no write through them (state dir refused; other files by random O_EXCL names)', { skip }, async (t) => {
  const w = workDir(t, 'state', 'shared');
  const unchanged = decoys([join(w, 'decoy')]);
  const cfg = yaml(w, 'cfg.yaml', 'timeout: 1500ms\nmaintenance_file: ""\nprobes:\n  - type: port\n    targets: [1]\n');
  // nobody plants .NAME.<pid>.tmp → decoy for the next 300 pids, in the state dir and beside the agent's files
  const plant = `const fs = require('fs'); const [dir, target, ...names] = process.argv.slice(1);
    const start = Number(fs.readFileSync('/proc/sys/kernel/ns_last_pid', 'utf8')) + 1;
    for (let p = start; p < start + 300; p++) for (const n of names) try { fs.symlinkSync(target, dir + '/.' + n + '.' + p + '.tmp'); } catch {}
    for (const n of names) try { fs.symlinkSync(target, dir + '/' + n); } catch {}`;
  asNobody(plant, join(w, 'state'), join(w, 'decoy'), 'last-check.json', 'config-cache.json', 'sample-cpu.json');
  asNobody(plant, join(w, 'shared'), join(w, 'decoy'), 'state', 'status.json', 'hacheck.prom');
  const r = await hacheck('-c', cfg, '--state-dir', join(w, 'state'));
  assert.equal(r.code, 1);
  assert.match(r.stderr, UNSAFE);
  // the agent writes track_file, status and metrics into a directory nobody can write: replaced, never followed
  const agent = startHacheck(['agent', '-c', cfg, '--state-dir', join(w, 'agent-state'), '--state-file', join(w, 'shared', 'state'),
    '--status-file', join(w, 'shared', 'status.json'), '--metrics-dir', join(w, 'shared'), '--interval', '100ms', '--rise', '1', '--fall', '1', '--no-restart']);
  for (let i = 0; i < 100 && !(existsSync(join(w, 'shared', 'hacheck.prom')) && lstatSync(join(w, 'shared', 'hacheck.prom')).isFile()); i++) await new Promise((res) => setTimeout(res, 50));
  agent.child.kill('SIGTERM');
  await agent.done;
  for (const f of ['state', 'status.json', 'hacheck.prom']) assert.ok(lstatSync(join(w, 'shared', f)).isFile(), `${f}: the planted symlink is replaced by the file`);
  assert.equal(readFileSync(join(w, 'shared', 'state'), 'utf8'), '1\n', 'on_exit unhealthy');
  unchanged();
});

test('adv-03: restart.log planted as a symlink: nothing appended to its target', { skip }, async (t) => {
  const w = workDir(t, 'state', 'shared');
  const unchanged = decoys([join(w, 'decoy')]);
  asNobody(`require('fs').symlinkSync(process.argv[1], process.argv[2])`, join(w, 'decoy'), join(w, 'state', 'restart.log'));
  const r = await hacheck('-c', yaml(w, 'restart.yaml', FAILING_RESTART()), '--state-dir', join(w, 'state'), '--json');
  assert.equal(r.code, 1);
  assert.match(JSON.parse(r.stdout).reasons[0], /^not restarting: the restart budget cannot be kept \(state_dir .* is writable by other users \(mode 0777\)\)$/);
  // a safe state dir, the log named in a directory nobody can write: the restart runs, the symlink is not followed
  asNobody(`require('fs').symlinkSync(process.argv[1], process.argv[2])`, join(w, 'decoy'), join(w, 'shared', 'restart.log'));
  const safe = join(w, 'safe');
  const r2 = await hacheck('-c', yaml(w, 'restart2.yaml', FAILING_RESTART(`  log: ${join(w, 'shared', 'restart.log')}\n`)), '--state-dir', safe, '--json');
  const out = JSON.parse(r2.stdout) as { restart?: { action: string } };
  assert.equal(out.restart?.action, 'restart', r2.stdout);
  assert.ok(lstatSync(join(w, 'shared', 'restart.log')).isSymbolicLink());
  unchanged();
});

test('adv-04: restart.lock as a symlink to another directory: nothing there is deleted', { skip }, async (t) => {
  const w = workDir(t, 'state');
  mkdirSync(join(w, 'victim'), { mode: 0o755 });
  const victims = ['1', '2', '3', '42', 'notes.txt'].map((f) => join(w, 'victim', f));
  const unchanged = decoys(victims);
  asNobody(`require('fs').symlinkSync(process.argv[1], process.argv[2])`, join(w, 'victim'), join(w, 'state', 'restart.lock'));
  const cfg = yaml(w, 'restart.yaml', FAILING_RESTART());
  assert.equal((await hacheck('-c', cfg, '--state-dir', join(w, 'state'))).code, 1);
  // the same symlink in a state dir only root can write (left by anyone, or an old mistake): lstat refuses it
  const safe = join(w, 'safe');
  mkdirSync(safe, { mode: 0o700 });
  symlinkSync(join(w, 'victim'), join(safe, 'restart.lock'));
  const r = await hacheck('-c', cfg, '--state-dir', safe, '--json');
  assert.match(JSON.parse(r.stdout).reasons[0], /lock directory .*restart\.lock is a symbolic link/);
  assert.deepEqual(readdirSync(join(w, 'victim')).sort(), ['1', '2', '3', '42', 'notes.txt']);
  unchanged();
});

test('adv-05: a lock planted by another user never blocks restarts as "another run"', { skip }, async (t) => {
  const w = workDir(t, 'state');
  const start = readStat(1)!.startTicks;
  const lock = `const fs = require('fs'); fs.mkdirSync(process.argv[1], { mode: 0o700 });
    fs.writeFileSync(process.argv[1] + '/1000000', JSON.stringify({ pid: 1, start: ${start}, expires: 9999999999999, purpose: 'x' }));`;
  asNobody(lock, join(w, 'state', 'restart.lock'));
  const cfg = yaml(w, 'restart.yaml', FAILING_RESTART());
  const r = await hacheck('-c', cfg, '--state-dir', join(w, 'state'), '-v');
  assert.doesNotMatch(r.stdout, /another hacheck run/);
  assert.match(r.stdout, /not restarting: the restart budget cannot be kept \(state_dir .* writable by other users/);
  // in a safe state dir, a lock directory another user owns is refused, not honoured
  const safe = join(w, 'safe');
  mkdirSync(safe, { mode: 0o700 });
  mkdirSync(join(safe, 'restart.lock'), { mode: 0o700 });
  writeFileSync(join(safe, 'restart.lock', '1000000'), JSON.stringify({ pid: 1, start, expires: 9999999999999, purpose: 'x' }));
  chownSync(join(safe, 'restart.lock', '1000000'), NOBODY, NOBODY);
  chownSync(join(safe, 'restart.lock'), NOBODY, NOBODY);
  const r2 = await hacheck('-c', cfg, '--state-dir', safe, '-v');
  assert.doesNotMatch(r2.stdout, /another hacheck run/);
  assert.match(r2.stdout, /lock directory .*restart\.lock is owned by uid 65534, not 0/);
  // ours again, but the generation file is nobody's: not believed, the restart runs
  chownSync(join(safe, 'restart.lock'), 0, 0);
  const r3 = await hacheck('-c', cfg, '--state-dir', safe, '--json');
  assert.equal((JSON.parse(r3.stdout) as { restart?: { action: string } }).restart?.action, 'restart', r3.stdout);
  assert.match(readFileSync(join(safe, 'restart.log'), 'utf8'), /restarting nginx: \/bin\/echo restart-command-output/);
});

test('adv-07: a planted CPU sample never hides a breach; counters that went backwards mean no stored window', { skip }, async (t) => {
  const w = workDir(t, 'state');
  const cfg = yaml(w, 'cpu.yaml', 'timeout: 1500ms\nmaintenance_file: ""\nprobes:\n  - type: cpu\n    busy_max: 0.1\n');
  const busy = spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' });
  t.after(() => { try { busy.kill('SIGKILL'); } catch { /* gone */ } });
  const sample = `require('fs').writeFileSync(process.argv[1], JSON.stringify({ samples: [{ t: Date.now() - 2000, v: { sys: [1e15, 1e15, 1e15, 1e15] } }] }))`;
  asNobody(sample, join(w, 'state', 'sample-cpu.json'));
  const r = await hacheck('-c', cfg, '--state-dir', join(w, 'state'), '-v');
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stdout, /busy [\d.]+% > 0\.1%/);
  assert.match(r.stderr, UNSAFE);
  // the same forged counters in a safe state dir (a reboot leaves such a sample): stated, then an in-run sample
  const safe = join(w, 'safe');
  mkdirSync(safe, { mode: 0o700 });
  writeFileSync(join(safe, 'sample-cpu.json'), JSON.stringify({ samples: [{ t: Date.now() - 2000, v: { sys: [1e15, 1e15, 1e15, 1e15] } }] }), { mode: 0o600 });
  const r2 = await hacheck('-c', cfg, '--state-dir', safe, '-v');
  assert.equal(r2.code, 1, r2.stdout);
  assert.match(r2.stdout, /no window \(counters reset\): in-run sample/);
  busy.kill('SIGKILL');
});

test('adv-08: hacheck status believes only a status file root wrote, from now, naming a live hacheck agent', { skip }, async (t) => {
  const w = workDir(t, 'state');
  const start1 = readStat(1)!.startTicks;
  const forged = (pid: number, start: number, aheadMs: number) => JSON.stringify({ time: 'x', time_ms: Date.now() + aheadMs, pid, pid_start: start, version: '0', verdict: 'healthy', reasons: [], probes: [] });
  asNobody(`require('fs').writeFileSync(process.argv[1], process.argv[2])`, join(w, 'state', 'status.json'), forged(1, start1, 2900));
  const status = (file: string) => hacheck('status', '--status-file', file, '--max-age', '3s', '-v');
  let r = await status(join(w, 'state', 'status.json'));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /not trusted: owned by uid 65534, not root/);
  // root-owned files (a safe place): each lie alone is caught
  const safe = join(w, 'safe.json');
  const write = (text: string) => writeFileSync(safe, text, { mode: 0o644 });
  write(forged(1, start1, 2900));
  r = await status(safe);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /in the future/);
  write(forged(1, start1, 0));
  r = await status(safe);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /pid 1 is "[^"]+", not a hacheck agent/);
  // a live process named hacheck: right only with its own start time
  const fake = spawn(process.execPath, ['-e', "process.title = 'hacheck'; setTimeout(() => {}, 20000)"], { stdio: 'ignore' });
  t.after(() => { try { fake.kill('SIGKILL'); } catch { /* gone */ } });
  for (let i = 0; i < 100 && readStat(fake.pid!)?.comm !== 'hacheck'; i++) await new Promise((res) => setTimeout(res, 20));
  const st = readStat(fake.pid!)!;
  write(forged(fake.pid!, st.startTicks + 1, 0));
  r = await status(safe);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /another process than the agent/);
  write(JSON.stringify({ ...JSON.parse(forged(fake.pid!, 0, 0)), pid_start: undefined }));
  assert.equal((await status(safe)).code, 1, 'no pid_start: not believed');
  write(forged(fake.pid!, st.startTicks, 0));
  r = await status(safe);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  chmodSync(safe, 0o666);
  r = await status(safe);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /writable by other users \(mode 0666\)/);
  fake.kill('SIGKILL');
});

test('adv-09: a config another user could write never hands root its commands (exit 78); one only root can write does', { skip }, async (t) => {
  const w = workDir(t, 'shared');
  mkdirSync(join(w, 'state'), { mode: 0o700 });
  const unchanged = decoys([join(w, 'decoy')]);
  const text = `timeout: 1500ms\nmaintenance_file: ""\nprobes:\n  - type: port\n    targets: [1]\nrestart:\n  enabled: true\n  cmd: [/bin/sh, -c, "id > ${w}/ran-cmd"]\n  config_test: [/bin/sh, -c, "id > ${w}/ran-config-test"]\n`;
  const run = (cfg: string, ...extra: string[]) => hacheck('-c', cfg, '--state-dir', join(w, 'state'), ...extra);
  // owned by nobody, 0666 (the case)
  const mine = yaml(w, 'hacheck.yaml', text);
  chownSync(mine, NOBODY, NOBODY);
  chmodSync(mine, 0o666);
  let r = await run(mine);
  assert.equal(r.code, 78);
  assert.match(r.stderr, /refusing a config that enables restart .* is owned by uid 65534, not root/);
  assert.equal((await hacheck('validate', '-c', mine)).code, 78, 'validate says what check would do');
  // root-owned but group-writable
  chownSync(mine, 0, 0);
  chmodSync(mine, 0o664);
  assert.match((await run(mine)).stderr, /writable by its group \(mode 0664\)/);
  // root-owned 0644, in a directory nobody can write (it could be swapped)
  const inShared = yaml(join(w, 'shared'), 'hacheck.yaml', text);
  r = await run(inShared);
  assert.equal(r.code, 78);
  assert.match(r.stderr, /directory .*\/shared is writable by other users \(mode 0777\)/);
  // reached through a symlink from a safe place: the real path decides
  symlinkSync(inShared, join(w, 'link.yaml'));
  assert.equal((await run(join(w, 'link.yaml'))).code, 78);
  // --restart by flag on a config that names no command: still a config root acts on
  const plain = yaml(join(w, 'shared'), 'plain.yaml', 'timeout: 1500ms\nmaintenance_file: ""\nprobes:\n  - type: port\n    targets: [1]\n');
  assert.equal((await run(plain, '--restart', '--restart-cmd', '/bin/true')).code, 78);
  // without restart or commands it still decides the verdict: refused too (a port 22 probe would read healthy)
  r = await run(plain);
  assert.equal(r.code, 78, r.stderr);
  assert.match(r.stderr, /refusing a config that decides this node's verdict .* directory .*\/shared is writable by other users/);
  // a ca_file nobody could replace is refused, wherever the config is
  writeFileSync(join(w, 'shared', 'ca.pem'), '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n', { mode: 0o644 });
  const withCa = yaml(w, 'ca.yaml', `timeout: 1500ms\nmaintenance_file: ""\nprobes:\n  - type: http\n    urls:\n      - url: https://127.0.0.1:${port}/\n        ca_file: ${join(w, 'shared', 'ca.pem')}\n`);
  r = await run(withCa);
  assert.equal(r.code, 78);
  assert.match(r.stderr, /ca_file .*ca\.pem is not trusted: directory .*\/shared is writable by other users/);
  assert.ok(!existsSync(join(w, 'ran-cmd')) && !existsSync(join(w, 'ran-config-test')), 'root ran a command of an untrusted config');
  // the positive control: root-owned 0644 in root-owned 0755 directories runs as configured
  const good = yaml(w, 'good.yaml', text);
  await run(good);
  assert.ok(existsSync(join(w, 'ran-config-test')), 'a trusted config is used');
  unchanged();
});

test('adv-13: inputs are bounded: not a regular file or a pipe, a config over 64 KiB (keepalived.conf over 1 MiB), YAML slow to parse, or a silent pipe: 78 naming the limit, within the deadline', { skip: process.platform !== 'linux' && 'linux only' }, async (t) => {
  const w = mkdtempSync(join(tmpdir(), 'hacheck-adv13-'));
  t.after(() => rmSync(w, { recursive: true, force: true }));
  const base = ['--state-dir', join(w, 's'), '--maintenance-file=', '--timeout', '1500ms'];
  let r = await hacheck('-c', '/dev/zero', ...base);
  assert.equal(r.code, 78);
  assert.match(r.stderr, /\/dev\/zero: cannot read config: not a regular file or a pipe \(a character device\)/);
  const big = join(w, 'big.yaml');
  writeFileSync(big, 'timeout: 1500ms\nprobes:\n  - type: port\n    targets: [1]\n' + `# ${'x'.repeat(98)}\n`.repeat(20_000));
  r = await hacheck('-c', big, ...base);
  assert.equal(r.code, 78);
  assert.match(r.stderr, /larger than the 64 KiB limit for input files/);
  // within the limit, YAML that is slow to parse (a map of 7,000 keys, dense flow lists): still 78 within the deadline
  for (const [name, text] of [
    ['keys', 'x:\n' + Array.from({ length: 7000 }, (_, i) => `  k${i}: 1\n`).join('')],
    ['flow', 'x:\n' + '  - [a, b, {d: e}]\n'.repeat(3400)],
  ] as const) {
    const f = join(w, `${name}.yaml`);
    writeFileSync(f, text.slice(0, 64 * 1024 - 1).replace(/[^\n]*$/, ''));
    // --jitless, as the binary runs (the JIT hides the library's quadratic key check: 0.5 s against 2.6 s)
    const t0 = performance.now();
    const j = spawnSync(process.execPath, ['--jitless', HACHECK, '-c', f, ...base], { env: cleanEnv(), encoding: 'utf8', timeout: 30_000 });
    const ms = performance.now() - t0;
    assert.equal(j.status, 78, j.stderr);
    assert.match(j.stderr, /unknown key "x"/);
    assert.ok(ms < 1500 + 500, `${name}: took ${ms.toFixed(0)} ms`);
  }
  assert.equal((await hacheck('-c', '/dev/null', '--port', `127.0.0.1:${port}`, ...base)).code, 0, '/dev/null is the empty config');
  // a pipe whose writer stays silent for 3 s: 78 at the deadline, not when the writer ends (hacheck's own time, not the pipeline's)
  const silent = spawnSync('bash', ['-c', 'sleep 3 | { t0=$(date +%s%N); "$0" "$1" -c /dev/stdin "${@:2}" 2>&1; echo "rc=$? ms=$(( ($(date +%s%N) - t0) / 1000000 ))"; }', process.execPath, HACHECK, ...base],
    { env: cleanEnv(), encoding: 'utf8', timeout: 30_000 });
  const m = /rc=(\d+) ms=(\d+)/.exec(silent.stdout);
  assert.ok(m, silent.stdout);
  assert.equal(Number(m[1]), 78);
  assert.ok(Number(m[2]) < 1500 + 500, `took ${m[2]} ms`);
  assert.match(silent.stdout, /\/dev\/stdin: cannot read config: no end of input within the deadline/);
  r = await hacheck('doctor', '--keepalived-conf', '/dev/zero');
  assert.equal(r.code, 78);
  assert.match(r.stderr, /\/dev\/zero: cannot read keepalived config: not a regular file or a pipe/);
  const bigKa = join(w, 'keepalived.conf');
  writeFileSync(bigKa, `# ${'x'.repeat(98)}\n`.repeat(20_000));
  r = await hacheck('doctor', '--keepalived-conf', bigKa);
  assert.equal(r.code, 78);
  assert.match(r.stderr, /larger than the 1 MiB limit/);
});
