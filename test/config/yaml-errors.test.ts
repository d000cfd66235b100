// Errors of the YAML library are config errors (issue 16, case adv-15): 78 with
// file:line and one line of ours, never 70 "internal error" with a stack frame of
// the library's. Aliases (a bomb, one with no anchor, one inside itself), nesting
// too deep, duplicate keys, unknown tags, several documents, odd keys.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseConfigText, validate } from '../../src/config/load.ts';
import { hacheck } from '../fixtures/hacheck.ts';

const dir = mkdtempSync(join(tmpdir(), 'hacheck-yaml-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** 9 levels of 9 aliases each: 9^10 "lol"s once expanded (490 bytes of YAML) */
const LAUGHS = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...Array.from({ length: 9 }, (_, i) => `a${i + 1}: &a${i + 1} [${Array(9).fill(`*a${i}`).join(',')}]`), 'probes: *a9', ''].join('\n');

function errorOf(yaml: string): string {
  const t0 = performance.now();
  try {
    validate(parseConfigText(yaml, 'c.yaml'), 'config');
    return 'ok';
  } catch (e) {
    assert.ok(e instanceof ConfigError, `a ConfigError, not ${(e as Error)?.stack}`);
    assert.equal(e.kind, 'config');
    assert.doesNotMatch(e.message, /\n/);
    return e.message;
  } finally {
    // generous: the bomb must be refused, not expanded (which takes minutes and GBs)
    assert.ok(performance.now() - t0 < 5000, 'refused quickly');
  }
}

test('YAML library errors are ConfigErrors with file:line', () => {
  const cases: [string, string, RegExp][] = [
    ['alias bomb', LAUGHS, /^c\.yaml:2: YAML error: too many alias expansions \(more than 100: an alias bomb\?\)/],
    ['alias bomb in a probe', `probes:\n  - type: port\n    targets: &t [1]\n${Array.from({ length: 200 }, (_, i) => `  - {type: port, name: p${i}, targets: *t}`).join('\n')}\n`, /^c\.yaml:4: YAML error: too many alias expansions/],
    ['alias with no anchor', 'timeout: 1s\nprobes: *nowhere\n', /^c\.yaml:2: YAML error: alias \*nowhere names no anchor defined before it$/],
    ['alias before its anchor', 'a: *x\nb: &x 1\n', /^c\.yaml:1: YAML error: alias \*x names no anchor/],
    ['nesting too deep (flow)', `probes: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`, /^c\.yaml:1: YAML syntax error: nesting too deep/],
    ['nesting too deep (block)', `probes:\n${Array.from({ length: 5000 }, (_, i) => `${' '.repeat(i + 2)}- `).join('\n')}x\n`, /^c\.yaml:\d+: YAML syntax error: nesting too deep|^c\.yaml:\d+: probes\[0\]/],
    ['duplicate key', 'timeout: 1s\ntimeout: 2s\n', /^c\.yaml:2: YAML syntax error: duplicate key "timeout" in one mapping: the second would replace the first; keep one$/],
    ['duplicate key in a probe', 'probes:\n  - type: process\n    pidfile: /a\n    pidfile: /b\n', /^c\.yaml:4: YAML syntax error: duplicate key "pidfile" in one mapping/],
    ['duplicate key, quoted once', 'probes:\n  - type: port\n    "targets": [1]\n    targets: [2]\n', /^c\.yaml:4: YAML syntax error: duplicate key "targets" in one mapping/],
    ['duplicate key in a flow map', 'log: {level: info, level: debug}\n', /^c\.yaml:1: YAML syntax error: duplicate key "level" in one mapping/],
    ['duplicate key, a number and its text', 'x:\n  1: a\n  "1": b\n', /^c\.yaml:3: YAML syntax error: duplicate key "1" in one mapping/],
    ['unknown tag', 'timeout: !!js/function "f"\n', /^c\.yaml:1: YAML error: Unresolved tag: tag:yaml\.org,2002:js\/function/],
    ['two documents', 'timeout: 1s\n---\ntimeout: 2s\n', /^c\.yaml:2: YAML syntax error: a second YAML document \(after ---\): a config is one document; remove the --- line and what follows, or merge the two$/],
    ['two documents, an anchor of the first used in the second', 'log: &l {level: info}\n---\nlog: *l\n', /^c\.yaml:2: YAML syntax error: a second YAML document/],
    ['a document end marker, then more', 'timeout: 1s\n...\ntimeout: 2s\n', /^c\.yaml:\d: YAML syntax error: /],
    ['%YAML 1.1 (0120 octal, yes true, 1:20 base 60)', '%YAML 1.1\n---\ntimeout: 1s\n', /^c\.yaml:1: YAML error: %YAML 1\.1: hacheck reads YAML 1\.2 .*remove the %YAML line$/],
    ['merge key', 'log: &l {level: info}\nagent:\n  <<: {rise: 3}\n', /^c\.yaml:3: agent: merge key "<<": YAML 1\.2 has none.*write the keys out/],
    ['merge key of an alias', 'probes:\n  - &p {type: port, targets: ["1"]}\n  - <<: *p\n    name: two\n', /^c\.yaml:3: probes\[1\]: merge key "<<"/],
    ['custom tag', 'timeout: !duration 1s\n', /^c\.yaml:1: YAML error: Unresolved tag: !duration/],
    ['!!timestamp', 'probes:\n  - type: port\n    name: !!timestamp 2001-12-14\n    targets: ["1"]\n', /^c\.yaml:3: probes\[0\]\.name: YAML tag !!timestamp/],
    ['!!set', 'probes: !!set {a, b}\n', /^c\.yaml:1: probes: YAML tag !!set: a config holds only text, numbers, true\/false, lists and maps$/],
    ['!!omap', 'log: !!omap [level: info]\n', /^c\.yaml:1: log: YAML tag !!omap/],
    ['a top-level list', '- type: process\n', /^c\.yaml:1: the config must be a YAML mapping/],
    ['a top-level scalar', 'hello\n', /^c\.yaml:1: the config must be a YAML mapping/],
    ['a collection as a key', '? [a, b]\n: 1\n', /^c\.yaml:1: .*unknown key/],
    ['__proto__ key', '__proto__: {timeout: 1s}\n', /^c\.yaml:1: __proto__: unknown key "__proto__"$/],
    ['binary scalar', 'timeout: !!binary aGVsbG8=\n', /^c\.yaml:1: timeout: YAML tag !!binary \("aGVsbG8="\): a config holds only text, numbers, true\/false, lists and maps$/],
    // an unclosed bracket or quote at the end: the last line with text, not the one after its newline
    ['unclosed flow map at the end', 'timeout: 1s\nprobes:\n  - {type: port\n', /^c\.yaml:3: YAML syntax error: /],
    ['unclosed flow sequence at the end, no newline', 'probes: [a', /^c\.yaml:1: YAML syntax error: /],
    ['unclosed quote with blank lines after', 'timeout: "1s\n\n\n', /^c\.yaml:1: YAML syntax error: /],
    ['self-referencing alias', 'probes: &p [*p]\n', /^c\.yaml:1: (YAML error|probes\[0\])/],
  ];
  for (const [what, yaml, re] of cases) assert.match(errorOf(yaml), re, what);
});

test('a few aliases, as people use them, still work', () => {
  const yaml = 'x: &hdr {Host: example.com}\n';
  assert.match(errorOf(yaml), /unknown key "x"/, 'unknown keys stay errors');
  const ok = 'probes:\n  - type: http\n    headers: &h {Host: example.com}\n    urls: [http://127.0.0.1/]\n  - type: stub_status\n    url: http://127.0.0.1/status\n    headers: *h\n';
  assert.equal(errorOf(ok), 'ok');
});

test('adv-15: the alias bomb through the CLI: 78, file:line, one line, no stack (validate and check)', async () => {
  const path = join(dir, 'laughs.yaml');
  writeFileSync(path, LAUGHS);
  for (const args of [['validate', '-c', path], ['-c', path, '--state-dir', join(dir, 's')], ['agent', '-c', path, '--state-dir', join(dir, 's')]]) {
    const r = await hacheck(...args);
    assert.equal(r.code, 78, `${args[0]}: ${r.stderr}`);
    assert.equal(r.stderr, `hacheck: ${path}:2: YAML error: too many alias expansions (more than 100: an alias bomb?); a config needs only a few aliases\n`);
  }
});

test('a number means what it says: any form but a plain decimal is refused with file:line, the key and what YAML made of it', () => {
  const num = (v: string) => `probes:\n  - type: port\n    targets: [${v}]\n`;
  const cases: [string, RegExp][] = [
    [num('0x50'), /^c\.yaml:3: probes\[0\]\.targets\[0\]: 0x50 is not written as a plain decimal number \(YAML reads it as the number 80\): write 80 if that is meant, or "0x50" in quotes for the text$/],
    [num('0o120'), /targets\[0\]: 0o120 is not written as a plain decimal number \(YAML reads it as the number 80\)/],
    [num('1e2'), /targets\[0\]: 1e2 is not written as a plain decimal number \(YAML reads it as the number 100\)/],
    [num('80.0'), /targets\[0\]: 80\.0 is not written as a plain decimal number \(YAML reads it as the number 80\)/],
    [num('80.'), /targets\[0\]: 80\. is not written/],
    [num('+80'), /targets\[0\]: \+80 is not written as a plain decimal number \(YAML reads it as the number 80\)/],
    [num('0120'), /targets\[0\]: 0120 is not written as a plain decimal number \(YAML reads it as the number 120, a YAML 1\.1 reader as octal\)/],
    [num('"80", 443, 0x1BB'), /^c\.yaml:3: probes\[0\]\.targets\[2\]: 0x1BB /],
    ['probes:\n  - type: cpu\n    busy_max: .inf\n', /^c\.yaml:3: probes\[0\]\.busy_max: \.inf is not written as a plain decimal number \(YAML reads it as Infinity\): write a number$/],
    ['probes:\n  - type: cpu\n    busy_max: .nan\n', /busy_max: \.nan is not written .*NaN/],
    ['probes:\n  - type: cpu\n    busy_max: .5\n', /busy_max: \.5 is not written .*the number 0\.5\): write 0\.5/],
    ['agent:\n  rise: 1e1\n', /^c\.yaml:2: agent\.rise: 1e1 /],
    ['agent:\n  values: {healthy: 0x0}\n', /^c\.yaml:2: agent\.values\.healthy: 0x0 /],
    ['restart:\n  budget: {max: !!int 0x3}\n', /^c\.yaml:2: restart\.budget\.max: 0x3 /],
    ['probes:\n  - type: http\n    urls: [{url: "http://127.0.0.1/", status: 2e2}]\n', /status: 2e2 is not written/],
    ['probes:\n  - type: port\n    targets: ["1"]\n    0x50: x\n', /^c\.yaml:4: probes\[0\]\.80: 0x50 is not written/],
  ];
  for (const [yaml, re] of cases) assert.match(errorOf(yaml), re, yaml);
  // plain decimals, negatives, fractions, and the same digits quoted, are what they say
  for (const ok of [num('80, "443", "[::1]:80", 65535'), 'probes:\n  - type: cpu\n    busy_max: 92.5\n', 'agent:\n  values: {healthy: 0, unhealthy: -30, warning: -0}\n']) assert.equal(errorOf(ok), 'ok', ok);
});

test('a config is UTF-8 printable text: other bytes (Latin-1, UTF-16, binary) and control characters are 78 with the line, never replaced (U+FFFD) or read as a space', async () => {
  const cases: [string, Buffer, RegExp][] = [
    ['latin1.yaml', Buffer.from('timeout: 1s\nprobes: [{type: process, pidfile: "/run/ng\xe9nx.pid"}]\n', 'latin1'), /: cannot read config: not UTF-8 text: byte 0xE9 on line 2$/],
    ['utf16.yaml', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('timeout: 1s\n', 'utf16le')]), /: cannot read config: not UTF-8 text: byte 0xFF on line 1 \(a UTF-16 file\? save it as UTF-8\)$/],
    ['surrogate.yaml', Buffer.from([...Buffer.from('a: 1\nb: '), 0xed, 0xa0, 0x80, 0x0a]), /: cannot read config: not UTF-8 text: byte 0xED on line 2$/],
    ['overlong.yaml', Buffer.from([...Buffer.from('a: '), 0xc0, 0xaf, 0x0a]), /: cannot read config: not UTF-8 text: byte 0xC0 on line 1$/],
    ['nul.yaml', Buffer.from('timeout: 1s\0\n'), /:1: control character U\+0000 in the text: a config is printable text/],
    ['escape.yaml', Buffer.from('timeout: 1s\nlog: {file: "/var/log/\x1b[2Jx"}\n'), /:2: control character U\+001B in the text/],
    ['inner-bom.yaml', Buffer.from('timeout: 1s\nstate_dir: "/run/\ufeffhacheck"\n'), /:2: control character U\+FEFF in the text/],
  ];
  for (const [name, bytes, re] of cases) {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    const r = await hacheck('validate', '-c', path);
    assert.equal(r.code, 78, `${name}: ${r.stderr}`);
    assert.match(r.stderr.trim(), new RegExp(`^hacheck: ${path}${re.source}`), name);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
  // a BOM at the start, CRLF line ends, tabs as separators, and UTF-8 letters are text
  const ok = join(dir, 'ok.yaml');
  writeFileSync(ok, '\ufefftimeout:\t1s\r\nprobes:\r\n  - {type: port, targets: ["80"]}\r\nlog: {file: "/var/log/caf\u00e9-\u{1f600}.log"}\r\n');
  const r = await hacheck('validate', '-c', ok);
  assert.equal(r.code, 0, r.stderr);
});
