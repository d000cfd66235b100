// `hacheck init` without --interface: which interface it writes (defaultInterface), from a
// made-up /sys/class/net and /proc/net.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultInterface } from '../../src/commands/init.ts';

const HEAD = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n';
const route = (iface: string, dest: string, mask: string) => `${iface}\t${dest}\t010200C0\t0003\t0\t0\t0\t${mask}\t0\t0\t0\n`;
const v6default = (iface: string) => `${'0'.repeat(32)} 00 ${'0'.repeat(32)} 00 fd000000000000000000000000000001 00000400 00000002 00000000 00000003 ${iface.padStart(8)}\n`;

/** `kind`: what the interface is as a master (sysfs shows bonding/ or bridge/ under it); `master`: the one it is enslaved to (a symlink, as in sysfs) */
function host(t: { after: (f: () => void) => void }, ifs: Record<string, { master?: string; kind?: 'bonding' | 'bridge' }>, routes = '', v6 = '') {
  const d = mkdtempSync(join(tmpdir(), 'hacheck-ifs-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  for (const [n, o] of Object.entries(ifs)) {
    mkdirSync(join(d, 'net', n), { recursive: true });
    if (o.kind) mkdirSync(join(d, 'net', n, o.kind));
  }
  for (const [n, o] of Object.entries(ifs)) if (o.master) symlinkSync(join(d, 'net', o.master), join(d, 'net', n, 'master'));
  mkdirSync(join(d, 'proc'));
  writeFileSync(join(d, 'proc', 'route'), HEAD + routes);
  writeFileSync(join(d, 'proc', 'ipv6_route'), v6);
  return [join(d, 'net'), join(d, 'proc')] as const;
}

test('the interface the IPv4 default route leaves by, not the first by name', (t) => {
  const [net, proc] = host(t, { lo: {}, ifb0: {}, eth0: {}, ens5: {} }, route('eth0', '000200C0', '00FFFFFF') + route('ens5', '00000000', '00000000'));
  assert.equal(defaultInterface(net, proc), 'ens5');
});

test('a bond: its member ports are never chosen, the bond is (default route on it, or none at all)', (t) => {
  const members = { lo: {}, eth0: { master: 'bond0' }, eth1: { master: 'bond0' }, bond0: { kind: 'bonding' as const } };
  const [net, proc] = host(t, members, route('bond0', '00000000', '00000000'));
  assert.equal(defaultInterface(net, proc), 'bond0');
  const [net2, proc2] = host(t, members);
  assert.equal(defaultInterface(net2, proc2), 'bond0');
});

test('a bridge holding the default route; IPv6-only hosts by ::/0', (t) => {
  const [net, proc] = host(t, { lo: {}, br0: { kind: 'bridge' }, eth0: { master: 'br0' } }, route('br0', '00000000', '00000000'));
  assert.equal(defaultInterface(net, proc), 'br0');
  const [net6, proc6] = host(t, { lo: {}, eth0: {}, eth1: {} }, '', v6default('eth1'));
  assert.equal(defaultInterface(net6, proc6), 'eth1');
});

test('no default route: the first eth*/en* by name (ifb0 is not), else the first non-loopback; nothing readable: eth0', (t) => {
  const [net, proc] = host(t, { lo: {}, ifb0: {}, eth0: {} });
  assert.equal(defaultInterface(net, proc), 'eth0');
  const [net2, proc2] = host(t, { lo: {}, wlp2s0: {}, zt0: {} });
  assert.equal(defaultInterface(net2, proc2), 'wlp2s0');
  assert.equal(defaultInterface(join(net, 'none'), join(proc, 'none')), 'eth0');
});

test('a VRF member is a real interface: chosen when the default route leaves by it', (t) => {
  const [net, proc] = host(t, { lo: {}, vrf_blue: {}, eth0: { master: 'vrf_blue' }, eth1: {} }, route('eth0', '00000000', '00000000'));
  assert.equal(defaultInterface(net, proc), 'eth0');
});
