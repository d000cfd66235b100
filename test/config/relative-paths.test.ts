// A relative path names one file under keepalived (which runs scripts in /) and
// another in the operator's shell: every path a config or a flag gives hacheck
// must be absolute — refused with one line, 78 for the file (with its line), 64
// for a flag, before anything is created in the working directory.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, lchownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanEnv, HACHECK, type Run } from '../fixtures/hacheck.ts';
import { configErrorOf as errorOf } from '../fixtures/config-error.ts';

const dir = mkdtempSync(join(tmpdir(), 'hacheck-relpath-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** hacheck ARGS with `cwd` as its working directory. */
function runIn(cwd: string, args: string[]): Promise<Run> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [HACHECK, ...args], { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b) => (stdout += b));
  child.stderr.on('data', (b) => (stderr += b));
  const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) => child.on('close', (code, signal) => {
    clearTimeout(guard);
    resolve({ code, signal, stdout, stderr, ms: performance.now() - t0 });
  }));
}

const RELATIVE = /is relative: keepalived runs hacheck in \/, a shell in its own directory, so it would name two different files; write the full path, from \/$/;

test('every path key of the config refuses a relative path, with its line', () => {
  const cases: [string, string][] = [
    ['state_dir: run/hacheck\n', 'c.yaml:1: state_dir: directory "run/hacheck"'],
    ['state_dir: ./hacheck\n', 'c.yaml:1: state_dir: directory "./hacheck"'],
    ['log:\n  file: hacheck.log\n', 'c.yaml:2: log.file: file path "hacheck.log"'],
    ['restart:\n  log: restart.log\n', 'c.yaml:2: restart.log: file path "restart.log"'],
    ['agent:\n  state_file: state\n', 'c.yaml:2: agent.state_file: file path "state"'],
    ['agent:\n  status_file: ../status.json\n', 'c.yaml:2: agent.status_file: file path "../status.json"'],
    ['agent:\n  metrics:\n    textfile_dir: prom\n', 'c.yaml:3: agent.metrics.textfile_dir: directory "prom"'],
    ['maintenance_file: maint\n', 'c.yaml:1: maintenance_file: file path "maint"'],
    ['probes:\n  - type: process\n    pidfile: nginx.pid\n', 'c.yaml:3: probes[0].pidfile: file path "nginx.pid"'],
    ['probes:\n  - type: memory\n    pidfile: nginx.pid\n', 'c.yaml:3: probes[0].pidfile: pid file "nginx.pid"'],
    ['probes:\n  - type: http\n    urls:\n      - {url: "http://x/", socket: run/nginx.sock}\n', 'c.yaml:4: probes[0].urls[0].socket: socket path "run/nginx.sock"'],
    ['probes:\n  - type: http\n    urls:\n      - {url: "https://x/", ca_file: ca.pem}\n', 'c.yaml:4: probes[0].urls[0].ca_file: PEM file path "ca.pem"'],
    ['probes:\n  - type: stub_status\n    url: "https://x/s"\n    client_cert: c.pem\n', 'c.yaml:4: probes[0].client_cert: PEM file path "c.pem"'],
  ];
  for (const [yaml, start] of cases) {
    const msg = errorOf(yaml);
    assert.ok(msg.startsWith(`${start} is relative`), `${yaml}: ${msg}`);
    assert.match(msg, RELATIVE);
  }
  // a program path with a / is taken from the working directory too (a bare name is looked up in PATH)
  assert.match(errorOf('restart:\n  cmd: [./restart-nginx.sh]\n'), /^c\.yaml:2: restart\.cmd: program path "\.\/restart-nginx\.sh" is relative: /);
  assert.match(errorOf('restart:\n  config_test: [sbin/nginx, -t]\n'), /^c\.yaml:2: restart\.config_test: program path "sbin\/nginx" is relative: /);
  assert.equal(errorOf('restart:\n  cmd: [systemctl, restart, nginx]\n  config_test: [/usr/sbin/nginx, -t, -c, conf/nginx.conf]\n'), 'ok', 'a bare name, an absolute program; its arguments are its own business');
  // absolute ones, and the documented "" of maintenance_file, are fine
  assert.equal(errorOf('state_dir: /run/hacheck\nmaintenance_file: ""\nlog: {file: /var/log/hacheck.log}\n'), 'ok');
});

test('the same config or command line refused wherever it runs (cwd / as under keepalived, or a scratch dir), nothing created', async () => {
  const cwd = mkdtempSync(join(dir, 'cwd-'));
  const cfg = join(dir, 'rel-log.yaml');
  writeFileSync(cfg, 'log:\n  file: hacheck.log\nstate_dir: hc-state\nprobes: [{type: port, targets: ["127.0.0.1:9"]}]\n');
  const runs: [string[], number, RegExp][] = [
    [['-c', cfg], 78, new RegExp(`^hacheck: ${cfg}:2: log\\.file: file path "hacheck\\.log" is relative`)],
    [['agent', '-c', cfg], 78, new RegExp(`^hacheck: ${cfg}:2: log\\.file: file path "hacheck\\.log" is relative`)],
    [['--port', '9', '--state-dir', 'hc-state'], 64, /^hacheck: --state-dir: directory "hc-state" is relative/],
    [['--process', 'nginx', '--pidfile', 'nginx.pid', '--state-dir', join(dir, 's')], 64, /^hacheck: --process\/--pidfile: file path "nginx\.pid" is relative/],
    [['--port', '9', '--maintenance-file', 'down', '--state-dir', join(dir, 's')], 64, /^hacheck: --maintenance-file: file path "down" is relative/],
    [['agent', '--port', '9', '--state-dir', join(dir, 's'), '--state-file', 'track'], 64, /^hacheck: --state-file: file path "track" is relative/],
    [['agent', '--port', '9', '--state-dir', join(dir, 's'), '--status-file', 'status.json'], 64, /^hacheck: --status-file: file path "status\.json" is relative/],
    [['agent', '--port', '9', '--state-dir', join(dir, 's'), '--metrics-dir', 'prom'], 64, /^hacheck: --metrics-dir: directory "prom" is relative/],
    [['status', '--status-file', 'status.json'], 64, /^hacheck: --status-file: path "status\.json" is relative/],
    [['--port', '9', '--state-dir', join(dir, 's'), '--restart-cmd', 'bin/restart-nginx'], 64, /^hacheck: --restart-cmd: program path "bin\/restart-nginx" is relative/],
    [['status', '--state-dir', 'hc-state'], 64, /^hacheck: --state-dir: path "hc-state" is relative/],
  ];
  for (const where of ['/', cwd]) {
    for (const [args, code, re] of runs) {
      const r = await runIn(where, args);
      assert.equal(r.code, code, `${where}: ${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re, args.join(' '));
      assert.match(r.stderr.trim().replace(/ \(and 1 more: .*\)$/, ""), RELATIVE);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  }
  assert.deepEqual(readdirSync(cwd), [], 'nothing made in the working directory');
  for (const name of ['hacheck.log', 'hc-state', 'track', 'status.json', 'prom']) assert.throws(() => readdirSync(join('/', name)), /ENOENT|ENOTDIR/, `/${name} not made`);
});

test('-c itself may be relative (a file named by hand), and resolves against the working directory', async () => {
  writeFileSync(join(dir, 'ok.yaml'), `state_dir: ${join(dir, 'state')}\nmaintenance_file: ""\nprobes: [{type: port, targets: ["127.0.0.1:9"]}]\n`);
  const r = await runIn(dir, ['validate', '-c', 'ok.yaml']);
  assert.equal(r.code, 0, r.stderr);
});

test('a . or .. component is refused: the kernel resolves a/../b after following a, the checks took it by the letters (a link of another user\'s chose the directory root appended to)', async () => {
  for (const [yaml, start] of [
    ['state_dir: /run/./hacheck\n', 'c.yaml:1: state_dir: directory "/run/./hacheck" has a . or .. component'],
    ['log:\n  file: /tmp/x/../hacheck.log\n', 'c.yaml:2: log.file: file path "/tmp/x/../hacheck.log" has a . or .. component'],
    ['agent:\n  state_file: /run/hacheck/..\n', 'c.yaml:2: agent.state_file: file path "/run/hacheck/.." has a . or .. component'],
    ['probes:\n  - type: process\n    pidfile: /run/../run/nginx.pid\n', 'c.yaml:3: probes[0].pidfile: file path "/run/../run/nginx.pid" has a . or .. component'],
  ] as const) assert.ok(errorOf(yaml).startsWith(start), errorOf(yaml));
  assert.equal(errorOf('state_dir: /run//hacheck/\nlog: {file: /var/log/..hacheck.log}\n'), 'ok', 'a double slash, a trailing one and a name starting with .. are plain');
  if ((process.getuid?.() ?? 1) !== 0) return;
  // nobody's link /tmp/…/x → a root-only directory: log.file x/../h.log would have been appended to there
  const victim = mkdtempSync(join(dir, 'victim-'));
  chmodSync(victim, 0o700);
  mkdirSync(join(victim, 'sub'));
  const sticky = mkdtempSync(join(dir, 'sticky-'));
  chmodSync(sticky, 0o1777);
  symlinkSync(join(victim, 'sub'), join(sticky, 'x'));
  lchownSync(join(sticky, 'x'), 65534, 65534);
  const cfg = join(dir, 'dotdot.yaml');
  writeFileSync(cfg, `log:\n  file: ${sticky}/x/../h.log\nprobes: [{type: port, targets: ["127.0.0.1:9"]}]\n`);
  const r = await runIn('/', ['-c', cfg, '--state-dir', join(dir, 'st')]);
  assert.equal(r.code, 78, r.stderr);
  assert.match(r.stderr, /log\.file: file path ".*\/x\/\.\.\/h\.log" has a \. or \.\. component/);
  assert.deepEqual(readdirSync(victim), ['sub']);
});
