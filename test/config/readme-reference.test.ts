// The example in README's "Configuration reference" must stay a valid config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hacheck } from '../fixtures/hacheck.ts';

test('README configuration reference example validates', async (t) => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Configuration reference'));
  const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(yaml, 'the section has a yaml example');
  const d = mkdtempSync(join(tmpdir(), 'hacheck-readme-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  writeFileSync(join(d, 'hacheck.yaml'), yaml);
  const r = await hacheck('validate', '-c', join(d, 'hacheck.yaml'), '--print');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /nginx_max: 180/);
});
