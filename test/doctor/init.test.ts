// `hacheck init` for both modes: the yaml validates, the snippet passes the real
// `keepalived -t -f` config test (Debian's keepalived: exit 0 and nothing on
// stderr when clean; 5/6 with messages otherwise), and `hacheck doctor` on the
// pair of snippets reports no findings.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { hacheck } from '../fixtures/hacheck.ts';
import { IFACE, KEEPALIVED, scriptDir } from './helpers.ts';

let dir: string;
// script security: the hacheck in the vrrp_script line must sit in root-owned, non-writable directories
before(() => {
  dir = scriptDir('hacheck-init-');
});
after(() => rmSync(dir, { recursive: true, force: true }));

const keepalived = KEEPALIVED;
const iface = IFACE;

async function init(mode: string, name: string, priority: number, peer: number, ...extra: string[]) {
  const r = await hacheck('init', '--mode', mode, '--priority', String(priority), '--peer-priority', String(peer), '--output', join(dir, name),
    '--hacheck-path', join(dir, 'hacheck'), '--vip', '192.0.2.77/24', ...(iface ? ['--interface', iface] : []), ...extra);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, `hacheck: wrote ${join(dir, name, 'hacheck.yaml')}\n`);
  writeFileSync(join(dir, `${name}.conf`), r.stdout);
  return r.stdout;
}

function keepalivedTest(conf: string) {
  const r = spawnSync(keepalived!, ['-t', '-f', conf], { encoding: 'utf8', timeout: 10_000 });
  return { code: r.status, stderr: r.stderr };
}

for (const mode of ['oneshot', 'agent']) {
  for (const onFailure of ['fault', 'weight']) {
    const tag = `${mode}${onFailure === 'weight' ? '-w' : ''}`;
    test(`init --mode ${mode} --on-failure ${onFailure}: valid yaml, keepalived -t accepts the snippet, doctor finds nothing${onFailure === 'weight' ? ' but the takeover notes' : ''}`, async (t) => {
      const extra = onFailure === 'weight' ? ['--on-failure', 'weight'] : [];
      const a = await init(mode, `${tag}-a`, 100, 90, ...extra);
      await init(mode, `${tag}-b`, 90, 100, ...extra);
      const w = onFailure === 'weight' ? -20 : 0;
      // every check written with that weight (track_file's default is 1, so 0 is spelled out)
      assert.deepEqual([...a.matchAll(/^\s+weight (\S+)$/gm)].map((m) => Number(m[1])), mode === 'agent' ? [w, w] : [w]);
      assert.match(a, /state MASTER\n/);
      assert.match(a, /enable_script_security\n\s+script_user root\n/);
      // the takeover time is stated: skew time for FAULT, master down interval for a weight
      if (onFailure === 'fault') assert.match(a, /weight 0: a failure here is FAULT .*\n# and the peer takes over 0\.648s later \(skew time \(256 − 90\)\/256 × advert_int 1\)/);
      else assert.match(a, /takes over only when its master down timer expires, up to\n# 3\.648s \(3 × advert_int \+ skew\)/);
      assert.match(readFileSync(join(dir, `${tag}-b.conf`), 'utf8'), /state BACKUP\n/);
      assert.match(a, new RegExp(`# On the peer run: hacheck init --mode ${mode}${onFailure === 'weight' ? ' --on-failure weight' : ''} --priority 90 --peer-priority 100 --vrid 51 --vip 192\\.0\\.2\\.77/24 `));
      if (mode === 'agent') {
        assert.match(a, new RegExp(`track_file hacheck_state \\{\n\\s+file "/run/hacheck/state"\n\\s+weight ${w}\n`));
        assert.match(a, new RegExp(`script "${join(dir, 'hacheck')} status -c ${join(dir, `${tag}-a`, 'hacheck.yaml')} --max-age 3s"`));
      } else {
        assert.match(a, new RegExp(`script "${join(dir, 'hacheck')} -c ${join(dir, `${tag}-a`, 'hacheck.yaml')}"\n\\s+interval 2\n\\s+timeout 2\n`));
      }
      for (const n of ['a', 'b']) {
        const v = await hacheck('validate', '-c', join(dir, `${tag}-${n}`, 'hacheck.yaml'));
        assert.equal(v.code, 0, v.stderr);
      }

      for (const [self, peer] of [['a', 'b'], ['b', 'a']]) {
        const cfg = join(dir, `${tag}-${self}`, 'hacheck.yaml');
        const r = await hacheck('doctor', '--keepalived-conf', join(dir, `${tag}-${self}.conf`), '-c', cfg, '--peer-conf', join(dir, `${tag}-${peer}.conf`), '--json');
        const doc = JSON.parse(r.stdout);
        const checks = doc.instances[0].checks as { moves?: boolean; takeover?: { by: string; ms: number } }[];
        const peerPrio = self === 'a' ? 90 : 100;
        const skew = Math.round(((256 - peerPrio) / 256) * 1000);
        if (onFailure === 'fault') {
          assert.deepEqual(doc.findings, [], `${tag}-${self}`);
          assert.ok(checks.every((c) => c.takeover?.by === 'skew' && c.takeover.ms === skew), JSON.stringify(checks));
        } else {
          // a note per weighted check (it does not count: exit 0), with the master down interval
          assert.deepEqual(doc.findings.map((f: { severity: string; code: string }) => `${f.severity} ${f.code}`), checks.map(() => 'info slow-takeover'), `${tag}-${self}`);
          assert.ok(checks.every((c) => c.takeover?.by === 'master-down' && c.takeover.ms === 3000 + skew), JSON.stringify(checks));
        }
        assert.equal(r.code, 0);
        assert.ok(checks.every((c) => c.moves === true), JSON.stringify(checks));
        const alone = await hacheck('doctor', '--keepalived-conf', join(dir, `${tag}-${self}.conf`), '-c', cfg);
        assert.equal(alone.code, 0, alone.stdout);
        assert.match(alone.stdout, onFailure === 'fault' ? /\nno findings\n$/ : /\n\d notes?:\ninfo /);
      }

      if (!keepalived || !iface) return t.skip('no keepalived binary or no non-loopback interface');
      for (const n of ['a', 'b']) {
        const k = keepalivedTest(join(dir, `${tag}-${n}.conf`));
        assert.deepEqual(k, { code: 0, stderr: '' }, `keepalived -t -f ${tag}-${n}.conf`);
      }
    });
  }
}

// keepalived -t exits 0 on some errors (an out-of-range priority, a missing config file): stderr is the signal
test('keepalived -t does complain about a bad line (the oracle is awake; its exit code alone is not enough)', (t) => {
  if (!keepalived || !iface) return t.skip('no keepalived binary or no non-loopback interface');
  const bad = join(dir, 'owner.conf');
  writeFileSync(bad, readFileSync(join(dir, 'oneshot-a.conf'), 'utf8').replace(/^    priority 100$/m, '    priority 300'));
  const k = keepalivedTest(bad);
  assert.match(k.stderr, /number '300' outside range \[1, 255\]/);
});

test('init refuses to overwrite without --force, and bad numbers are usage errors (64)', async () => {
  const yaml = join(dir, 'oneshot-a', 'hacheck.yaml');
  writeFileSync(yaml, '# mine\ntimeout: 1s\n');
  let r = await hacheck('init', '--output', join(dir, 'oneshot-a'), '--hacheck-path', join(dir, 'hacheck'));
  assert.equal(r.code, 64);
  assert.match(r.stderr, /hacheck\.yaml exists: not overwriting it \(use --force to replace it\)/);
  assert.equal(readFileSync(yaml, 'utf8'), '# mine\ntimeout: 1s\n');
  r = await hacheck('init', '--output', join(dir, 'oneshot-a'), '--force', '--hacheck-path', join(dir, 'hacheck'));
  assert.equal(r.code, 0, r.stderr);
  assert.match(readFileSync(yaml, 'utf8'), /^timeout: 1\.5s/m);

  for (const args of [['--priority', '255'], ['--priority', '100', '--peer-priority', '100'], ['--mode', 'daemon'], ['--vip', 'not-an-ip'], ['--timeout', 'soon'], ['--on-failure', 'never']]) {
    r = await hacheck('init', '--output', join(dir, 'unused'), ...args);
    assert.equal(r.code, 64, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.split('\n').length, 2, r.stderr);
  }
  assert.ok(!existsSync(join(dir, 'unused', 'hacheck.yaml')));
});

test("docs/doctor.md's init example is what init prints", async () => {
  const doc = readFileSync(new URL('../../docs/doctor.md', import.meta.url), 'utf8');
  assert.ok(doc.includes('## hacheck init'), 'doctor.md has the init section');
  const section = doc.slice(doc.indexOf('## hacheck init'));
  const block = /```\n\$ hacheck init [^\n]*\nhacheck: wrote [^\n]*\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, 'the section shows a run');
  const out = join(dir, 'readme');
  const r = await hacheck('init', '--interface', 'eth0', '--vip', '192.0.2.10/24', '--priority', '100', '--peer-priority', '90', '--output', out);
  assert.equal(r.code, 0, r.stderr);
  const norm = (t: string) => t.replace(/\(hacheck [^)]*\)/g, '(hacheck VERSION)');
  // the doc's run writes to the default /etc/hacheck, which needs no --output on the peer either
  assert.equal(norm(r.stdout.replaceAll(` --output ${out}`, '').replaceAll(out, '/etc/hacheck')), norm(block));
});
