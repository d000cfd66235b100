// The shared field cases 09 (sync group), 10 (typos), 13 (a check aimed at the
// VIP) with the verdict each should get: once with the doctor's own model
// (--no-keepalived) and once with keepalived's own config test as ground truth
// (real keepalived in a throw-away network namespace, when installed and root).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { doctorExitCode, runDoctor, type DoctorRun } from '../../src/commands/doctor.ts';
import { fixture, keepalivedInNetns, scriptDir } from './helpers.ts';

let dir: string;
let keepalived: string | undefined;
let why: string | undefined;
before(() => {
  dir = scriptDir('hacheck-cases-');
  const k = keepalivedInNetns(dir);
  keepalived = k.bin;
  why = k.skip;
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** The case's file with @HACHECK@ (a stand-in hacheck keepalived's script security accepts) and @DIR@ filled in. */
function place(rel: string): string {
  const out = join(dir, rel.replace(/\//g, '_'));
  writeFileSync(out, readFileSync(fixture(`cases/${rel}`), 'utf8').replaceAll('@HACHECK@', join(dir, 'hacheck')).replaceAll('@DIR@', dir));
  return out;
}

const codes = (r: DoctorRun) => r.report.findings.map((f) => `${f.file.split('_').pop()}:${f.line} ${f.severity} ${f.code}`);
const modes = [{ name: "the doctor's own model", k: () => false as const }, { name: "keepalived's config test", k: () => keepalived }];

for (const mode of modes) {
  test(`case 09 (${mode.name}): weighted tracking in a sync group is ignored; after the fix the whole group moves`, async (t) => {
    if (mode.k() === undefined) return t.skip(why);
    const lb1 = place('09-sync-group-weight/lb1.conf');
    const lb2 = place('09-sync-group-weight/lb2.conf');
    let r = await runDoctor({ keepalivedConf: lb1, peerConf: lb2, keepalived: mode.k() });
    // keepalived's check of the peer's file says the same of lb2 (the doctor's own model explains this node's file)
    assert.deepEqual(codes(r), ['lb1.conf:11 error sync-group-weights', ...(mode.k() ? ['lb2.conf:11 error sync-group-weights'] : []), 'lb1.conf:37 warning no-tracking']);
    assert.equal(r.report.instances[0].checks[0].moves, false);
    assert.equal(doctorExitCode(r.report), 2);
    const fixed1 = place('09-sync-group-weight/lb1-fixed.conf');
    const fixed2 = place('09-sync-group-weight/lb2-fixed.conf');
    r = await runDoctor({ keepalivedConf: fixed1, peerConf: fixed2, keepalived: mode.k() });
    assert.deepEqual(codes(r), []);
    assert.equal(doctorExitCode(r.report), 0);
    const back = r.report.instances.find((i) => i.name === 'VI_BACK')!;
    assert.deepEqual(back.checks.map((c) => [c.via, c.failed, c.moves]), [['via VI_FRONT in vrrp_sync_group G1', 'FAULT', true]]);
  });

  test(`case 10 (${mode.name}): "raise" is no keyword, the script is killed before hacheck's deadline, the peer has nopreempt`, async (t) => {
    if (mode.k() === undefined) return t.skip(why);
    const lb1 = place('10-script-timeout-typo/lb1.conf');
    const lb2 = place('10-script-timeout-typo/lb2.conf');
    let r = await runDoctor({ keepalivedConf: lb1, peerConf: lb2, keepalived: mode.k() });
    assert.deepEqual(codes(r), ['lb1.conf:10 error script-timeout', 'lb1.conf:11 error peer-nopreempt', 'lb1.conf:13 error unknown-keyword', 'lb2.conf:13 error unknown-keyword']);
    assert.match(r.report.findings.find((f) => f.code === 'unknown-keyword')!.message, /`raise` in vrrp_script: .*did you mean `rise`\? as written, keepalived uses rise 1\)/);
    // the header's deadline is the one the script runs with: its own --timeout 5s
    assert.deepEqual(r.report.deadlines.map((d) => [d.script, d.ms, d.from]), [['chk_nginx', 5000, "--timeout 5s on vrrp_script chk_nginx's command line"]]);
    const typos = place('10-script-timeout-typo/typos.conf');
    r = await runDoctor({ keepalivedConf: typos, keepalived: mode.k() });
    assert.deepEqual(codes(r), ['typos.conf:10 error unknown-keyword', 'typos.conf:17 error unknown-keyword']);
    assert.equal(r.report.instances[0].checks[0].failed, 'FAULT', '`wieght -20` is ignored: weight 0');
    if (mode.k()) assert.deepEqual(r.report.findings.map((f) => f.keepalived), [["Unknown keyword 'wieght'"], ["Unknown keyword 'priorty'"]]);
  });

  test(`case 13 (${mode.name}): the port and URL probes aim at the VIP: on the BACKUP they measure the MASTER`, async (t) => {
    if (mode.k() === undefined) return t.skip(why);
    const lb1 = place('13-check-probes-vip/lb1.conf');
    const lb2 = place('13-check-probes-vip/lb2.conf');
    writeFileSync(join(dir, 'hacheck.yaml'), readFileSync(fixture('cases/13-check-probes-vip/hacheck.yaml')));
    // -c names the file the scripts' -c names, spelt another way: one config, one finding
    const r = await runDoctor({ keepalivedConf: lb2, peerConf: lb1, config: `${dir}/./hacheck.yaml`, keepalived: mode.k() });
    assert.deepEqual(codes(r), ['lb2.conf:22 warning probe-targets-vip']);
    const f = r.report.findings[0];
    assert.match(f.message, /hacheck\.yaml: the port probe of 198\.51\.100\.100:80, the http probe of http:\/\/198\.51\.100\.100\/ aim at vrrp_instance VI_1's VIP .*on the BACKUP this measures the MASTER's nginx \(or fails until the VIP arrives\), never this node's/);
    assert.match(f.fix, /127\.0\.0\.1/);
    assert.equal(doctorExitCode(r.report), 1);
  });
}
