// The agent's systemd unit and the keepalived examples, checked by the real
// tools: `systemd-analyze verify` and keepalived's own config test (`-t`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;
const UNIT = join(root, 'packaging/systemd/hacheck-agent.service');
const AGENT_CONF = join(root, 'packaging/keepalived/keepalived-agent.conf');
const ONESHOT_CONF = join(root, 'packaging/keepalived/keepalived-oneshot.conf');

const have = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;

/** A root-owned, not group/world-writable stand-in for /usr/bin/hacheck (keepalived's script security checks the path). */
function stubBinary(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-pkg-'));
  chmodSync(dir, 0o755);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bin = join(dir, 'hacheck');
  writeFileSync(bin, `#!/bin/sh\nexec ${join(root, 'bin/hacheck')} "$@"\n`);
  chmodSync(bin, 0o755);
  return bin;
}

/** [section, key, value] for every setting of a systemd unit file. */
function unitSettings(text: string): [string, string, string][] {
  let section = '';
  const out: [string, string, string][] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[(\w+)\]$/.exec(line);
    if (sec) { section = sec[1]; continue; }
    const kv = /^(\w+)=(.*)$/.exec(line);
    assert.ok(kv, `not a key=value line: ${line}`);
    out.push([section, kv[1], kv[2]]);
  }
  return out;
}

test('systemd unit: the keys a probe agent needs, and no option that breaks it', () => {
  const s = unitSettings(readFileSync(UNIT, 'utf8'));
  const get = (k: string) => s.filter(([, key]) => key === k).map(([, , v]) => v);
  const one = (k: string) => get(k).join(' ');
  assert.match(one('ExecStart'), /^\/usr\/bin\/hacheck agent\b/);
  assert.match(one('ExecReload'), /kill -HUP \$MAINPID/);
  assert.equal(one('Type'), 'simple');
  assert.equal(one('Restart'), 'always');
  assert.equal(one('ProtectSystem'), 'strict');
  assert.ok(get('ReadWritePaths').join(' ').split(/\s+/).includes('/run/hacheck'));
  assert.equal(one('RuntimeDirectory'), 'hacheck');
  assert.equal(one('RuntimeDirectoryPreserve'), 'yes', 'a stop must not delete the track_file (missing reads as healthy)');
  assert.equal(one('ProtectHome'), 'yes');
  assert.equal(one('PrivateTmp'), 'yes');
  assert.equal(one('NoNewPrivileges'), 'yes');
  assert.equal(one('KillSignal'), 'SIGTERM');
  assert.deepEqual(get('MemoryDenyWriteExecute'), [], 'V8 needs W+X pages');
  assert.deepEqual(get('PrivateNetwork'), [], 'probes connect to local ports');
  assert.ok(!/invisible/.test(one('ProtectProc')), 'probes read other processes in /proc');
  assert.equal(one('WantedBy'), 'multi-user.target');
});

test('systemd unit: systemd-analyze verify is clean', { skip: !have('systemd-analyze') && 'systemd-analyze not installed' }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-unit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const unit = join(dir, 'hacheck-agent.service');
  writeFileSync(unit, readFileSync(UNIT, 'utf8').replaceAll('/usr/bin/hacheck', stubBinary(t)));
  const r = spawnSync('systemd-analyze', ['verify', '--man=no', unit], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr.trim(), '', 'no warnings (unknown keys, bad values)');
});

/** keepalived.conf "one keyword per line": a block opener, a closer, or one keyword and its arguments. */
function assertOneKeywordPerLine(text: string, file: string) {
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/[!#].*$/, '').trim();
    if (!line) return;
    const ok = line === '}' || /^[\w-]+( [\w-]+)?( \{)?$/.test(line) && (!line.includes('{') || line.endsWith('{')) ||
      /^[\w-]+ ("[^"]*"|\S+)( \S+)*$/.test(line) && !/[{}]/.test(line) || /^[0-9a-f.:]+\/\d+$/.test(line);
    assert.ok(ok, `${file}:${i + 1}: not one keyword per line: ${raw}`);
  });
}

for (const [name, file, script] of [['agent', AGENT_CONF, 'status --max-age'], ['one-shot', ONESHOT_CONF, 'check -c']] as const) {
  test(`keepalived example (${name}): enable_script_security, script_user, one keyword per line, passes keepalived -t`, { skip: !have('keepalived') && 'keepalived not installed' }, (t) => {
    const text = readFileSync(file, 'utf8');
    assert.match(text, /^\s*enable_script_security\s*$/m);
    assert.match(text, /^\s*script_user \w+\s*$/m);
    assert.match(text, new RegExp(`script "/usr/bin/hacheck ${script}`));
    if (name === 'agent') {
      assert.match(text, /^\s*track_file hacheck_state \{$/m);
      assert.match(text, /^\s*file \/run\/hacheck\/state$/m);
      assert.match(text, /^\s*hacheck_guard$/m);
    }
    assertOneKeywordPerLine(text, file);
    const dir = mkdtempSync(join(tmpdir(), 'hacheck-ka-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const conf = join(dir, 'keepalived.conf');
    writeFileSync(conf, text.replaceAll('/usr/bin/hacheck', stubBinary(t)));
    const r = spawnSync('keepalived', ['-t', '-f', conf, '-l', '-D'], { encoding: 'utf8', timeout: 20_000 });
    const out = r.stdout + r.stderr;
    assert.equal(r.status, 0, `keepalived -t exit ${r.status} ${r.signal ?? ''}: ${out}`);
    assert.doesNotMatch(out, /Unknown keyword|Disabling|insecure|Unsafe/i, out);
  });
}

const CAPS = ['CAP_DAC_OVERRIDE', 'CAP_NET_BIND_SERVICE', 'CAP_CHOWN', 'CAP_KILL'];
/** what `nginx -t` needs; CAP_KILL is for restart.kill_orphans (tested below) */
const NGINX_T_CAPS = CAPS.filter((c) => c !== 'CAP_KILL');

test('systemd unit: CapabilityBoundingSet keeps only what a restart needs (config test, orphans), each one explained', () => {
  const text = readFileSync(UNIT, 'utf8');
  const s = unitSettings(text);
  const get = (k: string) => s.filter(([, key]) => key === k).map(([, , v]) => v);
  assert.deepEqual(get('CapabilityBoundingSet').join(' ').split(/\s+/).sort(), [...CAPS].sort());
  assert.deepEqual(get('AmbientCapabilities'), ['']);
  const comments = text.split('\n').filter((l) => l.startsWith('#')).join('\n');
  for (const cap of CAPS) assert.match(comments, new RegExp(`^# - ${cap}: \\S`, 'm'), `${cap} has a reason in the unit`);
  assert.match(comments, /CAP_SYS_PTRACE/, 'the capability left out on purpose is named');
});

const root0 = process.getuid?.() === 0;
test('systemd unit: nginx -t passes with the bounding set, and fails without each of its capabilities', { skip: (!root0 || !have('setpriv') || !have('nginx')) && 'needs root, setpriv and nginx' }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-caps-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  // Debian's layout: logs www-data:adm 0640; a port below 1024 (81: nothing listens there); a temp path not created yet.
  const log = join(dir, 'error.log');
  writeFileSync(log, '');
  chmodSync(log, 0o640);
  spawnSync('chown', ['nobody', log]);
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, `user nobody nogroup;\nerror_log ${log};\npid ${dir}/nginx.pid;\nevents {}\nhttp {\n  access_log off;\n  client_body_temp_path ${dir}/body;\n  server {\n    listen 127.0.0.1:81;\n  }\n}\n`);
  const test = (caps: string[]) => {
    rmSync(join(dir, 'body'), { recursive: true, force: true });
    const set = ['-all', ...caps.map((c) => `+${c.slice(4).toLowerCase()}`)].join(',');
    return spawnSync('setpriv', [`--bounding-set=${set}`, '--inh-caps=-all', '--', 'nginx', '-t', '-c', conf, '-p', dir], { encoding: 'utf8', timeout: 20_000 });
  };
  const all = test(NGINX_T_CAPS);
  assert.equal(all.status, 0, all.stderr);
  for (const cap of NGINX_T_CAPS) {
    const r = test(NGINX_T_CAPS.filter((c) => c !== cap));
    assert.notEqual(r.status, 0, `nginx -t passed without ${cap}: the unit need not keep it`);
    assert.match(r.stderr, /Permission denied|Operation not permitted/);
  }
});

test('systemd unit: systemd-analyze security --offline rates it below 3.0', { skip: !have('systemd-analyze') && 'systemd-analyze not installed' }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-unit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const unit = join(dir, 'hacheck-agent.service');
  writeFileSync(unit, readFileSync(UNIT, 'utf8').replaceAll('/usr/bin/hacheck', stubBinary(t)));
  const r = spawnSync('systemd-analyze', ['security', '--offline=true', '--no-pager', unit], { encoding: 'utf8' });
  if (/offline/i.test(r.stderr) && r.status !== 0) return t.skip?.(`this systemd-analyze has no --offline: ${r.stderr.trim()}`);
  const level = Number(/Overall exposure level for hacheck-agent\.service: ([\d.]+)/.exec(r.stdout)?.[1]);
  assert.ok(level > 0 && level < 3.0, `exposure ${level}\n${r.stdout}`);
  assert.match(r.stdout, /✓ CapabilityBoundingSet=~CAP_SYS_ADMIN/);
});

test('systemd unit: signalling an orphaned worker (another uid) needs CAP_KILL, kept; /proc/<pid>/io and fd of nginx\'s processes need CAP_SYS_PTRACE, left out', { skip: (!root0 || !have('setpriv')) && 'needs root and setpriv' }, async (t) => {
  const { spawn } = await import('node:child_process');
  const worker = spawn('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'sleep', '30'], { stdio: 'ignore' });
  t.after(() => worker.kill('SIGKILL'));
  // setpriv execs sleep in the same process: wait until it runs as nobody
  const end = performance.now() + 10_000;
  while (!/^Uid:\s+65534\b/m.test(spawnSync('cat', [`/proc/${worker.pid}/status`], { encoding: 'utf8' }).stdout)) {
    assert.ok(performance.now() < end, 'worker stand-in did not start');
    await new Promise((r) => setTimeout(r, 20));
  }
  // kill_orphans: signalling a process of nginx's user needs CAP_KILL (kill -0: the permission check alone)
  const signal = (caps: string[]) => spawnSync('setpriv', [`--bounding-set=${['-all', ...caps.map((c) => `+${c.slice(4).toLowerCase()}`)].join(',')}`, '--inh-caps=-all', '--', 'kill', '-0', String(worker.pid)], { encoding: 'utf8' });
  assert.equal(signal(CAPS).status, 0, signal(CAPS).stderr);
  assert.notEqual(signal(CAPS.filter((c) => c !== 'CAP_KILL')).status, 0);
  const readIo = (caps: string[]) => spawnSync('setpriv', [`--bounding-set=${['-all', ...caps.map((c) => `+${c.slice(4).toLowerCase()}`)].join(',')}`, '--inh-caps=-all', '--', 'cat', `/proc/${worker.pid}/io`], { encoding: 'utf8' });
  const without = readIo(CAPS);
  assert.notEqual(without.status, 0);
  assert.match(without.stderr, /Permission denied/);
  assert.equal(readIo([...CAPS, 'CAP_SYS_PTRACE']).status, 0);
  // a root process with the full capability set (nginx's master) is out of reach too: the bounded agent lacks some of its capabilities
  const master = spawn('sleep', ['30'], { stdio: 'ignore' });
  t.after(() => master.kill('SIGKILL'));
  const ofRoot = spawnSync('setpriv', [`--bounding-set=${['-all', ...CAPS.map((c) => `+${c.slice(4).toLowerCase()}`)].join(',')}`, '--inh-caps=-all', '--', 'readlink', `/proc/${master.pid}/fd/0`], { encoding: 'utf8' });
  assert.notEqual(ofRoot.status, 0, 'fd of a fully capable root process');
});
