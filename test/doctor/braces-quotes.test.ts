// Quotes and braces the way keepalived 2.2.7 reads them (lib/parser.c decomment, read_line,
// process_stream, alloc_value_block), each against the real keepalived's --config-test:
// keepalived reports these and reads on, so the doctor does too (no exit 78), with the
// block tree keepalived's VRRP process builds and its lines quoted under one finding.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDoctor, type DoctorRun } from '../../src/commands/doctor.ts';
import { keepalivedInNetns, scriptDir } from './helpers.ts';

let dir: string;
let wrapper: string;
let skip: string | undefined;

before(() => {
  dir = scriptDir('hacheck-brace-');
  const k = keepalivedInNetns(dir);
  skip = k.skip;
  wrapper = k.bin!;
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const SCRIPT = 'vrrp_script chk {\n    script "/bin/true"\n    weight -30\n}\n';
const head = (vrid = 51, prio = 100) => `    state BACKUP\n    interface eth0\n    virtual_router_id ${vrid}\n    priority ${prio}\n    advert_int 1\n`;

const write = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

/** The doctor twice: its own model, and on keepalived's config test (skipped without keepalived). */
async function both(name: string, text: string, check: (r: DoctorRun, withKeepalived: boolean) => void, t: { skip: (s: string) => void }) {
  const conf = write(name, text);
  check(await runDoctor({ keepalivedConf: conf, keepalived: false, config: '/dev/null' }), false);
  if (skip) return t.skip(skip);
  check(await runDoctor({ keepalivedConf: conf, keepalived: wrapper, config: '/dev/null' }), true);
}

const codes = (r: DoctorRun) => r.report.findings.map((f) => `${f.line} ${f.code}`);
const tracks = (r: DoctorRun, inst = 'VI_1') => r.report.instances.find((i) => i.name === inst)?.checks.map((c) => c.name) ?? [];

test('an unterminated double quote: keepalived reports it and reads the line up to the quote (priority 90 "x is priority 90), no exit 78', async (t) => {
  const text = `${SCRIPT}vrrp_instance VI_1 {\n    state BACKUP\n    interface eth0\n    virtual_router_id 51\n    priority 90 "x { #\n    advert_int 1\n    virtual_ipaddress {\n        198.51.100.10/24\n    }\n    track_script {\n        chk\n    }\n}\n`;
  await both('quote.conf', text, (r, kd) => {
    assert.equal(r.report.instances[0].priority, 90);
    assert.deepEqual(tracks(r), ['chk']);
    const f = r.report.findings.find((x) => x.code === 'unterminated-quote');
    assert.equal(f?.line, 9);
    assert.equal(f?.severity, 'error');
    assert.match(f!.message, /reads the line only up to the quote \(`priority 90`\)/);
    // both keepalived lines ("Unterminated quote", "Unmatched quote", printed once per pass) under the one finding
    // after the open quote `#` starts no comment: keepalived quotes the line with it
    if (kd) assert.deepEqual(f?.keepalived, [`Unterminated quote 'priority 90 "x { #'`, `Unmatched quote: 'priority 90 "x { #'`]);
    assert.ok(!r.report.findings.some((x) => x.code === 'keepalived-says'), JSON.stringify(r.report.findings));
  }, t);
});

test("an unterminated quote on a vrrp_script's script line: keepalived 2.2.7 crashes (its config test dies with SIGSEGV); the doctor says so", async (t) => {
  const text = `vrrp_script chk {\n    script "/bin/true --x\n    weight -30\n}\nvrrp_instance VI_1 {\n${head()}    virtual_ipaddress {\n        198.51.100.10/24\n    }\n    track_script {\n        chk\n    }\n}\n`;
  await both('quote-script.conf', text, (r, kd) => {
    const f = r.report.findings.find((x) => x.code === 'unterminated-quote');
    assert.equal(f?.line, 2);
    assert.match(f!.message, /keepalived 2\.2\.7 crashes while loading the config/);
    if (kd) assert.match(r.report.keepalived.local ?? '', /crashed \(SIGSEGV\)/);
  }, t);
});

test("a block keyword's '{' on the next line is the same block (keepalived: clean)", async (t) => {
  const text = `vrrp_script chk\n{\n    script "/bin/true"\n    weight -30\n}\nvrrp_instance VI_1\n{\n${head()}    virtual_ipaddress\n    {\n        198.51.100.10/24\n    }\n    track_script\n    {\n        chk\n    }\n}\n`;
  await both('next-line.conf', text, (r, kd) => {
    assert.deepEqual(tracks(r), ['chk']);
    assert.equal(r.report.instances[0].priority, 100);
    assert.ok(!r.report.findings.some((f) => /brace|block/.test(f.code) || f.keepalived?.length && f.code !== 'no-script-security'), JSON.stringify(r.report.findings));
    if (kd) assert.ok(!r.report.findings.some((f) => f.code === 'keepalived-says'));
  }, t);
});

test("a list without '{' (virtual_ipaddress, track_script): keepalived's VRRP process still reads its lines up to the next '}' (the VIP and the check count), and its 'Extra }' lines join the one finding", async (t) => {
  const text = `${SCRIPT}vrrp_instance VI_1 {\n${head()}    virtual_ipaddress\n        198.51.100.10/24\n    }\n    track_script\n        chk\n    }\n}\n`;
  await both('list-no-brace.conf', text, (r, kd) => {
    assert.deepEqual(tracks(r), ['chk']);
    assert.deepEqual(codes(r).filter((c) => /brace|unknown/.test(c)), ['11 missing-brace', '14 missing-brace']);
    if (kd) {
      const f = r.report.findings.find((x) => x.line === 14 && x.code === 'missing-brace');
      assert.ok(f?.keepalived?.includes("Extra '}' found"), JSON.stringify(f));
      assert.ok(!r.report.findings.some((x) => x.code === 'keepalived-says' || x.code === 'unknown-keyword'), JSON.stringify(r.report.findings));
    }
  }, t);
});

test("`track_script chk` on one line: keepalived ignores chk and reads the instance's next lines as track_script entries up to the next '}' (the check does nothing, the VIP is lost)", async (t) => {
  const text = `${SCRIPT}vrrp_instance VI_1 {\n${head()}    track_script chk\n    virtual_ipaddress {\n        198.51.100.10/24\n    }\n}\n`;
  await both('track-one-line.conf', text, (r, kd) => {
    assert.ok(!tracks(r).includes('chk'));
    const f = r.report.findings.find((x) => x.code === 'missing-brace');
    assert.equal(f?.line, 11);
    assert.match(f!.message, /ignores `chk` on the keyword's line/);
    if (kd) assert.ok(r.report.findings.some((x) => x.code === 'no-vip'), JSON.stringify(codes(r)));
    if (kd) assert.ok(f?.keepalived?.includes('Block track_script has extra parameters chk ...'), JSON.stringify(f));
    // the instance's lines the list took in are said once, in that finding: not one unknown-track per line
    assert.ok(!r.report.findings.some((x) => x.code === 'unknown-track' || x.code === 'track-line-ignored'), JSON.stringify(codes(r)));
    if (kd) assert.ok(f?.keepalived?.includes('(VI_1) track script virtual_ipaddress not found, ignoring...'), JSON.stringify(f));
  }, t);
});

test("a vrrp_script without '{': keepalived reads every line to the next '}' into it, the vrrp_instance below included: no instance runs", async (t) => {
  const text = `vrrp_script chk\n    script "/bin/true"\n    weight -30\nvrrp_instance VI_1 {\n${head()}    virtual_ipaddress {\n        198.51.100.10/24\n    }\n    track_script {\n        chk\n    }\n}\n`;
  await both('script-no-brace.conf', text, (r, kd) => {
    assert.equal(r.report.instances.length, 0);
    const f = r.report.findings.find((x) => x.code === 'missing-brace');
    assert.equal(f?.line, 1);
    assert.match(f!.message, /`vrrp_instance VI_1`/);
    if (kd) {
      assert.ok(f?.keepalived?.includes("Missing '{' at beginning of configuration block"), JSON.stringify(f));
      // the lines keepalived's other passes call unknown (script, weight) are part of it, not "did you mean `script`?"
      assert.ok(!r.report.findings.some((x) => /did you mean `(script|weight)`/.test(x.message)), JSON.stringify(r.report.findings));
    }
  }, t);
});

test("an extra '}' and a block never closed: keepalived says so and reads on (the doctor too: findings, not exit 78)", async (t) => {
  const text = `${SCRIPT}}\nvrrp_instance VI_1 {\n${head()}    virtual_ipaddress {\n        198.51.100.10/24\n    }\n    track_script {\n        chk\n    }\n`;
  await both('braces.conf', text, (r, kd) => {
    assert.deepEqual(tracks(r), ['chk']);
    assert.deepEqual(codes(r).filter((c) => /brace|unclosed/.test(c)), ['6 unclosed-block', '5 extra-brace']);
    if (kd) {
      assert.ok(r.report.findings.find((x) => x.code === 'extra-brace')?.keepalived?.includes("Extra '}' found"));
      assert.ok(r.report.findings.find((x) => x.code === 'unclosed-block')?.keepalived?.some((l) => /missing '\}'s/.test(l)));
    }
  }, t);
});

test("a '{' after a keyword that takes no block (`interface eth0 {`): keepalived ignores it and the block's '}' closes the instance: what follows is read at the top level (the VIP and the check are lost)", async (t) => {
  const text = `${SCRIPT}vrrp_instance VI_1 {\n    state BACKUP\n    interface eth0 {\n        virtual_router_id 51\n    }\n    priority 100\n    virtual_ipaddress {\n        198.51.100.10/24\n    }\n    track_script {\n        chk\n    }\n}\n`;
  await both('known-no-block.conf', text, (r, kd) => {
    assert.deepEqual(tracks(r), []);
    assert.equal(r.report.instances[0].vrid, 51);
    const f = r.report.findings.find((x) => x.code === 'block-not-skipped');
    assert.equal(f?.line, 7);
    assert.match(f!.message, /`interface` takes no \{ \} block/);
    if (kd) {
      assert.ok(r.report.findings.some((x) => x.code === 'no-vip'));
      assert.ok(f?.keepalived?.includes("Unexpected '{' - ignoring"), JSON.stringify(f));
      assert.ok(!r.report.findings.some((x) => /it belongs in the top level/.test(x.message)));
    }
  }, t);
});

test("`vrrp_instance VI_1` without '{', its lines and '}' otherwise as meant: keepalived's VRRP process loads it as meant (the parent's 'Unknown keyword' lines are its skipping): a warning, the checks count", async (t) => {
  const text = `${SCRIPT}vrrp_instance VI_1\n${head()}    virtual_ipaddress {\n        198.51.100.10/24\n    }\n    track_script {\n        chk\n    }\n}\n`;
  await both('instance-no-brace.conf', text, (r, kd) => {
    assert.deepEqual(tracks(r), ['chk']);
    const f = r.report.findings.find((x) => x.code === 'missing-brace');
    assert.equal(f?.severity, 'warning');
    assert.match(f!.message, /loads as meant here/);
    if (kd) {
      assert.ok(f?.keepalived?.includes("Missing '{' at beginning of configuration block"));
      assert.ok(!r.report.findings.some((x) => x.code === 'unknown-keyword' || x.code === 'keepalived-says'), JSON.stringify(r.report.findings));
    }
  }, t);
});

test("a '{' with no keyword before it: keepalived ignores it and the '}' meant for it is an unknown keyword: both lines under one stray-brace finding", async (t) => {
  const text = `{\nvrrp_instance VI_1 {\n${head(51, 90)}    virtual_ipaddress {\n        198.51.100.10/24\n    }\n}\n}\n`;
  await both('stray-open.conf', text, (r, kd) => {
    assert.equal(r.report.instances[0].priority, 90);
    const f = r.report.findings.find((x) => x.code === 'stray-brace');
    assert.equal(f?.line, 1);
    if (kd) {
      assert.deepEqual(f?.keepalived, ["Unexpected '{' - ignoring", "Unknown keyword '}'"]);
      assert.ok(!r.report.findings.some((x) => x.code === 'keepalived-says'), JSON.stringify(r.report.findings));
    }
  }, t);
});
