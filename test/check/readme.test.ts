// The README must stay true: every YAML example in it is a valid config (and so
// is its --print), and the migration section covers each seed script's check,
// restart and keepalived kill. docs/*.md: test/docs/docs.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hacheck } from '../fixtures/hacheck.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const head = readme;

test('README: its YAML examples validate, and so does their --print', async (t) => {
  const blocks = [...head.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(blocks.length >= 2, 'keepalived and migration examples');
  const d = mkdtempSync(join(tmpdir(), 'hacheck-readme-head-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  for (const [i, yaml] of blocks.entries()) {
    const f = join(d, `example-${i}.yaml`);
    writeFileSync(f, yaml);
    const r = await hacheck('validate', '-c', f);
    assert.equal(r.code, 0, `example ${i}: ${r.stderr}`);
    // what --print shows is itself a valid config
    const printed = await hacheck('validate', '-c', f, '--print');
    writeFileSync(`${f}.printed`, printed.stdout);
    const again = await hacheck('validate', '-c', `${f}.printed`);
    assert.equal(again.code, 0, `example ${i} as printed: ${again.stderr}`);
  }
});

test('README: first screen has the two commands; migration covers every seed', () => {
  assert.match(head, /npm ci && npm run demo/);
  assert.match(head, /^npm test\b/m);
  const from = head.indexOf('## Migrating from the seed scripts');
  assert.ok(from >= 0, 'README has the migration section');
  const rest = head.slice(from + 3);
  const migration = head.slice(from, rest.includes('\n## ') ? from + 3 + rest.indexOf('\n## ') : undefined);
  for (const seed of ['ps -C nginx', 'ps -ef', 'nmap', 'curl', 'HTTP_GET', 'nginx -s stop', 'killall keepalived', 'pkill keepalived', 'systemctl stop keepalived']) {
    assert.ok(migration.includes(seed), `migration section mentions ${seed}`);
  }
  for (const n of ['000', '001', '002', '003', '004']) assert.match(migration, new RegExp(`\\b${n}\\b`), `seed ${n}`);
});
