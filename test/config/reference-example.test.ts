// The example in docs/configuration.md (the configuration reference) must stay a valid config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hacheck } from '../fixtures/hacheck.ts';

test('docs/configuration.md: its example validates', async (t) => {
  const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  assert.ok(doc.includes('## Example'), 'the reference has an Example section');
  const section = doc.slice(doc.indexOf('## Example'));
  const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(yaml, 'the section has a yaml example');
  const d = mkdtempSync(join(tmpdir(), 'hacheck-conf-example-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  writeFileSync(join(d, 'hacheck.yaml'), yaml);
  const r = await hacheck('validate', '-c', join(d, 'hacheck.yaml'), '--print');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /nginx_max: 180/);
});
