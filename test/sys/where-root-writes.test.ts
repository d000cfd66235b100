// Where root writes (track_file, status file, hacheck.prom, log.file, the state
// dir): never through a directory another user owns, wherever it sits. The
// sticky bit of /tmp does not stop the OWNER of /tmp/x from renaming /tmp/x
// itself: swapped for a symlink (renameat2 RENAME_EXCHANGE) between a check and
// a write, root would write into a root-only directory. A root-owned symlink
// leading through such a directory is judged by what it leads through. Nor
// under the kernel's file systems (/dev, /proc, /sys), nor over a device.
// Real files, user nobody (setpriv) making the attacker's moves.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openAppend, systemDirProblem, UntrustedError, walkDir, writeFileAtomic, writeTargetProblem } from '../../src/sys/trusted-file.ts';
import { stateDir } from '../../src/sys/state-dir.ts';
import { cleanEnv } from '../fixtures/hacheck.ts';

const NOBODY = 65534;
const root = (process.getuid?.() ?? 1) === 0;
const canNobody = root && spawnSync('setpriv', ['--version']).status === 0 && spawnSync('/usr/bin/python3', ['--version']).status === 0;
const base = mkdtempSync('/tmp/hc-rootwrites-');
chmodSync(base, 0o1777); // sticky and world-writable, as /tmp
after(() => rmSync(base, { recursive: true, force: true }));

/** A root-only directory holding files named like the ones root writes: the victim. */
function victim(name: string, files: string[]): { dir: string; unchanged: () => void } {
  const dir = mkdtempSync(join('/tmp', `hc-victim-${name}-`));
  chmodSync(dir, 0o755);
  for (const f of files) writeFileSync(join(dir, f), 'PRECIOUS\n');
  after(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    unchanged: () => {
      assert.deepEqual(readdirSync(dir).sort(), [...files].sort(), `root made files in ${dir}`);
      for (const f of files) assert.equal(readFileSync(join(dir, f), 'utf8'), 'PRECIOUS\n', `${f} changed`);
    },
  };
}

/** A directory `nobody` owns (0755) in the sticky base, as `mkdir /tmp/x` by that user. */
function theirs(name: string): string {
  const d = join(base, name);
  mkdirSync(d, { mode: 0o755 });
  chownSync(d, NOBODY, NOBODY);
  return d;
}

test('a directory another user owns, below sticky /tmp, is refused for every write root makes (its owner can rename it); mode 0755 changes nothing', { skip: !root && 'needs root (chown)' }, () => {
  const d = theirs('owned');
  assert.throws(() => writeFileAtomic(join(d, 'state'), '1\n'), (e: Error) => e instanceof UntrustedError && /not written: directory .*owned is owned by uid 65534, not root/.test(e.message));
  assert.throws(() => writeFileAtomic(join(d, 'sub', 'status.json'), '{}', { mkdir: true }), /below .*owned, which is owned by uid 65534, not root/);
  assert.equal(existsSync(join(d, 'sub')), false, 'nothing made below it');
  assert.throws(() => openAppend(join(d, 'hacheck.log')), /not opened: directory .*owned is owned by uid 65534/);
  assert.deepEqual(readdirSync(d), [], 'no temp file, no log created');
  // root's own directory in the same sticky place: written (the sticky bit protects what root owns there)
  const mine = join(base, 'mine');
  writeFileAtomic(join(mine, 'state'), '0\n', { mkdir: true });
  assert.equal(readFileSync(join(mine, 'state'), 'utf8'), '0\n');
  // a root-owned directory others may write, as the file's own: still written (a rename replaces only that name)
  const open = join(base, 'open');
  mkdirSync(open);
  chmodSync(open, 0o777);
  writeFileAtomic(join(open, 'state'), '1\n');
  assert.equal(readFileSync(join(open, 'state'), 'utf8'), '1\n');
});

test('another user\'s directory under a root-owned, not other-writable parent (a node_exporter textfile dir owned by its exporter user) is written by rename: its owner cannot rename it, and owning it gives no more than writing names in it; an append there stays refused below a sticky one only', { skip: !root && 'needs root (chown)' }, () => {
  const lib = mkdtempSync(join('/tmp', 'hc-varlib-'));
  chmodSync(lib, 0o755);
  after(() => rmSync(lib, { recursive: true, force: true }));
  const textfile = join(lib, 'node-exporter');
  mkdirSync(textfile, { mode: 0o755 });
  chownSync(textfile, NOBODY, NOBODY);
  writeFileAtomic(join(textfile, 'hacheck.prom'), 'hacheck_up 1\n');
  assert.equal(readFileSync(join(textfile, 'hacheck.prom'), 'utf8'), 'hacheck_up 1\n');
  // one level deeper, the same user's directory is the one ABOVE the file's: it could swap the next one. That is
  // Debian's shape (/var/lib/prometheus owned by prometheus, node-exporter root's): written through a descriptor of
  // the file's own directory, held open and checked to be the inode looked at (the race is below)
  mkdirSync(join(textfile, 'sub'), { mode: 0o755 });
  writeFileAtomic(join(textfile, 'sub', 'x.prom'), '1\n');
  assert.equal(readFileSync(join(textfile, 'sub', 'x.prom'), 'utf8'), '1\n');
  // two levels of theirs above: refused
  mkdirSync(join(textfile, 'theirs2'), { mode: 0o755 });
  chownSync(join(textfile, 'theirs2'), NOBODY, NOBODY);
  mkdirSync(join(textfile, 'theirs2', 'leaf'), { mode: 0o755 });
  assert.throws(() => writeFileAtomic(join(textfile, 'theirs2', 'leaf', 'x.prom'), '1\n'), /below .*node-exporter, which is owned by uid 65534/);
  // below the sticky base the same directory is refused (its owner may rename it): repro-1
  assert.throws(() => writeFileAtomic(join(theirs('exporter'), 'hacheck.prom'), '1\n'), /owned by uid 65534, not root, below the sticky .* \(its owner may rename it\)/);
});

test('a root-owned symlink is judged by the directories it leads through: a state dir reached through one into another user\'s directory is not used; the same path spelled directly is refused alike', { skip: !root && 'needs root (chown)' }, () => {
  const d = theirs('r1c');
  mkdirSync(join(d, 'sd'), { mode: 0o755 }); // root's state dir, inside nobody's directory
  const holder = mkdtempSync(join('/tmp', 'hc-links-'));
  chmodSync(holder, 0o755);
  after(() => rmSync(holder, { recursive: true, force: true }));
  symlinkSync(join(d, 'sd'), join(holder, 'statedir')); // root-owned link
  for (const p of [join(holder, 'statedir'), join(d, 'sd')]) {
    const s = stateDir(p);
    assert.ok(!s.ok && /is below .*r1c, which is owned by uid 65534, not root/.test(s.why), `${p}: ${JSON.stringify(s)}`);
  }
  assert.throws(() => writeFileAtomic(join(holder, 'statedir', 'last-check.json'), '{}'), /below .*r1c, which is owned by uid 65534/);
  // a relative link, and links to links: resolved as the kernel would
  symlinkSync('statedir', join(holder, 'again'));
  assert.equal(walkDir(join(holder, 'again'), 'refuse').real, join(d, 'sd'));
  assert.match(walkDir(join(holder, 'again'), 'refuse').problem!.why, /owned by uid 65534/);
  // a link ending in . is judged at the directory it ends at, as the state dir itself (a sticky /tmp is not one)
  symlinkSync('/tmp/.', join(holder, 'tmpdot'));
  assert.match(walkDir(join(holder, 'tmpdot'), 'refuse').problem!.why, /writable by other users \(mode 1777, sticky\)/);
  // a link loop is an error, not a hang
  symlinkSync('loop-b', join(holder, 'loop-a'));
  symlinkSync('loop-a', join(holder, 'loop-b'));
  assert.match(walkDir(join(holder, 'loop-a'), 'refuse').problem!.why, /ELOOP/);
});

/**
 * As user nobody, swaps `a` and `b` (a directory and a symlink of its own) with
 * renameat2(RENAME_EXCHANGE) for `secs` seconds, as fast as it can; leaves `a`
 * the directory. `done`: its exit code; `out()`: the swaps it made, or its error.
 */
function flipAs(t: { after: (fn: () => void) => void }, a: string, b: string, secs: number): { done: Promise<number | null>; out: () => string } {
  const flip = `
import ctypes, sys, time, os
libc = ctypes.CDLL(None, use_errno=True)
a, b = sys.argv[1].encode(), sys.argv[2].encode()
end = time.time() + float(sys.argv[3]); n = 0
while time.time() < end:
    if libc.syscall(316, -100, a, -100, b, 2) != 0: sys.exit('renameat2: errno %d' % ctypes.get_errno())
    n += 1
if os.path.islink(sys.argv[1]): libc.syscall(316, -100, a, -100, b, 2)
print(n)
`;
  const flipper = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '/usr/bin/python3', '-c', flip, a, b, String(secs)], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  flipper.stdout!.on('data', (x) => (out += x));
  flipper.stderr!.on('data', (x) => (out += x));
  t.after(() => { try { flipper.kill('SIGKILL'); } catch { /* gone */ } });
  return { done: new Promise<number | null>((r) => flipper.on('exit', r)), out: () => out };
}

test('race: while nobody swaps its /tmp directory with a symlink to a root-only directory (renameat2 RENAME_EXCHANGE), root never writes, appends or makes a file there', { skip: !canNobody && 'needs root, setpriv and python3' }, async (t) => {
  const d = theirs('flipped');
  const v = victim('flip', ['state', 'status.json', 'hacheck.log', 'hacheck.prom']);
  const link = join(base, 'flipped-link');
  spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'ln', '-s', v.dir, link]);
  const flipper = flipAs(t, d, link, 1.5);
  let refused = 0;
  const end = performance.now() + 1500;
  while (performance.now() < end) {
    for (const f of ['state', 'status.json', 'hacheck.prom']) {
      try { writeFileAtomic(join(d, f), 'ROOT WROTE\n'); } catch (e) { if (e instanceof UntrustedError) refused++; }
    }
    try { closeSync(openAppend(join(d, 'hacheck.log'))); } catch (e) { if (e instanceof UntrustedError) refused++; }
    await new Promise((r) => setImmediate(r));
  }
  assert.equal(await flipper.done, 0, flipper.out());
  assert.ok(Number(flipper.out()) > 100, `the flipper ran (${flipper.out().trim()} swaps)`);
  assert.ok(refused > 0);
  v.unchanged();
});

test('race, Debian\'s textfile shape: while nobody, owning the directory above root\'s node-exporter, swaps node-exporter with a symlink to a root-only directory, root writes only into node-exporter (a descriptor of it, checked by inode)', { skip: !canNobody && 'needs root, setpriv and python3' }, async (t) => {
  const lib = mkdtempSync(join('/tmp', 'hc-varlib-race-'));
  chmodSync(lib, 0o755);
  after(() => rmSync(lib, { recursive: true, force: true }));
  const prom = join(lib, 'prometheus');
  mkdirSync(prom, { mode: 0o755 });
  chownSync(prom, NOBODY, NOBODY);
  const d = join(prom, 'node-exporter');
  mkdirSync(d, { mode: 0o755 }); // root's, as the package ships it
  const v = victim('textfile', ['hacheck.prom']);
  const link = join(prom, 'node-exporter-link');
  spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'ln', '-s', v.dir, link]);
  const flipper = flipAs(t, d, link, 1.5);
  let written = 0;
  let refused = 0;
  const end = performance.now() + 1500;
  while (performance.now() < end) {
    try { writeFileAtomic(join(d, 'hacheck.prom'), 'ROOT WROTE\n'); written++; } catch (e) { if (e instanceof UntrustedError) refused++; else throw e; }
    await new Promise((r) => setImmediate(r));
  }
  assert.equal(await flipper.done, 0, flipper.out());
  assert.ok(Number(flipper.out()) > 100, `the flipper ran (${flipper.out().trim()} swaps)`);
  assert.ok(written > 0 && refused > 0, `written ${written}, refused ${refused}`);
  v.unchanged();
  assert.equal(readFileSync(join(d, 'hacheck.prom'), 'utf8'), 'ROOT WROTE\n');
  assert.deepEqual(readdirSync(d), ['hacheck.prom'], 'no temp file left');
});

test('the kernel\'s file systems are never written: /dev (but /dev/shm), /proc, /sys, by the resolved path; a final symlink to a device, FIFO or socket is named', () => {
  assert.match(systemDirProblem('/dev') ?? '', /^under \/dev/);
  assert.match(systemDirProblem('/dev/pts') ?? '', /^under \/dev/);
  assert.equal(systemDirProblem('/dev/shm/hacheck'), undefined);
  assert.equal(systemDirProblem('/devices'), undefined);
  assert.match(systemDirProblem('/proc/1') ?? '', /^under \/proc/);
  assert.match(systemDirProblem('/sys/fs') ?? '', /^under \/sys/);
  // judged only (lstat, stat): /dev/stdout is the system's symlink, never touched here
  assert.match(writeTargetProblem('/dev/stdout') ?? '', /^under \/dev/);
  const d = mkdtempSync(join('/tmp', 'hc-dev-'));
  after(() => rmSync(d, { recursive: true, force: true }));
  symlinkSync('/proc/self/fd', join(d, 'fds')); // a directory link into /proc: the resolved path decides
  assert.match(writeTargetProblem(join(d, 'fds', 'x')) ?? '', /^under \/proc/);
  assert.throws(() => writeFileAtomic(join(d, 'fds', 'x'), '1\n'), /not written: directory .*fds is under \/proc/);
  spawnSync('mkfifo', [join(d, 'fifo')]);
  symlinkSync(join(d, 'fifo'), join(d, 'to-fifo'));
  assert.equal(writeTargetProblem(join(d, 'to-fifo')), 'a symbolic link to a FIFO');
  assert.equal(writeTargetProblem(join(d, 'fifo')), 'a FIFO');
  symlinkSync(join(d, 'nowhere'), join(d, 'dangling'));
  assert.equal(writeTargetProblem(join(d, 'dangling')), undefined, 'a dangling link is replaced, as a missing file');
  assert.equal(writeTargetProblem(join(d, 'plain')), undefined);
});

test('a rename that fails leaves no temp file behind', () => {
  const d = mkdtempSync(join('/tmp', 'hc-tmpleft-'));
  after(() => rmSync(d, { recursive: true, force: true }));
  mkdirSync(join(d, 'state'));
  writeFileSync(join(d, 'state', 'keep'), 'x'); // rename(2) onto a non-empty directory fails
  assert.throws(() => writeFileAtomic(join(d, 'state'), '1\n'), /EISDIR|ENOTEMPTY|EEXIST/);
  assert.deepEqual(readdirSync(d), ['state']);
});
