// `hacheck init` refuses what keepalived would not take (review of issue 17's
// `init --fast`): a VIP keepalived cannot parse or cannot serve, a loopback
// interface, a script path or config directory that keepalived's script line
// would split at white space. And the peer's printed command line makes the
// other half of the same pair: run as printed, doctor on the pair finds nothing
// (the router id and VIP were dropped before: two MASTERs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { hacheck } from '../fixtures/hacheck.ts';
import { IFACE, KEEPALIVED, scriptDir } from './helpers.ts';
import { planInit, vipProblem } from '../../src/commands/init.ts';

let dir: string;
before(() => {
  dir = scriptDir('hacheck-init-inputs-');
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('vipProblem: addresses keepalived cannot parse or serve are named; service addresses pass', () => {
  const bad: [string, RegExp][] = [
    ['300.1.1.1', /not an IPv4 or IPv6 address/],
    ['1.2.3', /not an IPv4 or IPv6 address/],
    ['192.0.2.10/33', /prefix \/33 is longer than 32 bits/],
    ['2001:db8::1/129', /prefix \/129 is longer than 128 bits/],
    ['0.0.0.0', /unspecified/],
    ['127.0.0.1/8', /loopback/],
    ['224.0.0.18', /multicast/],
    ['255.255.255.255', /reserved or broadcast/],
    ['::', /unspecified/],
    ['0:0:0:0:0:0:0:1', /loopback/],
    ['ff02::12', /multicast/],
    ['192.0.2.10 dev eth1', /not an IPv4 or IPv6 address/],
    ['', /not an IPv4 or IPv6 address/],
    ['198.51.100.10/0', /a \/0 prefix/],
    ['2001:db8::10/0', /a \/0 prefix/],
    ['198.51.100.255/24', /the broadcast address of its \/24/],
    ['198.51.100.0/24', /the network address of its \/24/],
    ['10.1.255.255/16', /the broadcast address of its \/16/],
    ['::ffff:198.51.100.10', /IPv4-mapped/],
  ];
  for (const [vip, why] of bad) assert.match(vipProblem(vip) ?? 'accepted', why, vip);
  for (const vip of ['192.0.2.10', '192.0.2.10/24', '198.51.100.7/32', '2001:db8::10', '2001:db8::10/64', 'fe80::1/64', '198.51.100.255', '198.51.100.0/31', '198.51.100.1/31', '10.1.0.255/16']) assert.equal(vipProblem(vip), undefined, vip);
});

test('init: a bad --vip, a loopback --interface, a --hacheck-path or --output keepalived would split: one line, exit 64, nothing written', async () => {
  const cases: [string[], RegExp][] = [
    [['--vip', '300.1.1.1'], /^hacheck: --vip: "300\.1\.1\.1": not an IPv4 or IPv6 address; expected an address such as 192\.0\.2\.10/],
    [['--vip', '192.0.2.10/33'], /--vip: "192\.0\.2\.10\/33": its prefix \/33 is longer than 32 bits/],
    [['--vip', '127.0.0.1'], /--vip: "127\.0\.0\.1": a loopback address/],
    [['--interface', 'lo'], /--interface: lo is a loopback interface/],
    [['--interface', 'lo:1'], /--interface: lo:1 is a loopback interface/],
    [['--hacheck-path', '/x y/hacheck'], /--hacheck-path: expected an absolute path without spaces or quotes/],
    [['--hacheck-path', 'bin/hacheck'], /--hacheck-path: expected an absolute path/],
    [['--output', join(dir, 'with space')], /--output: a directory without spaces or quotes/],
  ];
  for (const [flags, want] of cases) {
    const out = join(dir, 'refused');
    const r = await hacheck('init', '--fast', '--output', out, ...flags);
    assert.equal(r.code, 64, `${flags.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, want, flags.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(r.stdout, '');
  }
});

test('init: the peer command line carries the pair (vrid, VIP, timeout, paths), quoted for the shell', () => {
  const p = planInit({ fast: true, priority: '200', vrid: '77', vip: '10.1.2.3/24', interface: 'ens3', timeout: '2s', hacheckPath: '/opt/hacheck/bin/hacheck', output: '/etc/hacheck-x' }, 'ens3');
  assert.equal(p.peerArgs, '--mode agent --fast --priority 196 --peer-priority 200 --vrid 77 --vip 10.1.2.3/24 --interface ens3 --timeout 2s --hacheck-path /opt/hacheck/bin/hacheck --output /etc/hacheck-x');
  // defaults that are per machine (interface, output) are left to the peer's own
  const q = planInit({ onFailure: 'weight' }, 'eth0');
  assert.equal(q.peerArgs, '--mode oneshot --on-failure weight --priority 90 --peer-priority 100 --vrid 51 --vip 192.0.2.10');
});

test('init --fast --vrid 77 --vip …: the peer run as printed, doctor on the pair finds nothing, keepalived -t clean', async (t) => {
  const run = async (name: string, args: string[]) => {
    const r = await hacheck('init', ...args, '--output', join(dir, name), ...(IFACE ? ['--interface', IFACE] : []));
    assert.equal(r.code, 0, r.stderr);
    writeFileSync(join(dir, `${name}.conf`), r.stdout);
    return r.stdout;
  };
  const a = await run('a', ['--fast', '--vrid', '77', '--vip', '198.51.100.77/24', '--priority', '200', '--hacheck-path', join(dir, 'hacheck')]);
  const peer = /^# On the peer run: hacheck init (.*)$/m.exec(a)?.[1];
  assert.ok(peer, a);
  // run as printed, but into its own directory (the test's two nodes share a machine)
  const b = await run('b', peer.replace(/ --(output|interface) \S+/g, '').split(' '));
  assert.match(b, /\n    version 3\n    virtual_router_id 77\n    priority 196\n/);
  assert.match(b, /virtual_ipaddress \{\n\s+198\.51\.100\.77\/24\n/);
  for (const [self, other] of [['a', 'b'], ['b', 'a']]) {
    const r = await hacheck('doctor', '--keepalived-conf', join(dir, `${self}.conf`), '-c', join(dir, self, 'hacheck.yaml'), '--peer-conf', join(dir, `${other}.conf`), '--json');
    assert.deepEqual(JSON.parse(r.stdout).findings, [], `${self}: ${r.stdout}`);
    assert.equal(r.code, 0);
  }
  if (!KEEPALIVED || !IFACE) return t.skip('no keepalived binary or no non-loopback interface');
  for (const n of ['a', 'b']) {
    const k: { status: number | null; stderr: string } = spawnSync(KEEPALIVED, ['-t', '-f', join(dir, `${n}.conf`)], { encoding: 'utf8', timeout: 10_000 });
    assert.deepEqual({ code: k.status, stderr: k.stderr }, { code: 0, stderr: '' }, `keepalived -t -f ${n}.conf`);
  }
});
