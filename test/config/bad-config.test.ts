// Bad config files, one per kind of error (fixtures in test/fixtures/bad-config):
// exit 78 with file:line and a one-line reason, no stack trace, for both
// `hacheck check -c` and `hacheck validate -c`. Plus validate ok / --print.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { hacheck } from '../fixtures/hacheck.ts';

const FIXTURES = new URL('../fixtures/bad-config/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'hacheck-badcfg-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** fixture → the line and the one-line message hacheck must print after "hacheck: <file>:<line>: " */
const cases: [file: string, line: number, message: RegExp][] = [
  ['unknown-key.yaml', 6, /^probes\[0\]\.min_wokers: unknown key "min_wokers" \(did you mean "min_workers"\?\)$/],
  ['wrong-type.yaml', 8, /^probes\[1\]\.urls\[0\]\.tls_verify: expected true or false, got "no" \(in YAML 1\.2 yes, no, on and off are text\)$/],
  ['bad-duration.yaml', 3, /^timeout: bad duration "1\.5 seconds": use a number with ms, s, m or h/],
  ['out-of-range.yaml', 3, /^probes\[0\]\.busy_max: percentage must be <= 100$/],
  ['yaml-syntax.yaml', 5, /^YAML syntax error: /],
  ['missing-key.yaml', 5, /^probes\[1\]\.urls: missing required key "urls"$/],
  ['bad-value.yaml', 3, /^probes\[0\]\.quorum: quorum 3 is larger than the number of urls \(2\)$/],
  ['unknown-probe-type.yaml', 4, /^probes\[1\]\.type: unknown probe type "ping": expected one of process, port, http,/],
  ['two-problems.yaml', 2, /^timeout: bad duration "1\.5x": .* \(and 1 more: fix this one and run hacheck validate again\)$/],
];

function assertOneLine(stderr: string, expected: RegExp, what: string) {
  assert.doesNotMatch(stderr, /\n\s+at |Error:|internal error/, `${what}: ${stderr}`);
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `${what}: one line, got ${stderr}`);
  assert.match(lines[0], expected, what);
}

for (const [file, line, message] of cases) {
  test(`bad config ${file}: exit 78, ${file}:${line} and the reason (check and validate)`, async () => {
    const path = join(FIXTURES, file);
    const prefix = `hacheck: ${path}:${line}: `;
    for (const args of [['-c', path], ['check', '-c', path, '-v'], ['validate', '-c', path]]) {
      const r = await hacheck(...args);
      assert.equal(r.code, 78, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assertOneLine(r.stderr, /^hacheck: /, args.join(' '));
      assert.ok(r.stderr.startsWith(prefix), `expected "${prefix}…", got ${r.stderr}`);
      assert.match(r.stderr.trim().slice(prefix.length), message);
    }
  });
}

test('missing config file: exit 78, the path and why', async () => {
  const path = join(dir, 'no-such.yaml');
  for (const args of [['-c', path], ['validate', '-c', path]]) {
    const r = await hacheck(...args);
    assert.equal(r.code, 78);
    assertOneLine(r.stderr, new RegExp(`^hacheck: ${path}: cannot read config: no such file \\(ENOENT\\)$`), args.join(' '));
  }
});

test('a duplicate key and a non-mapping document are config errors with a line', async () => {
  const dup = join(dir, 'dup.yaml');
  writeFileSync(dup, 'timeout: 1s\nstate_dir: /tmp\ntimeout: 2s\n');
  const r = await hacheck('validate', '-c', dup);
  assert.equal(r.code, 78);
  assertOneLine(r.stderr, new RegExp(`^hacheck: ${dup}:3: YAML syntax error: duplicate key "timeout" in one mapping`), 'duplicate key');
  const list = join(dir, 'list.yaml');
  writeFileSync(list, '- type: process\n');
  const l = await hacheck('validate', '-c', list);
  assert.equal(l.code, 78);
  assertOneLine(l.stderr, new RegExp(`^hacheck: ${list}:1: the config must be a YAML mapping`), 'list document');
});

test('validate: a good file is ok; --print shows the effective config with defaults', async () => {
  const f = join(dir, 'good.yaml');
  writeFileSync(f, `timeout: 1.5s
probes:
  - type: process
    pidfile: /run/nginx.pid
  - type: port
    targets: ["80", "[::1]:80"]
  - type: http
    quorum: 2
    urls:
      - http://127.0.0.1/
      - {url: "https://127.0.0.1/health", tls_verify: false, body_regex: "ok|green"}
      - {url: "http://localhost/", socket: /run/nginx.sock}
`);
  const ok = await hacheck('validate', '-c', f);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, `${f}: ok\n`);
  const p = await hacheck('validate', '-c', f, '--print');
  assert.equal(p.code, 0, p.stderr);
  const eff = parse(p.stdout);
  assert.equal(eff.timeout, '1.5s');
  assert.equal(eff.state_dir, '/run/hacheck');
  assert.equal(eff.probes[0].min_workers, 1);
  assert.equal(eff.probes[0].process, 'nginx');
  assert.deepEqual(eff.probes[1].targets, ['127.0.0.1:80', '[::1]:80']);
  assert.deepEqual(eff.probes[2].urls[0].status, ['200-399']);
  assert.equal(eff.probes[2].urls[0].method, 'GET');
  assert.equal(eff.probes[2].urls[1].body_regex, 'ok|green');
  assert.equal(eff.probes[2].urls[1].tls_verify, false);
  assert.equal(eff.probes[2].urls[2].socket, '/run/nginx.sock');
  // the printed config is itself a valid config
  const again = join(dir, 'printed.yaml');
  writeFileSync(again, p.stdout);
  const r = await hacheck('validate', '-c', again);
  assert.equal(r.code, 0, r.stderr);
});

test('validate: a bad flag is a usage error (64)', async () => {
  const r = await hacheck('validate', '--bogus');
  assert.equal(r.code, 64);
});
