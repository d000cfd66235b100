// keepalived.conf syntax as keepalived 2.x reads it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseKeepalivedConf, KeepalivedParseError, type KNode } from '../../src/keepalived/parse.ts';
import { decomment, quotedWords, splitAtBrace, words } from '../../src/keepalived/lines.ts';
import { fixture, parse } from './helpers.ts';

const at = { file: 'x', line: 1 };
const find = (nodes: KNode[], kw: string) => nodes.find((n) => n.keyword === kw)!;

test("words as keepalived's alloc_strvec_r makes them: only double quotes group, no escapes; comments outside double quotes", () => {
  const line = (t: string) => words(splitAtBrace(decomment(t).text).head).tokens;
  assert.deepEqual(line('script "/usr/bin/hacheck --timeout 1s" # why'), ['script', '/usr/bin/hacheck --timeout 1s']);
  // a single quote is an ordinary character: it neither groups nor hides a comment
  assert.deepEqual(line("auth_pass 'a#b!c' ! bang"), ['auth_pass', "'a"]);
  assert.deepEqual(line("router_id o'neil-lb1"), ['router_id', "o'neil-lb1"]);
  assert.deepEqual(line('abcd" efg h jkl "mnop'), ['abcd', ' efg h jkl ', 'mnop']);
  assert.deepEqual(line('x "tab\\t"'), ['x', 'tab\\t']);
  assert.deepEqual(line('vrrp_script chk{'), ['vrrp_script', 'chk']);
  assert.equal(decomment('a \\# not a comment # one').text, 'a # not a comment');
  assert.equal(decomment('priority 100 # note \\').text, 'priority 100\\');
  assert.equal(decomment('script "/bin/x').unterminated, true);
  // a script's command line is split again with quotes and escapes (alloc_strvec_quoted_escaped)
  assert.deepEqual(quotedWords('x "tab\\there\\x41\\101\\"q" \'a b\''), ['x', 'tab\there' + 'AA"q', 'a b']);
});

test('a line is split at every brace outside double quotes; the rest is read like a line of its own', () => {
  assert.deepEqual(splitAtBrace('weight -30 }'), { head: 'weight -30', residue: '}' });
  assert.deepEqual(splitAtBrace('{   @vm chk weight -90'), { head: '{', residue: '@vm chk weight -90' });
  assert.deepEqual(splitAtBrace('script "echo {}" }'), { head: 'script "echo {}"', residue: '}' });
  assert.deepEqual(splitAtBrace('script "echo { }'), { head: 'script "echo { }' });
});

test('blocks: brace on the next line, nested blocks, keyword lines with file:line', () => {
  const r = parse(fixture('include/main.conf'));
  const script = r.nodes.find((n) => n.keyword === 'vrrp_script' && n.args[0] === 'chk_nested')!;
  assert.ok(script.children, '{ on the line after the keyword opens the block');
  assert.equal(script.file, fixture('include/more/nested.conf'));
  assert.equal(script.line, 2);
  assert.deepEqual(find(script.children!, 'script').args, ['/usr/bin/hacheck status --max-age 3s']);
  const inst = find(r.nodes, 'vrrp_instance');
  assert.equal(inst.file, fixture('include/conf.d/20-instance.conf'));
  assert.deepEqual(find(inst.children!, 'virtual_ipaddress').children!.map((c) => c.keyword), ['192.0.2.10']);
});

test('include: globs relative to the including file, sorted, braces expanded, non-matching globs noted', () => {
  const r = parse(fixture('include/main.conf'));
  assert.deepEqual(r.files, ['include/main.conf', 'include/conf.d/10-scripts.conf', 'include/more/nested.conf', 'include/conf.d/20-instance.conf'].map(fixture));
  assert.deepEqual(r.notes.filter((n) => n.kind === 'include-empty').map((n) => [n.file, n.line, n.text]), [[fixture('include/main.conf'), 8, 'optional.d/*.conf']]);
});

test('one-line blocks keep only the first keyword, as keepalived does', () => {
  const r = parse(fixture('findings/one-line-block.conf'));
  const chk = r.nodes.find((n) => n.args[0] === 'chk_hacheck')!;
  assert.equal(chk.oneLine, true);
  assert.deepEqual(chk.children!.map((c) => [c.keyword, c.args]), [['script', ['/usr/bin/hacheck', ';', 'interval', '2;', 'weight', '-20']]]);
  const notes = r.notes.filter((n) => n.kind === 'one-line-block');
  assert.deepEqual(notes.map((n) => [n.line, n.lost]), [[8, ['interval 2', 'weight -20']], [9, ['timeout 3']]]);
  // a one-line block with one item is what keepalived accepts: no note
  const d = mkdtempSync(join(tmpdir(), 'hacheck-parse-'));
  try {
    writeFileSync(join(d, 'k.conf'), 'vrrp_instance VI_1 {\n    virtual_ipaddress { 192.0.2.10 }\n}\n');
    const ok = parseKeepalivedConf(join(d, 'k.conf'));
    assert.deepEqual(ok.notes, []);
    assert.deepEqual(find(ok.nodes[0].children!, 'virtual_ipaddress').children!.map((c) => c.keyword), ['192.0.2.10']);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('$NAME=value definitions are substituted; @id lines are read', () => {
  const d = mkdtempSync(join(tmpdir(), 'hacheck-parse-'));
  try {
    writeFileSync(join(d, 'k.conf'), '$PRIO=150\n$IF=eth1\nvrrp_instance VI_1 {\n    interface ${IF}\n    @node1 priority $PRIO\n}\n');
    const r = parseKeepalivedConf(join(d, 'k.conf'));
    assert.deepEqual(r.nodes[0].children!.map((c) => [c.keyword, ...c.args]), [['interface', 'eth1'], ['priority', '150']]);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

const parseError = (name: string) => {
  try {
    parse(fixture(`parse-errors/${name}`));
  } catch (e) {
    assert.ok(e instanceof KeepalivedParseError);
    return e.message;
  }
  assert.fail(`${name} parsed`);
};

test("braces and quotes keepalived reports and reads on are notes at file:line, not parse errors (lib/parser.c: 'Extra }', 'There are N missing }', 'Unterminated quote')", () => {
  const notes = (name: string) => parse(fixture(`parse-errors/${name}`)).notes.map((n) => `${n.file.replace(`${fixture('parse-errors')}/`, '')}:${n.line} ${n.kind}`);
  assert.deepEqual(notes('unclosed.conf'), ['unclosed.conf:4 unclosed-block']);
  assert.deepEqual(notes('extra-brace.conf'), ['extra-brace.conf:4 extra-brace']);
  assert.deepEqual(notes('unterminated-quote.conf'), ['unterminated-quote.conf:2 unterminated-quote']);
  assert.deepEqual(notes('includes-bad.conf'), ['inc/bad.conf:4 extra-brace']);
});

test('an include loop is cut off with the including line', () => {
  const d = mkdtempSync(join(tmpdir(), 'hacheck-parse-'));
  try {
    mkdirSync(join(d, 'sub'));
    writeFileSync(join(d, 'k.conf'), 'include sub/loop.conf\n');
    writeFileSync(join(d, 'sub', 'loop.conf'), 'include loop.conf\n');
    assert.throws(() => parseKeepalivedConf(join(d, 'k.conf'), { display: (p) => p }), (e: Error) => /sub\/loop\.conf:1: includes nested deeper than 32/.test(e.message));
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('keepalived.conf is read with a size cap, regular files only: one clear error, no unbounded read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-kcap-'));
  try {
    const big = join(dir, 'big.conf');
    writeFileSync(big, `global_defs {\n${'    # padding\n'.repeat(100_000)}}\n`);
    assert.throws(() => parseKeepalivedConf(big), (e: KeepalivedParseError) => /cannot read keepalived config: larger than 1048576 bytes/.test(e.message));
    assert.throws(() => parseKeepalivedConf(dir), (e: KeepalivedParseError) => /cannot read keepalived config: (not a regular file|EISDIR)/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
