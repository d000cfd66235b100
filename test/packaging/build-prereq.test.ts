// The build never caches a step that could not do its job, and a missing tool is
// one line naming its Debian package. The fault this guards: without the arm64
// cross strip (binutils-aarch64-linux-gnu), the unstripped arm64 Node was cached
// under the stripped name and reused by every later build (lintian then failed,
// with a stack trace). The strip step runs here on tiny ELF files of each arch,
// with a PATH that lacks the tools, so it needs no Node download.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error: a build script (plain ESM, no types)
import { strippedNode } from '../../scripts/strip-node.mjs';
// @ts-expect-error: a build script (plain ESM, no types)
import { BuildError } from '../../scripts/prereq.mjs';

const root = new URL('../../', import.meta.url).pathname;
const which = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim();
const skip = !which('strip') || !which('aarch64-linux-gnu-strip') ? 'needs strip and aarch64-linux-gnu-strip (binutils, binutils-aarch64-linux-gnu; .ci/run installs them)' : undefined;

/** A minimal ELF64 LE executable for `machine` (183 aarch64, 62 x86-64) with a .comment section, which the strip removes. */
function elf(machine: number): Buffer {
  const shstr = Buffer.from('\0.comment\0.shstrtab\0');
  const comment = Buffer.from('GCC: hacheck test\0');
  const offShstr = 64 + comment.length;
  const offSh = (offShstr + shstr.length + 7) & ~7;
  const head = Buffer.alloc(64);
  head.write('\x7fELF', 0, 'latin1');
  head.set([2, 1, 1], 4);
  head.writeUInt16LE(2, 16); // ET_EXEC
  head.writeUInt16LE(machine, 18);
  head.writeUInt32LE(1, 20);
  head.writeBigUInt64LE(BigInt(offSh), 40);
  head.writeUInt16LE(64, 52);
  head.writeUInt16LE(64, 58);
  head.writeUInt16LE(3, 60);
  head.writeUInt16LE(2, 62);
  const sh = (name: number, type: number, off: number, size: number) => {
    const b = Buffer.alloc(64);
    b.writeUInt32LE(name, 0);
    b.writeUInt32LE(type, 4);
    b.writeBigUInt64LE(BigInt(off), 24);
    b.writeBigUInt64LE(BigInt(size), 32);
    b.writeBigUInt64LE(1n, 48);
    return b;
  };
  const body = Buffer.concat([head, comment, shstr]);
  return Buffer.concat([body, Buffer.alloc(offSh - body.length), sh(0, 0, 0, 0), sh(1, 1, 64, comment.length), sh(10, 3, offShstr, shstr.length)]);
}

/** A PATH holding only these tools (and sh), as on a machine that lacks the others. */
function pathWith(dir: string, tools: string[]): NodeJS.ProcessEnv {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  for (const t of ['sh', ...tools]) symlinkSync(which(t), join(bin, t));
  return { ...process.env, PATH: bin };
}

function setup(t: { after: (f: () => void) => void }, machine: number) {
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-strip-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const src = join(dir, 'node');
  writeFileSync(src, elf(machine));
  const cache = join(dir, 'sea');
  mkdirSync(cache);
  return { dir, src, cache };
}

test('arm64 without the cross strip: one line naming binutils-aarch64-linux-gnu, nothing cached; with it: stripped and cached', { skip }, (t) => {
  const { dir, src, cache } = setup(t, 183);
  const opts = { src, arch: 'arm64', nodeVersion: '0.0.0-test', dir: cache };
  // the host strip is there and cannot read an aarch64 binary: not a reason to cache the copy unstripped
  assert.throws(() => strippedNode({ ...opts, env: pathWith(join(dir, 'no-cross'), ['strip']) }), (e: Error) => {
    assert.ok(e instanceof BuildError);
    assert.match(e.message, /^cannot strip the arm64 Node binary \(aarch64-linux-gnu-strip not installed; strip: .*\): install the Debian package binutils-aarch64-linux-gnu \(apt-get install binutils-aarch64-linux-gnu\)$/);
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });
  assert.deepEqual(readdirSync(cache), [], 'no file left: neither the copy, nor a marker, nor a temp file');
  // the next build, with the tool installed, strips (not: reuses an unstripped copy)
  const dst = strippedNode({ ...opts, env: pathWith(join(dir, 'full'), ['strip', 'aarch64-linux-gnu-strip']) });
  assert.ok(readFileSync(dst).length < readFileSync(src).length);
  assert.ok(!readFileSync(dst).includes('GCC: hacheck test'), '.comment removed');
  assert.equal(readFileSync(`${dst}.stripped`, 'utf8'), 'aarch64-linux-gnu-strip\n');
  // cached: a later run needs no strip at all
  assert.equal(strippedNode({ ...opts, env: pathWith(join(dir, 'none'), []) }), dst);
});

test('a copy cached without its marker (an older build without the cross strip) is stripped again, not reused', { skip }, (t) => {
  const { dir, src, cache } = setup(t, 183);
  const opts = { src, arch: 'arm64', nodeVersion: '0.0.0-test', dir: cache };
  const env = pathWith(join(dir, 'full'), ['aarch64-linux-gnu-strip']);
  const dst = strippedNode({ ...opts, env });
  rmSync(`${dst}.stripped`);
  writeFileSync(dst, readFileSync(src)); // what the old build left: the unstripped binary under the stripped name
  const logged: string[] = [];
  assert.equal(strippedNode({ ...opts, env, log: (s: string) => logged.push(s) }), dst);
  assert.ok(!readFileSync(dst).includes('GCC: hacheck test'));
  assert.match(logged.join('\n'), /cached without a strip/);
  // and without the tool, such a copy is an error, not a hit
  rmSync(`${dst}.stripped`);
  assert.throws(() => strippedNode({ ...opts, env: pathWith(join(dir, 'none'), []) }), /binutils-aarch64-linux-gnu/);
  assert.ok(!existsSync(`${dst}.stripped`));
});

test('x64 without strip: one line naming binutils', { skip }, (t) => {
  const { dir, src, cache } = setup(t, 62);
  assert.throws(() => strippedNode({ src, arch: 'x64', nodeVersion: '0.0.0-test', dir: cache, env: pathWith(join(dir, 'none'), []) }),
    /^BuildError: cannot strip the x64 Node binary \(strip not installed\): install the Debian package binutils \(apt-get install binutils\)$/);
  assert.deepEqual(readdirSync(cache), []);
  const dst = strippedNode({ src, arch: 'x64', nodeVersion: '0.0.0-test', dir: cache, env: pathWith(join(dir, 'full'), ['strip']) });
  assert.equal(readFileSync(`${dst}.stripped`, 'utf8'), 'strip\n');
});

/** The scripts end with one line, no stack, whatever stops them. */
function script(name: string, args: string[], env: NodeJS.ProcessEnv) {
  const r = spawnSync(process.execPath, [join(root, 'scripts', name), ...args], { cwd: root, env, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stderr: r.stderr };
}

test('package.mjs without dpkg-deb / rpmbuild / lintian: one line naming the Debian package, before building anything', { skip }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-prereq-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const r = script('package.mjs', ['--arch', 'x64'], pathWith(join(dir, 'a'), []));
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'package: dpkg-deb not found (to build the .deb): install the Debian package dpkg (apt-get install dpkg)\n');
  const l = script('package.mjs', ['--arch', 'x64'], pathWith(join(dir, 'b'), ['dpkg-deb', 'dpkg-shlibdeps', 'rpmbuild']));
  assert.equal(l.stderr, 'package: lintian not found (to check the .deb; --no-lintian skips it): install the Debian package lintian (apt-get install lintian)\n');
});

test('build-sea.mjs: a bad argument is one line, no stack', { skip }, () => {
  const r = script('build-sea.mjs', ['--arch', 'sparc'], process.env);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'build-sea: --arch sparc: x64 or arm64\n');
});
