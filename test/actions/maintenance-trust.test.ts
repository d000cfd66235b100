// The maintenance file decides by its presence alone (forced down, exit 3), so a
// file another user could have put there must not count: a user who can write
// the directory would force every node down and take the VIP nowhere. Real files,
// one owned by nobody, one root's in a directory anyone can write.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { maintenanceState } from '../../src/actions/evaluate.ts';

const root = (process.getuid?.() ?? 1) === 0;
const NOBODY = Number(spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim() || 65534);
const base = mkdtempSync('/tmp/hc-maint-');
chmodSync(base, 0o755);
after(() => rmSync(base, { recursive: true, force: true }));

test('a maintenance file of root in a safe directory forces down; absent or "" does not', () => {
  const f = join(base, 'maintenance');
  assert.deepEqual(maintenanceState(f), {});
  assert.deepEqual(maintenanceState(''), {});
  writeFileSync(f, '');
  assert.deepEqual(maintenanceState(f), { reason: `forced down: maintenance file ${f} present` });
  rmSync(f);
});

test('a maintenance file another user could have planted is ignored, and said so', { skip: !root && 'needs root (chown)' }, () => {
  const open = join(base, 'open');
  mkdirSync(open);
  chmodSync(open, 0o777);
  // planted by nobody
  const planted = join(open, 'maintenance');
  writeFileSync(planted, '');
  chownSync(planted, NOBODY, NOBODY);
  let s = maintenanceState(planted);
  assert.equal(s.reason, undefined);
  assert.equal(s.ignored, `maintenance file ${planted} ignored: owned by uid ${NOBODY}, not root (another user could have put it there)`);
  // root's file, but in a directory anyone can write (renamed in, or kept there)
  chownSync(planted, 0, 0);
  s = maintenanceState(planted);
  assert.equal(s.reason, undefined);
  assert.match(s.ignored!, new RegExp(`ignored: directory ${open} is writable by other users \\(mode 0777\\)`));
  // a symlink nobody owns, in a safe directory, naming a root file
  const safe = join(base, 'safe');
  mkdirSync(safe, { mode: 0o755 });
  const target = join(safe, 'real');
  writeFileSync(target, '');
  const link = join(safe, 'maintenance');
  symlinkSync(target, link);
  spawnSync('chown', ['-h', `${NOBODY}`, link]);
  s = maintenanceState(link);
  assert.equal(s.reason, undefined);
  assert.match(s.ignored!, /owned by uid \d+, not root/);
});
