// Where the agent (and a one-shot run) may write, decided at start: never the
// kernel's files, never over a device or through a symlink to one, never two of
// its files on one path (the status JSON over the track_file reads as 0,
// healthy, to keepalived), never a path chosen by a config another user could
// have written; one agent per status file as per track_file, and the claim made
// again when an `rm -rf` takes the track_file's directory away. Real processes
// and files; the other user is nobody.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onCleanup, type T } from '../fixtures/cleanup.ts';
import { hacheck, spawnAgent } from '../fixtures/hacheck.ts';
import { sleep } from '../fixtures/nginx-lab.ts';

const root = (process.getuid?.() ?? 1) === 0;

function tempDir(t: T): string {
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-wp-'));
  chmodSync(dir, 0o755);
  onCleanup(t, () => rmSync(dir, { recursive: true, force: true, maxRetries: 3 }));
  return dir;
}

async function openPort(t: T): Promise<number> {
  const server = createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as { port: number }).port;
}

const read = (f: string) => {
  try { return readFileSync(f, 'utf8'); } catch { return undefined; }
};

async function waitFor<V>(what: string, ms: number, pred: () => V): Promise<NonNullable<V>> {
  const end = performance.now() + ms;
  for (;;) {
    const v = pred();
    if (v) return v as NonNullable<V>;
    if (performance.now() > end) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

test('the same path for two of the agent\'s files is refused at start (64 by flags, 78 by the config) and on SIGHUP (the old config kept)', async (t) => {
  const dir = tempDir(t);
  const port = await openPort(t);
  const common = ['--state-dir', join(dir, 'st'), '--maintenance-file', '', '--no-restart', '--port', `127.0.0.1:${port}`];
  let r = await hacheck('agent', '--state-file', join(dir, 'track'), '--status-file', join(dir, 'track'), ...common);
  assert.equal(r.code, 64, r.stderr);
  assert.equal(r.stderr, `hacheck: --status-file: ${join(dir, 'track')} is also --state-file: each needs a file of its own (one written over the other: keepalived reads a track_file holding JSON or log lines as 0, healthy)\n`);
  assert.equal(existsSync(join(dir, 'track')), false, 'nothing written');
  // the same file spelled through a symlink to its directory, and the metrics textfile
  symlinkSync(dir, join(dir, 'alias'));
  r = await hacheck('agent', '--state-file', join(dir, 'hacheck.prom'), '--status-file', join(dir, 's.json'), '--metrics-dir', join(dir, 'alias'), ...common);
  assert.equal(r.code, 64, r.stderr);
  assert.match(r.stderr, /^hacheck: --metrics-dir: .*alias\/hacheck\.prom is also --state-file/);
  const cfg = (status: string, log = '') => `state_dir: ${join(dir, 'st')}\nmaintenance_file: ""\n${log}agent:\n  interval: 100ms\n  state_file: ${join(dir, 'state')}\n  status_file: ${status}\nprobes:\n  - type: port\n    targets: ["127.0.0.1:${port}"]\n`;
  writeFileSync(join(dir, 'bad.yaml'), cfg(join(dir, 'state')));
  r = await hacheck('agent', '-c', join(dir, 'bad.yaml'));
  assert.equal(r.code, 78, r.stderr);
  assert.match(r.stderr, /^hacheck: agent\.status_file: .*\/state is also agent\.state_file: each needs a file of its own/);
  writeFileSync(join(dir, 'bad.yaml'), cfg(join(dir, 'status.json'), `log:\n  file: ${join(dir, 'state')}\n`));
  r = await hacheck('agent', '-c', join(dir, 'bad.yaml'));
  assert.equal(r.code, 78, r.stderr);
  assert.match(r.stderr, /^hacheck: log\.file: .*\/state is also agent\.state_file/);
  // SIGHUP onto the same path: refused like a bad config, the agent keeps its files
  const good = join(dir, 'good.yaml');
  writeFileSync(good, cfg(join(dir, 'status.json')));
  const a = spawnAgent(t, ['-c', good]);
  await waitFor('healthy', 10_000, () => read(join(dir, 'state')) === '0\n');
  writeFileSync(good, cfg(join(dir, 'state')));
  process.kill(a.child.pid!, 'SIGHUP');
  await waitFor('reload refused', 5_000, () => /reload failed, keeping the old config: agent\.status_file: .*is also agent\.state_file/.test(a.stderr()));
  const c0 = JSON.parse(read(join(dir, 'status.json'))!).cycle;
  await waitFor('cycles on', 5_000, () => JSON.parse(read(join(dir, 'status.json')) ?? '{}').cycle >= c0 + 3);
  assert.equal(read(join(dir, 'state')), '0\n', 'the track_file is still the integer');
});

test('the kernel\'s files and devices: a path under /proc or /dev, or a final symlink to a FIFO or a terminal, is refused at start (64 / 78) and left as it was', async (t) => {
  const dir = tempDir(t);
  const common = ['--state-dir', join(dir, 'st'), '--maintenance-file', '', '--no-restart', '--port', '127.0.0.1:1'];
  let r = await hacheck('agent', '--status-file', '/proc/self/hacheck-status.json', ...common);
  assert.equal(r.code, 64, r.stderr);
  assert.equal(r.stderr, "hacheck: --status-file: /proc/self/hacheck-status.json is under /proc (the kernel's files: hacheck writes no file there): the agent replaces this file on every write; name a regular file (e.g. /run/hacheck/status.json)\n");
  // --state-file /dev/stdout: a link to the caller's terminal or pipe; the same through a link of our own
  symlinkSync('/proc/self/fd/1', join(dir, 'stdout'));
  r = await hacheck('agent', '--state-file', join(dir, 'stdout'), ...common);
  assert.equal(r.code, 64, r.stderr);
  assert.match(r.stderr, /^hacheck: --state-file: .*\/stdout is a symbolic link to (a FIFO|a character device|a socket): the agent replaces this file/);
  spawnSync('mkfifo', [join(dir, 'fifo')]);
  symlinkSync(join(dir, 'fifo'), join(dir, 'to-fifo'));
  writeFileSync(join(dir, 'c.yaml'), `maintenance_file: ""\nagent:\n  state_file: ${join(dir, 'to-fifo')}\nprobes:\n  - type: port\n    targets: [1]\n`);
  r = await hacheck('agent', '-c', join(dir, 'c.yaml'), '--state-dir', join(dir, 'st'));
  assert.equal(r.code, 78, r.stderr);
  assert.match(r.stderr, /^hacheck: agent\.state_file: .*to-fifo is a symbolic link to a FIFO/);
  // the one-shot check: a state dir or log.file there
  r = await hacheck('check', '-c', '/dev/null', '--state-dir', '/proc/self/hacheck', '--maintenance-file', '', '--port', '127.0.0.1:1');
  assert.equal(r.code, 64, r.stderr);
  assert.match(r.stderr, /^hacheck: --state-dir: \/proc\/self\/hacheck is under \/proc/);
  // a log.file there is never opened (nor its directory made); a log that cannot be opened does not stop the check
  writeFileSync(join(dir, 'log.yaml'), `maintenance_file: ""\nlog:\n  file: /sys/hacheck-test/hacheck.log\nprobes:\n  - type: port\n    targets: [1]\n`);
  r = await hacheck('check', '-c', join(dir, 'log.yaml'), '--state-dir', join(dir, 'st'));
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^hacheck: cannot open log file \/sys\/hacheck-test\/hacheck\.log: not opened: directory \/sys\/hacheck-test is under \/sys/);
  assert.deepEqual(readdirSync(dir).filter((f) => f !== 'st').sort(), ['c.yaml', 'fifo', 'log.yaml', 'stdout', 'to-fifo'], 'nothing written or replaced');
});

test('a config another user could write may not choose where root writes (agent.state_file, status_file, metrics, log.file, state_dir: 78), nor, without such keys, the verdict (78)', { skip: !root && 'needs root (chown)' }, async (t) => {
  const dir = tempDir(t);
  const shadow = join(dir, 'rootonly');
  mkdirSync(shadow, { mode: 0o755 });
  writeFileSync(join(shadow, 'shadow'), 'root:secret\n', { mode: 0o600 });
  const theirs = join(dir, 'theirs');
  mkdirSync(theirs, { mode: 0o755 });
  chownSync(theirs, 65534, 65534);
  const put = (name: string, text: string) => {
    const p = join(theirs, name);
    writeFileSync(p, text);
    chownSync(p, 65534, 65534);
    return p;
  };
  const probes = 'maintenance_file: ""\nprobes:\n  - type: port\n    targets: [1]\n';
  const cases: [string, string][] = [
    ['agent.state_file', `agent:\n  state_file: ${join(shadow, 'shadow')}\n`],
    ['agent.status_file', `agent:\n  status_file: ${join(shadow, 'status.json')}\n`],
    ['agent.metrics.textfile_dir', `agent:\n  metrics:\n    textfile_dir: ${shadow}\n`],
    ['log.file', `log:\n  file: ${join(shadow, 'planted.log')}\n`],
    ['state_dir', `state_dir: ${shadow}\n`],
  ];
  for (const [key, text] of cases) {
    const c = put(`${key}.yaml`, probes + text);
    const r = await hacheck('agent', '-c', c, '--state-file', join(dir, 'state'), '--status-file', join(dir, 'status.json'), '--state-dir', join(dir, 'st'));
    assert.equal(r.code, 78, `${key}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`refusing a config that names ${key.replace(/\./g, '\\.')} \\(where root writes\\) to run as uid 0: .* is owned by uid 65534, not root`), key);
  }
  // the one-shot check too (what keepalived runs): its log.file
  const c = put('check.yaml', `${probes}log:\n  file: ${join(shadow, 'planted.log')}\n`);
  const r = await hacheck('check', '-c', c, '--state-dir', join(dir, 'st'));
  assert.equal(r.code, 78, r.stderr);
  assert.deepEqual(readdirSync(shadow), ['shadow']);
  assert.equal(readFileSync(join(shadow, 'shadow'), 'utf8'), 'root:secret\n');
  // the same config without a path still decides the verdict (probes: port 22 would read healthy with nginx down): refused too
  const plain = put('plain.yaml', probes);
  const p = await hacheck('check', '-c', plain, '--state-dir', join(dir, 'st'));
  assert.equal(p.code, 78, p.stderr);
  assert.match(p.stderr, /refusing a config that decides this node's verdict \(a user who can write it can make a node whose nginx is down read healthy\) to run as uid 0: .* is owned by uid 65534, not root/);
  // a key spelling out its default moves nothing (the shipped hacheck.yaml writes state_dir: /run/hacheck): not named as a write path
  const spelled = put('defaults.yaml', `${probes}state_dir: /run/hacheck\nagent:\n  state_file: /run/hacheck/state\n  status_file: /run/hacheck//status.json\nrestart:\n  log: /run/hacheck/restart.log\n`);
  const d = await hacheck('check', '-c', spelled, '--state-dir', join(dir, 'st'));
  assert.equal(d.code, 78, d.stderr);
  assert.match(d.stderr, /refusing a config that decides this node's verdict/);
  assert.doesNotMatch(d.stderr, /where root writes/);
});

test('one agent per status file: a second agent with its own track_file but the same status file exits 75, the guard keeps reading the first', async (t) => {
  const dir = tempDir(t);
  const port = await openPort(t);
  const a = spawnAgent(t, ['--state-file', join(dir, 'state'), '--status-file', join(dir, 'status.json'), '--state-dir', join(dir, 'st'), '--maintenance-file', '', '--no-restart', '--port', `127.0.0.1:${port}`, '--interval', '100ms']);
  await waitFor('healthy', 10_000, () => JSON.parse(read(join(dir, 'status.json')) ?? '{}').verdict === 'healthy');
  const r = await hacheck('agent', '--state-file', join(dir, 'state-test'), '--status-file', join(dir, 'status.json'), '--state-dir', join(dir, 'st2'), '--maintenance-file', '', '--no-restart', '--port', '127.0.0.1:1', '--interval', '100ms');
  assert.equal(r.code, 75, r.stderr);
  assert.equal(r.stderr, `hacheck: status file ${join(dir, 'status.json')} is kept by another hacheck agent (pid ${a.child.pid}): one agent per status file; stop that one first (\`hacheck status\` shows it), or give this one its own agent.state_file, status_file and metrics\n`);
  assert.equal(existsSync(join(dir, 'state-test')), false, 'the second agent wrote no track_file');
  assert.equal(existsSync(join(dir, '.state-test.agent')), true, 'its track_file claim was made then released');
  const s = JSON.parse(read(join(dir, 'status.json'))!);
  assert.equal(s.pid, a.child.pid);
  assert.equal(s.verdict, 'healthy');
  // a third agent whose track_file is the first one's status file: the same claim
  const third = await hacheck('agent', '--state-file', join(dir, 'status.json'), '--status-file', join(dir, 's3.json'), '--state-dir', join(dir, 'st3'), '--maintenance-file', '', '--no-restart', '--port', '127.0.0.1:1');
  assert.equal(third.code, 75, third.stderr);
});

test('an agent that loses the claim (75) writes nothing first: no log.file, not even its directory; the winner\'s log.file is made at its first record', async (t) => {
  const dir = tempDir(t);
  const port = await openPort(t);
  const common = ['--state-dir', join(dir, 'st'), '--maintenance-file', '', '--no-restart', '--port', `127.0.0.1:${port}`, '--interval', '100ms'];
  const cfg = (name: string) => {
    const path = join(dir, `${name}.yaml`);
    writeFileSync(path, `log:\n  file: ${join(dir, `logs-${name}`, 'hacheck.log')}\n`);
    return path;
  };
  spawnAgent(t, ['-c', cfg('first'), '--state-file', join(dir, 'state'), '--status-file', join(dir, 'status.json'), ...common]);
  const log = await waitFor('the first agent\'s log', 10_000, () => read(join(dir, 'logs-first', 'hacheck.log'))?.match(/hacheck agent: started/));
  assert.ok(log);
  for (const [what, args] of [
    ['the same track_file', ['--state-file', join(dir, 'state'), '--status-file', join(dir, 'status-2.json')]],
    ['the same status file', ['--state-file', join(dir, 'state-2'), '--status-file', join(dir, 'status.json')]],
  ] as const) {
    const r = await hacheck('agent', '-c', cfg('second'), ...args, ...common);
    assert.equal(r.code, 75, `${what}: ${r.stderr}`);
    assert.match(r.stderr, /is kept by another hacheck agent/);
    assert.equal(existsSync(join(dir, 'logs-second')), false, `${what}: no log directory, no empty log file`);
  }
});

test('rm -rf of the track_file\'s directory: the agent makes its claims again with the files, and a second agent still exits 75', async (t) => {
  const dir = tempDir(t);
  const port = await openPort(t);
  const d = join(dir, 'd');
  const a = spawnAgent(t, ['--state-file', join(d, 'state'), '--status-file', join(d, 'status.json'), '--state-dir', join(dir, 'st'), '--maintenance-file', '', '--no-restart', '--port', `127.0.0.1:${port}`, '--interval', '100ms']);
  await waitFor('healthy', 10_000, () => read(join(d, 'state')) === '0\n');
  assert.deepEqual(readdirSync(d).filter((f) => f.endsWith('.agent')).sort(), ['.state.agent', '.status.json.agent']);
  rmSync(d, { recursive: true, force: true });
  await waitFor('recreated with its claims', 5_000, () => existsSync(join(d, 'state')) && existsSync(join(d, '.state.agent')) && existsSync(join(d, '.status.json.agent')));
  await waitFor('said once', 5_000, () => /the claim of track_file .* was gone .*: claimed again/.test(a.stderr()));
  const r = await hacheck('agent', '--state-file', join(d, 'state'), '--status-file', join(d, 's2.json'), '--state-dir', join(dir, 'st2'), '--maintenance-file', '', '--no-restart', '--port', '127.0.0.1:1');
  assert.equal(r.code, 75, r.stderr);
  assert.match(r.stderr, new RegExp(`track_file ${d}/state is kept by another hacheck agent \\(pid ${a.child.pid}\\)`));
  assert.equal(read(join(d, 'state')), '0\n');
});
