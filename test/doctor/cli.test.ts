// `hacheck doctor` as a user runs it: the built CLI, real files on disk (owners,
// modes, a seed script's text), exit codes 0/1/2 and 78, --json.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hacheck, startHacheck } from '../fixtures/hacheck.ts';
import { fixture, scriptDir } from './helpers.ts';

// keepalived's script security wants root-owned paths without group/other write: /run is such a parent
let dir: string;
before(() => {
  dir = scriptDir('hacheck-doctor-');
  writeFileSync(join(dir, 'loose.sh'), '#!/bin/sh\nexit 0\n');
  chmodSync(join(dir, 'loose.sh'), 0o777);
  copyFileSync(fixture('../../../bench/seeds/ck_nginx-004.sh'), join(dir, 'ck_nginx.sh'));
  chmodSync(join(dir, 'ck_nginx.sh'), 0o755);
  writeFileSync(join(dir, 'hacheck.yaml'), 'timeout: 3s\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

function conf(name: string, opts: { script: string; security?: boolean; weight?: number; timeout?: number; extra?: string }) {
  const text = [
    'global_defs {',
    ...(opts.security === false ? [] : ['    enable_script_security']),
    '    script_user root',
    '}',
    'vrrp_script chk {',
    `    script "${opts.script}"`,
    '    interval 4',
    `    timeout ${opts.timeout ?? 2}`,
    `    weight ${opts.weight ?? 0}`,
    '}',
    'vrrp_instance VI_1 {',
    '    state MASTER',
    '    interface eth0',
    '    virtual_router_id 51',
    '    priority 100',
    '    virtual_ipaddress {',
    '        192.0.2.10',
    '    }',
    '    track_script {',
    '        chk',
    '    }',
    '}',
  ].join('\n');
  writeFileSync(join(dir, name), text + '\n' + (opts.extra ?? ''));
  return join(dir, name);
}

const json = (stdout: string) => JSON.parse(stdout) as { findings: { severity: string; code: string; file: string; line: number; message: string }[]; exit_code: number; instances: { checks: { text: string; moves?: boolean }[] }[] };

test('a clean config: exit 0, "no findings", the arithmetic in the report; a weighted one adds a note (exit still 0)', async () => {
  const c = conf('clean.conf', { script: `${join(dir, 'hacheck')} --timeout 1500ms` });
  let r = await hacheck('doctor', '--keepalived-conf', c, '--peer-conf', fixture('findings/clean.peer.conf'), '-c', join(dir, 'hacheck.yaml'));
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /vrrp_instance VI_1 \(.*clean\.conf:11\): MASTER, priority 100, virtual_router_id 51/);
  assert.match(r.stdout, /track_script chk: if hacheck fails on this node, priority 100 → FAULT \(advertises priority 0\); peer BACKUP VI_1 \(priority 90\) takes over → the VIP MOVES \(after fall 1 × interval 4s ≈ 4s\); the peer takes over 0\.648s after the priority-0 advert/);
  assert.match(r.stdout, /\nno findings\n$/);
  // keepalived's own check of both files is in the header; the peer's script is not on this host, which says nothing about the peer
  if (existsSync('/usr/sbin/keepalived')) {
    assert.match(r.stdout, /\n  keepalived \d+\.\d+\.\d+ --config-test: clean \(exit 0, \d+ ms, deadline 3000 ms\)\npeer config: /);
    assert.match(r.stdout, /peer config: .*\n  keepalived .*about this host's interfaces, users or files, not the peer's: "Disabling track script chk_hacheck since not found\/accessible"/);
  }

  const w = conf('weighted.conf', { script: `${join(dir, 'hacheck')} --timeout 1500ms`, weight: -20 });
  r = await hacheck('doctor', '--keepalived-conf', w, '--peer-conf', fixture('findings/clean.peer.conf'), '-c', join(dir, 'hacheck.yaml'));
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /track_script chk: if hacheck fails on this node, priority 100 → 80; peer BACKUP has 90 → the VIP MOVES \(after fall 1 × interval 4s ≈ 4s\); the peer discards the lower-priority adverts and takes over when its master down timer expires, 3\.648s after the last advert it accepted/);
  assert.match(r.stdout, /\n1 note:\ninfo    .*weighted\.conf:9: vrrp_instance VI_1: track_script chk: weight -20 lowers the priority \(100 → 80\) instead of FAULT: .*3\.648s.*0\.648s after the priority-0 advert\n        fix: weight 0 \(FAULT\)/);
  r = await hacheck('doctor', '--keepalived-conf', w, '--peer-conf', fixture('findings/clean.peer.conf'), '-c', join(dir, 'hacheck.yaml'), '--json');
  const doc = json(r.stdout) as ReturnType<typeof json> & { summary: Record<string, number>; instances: { checks: { takeover?: unknown }[] }[] };
  assert.deepEqual(doc.summary, { errors: 0, warnings: 0, info: 1 });
  assert.equal(doc.exit_code, 0);
  assert.deepEqual(doc.instances[0].checks[0].takeover, { by: 'master-down', ms: 3648, exact: true, formula: '3 × advert_int 1s + skew 0.648s' });
});

test('warnings only: exit 1; a group/other-writable script is a warning without script security', async () => {
  const c = conf('loose.conf', { script: join(dir, 'loose.sh'), security: false });
  const r = await hacheck('doctor', '--keepalived-conf', c, '--peer-conf', fixture('findings/clean.peer.conf'), '--json');
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const doc = json(r.stdout);
  assert.equal(doc.exit_code, 1);
  assert.deepEqual(doc.findings.map((f) => `${f.severity} ${f.code} ${f.line}`), ['warning no-script-security 1', 'warning script-unsafe 5']);
  assert.match(doc.findings[1].message, /loose\.sh is group\/other-writable \(mode 0777\)/);
});

test('errors: exit 2; with enable_script_security an unsafe script is disabled; a missing one too', async () => {
  const unsafe = conf('unsafe.conf', { script: join(dir, 'loose.sh') });
  let r = await hacheck('doctor', '--keepalived-conf', unsafe, '--json');
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.deepEqual(json(r.stdout).findings.map((f) => `${f.severity} ${f.code} ${f.line}`), ['error script-unsafe 6']);
  const missing = conf('missing.conf', { script: join(dir, 'nope', 'hacheck') });
  r = await hacheck('doctor', '--keepalived-conf', missing, '--json');
  assert.equal(r.code, 2);
  assert.deepEqual(json(r.stdout).findings.map((f) => `${f.severity} ${f.code} ${f.line}`), ['error script-missing 6']);
});

test("the deadline comes from -c hacheck.yaml: timeout 3s vs keepalived's timeout 2", async () => {
  const c = conf('deadline.conf', { script: join(dir, 'hacheck'), timeout: 2 });
  const r = await hacheck('doctor', '--keepalived-conf', c, '-c', join(dir, 'hacheck.yaml'));
  assert.equal(r.code, 2);
  assert.match(r.stdout, /hacheck deadline: 3s \(timeout in .*hacheck\.yaml\)/);
  assert.match(r.stdout, /error   .*deadline\.conf:8: vrrp_script chk: keepalived kills the script after 2s, but hacheck may run for up to 3s \(timeout in .*hacheck\.yaml\)/);
  assert.match(r.stdout, /fix: timeout 4 \(longer than hacheck's deadline\)/);
});

test('a readable seed script: killall keepalived and sleep are read from the real file', async () => {
  const c = conf('seed.conf', { script: join(dir, 'ck_nginx.sh'), timeout: 2 });
  const r = await hacheck('doctor', '--keepalived-conf', c, '--json');
  const doc = json(r.stdout);
  assert.deepEqual(doc.findings.map((f) => `${f.code} ${f.line}`), ['kills-keepalived 6', 'script-killed 8']);
  assert.match(doc.findings[0].message, /ck_nginx\.sh:10 stops keepalived \(`killall keepalived/);
});

test('unreadable files: exit 78, one line with file:line; braces keepalived reads on are findings (exit 2)', async () => {
  let r = await hacheck('doctor', '--keepalived-conf', fixture('parse-errors/unclosed.conf'), '--json');
  assert.equal(r.code, 2);
  assert.deepEqual(json(r.stdout).findings.filter((f) => f.code === 'unclosed-block').map((f) => f.line), [4]);
  r = await hacheck('doctor', '--keepalived-conf', fixture('parse-errors/includes-bad.conf'), '--json');
  assert.ok(json(r.stdout).findings.some((f) => f.code === 'extra-brace' && /inc\/bad\.conf$/.test(f.file) && f.line === 4), r.stdout);
  r = await hacheck('doctor', '--keepalived-conf', join(dir, 'absent.conf'));
  assert.equal(r.code, 78);
  assert.match(r.stderr, /^hacheck: .*absent\.conf: cannot read keepalived config: ENOENT/);
  r = await hacheck('doctor', '--keepalived-conf', fixture('findings/clean.conf'), '--peer-conf', join(dir, 'absent-peer.conf'));
  assert.equal(r.code, 78);
  assert.match(r.stderr, /absent-peer\.conf: cannot read keepalived config: ENOENT/);
});

test("a guard's -c config: its agent.interval is what --max-age must cover", async () => {
  writeFileSync(join(dir, 'agent.yaml'), 'agent:\n  interval: 2s\n');
  const c = conf('guard.conf', { script: `${join(dir, 'hacheck')} status -c ${join(dir, 'agent.yaml')} --max-age 3s` });
  const r = await hacheck('doctor', '--keepalived-conf', c, '--json');
  const doc = json(r.stdout);
  assert.deepEqual(doc.findings.map((f) => `${f.severity} ${f.code} ${f.line}`), ['warning status-max-age 6']);
  assert.match(doc.findings[0].message, /--max-age 3s cannot cover the agent: it rewrites the status every cycle, at the end of a cycle \(every 2s, each up to its 2s deadline\), so two writes can be 4s apart/);
  assert.equal(r.code, 1);
});

test('a hacheck config with restart enabled that a non-root user can write is an error (root runs the command it names)', async () => {
  const sub = join(dir, 'loosedir');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(sub, { recursive: true });
  chmodSync(sub, 0o777);
  writeFileSync(join(sub, 'restart.yaml'), 'timeout: 1500ms\nrestart:\n  enabled: true\n');
  chmodSync(join(sub, 'restart.yaml'), 0o644);
  const c = conf('trust.conf', { script: `${join(dir, 'hacheck')} -c ${join(sub, 'restart.yaml')}`, timeout: 3 });
  let r = await hacheck('doctor', '--keepalived-conf', c, '--no-keepalived', '--json');
  let doc = json(r.stdout);
  assert.deepEqual(doc.findings.map((f) => `${f.severity} ${f.code} ${f.line}`), ['error config-unsafe 6']);
  assert.match(doc.findings[0].message, /restart\.yaml \(-c of vrrp_script chk\) enables restart and .*loosedir is group\/other-writable \(mode 0777\): whoever can change it chooses the command root runs/);
  assert.equal(r.code, 2);
  // root-owned, not group/other-writable: fine; restart off: fine even in a loose directory
  chmodSync(sub, 0o755);
  r = await hacheck('doctor', '--keepalived-conf', c, '--no-keepalived', '--json');
  assert.deepEqual(json(r.stdout).findings, []);
  chmodSync(sub, 0o777);
  writeFileSync(join(sub, 'restart.yaml'), 'timeout: 1500ms\n');
  r = await hacheck('doctor', '--keepalived-conf', c, '--no-keepalived', '--json');
  doc = json(r.stdout);
  assert.deepEqual(doc.findings, []);
  chmodSync(sub, 0o755);
});

test("--json: each hacheck script's deadline, keepalived's config test line, keepalived's words on a finding", async () => {
  const c = conf('json.conf', { script: `${join(dir, 'hacheck')} --timeout 5s`, timeout: 3, extra: '' });
  writeFileSync(c, readFileSync(c, 'utf8').replace('    interval 4', '    interval 4\n    raise 2'));
  let r = await hacheck('doctor', '--keepalived-conf', c, '--no-keepalived', '--json');
  let doc = JSON.parse(r.stdout) as { deadlines: unknown[]; keepalived_config_test: Record<string, string>; findings: { code: string; keepalived?: string[] }[] };
  assert.deepEqual(doc.deadlines, [{ script: 'chk', deadline_ms: 5000, from: "--timeout 5s on vrrp_script chk's command line" }]);
  assert.deepEqual(doc.keepalived_config_test, {});
  assert.deepEqual(doc.findings.map((f) => f.code).sort(), ['script-interval', 'script-timeout', 'unknown-keyword']);
  r = await hacheck('doctor', '--keepalived-conf', c);
  assert.match(r.stdout, /^hacheck deadline: 5s \(--timeout 5s on vrrp_script chk's command line\)$/m);
  if (!existsSync('/usr/sbin/keepalived') || process.getuid?.() !== 0) return;
  r = await hacheck('doctor', '--keepalived-conf', c, '--json');
  doc = JSON.parse(r.stdout);
  assert.match(doc.keepalived_config_test.local, /^keepalived \d+\.\d+\.\d+ --config-test: /);
  // eth0 may be missing on this host (keepalived then stops early): the keyword line comes first either way
  assert.deepEqual(doc.findings.find((f) => f.code === 'unknown-keyword')?.keepalived, ["Unknown keyword 'raise'"]);
});

test('a keepalived.conf without vrrp_instance (global_defs only): a warning (nothing can move), exit 1, never "no findings"', async () => {
  const bare = join(dir, 'bare.conf');
  writeFileSync(bare, 'global_defs {\n    router_id lb1\n}\n');
  const r = await hacheck('doctor', '--keepalived-conf', bare, '--no-keepalived');
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /warning +.*bare\.conf:1: no vrrp_instance/);
  assert.doesNotMatch(r.stdout, /no findings/);
  // keepalived itself accepts the file (exit 0): the finding is the doctor's
  const k = await hacheck('doctor', '--keepalived-conf', bare, '--json');
  assert.equal(JSON.parse(k.stdout).findings[0].code, 'no-instance');
  // an empty file: exit 78, one line (doctor.ts)
  const empty = join(dir, 'empty.conf');
  writeFileSync(empty, '');
  const e = await hacheck('doctor', '--keepalived-conf', empty, '--no-keepalived');
  assert.equal(e.code, 78);
});

test("a `</dev/tcp/…` check under a /bin/sh that is not bash: it always fails (keepalived runs `</…` lines with /bin/sh -c)", async (t) => {
  const { realpathSync } = await import('node:fs');
  const { spawnSync } = await import('node:child_process');
  const { createServer } = await import('node:net');
  const sh = realpathSync('/bin/sh');
  if (/(^|\/)bash$/.test(sh)) return t.skip('/bin/sh is bash here: /dev/tcp works');
  // the shell itself, with a listener on the port: still exit 2 (dash: "cannot open /dev/tcp/…")
  const server = createServer((c) => c.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const r = spawnSync('/bin/sh', ['-c', `</dev/tcp/127.0.0.1/${port}`]);
  server.close();
  assert.equal(r.status, 2);
  const path = join(dir, 'devtcp.conf');
  writeFileSync(path, ['global_defs {', '    enable_script_security', '    script_user root', '}', 'vrrp_script chk_tcp {', `    script "</dev/tcp/127.0.0.1/${port}"`, '    interval 2', '    weight -20', '}',
    'vrrp_instance VI_1 {', '    state BACKUP', '    interface eth0', '    virtual_router_id 51', '    priority 100', '    virtual_ipaddress {', '        198.51.100.10', '    }',
    '    track_script {', '        chk_tcp', '    }', '}', ''].join('\n'));
  for (const extra of [['--no-keepalived'], []]) {
    const d = await hacheck('doctor', '--keepalived-conf', path, '--json', ...extra);
    const j = JSON.parse(d.stdout);
    const codes = j.findings.map((f: { code: string; line: number }) => `${f.line} ${f.code}`);
    assert.ok(codes.includes('6 script-always-fails'), codes.join(', '));
    // keepalived does run it (no file check for `</…`): not missing, not disabled
    assert.ok(!codes.some((c: string) => /script-missing|script-unsafe/.test(c)), codes.join(', '));
    assert.equal(d.code, 2);
  }
});

test('a FIFO as --keepalived-conf or --peer-conf: one line, exit 78, at once (opening it must not wait for a writer)', async () => {
  const { spawnSync } = await import('node:child_process');
  const fifo = join(dir, 'keepalived.fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const conf = join(dir, 'fifo-main.conf');
  writeFileSync(conf, 'vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n    priority 100\n    virtual_ipaddress {\n        198.51.100.10\n    }\n}\n');
  for (const args of [['--keepalived-conf', fifo], ['--keepalived-conf', conf, '--peer-conf', fifo]]) {
    const t0 = Date.now();
    const { child, done } = startHacheck(['doctor', '--no-keepalived', ...args]);
    // a hung doctor is killed (its process group) so that the suite ends; the assertions below then fail
    const kill = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 10_000);
    const r = await done;
    clearTimeout(kill);
    assert.equal(r.code, 78, r.stdout + r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    // src/sys/trusted-file.ts reads it bounded (no writer: nothing in it); either way one line naming it
    assert.match(r.stderr, /keepalived\.fifo/);
    assert.ok(Date.now() - t0 < 10_000);
  }
});

test("hacheck configs the doctor reads (-c, a script line's -c) that are /dev/zero or a FIFO: -c is one line and exit 78, a script's is passed over; never a hang", async () => {
  const { spawnSync } = await import('node:child_process');
  const fifo = join(dir, 'hacheck.fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const conf = join(dir, 'script-fifo.conf');
  writeFileSync(conf, `global_defs {\n    script_user root\n}\nvrrp_script chk {\n    script "/usr/bin/hacheck -c ${fifo}"\n}\nvrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n    virtual_ipaddress {\n        198.51.100.10\n    }\n    track_script {\n        chk\n    }\n}\n`);
  const run = async (args: string[]) => {
    const { child, done } = startHacheck(['doctor', '--no-keepalived', ...args]);
    const kill = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 10_000);
    const r = await done;
    clearTimeout(kill);
    return r;
  };
  for (const c of ['/dev/zero', fifo]) {
    const r = await run(['--keepalived-conf', conf, '-c', c]);
    assert.equal(r.code, 78, r.stdout + r.stderr);
    // loadFile (src/config/load.ts) reads it bounded: one line naming it
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(r.stderr.startsWith(`hacheck: ${c}`), r.stderr);
  }
  const s = await run(['--keepalived-conf', conf]);
  assert.ok(s.code === 1 || s.code === 2, `${s.code} ${s.signal} ${s.stderr}`);
});
