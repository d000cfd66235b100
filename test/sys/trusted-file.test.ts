// The trusted-file layer (src/sys/trusted-file.ts, src/sys/state-dir.ts) on its
// own: what it reads, what it refuses and why, and that its writes land only on
// the file named. The race tests flip names as user nobody (setpriv) while root
// reads or writes in a loop, for a bounded time; they are skipped unless root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync, chownSync, closeSync, lchownSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync, writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BoundedReadError, UntrustedError, openAppend, readInput, readTrusted, writeFileAtomic,
} from '../../src/sys/trusted-file.ts';
import { readJson, stateDir, writeJson } from '../../src/sys/state-dir.ts';
import { cleanEnv } from '../fixtures/hacheck.ts';

const root = process.getuid?.() === 0;
const canNobody = root && spawnSync('setpriv', ['--version']).status === 0;

function tmp(t: { after: (fn: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), 'hacheck-trust-'));
  chmodSync(d, 0o755);
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test('readTrusted: a regular file of ours is read; a symlink, a group/other-writable file, a directory are refused with the reason', (t) => {
  const d = tmp(t);
  writeFileSync(join(d, 'ok'), 'content', { mode: 0o600 });
  assert.equal(readTrusted(join(d, 'ok')).toString(), 'content');
  symlinkSync(join(d, 'ok'), join(d, 'link'));
  assert.throws(() => readTrusted(join(d, 'link')), (e: unknown) => e instanceof UntrustedError && e.why === 'is a symbolic link');
  writeFileSync(join(d, 'loose'), 'x');
  chmodSync(join(d, 'loose'), 0o666);
  assert.throws(() => readTrusted(join(d, 'loose')), /writable by other users \(mode 0666\)/);
  chmodSync(join(d, 'loose'), 0o620);
  assert.throws(() => readTrusted(join(d, 'loose')), /writable by its group \(mode 0620\)/);
  mkdirSync(join(d, 'dir'));
  assert.throws(() => readTrusted(join(d, 'dir')), /not a regular file/);
  assert.throws(() => readTrusted(join(d, 'missing')), { code: 'ENOENT' });
  writeFileSync(join(d, 'big'), Buffer.alloc(2000));
  assert.throws(() => readTrusted(join(d, 'big'), { maxBytes: 1000 }), (e: unknown) => e instanceof BoundedReadError && e.code === 'EFBIG');
  writeFileSync(join(d, 'log'), `${'x'.repeat(5000)}\nlast line\n`);
  assert.equal(readTrusted(join(d, 'log'), { tail: 10 }).toString(), 'last line\n');
  if (root) {
    chmodSync(join(d, 'ok'), 0o644);
    chownSync(join(d, 'ok'), 65534, 65534);
    assert.throws(() => readTrusted(join(d, 'ok')), /owned by uid 65534, not root/);
  }
});

test('writeFileAtomic: random temp names, never through a planted name or symlink; the target symlink is replaced, not followed', (t) => {
  const d = tmp(t);
  writeFileSync(join(d, 'decoy'), 'DECOY');
  symlinkSync(join(d, 'decoy'), join(d, 'target'));
  symlinkSync(join(d, 'decoy'), join(d, `.target.${process.pid}.tmp`)); // the old predictable name
  writeFileAtomic(join(d, 'target'), 'new', { mode: 0o600 });
  assert.equal(readFileSync(join(d, 'decoy'), 'utf8'), 'DECOY');
  assert.ok(lstatSync(join(d, 'target')).isFile());
  assert.equal(readFileSync(join(d, 'target'), 'utf8'), 'new');
  assert.equal(lstatSync(join(d, 'target')).mode & 0o777, 0o600);
  const temps = readdirSync(d).filter((f) => f.endsWith('.tmp'));
  assert.deepEqual(temps, [`.target.${process.pid}.tmp`], 'no temp file left behind, the planted one untouched');
});

test('writeFileAtomic never replaces a device, a FIFO or a socket (rename would: --state-file /dev/null swapped /dev/null for a regular file as root)', (t) => {
  const d = tmp(t);
  assert.equal(spawnSync('mknod', [join(d, 'null'), 'c', '1', '3']).status, 0);
  assert.equal(spawnSync('mkfifo', [join(d, 'fifo')]).status, 0);
  assert.throws(() => writeFileAtomic(join(d, 'null'), '0\n'), (e: Error) => e instanceof UntrustedError && /not written: it is a character device, not a regular file \(a rename would replace it\)$/.test(e.message));
  assert.throws(() => writeFileAtomic(join(d, 'fifo'), '0\n'), /it is a FIFO, not a regular file/);
  assert.ok(lstatSync(join(d, 'null')).isCharacterDevice(), 'the device is still there');
  assert.ok(lstatSync(join(d, 'fifo')).isFIFO());
  assert.deepEqual(readdirSync(d).filter((f) => f.endsWith('.tmp')), [], 'no temp file made');
  // a regular file and a missing one are written as before
  writeFileAtomic(join(d, 'state'), '0\n');
  writeFileAtomic(join(d, 'state'), '1\n');
  assert.equal(readFileSync(join(d, 'state'), 'utf8'), '1\n');
});

test('openAppend: a symlink or a file another user could write is refused; a large log is rotated first', (t) => {
  const d = tmp(t);
  writeFileSync(join(d, 'decoy'), 'DECOY\n');
  symlinkSync(join(d, 'decoy'), join(d, 'restart.log'));
  assert.throws(() => openAppend(join(d, 'restart.log')), /is a symbolic link/);
  assert.equal(readFileSync(join(d, 'decoy'), 'utf8'), 'DECOY\n');
  writeFileSync(join(d, 'open.log'), 'x');
  chmodSync(join(d, 'open.log'), 0o666);
  assert.throws(() => openAppend(join(d, 'open.log')), /writable by other users/);
  writeFileSync(join(d, 'big.log'), Buffer.alloc(3000, 'a'));
  const fd = openAppend(join(d, 'big.log'), { rotateBytes: 1000 });
  writeSync(fd, 'fresh\n');
  closeSync(fd);
  assert.equal(readFileSync(join(d, 'big.log'), 'utf8'), 'fresh\n');
  assert.equal(readFileSync(join(d, 'big.log.1')).length, 3000);
});

test('readInput: a file, /dev/null, a bounded size; devices refused; the trust verdict names the file or the directory', (t) => {
  const d = tmp(t);
  writeFileSync(join(d, 'c.yaml'), 'timeout: 1s\n', { mode: 0o644 });
  const ok = readInput(join(d, 'c.yaml'));
  assert.equal(ok.text, 'timeout: 1s\n');
  assert.equal(ok.untrusted, undefined);
  assert.equal(readInput('/dev/null').text, '');
  assert.throws(() => readInput('/dev/zero'), /not a regular file or a pipe \(a character device\)/);
  writeFileSync(join(d, 'big.yaml'), Buffer.alloc(MiB + 1, 0x23));
  assert.throws(() => readInput(join(d, 'big.yaml')), /larger than the 1 MiB limit for input files \(1048577 bytes\)/);
  chmodSync(join(d, 'c.yaml'), 0o666);
  assert.match(readInput(join(d, 'c.yaml')).untrusted ?? '', /c\.yaml is writable by other users \(mode 0666\)/);
  chmodSync(join(d, 'c.yaml'), 0o644);
  mkdirSync(join(d, 'open'));
  chmodSync(join(d, 'open'), 0o777);
  writeFileSync(join(d, 'open', 'c.yaml'), 'x: 1\n', { mode: 0o644 });
  assert.match(readInput(join(d, 'open', 'c.yaml')).untrusted ?? '', /directory .*\/open is writable by other users \(mode 0777\)/);
  // through a symlink: the resolved path's directories decide
  symlinkSync(join(d, 'open', 'c.yaml'), join(d, 'link.yaml'));
  assert.match(readInput(join(d, 'link.yaml')).untrusted ?? '', /\/open is writable/);
  // a sticky directory above (as /tmp) is fine, as keepalived allows it
  chmodSync(join(d, 'open'), 0o1777);
  assert.equal(readInput(join(d, 'open', 'c.yaml')).untrusted, undefined);
});
const MiB = 1024 * 1024;

test('state dir: missing is created 0700; group/other-writable, sticky or below an unsafe directory is refused, read and written never', (t) => {
  const d = tmp(t);
  const s = join(d, 'state');
  assert.equal(writeJson(s, 'a.json', { v: 1 }), true);
  assert.equal(lstatSync(s).mode & 0o777, 0o700);
  assert.equal(lstatSync(join(s, 'a.json')).mode & 0o777, 0o600);
  assert.deepEqual(readJson(s, 'a.json'), { v: 1 });
  const open = join(d, 'open');
  mkdirSync(open);
  chmodSync(open, 0o1777); // sticky, like /tmp: others may plant names
  writeFileSync(join(open, 'a.json'), '{"v":2}', { mode: 0o600 });
  const r = stateDir(open);
  assert.ok(!r.ok && /writable by other users \(mode 1777, sticky\)/.test(r.why), JSON.stringify(r));
  assert.equal(readJson(open, 'a.json'), undefined);
  assert.equal(writeJson(open, 'b.json', {}), false);
  const below = join(d, 'wide');
  mkdirSync(below);
  chmodSync(below, 0o777);
  mkdirSync(join(below, 'state'), { mode: 0o700 });
  const r2 = stateDir(join(below, 'state'));
  assert.ok(!r2.ok && /is below .*\/wide, which is writable by other users/.test(r2.why), JSON.stringify(r2));
  // a name another user planted in a sticky directory, pointing at a root-owned directory: every write would go there
  if (root) {
    const sticky = join(d, 'sticky');
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
    symlinkSync(s, join(sticky, 'hc-state'));
    lchownSync(join(sticky, 'hc-state'), 65534, 65534);
    const r3 = stateDir(join(sticky, 'hc-state'));
    assert.ok(!r3.ok && /is a symbolic link owned by uid 65534/.test(r3.why), JSON.stringify(r3));
    lchownSync(join(sticky, 'hc-state'), 0, 0);
    assert.ok(stateDir(`${join(sticky, 'hc-state')}/`).ok, "root's own symlink is followed"); // another spelling: not the memo of the refusal
  }
});

test('TOCTOU: while nobody flips a name between a root-owned file, a symlink and its own forged file, root never reads the forgery', { skip: !canNobody && 'needs root and setpriv' }, async (t) => {
  const d = tmp(t);
  const atk = join(d, 'atk');
  mkdirSync(atk);
  chmodSync(atk, 0o777);
  writeFileSync(join(d, 'good'), 'GOOD', { mode: 0o644 });
  const flipper = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', `
    const fs = require('fs'); const [dir, good] = process.argv.slice(1); const end = Date.now() + 2000; let i = 0;
    fs.writeFileSync(dir + '/evil', 'FORGED');
    while (Date.now() < end) {
      const tmp = dir + '/.t' + (i % 3);
      try { fs.unlinkSync(tmp); } catch {}
      if (i % 3 === 0) fs.symlinkSync(good, tmp); else if (i % 3 === 1) fs.symlinkSync(dir + '/evil', tmp); else fs.copyFileSync(dir + '/evil', tmp);
      fs.renameSync(tmp, dir + '/cache'); i++;
    }`, atk, join(d, 'good')], { stdio: 'ignore', env: cleanEnv() });
  const done = new Promise((r) => flipper.on('exit', r));
  t.after(() => { try { flipper.kill('SIGKILL'); } catch { /* gone */ } });
  const seen: Record<string, number> = {};
  const t0 = performance.now();
  while (performance.now() - t0 < 1800) {
    let got: string;
    try {
      got = readTrusted(join(atk, 'cache')).toString();
    } catch (e) {
      got = (e as UntrustedError).why ?? (e as NodeJS.ErrnoException).code ?? 'error';
    }
    seen[got] = (seen[got] ?? 0) + 1;
    await new Promise((r) => setImmediate(r));
  }
  await done;
  assert.equal(seen.FORGED, undefined, JSON.stringify(seen));
  assert.equal(seen.GOOD, undefined, 'a symlink is never followed, even to a good file');
  assert.ok(seen['is a symbolic link'] > 0 && seen['owned by uid 65534, not root'] > 0, JSON.stringify(seen));
});
