// keepalived.conf's definitions as keepalived 2.2.7 expands them (keepalived.conf(5),
// "Multiline definitions", "Sequence blocks", "List blocks"): a `$NAME=\` definition
// continued over lines, used alone on a line; `~SEQ(var, start, step, end) rest` and
// `~LST(var, a, b) rest`. A backslash at the end of any other line continues nothing
// (keepalived: "Unknown keyword 'priority\'"). Each config is also run through the
// real keepalived's config test: the doctor's model and keepalived must agree.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDoctor } from '../../src/commands/doctor.ts';
import { parseKeepalivedConf } from '../../src/keepalived/parse.ts';
import { keepalivedInNetns, scriptDir } from './helpers.ts';

let dir: string;
let wrapper: string | undefined;
let skip: string | undefined;
before(() => {
  dir = scriptDir('hacheck-defs-');
  const k = keepalivedInNetns(dir);
  skip = k.skip;
  wrapper = k.bin;
});
after(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

// priority 30N is out of range: keepalived names each expanded instance in "Priority not valid", at the line of the use
const MULTI = [
  '$INST=\\',
  'vrrp_instance VI_${N} { \\',
  '    interface eth0 \\',
  '    virtual_router_id 5${N} \\',
  '@lb1    priority 30${N} \\',
  '    virtual_ipaddress { \\',
  '        198.51.100.1${N}/24 \\',
  '    } \\',
  '}',
  '$N=7',
  '$INST',
  '~SEQ(N, 1, 2) $INST',
  '~LST(N, 8) $INST',
  '',
].join('\n');

test('a multi-line definition, used alone and under ~SEQ / ~LST: one instance per use, at the line of the use', async (t) => {
  const conf = write('multi.conf', MULTI);
  const p = parseKeepalivedConf(conf, { configId: 'lb1' });
  const insts = p.nodes.filter((n) => n.keyword === 'vrrp_instance');
  assert.deepEqual(insts.map((n) => `${n.args[0]}@${n.line}`), ['VI_7@11', 'VI_1@12', 'VI_2@12', 'VI_8@13']);
  assert.deepEqual(insts.map((n) => n.children!.find((c) => c.keyword === 'priority')?.args[0]), ['307', '301', '302', '308']);
  // @id inside the definition still applies
  const other = parseKeepalivedConf(conf, { configId: 'lb2' }).nodes.filter((n) => n.keyword === 'vrrp_instance');
  assert.ok(other.every((n) => !n.children!.some((c) => c.keyword === 'priority')));
  if (skip) return t.skip(skip);
  const r = await runDoctor({ keepalivedConf: conf, keepalived: wrapper, configId: 'lb1' });
  assert.match(r.report.keepalived.local!, /--config-test: \d+ messages/);
  const ranges = r.report.findings.filter((f) => f.code === 'priority-range');
  assert.deepEqual(ranges.map((f) => `${f.line} ${f.keepalived?.find((k) => k.includes('Priority not valid'))}`), [
    '11 (VI_7) Priority not valid! must be between 1 & 255. Using default 100',
    '12 (VI_1) Priority not valid! must be between 1 & 255. Using default 100',
    '12 (VI_2) Priority not valid! must be between 1 & 255. Using default 100',
    '13 (VI_8) Priority not valid! must be between 1 & 255. Using default 100',
  ]);
  assert.deepEqual(r.report.instances.map((i) => [i.name, i.priority]), [['VI_7', 100], ['VI_1', 100], ['VI_2', 100], ['VI_8', 100]]);
});

test('~SEQx counts in hex, a start and step may be left out, a negative step counts down', () => {
  const conf = write('seq.conf', 'vrrp_instance VI_1 {\n    virtual_ipaddress {\n        ~SEQx(A, 0x9, 0x1, 0xb) 2001:db8::${A}\n        ~SEQ(B, 2) 198.51.100.${B}\n        ~SEQ(C, 5, -2, 1) 198.51.100.2${C}\n    }\n}\n');
  const vip = parseKeepalivedConf(conf).nodes[0].children![0].children!.map((n) => n.keyword);
  assert.deepEqual(vip, ['2001:db8::9', '2001:db8::a', '2001:db8::b', '198.51.100.1', '198.51.100.2', '198.51.100.25', '198.51.100.23', '198.51.100.21']);
});

test("a backslash at the end of an ordinary line continues nothing: `priority \\` is an unknown keyword, the next line another, the default 100 applies", async (t) => {
  const conf = write('cont.conf', 'vrrp_instance VI_1 {\n    state BACKUP\n    interface eth0\n    virtual_router_id 51\n    priority \\\n        90\n    virtual_ipaddress {\n        198.51.100.10/24\n    }\n}\n');
  const model = await runDoctor({ keepalivedConf: conf, keepalived: false });
  assert.equal(model.report.instances[0].priority, 100);
  assert.deepEqual(model.report.findings.filter((f) => f.code === 'unknown-keyword').map((f) => f.line), [5, 6]);
  if (skip) return t.skip(skip);
  const kd = await runDoctor({ keepalivedConf: conf, keepalived: wrapper });
  assert.equal(kd.report.instances[0].priority, 100);
  assert.deepEqual(kd.report.findings.filter((f) => f.code === 'unknown-keyword').map((f) => `${f.line} ${f.keepalived}`).sort(), ["5 Unknown keyword 'priority\\'", "6 Unknown keyword '90'"]);
});

test('a definition that uses itself, or a ~SEQ without end: one line, file:line, no stack overflow', () => {
  const self = write('self.conf', '$A=\\\n$A\n$A\n');
  assert.throws(() => parseKeepalivedConf(self), /self\.conf:3: a definition uses itself/);
  const zero = write('zero.conf', '~SEQ(I, 1, 0, 5) priority ${I}\n');
  // keepalived: "Invalid ~SEQ values" and the line is dropped (not fatal)
  assert.deepEqual(parseKeepalivedConf(zero).notes.map((n) => `${n.line} ${n.kind} ${n.text}`), ["1 seq-invalid Invalid ~SEQ values '~SEQ(I, 1, 0, 5) priority ${I}'"]);
  const huge = write('huge.conf', '~SEQ(I, 1, 1, 1000000) priority ${I}\n');
  assert.throws(() => parseKeepalivedConf(huge), /huge\.conf:1: ~SEQ makes more than 100000 lines/);
});

test("a line longer than keepalived's 1023-byte buffer is cut there: the rest is a line of its own, and keepalived's later line numbers run one ahead", async (t) => {
  // 1016 spaces + `priority 90`: keepalived reads `priorit`, then `y 90` (2.2.7: "Unknown keyword 'priorit'", "(Line 5) Unknown keyword 'y'")
  const conf = write('long.conf', `vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n${' '.repeat(1016)}priority 90\n    advert_int 0.5\n    virtual_ipaddress {\n        198.51.100.10/24\n    }\n}\n`);
  const model = await runDoctor({ keepalivedConf: conf, keepalived: false });
  assert.equal(model.report.instances[0].priority, 100);
  const lines = (r: typeof model) => r.report.findings.filter((f) => ['long-line', 'unknown-keyword', 'advert-int-rounded'].includes(f.code)).map((f) => `${f.line} ${f.code}`).sort();
  assert.deepEqual(lines(model), ['4 long-line', '4 unknown-keyword', '5 advert-int-rounded']);
  // a long quoted script line: one line, file:line, why (keepalived itself crashes on it)
  const script = write('long-script.conf', `vrrp_script chk {\n    script "/bin/true ${'x'.repeat(1100)}"\n}\n`);
  assert.deepEqual(parseKeepalivedConf(script).notes.map((n) => `${n.line} ${n.kind}`), ['2 long-line', '2 unterminated-quote']);
  const long = await runDoctor({ keepalivedConf: script, keepalived: false });
  assert.match(long.report.findings.find((f) => f.code === 'unterminated-quote')!.message, /cuts it at 1023 bytes, inside the quote.*crashes while loading/);
  if (skip) return t.skip(skip);
  const kd = await runDoctor({ keepalivedConf: conf, keepalived: wrapper });
  assert.equal(kd.report.instances[0].priority, 100);
  // keepalived's "(Line 5) Unknown keyword 'y'" is the file's line 4, its "(Line 6)" advert_int rounding is line 5
  assert.deepEqual(lines(kd), ['4 long-line', '4 unknown-keyword', '5 advert-int-rounded']);
  assert.ok(kd.report.findings.some((f) => f.line === 4 && f.keepalived?.includes("Unknown keyword 'y'")), JSON.stringify(kd.report.findings));
});

test('a line of exactly 1023 bytes: nothing is cut, but keepalived counts its newline as a line: its later line numbers run one ahead', async (t) => {
  const conf = write('exact.conf', `vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n${' '.repeat(1012)}priority 90\n    priority 300\n    virtual_ipaddress {\n        198.51.100.10/24\n    }\n}\n`);
  const p = parseKeepalivedConf(conf);
  assert.deepEqual(p.notes, []);
  if (skip) return t.skip(skip);
  const kd = await runDoctor({ keepalivedConf: conf, keepalived: wrapper });
  // keepalived: "(Line 6) (VI_1) Priority not valid!": the file's line 5
  assert.deepEqual(kd.report.findings.filter((f) => f.code === 'priority-range').map((f) => `${f.line} ${f.keepalived?.length}`), ['5 2']);
});

test("keepalived's pre-defined ${_PWD} (the directory of the file being read) and ${_INSTANCE} (the config id)", async (t) => {
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(dir, 'pwd/sub'), { recursive: true });
  const main = write('pwd/main.conf', 'include ${_PWD}/sub/x.conf\n');
  write('pwd/sub/x.conf', 'vrrp_instance VI_${_INSTANCE} {\n    interface eth0\n    virtual_router_id 51\n    priority 30${_INSTANCE}\n    virtual_ipaddress {\n        198.51.100.10/24\n    }\n}\n');
  const p = parseKeepalivedConf(main, { configId: '7' });
  assert.equal(p.files.length, 2);
  assert.deepEqual(p.nodes.map((n) => n.args[0]), ['VI_7']);
  if (skip) return t.skip(skip);
  const kd = await runDoctor({ keepalivedConf: main, keepalived: wrapper, configId: '7' });
  const f = kd.report.findings.filter((x) => x.code === 'priority-range');
  assert.deepEqual(f.map((x) => `${x.file.replace(/.*\/pwd\//, '')}:${x.line}`), ['sub/x.conf:4']);
  assert.ok(f[0].keepalived?.includes('(VI_7) Priority not valid! must be between 1 & 255. Using default 100'), JSON.stringify(f));
});

test("keepalived's ${_RANDOM min max} and $_RANDOM (0..32767): a number keepalived picks at each read; the model takes min and says so, keepalived's lines about the value join that finding", async (t) => {
  const conf = write('random.conf', 'vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id $_RANDOM\n    priority ${_RANDOM 100 150}\n    virtual_ipaddress {\n        198.51.100.10/24\n    }\n}\n');
  const p = parseKeepalivedConf(conf);
  assert.deepEqual(p.nodes[0].children!.slice(0, 3).map((n) => `${n.keyword} ${n.args.join(' ')}`), ['interface eth0', 'virtual_router_id 0', 'priority 100']);
  const model = await runDoctor({ keepalivedConf: conf, keepalived: false, config: '/dev/null' });
  const random = (r: typeof model) => r.report.findings.filter((f) => f.code === 'random').map((f) => `${f.line} ${/from (\d+) to (\d+)/.exec(f.message)?.slice(1).join('-')}`);
  assert.deepEqual(random(model), ['3 0-32767', '4 100-150']);
  assert.equal(model.report.instances[0].priority, 100);
  if (skip) return t.skip(skip);
  const kd = await runDoctor({ keepalivedConf: conf, keepalived: wrapper, config: '/dev/null' });
  assert.deepEqual(random(kd), ['3 0-32767', '4 100-150']);
  // keepalived's "VRID '12345' not valid" (a number it drew; 1..255 drawn once in 128 reads) is no finding of its own
  assert.ok(!kd.report.findings.some((f) => f.code === 'keepalived-says'), JSON.stringify(kd.report.findings));
});

test("~SEQ as lib/parser.c add_seq reads it: a blank before '(', $NAME in its numbers, strtol base 0 (0x1, 010 octal), ~SEQ(Z, 0) is 1 then 0; a bad one is keepalived's error and the line is dropped, not exit 78", async (t) => {
  const conf = write('seq2.conf', [
    '$MAX=3', 'vrrp_instance VI_1 {', '    interface eth0', '    virtual_router_id 51', '    virtual_ipaddress {',
    '~SEQ (N, 1, 2) 198.51.100.${N}/24', '~SEQx(H, 0x1, $MAX) 198.51.100.1${H}/24', '~SEQ(Z, 0) 198.51.100.2${Z}/24', '~SEQ(O, 010, 011) 198.51.100.3${O}/24',
    '~SEQ(B, 1, 0, 3) 198.51.100.4${B}/24', '~SEQ(C, 3, 1, 1) 198.51.100.5${C}/24', '~SEQ(D, 1x) 198.51.100.6${D}/24', '~SEQ D 198.51.100.6${D}/24',
    '    }', '}', '',
  ].join('\n'));
  const p = parseKeepalivedConf(conf);
  assert.deepEqual(p.nodes[0].children!.find((n) => n.keyword === 'virtual_ipaddress')!.children!.map((c) => c.keyword),
    ['198.51.100.1/24', '198.51.100.2/24', '198.51.100.11/24', '198.51.100.12/24', '198.51.100.13/24', '198.51.100.21/24', '198.51.100.20/24', '198.51.100.38/24', '198.51.100.39/24']);
  assert.deepEqual(p.notes.map((n) => `${n.line} ${n.kind} ${n.text.split(' \'')[0]}`), [
    '10 seq-invalid Invalid ~SEQ values', '11 seq-invalid Invalid ~SEQ values', '12 seq-invalid Invalid ~SEQ definition', '13 seq-invalid Invalid ~SEQ specification']);
  if (skip) return t.skip(skip);
  const kd = await runDoctor({ keepalivedConf: conf, keepalived: wrapper, config: '/dev/null' });
  // keepalived objects to exactly these lines, and each of its lines is under the one finding of its line
  assert.deepEqual(kd.report.findings.filter((f) => f.keepalived?.length).map((f) => `${f.line} ${f.code} ${f.keepalived!.length}`), ['10 seq-invalid 2', '11 seq-invalid 2', '12 seq-invalid 2', '13 seq-invalid 1']);
});

test("`$W = -30` (a blank before '=') is no definition to keepalived: an unknown keyword, said so with the fix, with and without keepalived; `$P,` is replaced (`priority 100,`), `${P 1}` is not", async (t) => {
  const conf = write('spaced.conf', '$W = -30\n$P=100\nvrrp_script chk {\n    script "/bin/true"\n    weight $W\n}\nvrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n    priority $P,\n    virtual_ipaddress {\n        198.51.100.10/24\n    }\n    track_script {\n        chk\n    }\n}\n');
  const p = parseKeepalivedConf(conf);
  assert.deepEqual(p.nodes.map((n) => [n.keyword, ...n.args].join(' ')).slice(0, 1), ['$W = -30']);
  assert.equal(p.nodes[2].children!.find((n) => n.keyword === 'priority')!.args[0], '100,');
  const check = (r: Awaited<ReturnType<typeof runDoctor>>) => {
    const f = r.report.findings.find((x) => x.line === 1);
    assert.equal(f?.code, 'unknown-keyword');
    assert.match(f!.message, /no definition to keepalived \(no blank may stand before '='\)/);
    assert.equal(f!.fix, '`$W=-30`');
  };
  check(await runDoctor({ keepalivedConf: conf, keepalived: false, config: '/dev/null' }));
  if (skip) return t.skip(skip);
  const kd = await runDoctor({ keepalivedConf: conf, keepalived: wrapper, config: '/dev/null' });
  check(kd);
  assert.ok(kd.report.findings.find((x) => x.line === 1)?.keepalived?.includes("Unknown keyword '$W'"));
});
