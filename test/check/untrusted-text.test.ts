// Text from files and the config reaches an operator's terminal (-v) only with
// its control characters as \xHH, as server text already does (repro-12): a pid
// file's content (its writer is nginx's user when the pid directory is theirs)
// and a URL in the config with a CR/LF or an escape sequence in it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hacheck } from '../fixtures/hacheck.ts';

function tmp(t: { after: (fn: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), 'hacheck-text-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const RAW = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/; // any control character but \t and \n (the table's own)

test('a pid file holding escape sequences, a NUL and line breaks is quoted as \\xHH in -v, --json and the log', async (t) => {
  const d = tmp(t);
  const pf = join(d, 'nginx.pid');
  writeFileSync(pf, '\x1b]0;owned\x07\x1b[2J\n\0\x1b[31mRED\x1b[0m\n');
  const r = await hacheck('--pidfile', pf, '--state-dir', join(d, 'sd'), '--maintenance-file', '', '-v');
  assert.equal(r.code, 1);
  assert.doesNotMatch(r.stdout, RAW, JSON.stringify(r.stdout));
  assert.doesNotMatch(r.stderr, RAW);
  assert.match(r.stdout, /"\\x1b\]0;owned\\x07\\x1b\[2J\\x0a\\x00\\x1b\[31…"/);
  const j = await hacheck('--pidfile', pf, '--state-dir', join(d, 'sd'), '--maintenance-file', '', '--json');
  assert.equal(JSON.parse(j.stdout).probes[0].checks[0].value, '"\\x1b]0;owned\\x07\\x1b[2J\\x0a\\x00\\x1b[31…"');
});

test('a configured URL with CR/LF and an escape sequence is shown with \\xHH, in the table, the reasons and a config error', async (t) => {
  const d = tmp(t);
  const ok = join(d, 'ok.yaml');
  writeFileSync(ok, 'maintenance_file: ""\nprobes:\n  - type: http\n    urls: ["http://127.0.0.1:1/a\\r\\n\\x1b[31mX"]\n');
  const r = await hacheck('-c', ok, '--state-dir', join(d, 'sd'), '-v');
  assert.equal(r.code, 1);
  assert.doesNotMatch(r.stdout, RAW, JSON.stringify(r.stdout));
  assert.doesNotMatch(r.stderr, RAW, JSON.stringify(r.stderr));
  assert.match(r.stdout, /http:\/\/127\.0\.0\.1:1\/a\\x0d\\x0a\\x1b\[31mX/);
  const bad = join(d, 'bad.yaml');
  writeFileSync(bad, 'maintenance_file: ""\nprobes:\n  - type: http\n    urls: ["http://127.0.0.1:1:2/a\\r\\n\\x1b[31mX"]\n');
  const b = await hacheck('-c', bad, '--state-dir', join(d, 'sd'));
  assert.equal(b.code, 78);
  assert.doesNotMatch(b.stderr.trimEnd(), RAW, JSON.stringify(b.stderr));
  assert.match(b.stderr, /bad URL "http:\/\/127\.0\.0\.1:1:2\/a\\x0d\\x0a\\x1b\[31mX"/);
});
