// `hacheck status --json`: the keys docs/agent.md lists are the ones printed, with
// age_ms and status null when the file could not be read, and exit_code the exit code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hacheck } from '../fixtures/hacheck.ts';

const root = new URL('../../', import.meta.url).pathname;
const documented = /`\{(ok, exit_code[^}]*)\}`/.exec(readFileSync(join(root, 'docs/agent.md'), 'utf8'))![1].split(', ');

test('status --json: the documented keys, null age_ms/status for a missing file, numbers and the document for a stale one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-status-json-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const missing = await hacheck('status', '--status-file', join(dir, 'status.json'), '--json', '--max-age', '2s');
  assert.equal(missing.code, 1);
  const m = JSON.parse(missing.stdout);
  assert.deepEqual(Object.keys(m), documented);
  assert.equal(m.ok, false);
  assert.equal(m.exit_code, 1);
  assert.equal(m.max_age_ms, 2000);
  assert.equal(m.age_ms, null);
  assert.equal(m.status, null);
  assert.match(m.reason, /missing/);

  const file = join(dir, 'status.json');
  writeFileSync(file, JSON.stringify({ time_ms: Date.now() - 60_000, pid: 1, pid_start: 1, verdict: 'healthy', reasons: [] }), { mode: 0o644 });
  const stale = await hacheck('status', '--status-file', file, '--json');
  assert.equal(stale.code, 1);
  const s = JSON.parse(stale.stdout);
  assert.deepEqual(Object.keys(s), documented);
  assert.equal(s.exit_code, stale.code);
  assert.ok(s.age_ms >= 60_000, `age_ms ${s.age_ms}`);
  assert.equal(s.status.verdict, 'healthy', 'the status file as read');
  assert.match(s.reason, /stale/);
});
