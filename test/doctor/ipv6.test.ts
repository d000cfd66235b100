// An IPv6 vrrp_instance (its first virtual_ipaddress is IPv6) runs VRRPv3 unless it says
// `version 2` itself: keepalived 2.2.7's vrrp_complete_instance ignores the global
// vrrp_version for it (VRRPv2 is IPv4 only, RFC 3768). So `advert_int 0.5` is kept, and
// the skew time and master down timer scale with it. The real keepalived's config test
// is the judge: it rounds a VRRPv2 advert_int and says so, and says nothing for VRRPv3.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDoctor } from '../../src/commands/doctor.ts';
import { runConfigTest } from '../../src/keepalived/config-test.ts';
import { keepalivedInNetns, scriptDir } from './helpers.ts';

let dir: string;
let wrapper: string | undefined;
let skip: string | undefined;
before(() => {
  dir = scriptDir('hacheck-v6-');
  const k = keepalivedInNetns(dir);
  skip = k.skip;
  wrapper = k.bin;
});
after(() => rmSync(dir, { recursive: true, force: true }));

function conf(name: string, o: { vip: string; global?: string; version?: string; priority?: number }): string {
  const p = join(dir, name);
  writeFileSync(p, [
    'global_defs {', '    enable_script_security', '    script_user root', ...(o.global ? [`    ${o.global}`] : []), '}',
    'vrrp_script chk {', `    script "${dir}/hacheck"`, '    interval 1', '    weight 0', '}',
    'vrrp_instance VI_6 {', '    state BACKUP', '    interface eth0', '    virtual_router_id 61', `    priority ${o.priority ?? 100}`,
    ...(o.version ? [`    ${o.version}`] : []), '    advert_int 0.5',
    '    virtual_ipaddress {', `        ${o.vip}`, '    }', '    track_script {', '        chk', '    }', '}', '',
  ].join('\n'));
  return p;
}

const cases = [
  { name: 'IPv6, no version line', o: { vip: '2001:db8::10/64' }, version: 3, advert: 0.5 },
  { name: 'IPv6, global vrrp_version 2 (ignored for IPv6)', o: { vip: '2001:db8::10/64', global: 'vrrp_version 2' }, version: 3, advert: 0.5 },
  { name: 'IPv6, the instance says version 2', o: { vip: '2001:db8::10/64', version: 'version 2' }, version: 2, advert: 1 },
  { name: 'IPv4, no version line', o: { vip: '198.51.100.10/24' }, version: 2, advert: 1 },
] as const;

for (const c of cases) {
  test(`VRRP version of an instance: ${c.name} → VRRPv${c.version}, advert_int ${c.advert}s, as keepalived says`, async (t) => {
    const path = conf(`${c.name.replace(/\W+/g, '-')}.conf`, c.o);
    const peer = conf(`${c.name.replace(/\W+/g, '-')}-peer.conf`, { ...c.o, priority: 90 });
    const model = await runDoctor({ keepalivedConf: path, peerConf: peer, keepalived: false });
    const i = model.report.instances[0];
    assert.equal(i.version, c.version);
    assert.equal(i.advertInt, c.advert);
    assert.equal(model.report.findings.some((f) => f.code === 'advert-int-rounded'), c.version === 2, JSON.stringify(model.report.findings));
    // weight 0: FAULT, the peer (90) takes over after its skew time: VRRPv3 scales it with advert_int
    const ms = i.checks[0].takeover?.ms;
    assert.equal(ms, c.version === 3 ? 324 : 648, JSON.stringify(i.checks[0].takeover));
    if (skip) return t.skip(skip);
    const raw = await runConfigTest(wrapper, path);
    assert.equal(raw.status, 'ran');
    assert.equal(raw.lines.some((l) => /VRRPv2 advertisement interval 0\.500000s must be an integer/.test(l.text)), c.version === 2, raw.lines.map((l) => l.text).join('\n'));
  });
}
