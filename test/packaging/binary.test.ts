// The single binary (dist/hacheck, a Node SEA with a start-up snapshot) run the
// way keepalived runs it, with an empty environment: every command, the error
// exits, https (node:tls loaded at run time), a restart (node:child_process at
// run time), the agent's track_file and SIGTERM. The snapshot makes some things
// differ from `node dist/hacheck.cjs` (no dynamic import(), modules initialised
// at build time), so the binary gets its own test. Builds it if needed (cached).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { killNginx, lab, nginxUp, restartCount, sleep } from '../fixtures/nginx-lab.ts';
import { tlsServer } from '../fixtures/servers.ts';

const root = new URL('../../', import.meta.url).pathname;
const BIN = join(root, 'dist/hacheck');
const VERSION: string = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const skip = process.platform !== 'linux' || process.arch !== 'x64' ? 'needs linux x64' : !has('nginx') ? 'needs nginx' : !has('openssl') ? 'needs openssl' : undefined;
if (skip) process.stderr.write(`# SKIPPED binary test: ${skip}\n`);

/** env -i dist/hacheck … */
function hc(...args: string[]) {
  const r = spawnSync(BIN, args, { env: {}, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same, without blocking this process (whose in-process servers must answer meanwhile). */
function hcAsync(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(BIN, args, { env: {}, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (b) => (stdout += b));
    c.stderr.on('data', (b) => (stderr += b));
    c.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const dir = mkdtempSync(join(tmpdir(), 'hacheck-bin-'));
after(() => rmSync(dir, { recursive: true, force: true }));

before(() => {
  if (skip) return;
  const b = spawnSync(process.execPath, [join(root, 'scripts/build-sea.mjs')], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(b.status, 0, b.stderr);
});

test('--version and --help with an empty environment, no warnings; every command has help', { skip }, () => {
  const v = hc('--version');
  assert.equal(v.code, 0);
  assert.equal(v.stdout.trim(), VERSION);
  assert.equal(v.stderr, '');
  const h = hc('--help');
  assert.equal(h.code, 0);
  for (const cmd of ['check', 'agent', 'status', 'doctor', 'init', 'validate']) {
    assert.match(h.stdout, new RegExp(`^\\s+${cmd}\\b`, 'm'));
    const c = hc(cmd, '--help');
    assert.equal(c.code, 0, `${cmd} --help: ${c.stderr}`);
    assert.match(c.stdout, new RegExp(`^Usage: hacheck ${cmd}`));
  }
});

test('usage and config errors: one line, 64 and 78; the packaged config validates', { skip }, () => {
  const bad = hc('--no-such-flag');
  assert.equal(bad.code, 64);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
  const f = join(dir, 'bad.yaml');
  writeFileSync(f, 'timeout: 5\n');
  const cfg = hc('validate', '-c', f);
  assert.equal(cfg.code, 78);
  assert.match(cfg.stderr, /bad\.yaml:1/);
  assert.equal(cfg.stderr.trim().split('\n').length, 1);
  const pkg = hc('validate', '-c', join(root, 'packaging/hacheck.yaml'));
  assert.equal(pkg.code, 0, pkg.stderr);
});

test('one-shot check against nginx: flags and YAML, http and https; killed nginx restarted', { skip }, async (t) => {
  const ng = await lab(t);
  const state = join(dir, 'state');
  const flags = ['--pidfile', ng.pidfile, '--port', `127.0.0.1:${ng.port}`, '--url', `http://127.0.0.1:${ng.port}/`, '--state-dir', state, '--maintenance-file', ''];
  const ok = hc(...flags, '--json');
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.equal(JSON.parse(ok.stdout).verdict, 'healthy');

  const tls = await tlsServer(t, { name: 'bin.example.test' });
  const yaml = join(dir, 'tls.yaml');
  writeFileSync(yaml, `state_dir: ${state}\nmaintenance_file: ""\nprobes:\n  - type: http\n    urls:\n      - { url: "https://127.0.0.1:${tls.port}/", tls_verify: false, sni: bin.example.test, body: "tls ok" }\n`);
  const https = await hcAsync('-c', yaml, '--verbose');
  assert.equal(https.code, 0, https.stdout + https.stderr);
  assert.equal(tls.lastServername(), 'bin.example.test');
  writeFileSync(yaml, readFileSync(yaml, 'utf8').replace('tls_verify: false', 'tls_verify: true'));
  const strict = await hcAsync('-c', yaml, '--verbose');
  assert.equal(strict.code, 1, 'self-signed certificate refused with verification on');
  assert.match(strict.stdout, /self[- ]signed|certificate/i);

  // restart: the command is spawned by the binary (node:child_process loaded at run time)
  killNginx(ng);
  for (let i = 0; i < 50 && nginxUp(ng); i++) await sleep(20);
  const r = hc('-c', ng.config(), '--verbose');
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /recovered after restart/);
  assert.equal(restartCount(ng), 1);
});

/** LISTEN sockets on port 9229 (Node's inspector), IPv4 and IPv6 */
function inspectorListeners(): number {
  let n = 0;
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try { n += readFileSync(f, 'utf8').split('\n').filter((l) => / [0-9A-F]+:2415 [0-9A-F]+:0000 0A /.test(l)).length; } catch { /* no IPv6 */ }
  }
  return n;
}

test('agent keeps the track_file, status guards it, SIGUSR1 opens no debugger, SIGTERM leaves the unhealthy value; init and doctor run', { skip, timeout: 30_000 }, async (t) => {
  const ng = await lab(t);
  const state = join(dir, 'agent');
  const agent = spawn(BIN, ['agent', '--pidfile', ng.pidfile, '--url', `http://127.0.0.1:${ng.port}/`, '--state-dir', state, '--maintenance-file', '', '--interval', '200ms', '--rise', '1', '--fall', '1'], { env: {}, stdio: 'ignore' });
  const exited = new Promise<number | null>((r) => agent.on('exit', (code) => r(code)));
  t.after(() => agent.kill('SIGKILL'));
  const file = join(state, 'state');
  for (let i = 0; i < 100 && !(existsSync(file) && readFileSync(file, 'utf8') === '0\n'); i++) await sleep(50);
  assert.equal(readFileSync(file, 'utf8'), '0\n');
  const st = hc('status', '--state-dir', state, '--max-age', '3s');
  assert.equal(st.code, 0, st.stdout + st.stderr);
  // SIGUSR1 (nginx's "reopen logs") must not open Node's inspector: a debugger on 127.0.0.1:9229 runs any local user's code as root
  const before = inspectorListeners();
  agent.kill('SIGUSR1');
  await sleep(300);
  assert.equal(agent.exitCode, null, 'still running');
  assert.equal(inspectorListeners(), before, 'no inspector listening on 9229');
  agent.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.equal(readFileSync(file, 'utf8'), '1\n');

  const init = hc('init', '--output', join(dir, 'init'), '--vip', '192.0.2.9');
  assert.equal(init.code, 0, init.stderr);
  assert.equal(hc('validate', '-c', join(dir, 'init/hacheck.yaml')).code, 0);
  const doc = hc('doctor', '--keepalived-conf', join(root, 'packaging/keepalived/keepalived-oneshot.conf'), '-c', join(root, 'packaging/hacheck.yaml'));
  assert.ok(doc.code === 0 || doc.code === 1 || doc.code === 2, `doctor exit ${doc.code}: ${doc.stderr}`);
  assert.doesNotMatch(doc.stderr, /internal error/);
});

test('the bundles are ASCII-only (one non-ASCII character makes V8 hold the whole source as a two-byte string: +0.7 MiB in the agent)', { skip }, () => {
  for (const f of ['dist/hacheck.cjs', 'dist/sea/hacheck-sea.cjs']) {
    const text = readFileSync(join(root, f), 'latin1');
    const at = text.search(/[^\x00-\x7f]/);
    assert.equal(at, -1, `${f}: non-ASCII at offset ${at}: …${text.slice(Math.max(0, at - 40), at + 10)}…`);
  }
});

test('the snapshot holds no built-in code cache, and a one-shot check compiles no built-in module at run time', { skip }, async (t) => {
  // scripts/sea-blob.mjs cuts Node's code cache of all built-ins out of the snapshot (agent RSS
  // -7 MiB). That is only free while the hot path needs no built-in the snapshot lacks: one
  // required at run time would now be compiled from source in every check.
  // The second run: the first fills the config cache (a miss loads the YAML parser, which
  // requires node:process).
  const ng = await lab(t);
  const args = ['--pidfile', ng.pidfile, '--port', `127.0.0.1:${ng.port}`, '--url', `http://127.0.0.1:${ng.port}/`, '--state-dir', join(dir, 'cc'), '--maintenance-file', '', '--no-restart'];
  assert.equal(hc(...args).code, 0);
  const r = spawnSync(BIN, args, { env: { NODE_DEBUG_NATIVE: 'CODE_CACHE' }, encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stderr, /^snapshot contains 0 code cache$/m);
  assert.deepEqual(r.stderr.match(/^Compiling .*$/gm) ?? [], []);
});

test('the agent keeps cycling in the binary: no timer is left pending in the start-up snapshot (4 agents, each > 2 cycles in 1.5 s)', { skip, timeout: 60_000 }, async (t) => {
  // A timer pending when the snapshot was taken (the warm-up check's unref'd grace timer)
  // broke the binary's timers: about one agent in four stopped after its first cycle, exit 0.
  const runs = [0, 1, 2, 3].map(async (i) => {
    const state = join(dir, `cycling-${i}`);
    const agent = spawn(BIN, ['agent', '--port', '127.0.0.1:1', '--state-dir', state, '--maintenance-file', '', '--interval', '100ms', '--rise', '1', '--fall', '1'], { env: {}, stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => agent.on('exit', (code) => r(code)));
    t.after(() => agent.kill('SIGKILL'));
    await sleep(1500);
    const alive = agent.exitCode === null;
    agent.kill('SIGTERM');
    await exited;
    const cycles = JSON.parse(readFileSync(join(state, 'status.json'), 'utf8')).cycle as number;
    return { alive, cycles };
  });
  for (const r of await Promise.all(runs)) {
    assert.ok(r.alive, 'still running after 1.5 s');
    assert.ok(r.cycles > 2, `${r.cycles} cycles in 1.5 s at a 100 ms interval`);
  }
});

test('the binary keeps its deadline: a hung URL and port, a catastrophic body_regex (timers and the regexp engines work after the snapshot)', { skip }, async (t) => {
  const { hungServer } = await import('../fixtures/servers.ts');
  const hung = await hungServer({ after });
  const d = mkdtempSync(join(tmpdir(), 'hacheck-bin-deadline-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  const t0 = performance.now();
  const r = await hcAsync('-c', '/dev/null', '--url', `http://127.0.0.1:${hung.port}/`, '--timeout', '1s', '--state-dir', join(d, 's1'), '--maintenance-file', '', '--json');
  const ms = performance.now() - t0;
  assert.equal(r.code, 1, r.stderr);
  assert.ok(ms < 1000 + 500, `exit after ${ms.toFixed(0)} ms (deadline 1 s): a snapshot taken with timers still settling gave a binary whose timers never fire`);
  assert.match(r.stdout, /no response headers within \d+ ms \(server hung\)/);
  const { createServer } = await import('node:net');
  const srv = createServer((s) => s.once('data', () => s.end(`HTTP/1.1 200 OK\r\nContent-Length: 41\r\n\r\n${'a'.repeat(40)}!`)));
  await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
  t.after(() => srv.close());
  const f = join(d, 're.yaml');
  writeFileSync(f, `timeout: 1s\nmaintenance_file: ""\nprobes:\n  - type: http\n    urls:\n      - url: http://127.0.0.1:${(srv.address() as { port: number }).port}/\n        body_regex: "(a+)+$"\n      - url: http://127.0.0.1:${(srv.address() as { port: number }).port}/\n        body_regex: '^(a+)+\\1$'\n`);
  const t1 = performance.now();
  const re = await hcAsync('-c', f, '--state-dir', join(d, 's2'), '--json');
  assert.equal(re.code, 1, re.stderr);
  assert.ok(performance.now() - t1 < 1000 + 500, `body_regex: exit after ${(performance.now() - t1).toFixed(0)} ms`);
  assert.match(re.stdout, /body does not match \/\(a\+\)\+\$\//);
  assert.match(re.stdout, /did not finish before the deadline \(backtracking engine, 41 characters\)/);
});
