// Files root writes to act (track_file, status file, metrics textfile, init's
// hacheck.yaml) go through writeFileAtomic, which must not write where another
// user could redirect or replace the file: a symlink of theirs on the path (in a
// sticky /tmp, where protected_symlinks may be off) would make root replace a file
// of the same name anywhere; a directory they can write makes the file theirs to
// swap (keepalived would read their track_file). Real files, a symlink owned by nobody.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { openAppend, UntrustedError, writeFileAtomic } from '../../src/sys/trusted-file.ts';
import { writeTrackFile } from '../../src/output/state-file.ts';

const root = (process.getuid?.() ?? 1) === 0;
const NOBODY = Number(spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim() || 65534);
const base = mkdtempSync('/tmp/hc-writedir-');
chmodSync(base, 0o1777); // a sticky, world-writable directory, as /tmp
after(() => rmSync(base, { recursive: true, force: true }));

test('a symlinked directory another user planted is not written through: the victim file is untouched', { skip: !root && 'needs root (chown)' }, () => {
  const victim = join(mkdtempSync(join(base, 'victim-')), 'state');
  writeFileSync(victim, 'ROOT FILE\n');
  const link = join(base, 'keepalived');
  symlinkSync(join(victim, '..'), link);
  spawnSync('chown', ['-h', String(NOBODY), link]);
  assert.throws(() => writeTrackFile(join(link, 'state'), 1), (e: Error) => e instanceof UntrustedError && /a symbolic link owned by uid \d+/.test(e.message));
  assert.equal(readFileSync(victim, 'utf8'), 'ROOT FILE\n');
});

test('a directory above the target that another user can write is refused (they could swap the next one for a symlink); the target\'s own directory may be theirs; a missing one under safe ones is made', { skip: !root && 'needs root (chown)' }, () => {
  const open = join(base, 'open');
  mkdirSync(open);
  chmodSync(open, 0o777);
  assert.throws(() => writeFileAtomic(join(open, 'sub', 'state'), '0\n', { mkdir: true }), /not written: directory .*open\/sub is below .*open, which is writable by other users \(mode 0777\)/);
  assert.equal(existsSync(join(open, 'sub')), false);
  const theirs = join(base, 'theirs');
  mkdirSync(theirs, { mode: 0o755 });
  chownSync(theirs, NOBODY, NOBODY);
  assert.throws(() => writeFileAtomic(join(theirs, 'd', 'status.json'), '{}', { mkdir: true }), /below .*theirs, which is owned by uid \d+, not root/);
  // the file's own directory writable by others (keepalived's track_file where the operator put it): written, replaced by rename
  writeTrackFile(join(open, 'state'), 1);
  assert.equal(readFileSync(join(open, 'state'), 'utf8'), '1\n');
  // ours, in a sticky directory (as /tmp): made and written
  const ours = join(base, 'ours', 'state');
  writeTrackFile(ours, 0);
  assert.equal(readFileSync(ours, 'utf8'), '0\n');
});

test('a log (log.file) is not appended to, nor rotated, through another user\'s symlinked directory', { skip: !root && 'needs root (chown)' }, () => {
  const victimDir = mkdtempSync(join(base, 'victim-log-'));
  const victim = join(victimDir, 'hacheck.log');
  writeFileSync(victim, 'ROOT LOG\n'.repeat(100));
  const link = join(base, 'logs');
  symlinkSync(victimDir, link);
  spawnSync('chown', ['-h', String(NOBODY), link]);
  assert.throws(() => openAppend(join(link, 'hacheck.log'), { rotateBytes: 10 }), /not opened: directory .*logs is below .*logs, which is a symbolic link owned by uid \d+|a symbolic link owned by uid \d+/);
  assert.equal(readFileSync(victim, 'utf8'), 'ROOT LOG\n'.repeat(100));
  assert.equal(existsSync(`${victim}.1`), false, 'not rotated');
});

test('a log that is a hard link to another file (a root file linked into a directory others can write, where fs.protected_hardlinks is 0) is not appended to', () => {
  const victimDir = mkdtempSync(join(base, 'victim-link-'));
  const victim = join(victimDir, 'shadow');
  writeFileSync(victim, 'ROOT SECRET\n', { mode: 0o640 });
  const logs = join(base, 'open-logs');
  mkdirSync(logs);
  chmodSync(logs, 0o777);
  linkSync(victim, join(logs, 'hacheck.log')); // what that user could do with protected_hardlinks off
  assert.throws(() => openAppend(join(logs, 'hacheck.log')), /has 2 hard links/);
  assert.equal(readFileSync(victim, 'utf8'), 'ROOT SECRET\n');
});
