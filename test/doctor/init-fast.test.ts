// `hacheck init --fast` (issue 17): VRRPv3, advert_int 0.1, the agent every 100 ms
// with the evidence-graded fall, priorities 254/250, the `hacheck status` guard,
// weight 0. The yaml validates and holds the numbers, the snippet passes the real
// `keepalived -t -f`, `hacheck doctor` on the pair finds nothing, and every
// number in the snippet is explained in its comments.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { hacheck } from '../fixtures/hacheck.ts';
import { IFACE, KEEPALIVED, scriptDir } from './helpers.ts';
import { FAST, planInit } from '../../src/commands/init.ts';

let dir: string;
before(() => {
  dir = scriptDir('hacheck-init-fast-');
});
after(() => rmSync(dir, { recursive: true, force: true }));

const keepalived = KEEPALIVED;
const iface = IFACE;

async function init(name: string, ...extra: string[]) {
  const r = await hacheck('init', '--fast', '--output', join(dir, name), '--hacheck-path', join(dir, 'hacheck'), '--vip', '192.0.2.77/24',
    ...(iface ? ['--interface', iface] : []), ...extra);
  assert.equal(r.code, 0, r.stderr);
  writeFileSync(join(dir, `${name}.conf`), r.stdout);
  return r.stdout;
}

test('init --fast: the pair (254/250), keepalived -t clean, doctor finds nothing, yaml holds the graded agent', async (t) => {
  const a = await init('a');
  // the peer's command line is printed; run it as printed
  const peerCmd = /^# On the peer run: hacheck init (.*)$/m.exec(a)?.[1];
  // the pair's own numbers go with it (router id, VIP, the paths named here); the defaults are per machine
  assert.equal(peerCmd, `--mode agent --fast --priority 250 --peer-priority 254 --vrid 51 --vip 192.0.2.77/24${iface ? ` --interface ${iface}` : ''} --hacheck-path ${join(dir, 'hacheck')} --output ${join(dir, 'a')}`);
  const b = await init('b', ...peerCmd!.replace(/ --output \S+/, '').split(' '));
  // VRRPv3 in the instance, not vrrp_version in global_defs: merged into a file with other (v2) instances, they keep theirs
  assert.doesNotMatch(a, /^\s+vrrp_version/m);
  assert.match(a, /vrrp_instance VI_1 \{\n(?:\s+\S.*\n)*\s+version 3\n/);
  assert.match(a, /\n    priority 254\n    advert_int 0\.1\n/);
  assert.match(b, /\n    state BACKUP\n[\s\S]*\n    priority 250\n    advert_int 0\.1\n/);
  // weight 0 on the track_file and the guard
  assert.deepEqual([...a.matchAll(/^\s+weight (\S+)$/gm)].map((m) => Number(m[1])), [0, 0]);
  assert.match(a, new RegExp(`script "${join(dir, 'hacheck')} status -c ${join(dir, 'a', 'hacheck.yaml')} --max-age 2s"\n\\s+interval 1\n\\s+timeout 5\n`));
  assert.match(a, /global_defs \{\n(?:\s+\S.*\n)*\s+vrrp_priority -20\n/);
  // every number explained: detection + skew = expected takeover
  assert.match(a, /skew time \(256 − 250\)\/256 × advert_int 0\.1 = 0\.002s/);
  assert.match(a, /detection, definitive evidence .*\n#\s+agent cycle, 0\.\.100 ms/);
  assert.match(a, /about 52 ms on average/);
  assert.match(a, /master down timer, 3 × 0\.1 \+ 0\.002s = 0\.302s/);
  assert.match(a, /advert_int 0\.1, not less: at 0\.05 and 0\.02/);

  for (const n of ['a', 'b']) {
    const cfg = join(dir, n, 'hacheck.yaml');
    assert.equal((await hacheck('validate', '-c', cfg)).code, 0);
    const y = parseYaml(readFileSync(cfg, 'utf8'));
    assert.deepEqual(y.agent && { interval: y.agent.interval, timeout: y.agent.timeout, fall: y.agent.fall, definitive_fall: y.agent.definitive_fall, rise: y.agent.rise },
      { interval: '100ms', timeout: '300ms', fall: 2, definitive_fall: 1, rise: 10 });
  }
  for (const [self, peer] of [['a', 'b'], ['b', 'a']]) {
    const r = await hacheck('doctor', '--keepalived-conf', join(dir, `${self}.conf`), '-c', join(dir, self, 'hacheck.yaml'), '--peer-conf', join(dir, `${peer}.conf`), '--json');
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(doc.findings, [], `${self}: ${r.stdout}`);
    assert.equal(r.code, 0);
  }
  if (!keepalived || !iface) return t.skip('no keepalived binary or no non-loopback interface');
  for (const n of ['a', 'b']) {
    const k: { status: number | null; stderr: string } = spawnSync(keepalived as string, ['-t', '-f', join(dir, `${n}.conf`)], { encoding: 'utf8', timeout: 10_000 });
    assert.deepEqual({ code: k.status, stderr: k.stderr }, { code: 0, stderr: '' }, `keepalived -t -f ${n}.conf`);
  }
});

test('init --fast: numbers from FAST, own priorities kept; --mode oneshot is a usage error', async () => {
  const p = planInit({ fast: true });
  assert.deepEqual([p.mode, p.priority, p.peerPriority, p.vrrpVersion, p.advertInt, p.weight], ['agent', 254, 250, 3, 0.1, 0]);
  const q = planInit({ fast: true, priority: '200' });
  assert.deepEqual([q.priority, q.peerPriority], [200, 196]);
  assert.equal(FAST.cycleTimeoutMs > FAST.intervalMs, true, 'the cycle deadline is apart from (longer than) the interval');
  const r = await hacheck('init', '--fast', '--mode', 'oneshot', '--output', join(dir, 'unused'));
  assert.equal(r.code, 64);
  assert.match(r.stderr, /--fast needs --mode agent/);
  assert.equal(r.stderr.split('\n').length, 2);
});
