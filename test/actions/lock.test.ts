import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock } from '../../src/sys/lock.ts';
import { readStat } from '../../src/sys/proc.ts';

const node = process.execPath;
const worker = new URL('../fixtures/lock-worker.ts', import.meta.url).pathname;

function tmp(t: { after: (fn: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), 'hacheck-lock-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

function runWorkers(n: number, dir: string, out: string, holdMs: number, mode = ''): Promise<number[]> {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return Promise.all(Array.from({ length: n }, () => new Promise<number>((resolve) => {
    const c = spawn(node, ['--import', 'tsx', worker, dir, out, String(holdMs), mode], { stdio: 'ignore', env });
    c.on('exit', (code) => resolve(code ?? -1));
  })));
}

/** No two "enter" lines without an "exit" of the same pid between them. */
function assertExclusive(lines: string[]) {
  let holder: string | undefined;
  for (const l of lines) {
    const [what, pid] = l.split(' ');
    if (what === 'enter') { assert.equal(holder, undefined, `pid ${pid} entered while ${holder} held the lock`); holder = pid; }
    if (what === 'exit') { assert.equal(holder, pid); holder = undefined; }
  }
}

test('12 processes racing for the lock hold it one at a time', async (t) => {
  const d = tmp(t);
  const out = join(d, 'log');
  writeFileSync(out, '');
  const codes = await runWorkers(12, join(d, 'lock'), out, 15);
  assert.deepEqual(codes, Array(12).fill(0));
  const lines = readFileSync(out, 'utf8').trim().split('\n');
  assert.equal(lines.filter((l) => l.startsWith('enter')).length, 12);
  assertExclusive(lines);
  // generations below the newest are cleaned up: the directory stays small
  assert.ok(readdirSync(join(d, 'lock')).length <= 3, readdirSync(join(d, 'lock')).join(' '));
});

test('holders that die without releasing (SIGKILL-like) are taken over, still one at a time', async (t) => {
  const d = tmp(t);
  const out = join(d, 'log');
  writeFileSync(out, '');
  const codes = await runWorkers(8, join(d, 'lock'), out, 10, 'die');
  assert.deepEqual(codes, Array(8).fill(0));
  assertExclusive(readFileSync(out, 'utf8').trim().split('\n'));
});

test('a lock left by a dead pid is taken over at once', async (t) => {
  const d = join(tmp(t), 'lock');
  mkdirSync(d, { mode: 0o700 }); // a lock dir is ours alone (src/sys/lock.ts refuses any other)
  const dead = spawnSync('true').pid!; // exited and reaped: the pid is gone
  writeFileSync(join(d, '7'), JSON.stringify({ pid: dead, start: 1, expires: Date.now() + 60_000, purpose: 'x' }));
  writeFileSync(join(d, `.tmp.${dead}.7`), 'half-made lock of a run killed before link(2)');
  const t0 = performance.now();
  const got = await acquireLock(d, { deadline: t0 + 1000, holdMs: 5000, purpose: 'test' });
  assert.ok(got.ok);
  assert.equal(got.lock.gen, 8);
  assert.ok(performance.now() - t0 < 200);
  assert.deepEqual(readdirSync(d).sort(), ['8']);
  got.lock.release();
});

test('a live holder past its declared expiry loses the lock; a reused pid does too', async (t) => {
  const d = join(tmp(t), 'lock');
  mkdirSync(d, { mode: 0o700 }); // a lock dir is ours alone (src/sys/lock.ts refuses any other)
  const me = readStat(process.pid)!;
  writeFileSync(join(d, '3'), JSON.stringify({ pid: process.pid, start: me.startTicks, expires: Date.now() - 1, purpose: 'x' }));
  const a = await acquireLock(d, { deadline: performance.now() + 500, holdMs: 5000, purpose: 'test' });
  assert.ok(a.ok && a.lock.gen === 4);
  // pid alive but a different start time: another program got the pid
  writeFileSync(join(d, '9'), JSON.stringify({ pid: process.pid, start: me.startTicks + 1, expires: Date.now() + 60_000, purpose: 'x' }));
  assert.equal(a.lock.stillHeld(), false, 'a higher generation exists');
  const b = await acquireLock(d, { deadline: performance.now() + 500, holdMs: 5000, purpose: 'test' });
  assert.ok(b.ok && b.lock.gen === 10);
});

test('a live holder makes the wait end at the deadline, naming the holder', async (t) => {
  const d = join(tmp(t), 'lock');
  const first = await acquireLock(d, { deadline: performance.now() + 500, holdMs: 60_000, purpose: 'restart decision' });
  assert.ok(first.ok);
  const t0 = performance.now();
  const second = await acquireLock(d, { deadline: t0 + 200, holdMs: 1000, purpose: 'test' });
  const took = performance.now() - t0;
  assert.equal(second.ok, false);
  assert.equal(!second.ok && second.holder?.pid, process.pid);
  assert.ok(took >= 190 && took < 200 + 150, `waited ${took} ms`);
  first.lock.release();
  const third = await acquireLock(d, { deadline: performance.now() + 200, holdMs: 1000, purpose: 'test' });
  assert.ok(third.ok, 'released lock is free again');
});

test('an unusable lock directory is an error, not a wait', async (t) => {
  const f = join(tmp(t), 'file');
  writeFileSync(f, '');
  const got = await acquireLock(join(f, 'lock'), { deadline: performance.now() + 5000, holdMs: 1000, purpose: 'test' });
  assert.equal(got.ok, false);
  assert.match(!got.ok ? got.error ?? '' : '', /cannot create lock directory/);
});
