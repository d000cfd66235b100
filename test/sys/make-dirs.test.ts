// makeDirs: mkdir -p that ends even where mkdir fails with ENOENT under an
// existing parent (procfs), where Node's recursive mkdir loops forever.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDirs } from '../../src/sys/make-dirs.ts';
import { hacheck } from '../fixtures/hacheck.ts';

const dir = mkdtempSync(join(tmpdir(), 'hacheck-mkdirs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('creates missing levels, accepts an existing dir, throws the real error', () => {
  makeDirs(join(dir, 'a/b/c'));
  assert.ok(statSync(join(dir, 'a/b/c')).isDirectory());
  makeDirs(join(dir, 'a/b/c'));
  writeFileSync(join(dir, 'file'), '');
  assert.throws(() => makeDirs(join(dir, 'file/sub')), { code: 'ENOTDIR' });
  assert.throws(() => makeDirs('/proc/hacheck-no/such'), { code: 'ENOENT' });
});

test('a state dir and a log file under /proc: the check still answers (not a hang): the state dir refused (78), the log file not opened (exit 1 for the dead pidfile)', async () => {
  const cfg = join(dir, 'proc.yaml');
  const text = (stateDir: string) => `timeout: 1s\n${stateDir}maintenance_file: ""\nlog:\n  file: /proc/hacheck-log/x.log\nprobes:\n  - type: process\n    pidfile: ${join(dir, 'none.pid')}\n`;
  writeFileSync(cfg, text('state_dir: /proc/hacheck-state\n'));
  let r = await hacheck('-c', cfg);
  assert.equal(r.code, 78, r.stderr);
  assert.match(r.stderr, /^hacheck: state_dir: \/proc\/hacheck-state is under \/proc \(the kernel's files: hacheck writes no file there\)/);
  writeFileSync(cfg, text(`state_dir: ${join(dir, 'st')}\n`));
  r = await hacheck('-c', cfg);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /cannot open log file \/proc\/hacheck-log\/x\.log: not opened: directory \/proc\/hacheck-log is under \/proc .*; logging to stderr/);
});
