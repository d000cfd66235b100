// A cross-process lock on a directory, for runs that keepalived may start
// several at once. Node has no flock(2), so this is built from one atomic
// primitive: link(2) fails with EEXIST when the name exists.
//
// The lock directory holds numbered generations ("41", "42", …). The holder is
// the creator of the highest generation, unless that generation is over: its
// ".free" marker exists (released), its holder process is dead (pid + start
// time, zombies count as dead), or it is past the holder's own declared expiry.
// To acquire, a run creates generation top+1 with link(2): of any number of
// racing runs exactly one succeeds. A stale lock is therefore taken over by
// creating the next generation, never by deleting the old one, so there is no
// check-then-unlink race. After winning, the run re-checks that no higher
// generation exists (a run paused for a long time may have created a number
// that was cleaned up long ago) and only then deletes the generations below.
//
// The lock directory steers restarts, so it must be ours alone: checked with
// lstat (a real directory, not a symlink to somewhere else, owned by the euid,
// mode 0700) before anything in it is read, created or deleted; its files are
// read through the trusted-file layer (O_NOFOLLOW, fstat owner/mode).
import { closeSync, constants, linkSync, lstatSync, readdirSync, unlinkSync, writeSync, openSync, existsSync } from 'node:fs';
import { makeDirs } from './make-dirs.js';
import { join } from 'node:path';
import { isDead, readStat } from './proc.js';
import { euid, readTrusted } from './trusted-file.js';

export interface LockHolder {
  pid: number;
  /** process start time (clock ticks since boot): a reused pid does not keep a dead run's lock */
  start: number;
  /** wall-clock ms after which the lock is void even if the holder lives (a stopped process) */
  expires: number;
  /** what the holder is doing, for "another run holds the lock: …" */
  purpose: string;
}

export interface Lock {
  gen: number;
  holder: LockHolder;
  /** true while this lock is still the current, unexpired generation */
  stillHeld(): boolean;
  release(): void;
}

export type Acquired = { ok: true; lock: Lock } | { ok: false; holder?: LockHolder; error?: string };

const POLL_MS = 10;
const GEN = /^\d+$/;

function generations(dir: string): number[] {
  return readdirSync(dir).filter((f) => GEN.test(f)).map(Number).sort((a, b) => a - b);
}

function readHolder(dir: string, gen: number): LockHolder | undefined | 'gone' {
  try {
    const h = JSON.parse(readTrusted(join(dir, String(gen)), { maxBytes: 4096 }).toString('utf8')) as LockHolder;
    return typeof h?.pid === 'number' ? h : undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : undefined;
  }
}

/** Why generation `gen` no longer holds the lock, or undefined while it does. */
export function overReason(dir: string, gen: number, holder: LockHolder | undefined, now = Date.now()): string | undefined {
  if (existsSync(join(dir, `${gen}.free`))) return 'released';
  // Content is linked in complete, so unreadable means corrupted: treat as over.
  if (!holder) return 'unreadable';
  const st = readStat(holder.pid);
  if (isDead(st) || st!.startTicks !== holder.start) return `holder pid ${holder.pid} is dead`;
  if (now > holder.expires) return `holder pid ${holder.pid} expired`;
  return undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function selfStart(): number {
  return readStat(process.pid)?.startTicks ?? 0;
}

/**
 * Waits for the lock until `deadline` (performance.now() ms). `holdMs` bounds how
 * long the lock stays valid if this process stops without releasing it.
 */
export async function acquireLock(dir: string, opts: { deadline: number; holdMs: number; purpose: string }): Promise<Acquired> {
  try {
    makeDirs(dir, 0o700);
  } catch (e) {
    return { ok: false, error: `cannot create lock directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? e}` };
  }
  const unsafe = lockDirProblem(dir);
  if (unsafe) return { ok: false, error: `lock directory ${dir} ${unsafe}` };
  const start = selfStart();
  let lastHolder: LockHolder | undefined;
  for (;;) {
    let gens: number[];
    try {
      gens = generations(dir);
    } catch (e) {
      return { ok: false, error: `cannot read lock directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? e}` };
    }
    const top = gens.length ? gens[gens.length - 1] : 0;
    let free = top === 0;
    if (!free) {
      const h = readHolder(dir, top);
      if (h === 'gone') {
        // a winner is cleaning up below it: rescan, but never past the deadline
        if (performance.now() >= opts.deadline) return { ok: false, holder: lastHolder };
        continue;
      }
      free = overReason(dir, top, h) !== undefined;
      if (!free) lastHolder = h;
    }
    if (free) {
      const holder: LockHolder = { pid: process.pid, start, expires: Date.now() + opts.holdMs, purpose: opts.purpose };
      const r = tryCreate(dir, top + 1, holder);
      if (r === 'error') return { ok: false, error: `cannot write lock in ${dir}` };
      if (r === 'won') return { ok: true, lock: makeLock(dir, top + 1, holder) };
      if (performance.now() >= opts.deadline) return { ok: false, holder: lastHolder };
      continue; // another run won this generation; look at it
    }
    const left = opts.deadline - performance.now();
    if (left <= 0) return { ok: false, holder: lastHolder };
    await sleep(Math.min(POLL_MS, left));
  }
}

/** Why `dir` is not a lock directory only we control (lstat: never through a symlink); undefined when it is. */
export function lockDirProblem(dir: string): string | undefined {
  let st;
  try {
    st = lstatSync(dir);
  } catch (e) {
    return `cannot be checked (${(e as NodeJS.ErrnoException).code})`;
  }
  if (st.isSymbolicLink()) return 'is a symbolic link';
  if (!st.isDirectory()) return 'is not a directory';
  if (st.uid !== euid()) return `is owned by uid ${st.uid}, not ${euid()}`;
  if ((st.mode & 0o7777) !== 0o700) return `has mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}, not 0700`;
  return undefined;
}

/** A new file with this content, never through an existing name or symlink (O_CREAT|O_EXCL|O_NOFOLLOW). */
function createFile(path: string, content: string): void {
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = constants;
  const fd = openSync(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
}

function tryCreate(dir: string, gen: number, holder: LockHolder): 'won' | 'lost' | 'error' {
  // Write the content under a private name, then link it in: the lock file
  // appears atomically with its full content (O_EXCL alone would expose an
  // empty file to readers, and a SIGKILL there would leave it empty).
  const tmp = join(dir, `.tmp.${process.pid}.${gen}`);
  try {
    try { unlinkSync(tmp); } catch { /* the usual case: no leftover of a reused pid */ }
    createFile(tmp, JSON.stringify(holder));
    linkSync(tmp, join(dir, String(gen)));
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EEXIST' ? 'lost' : 'error';
  } finally {
    try { unlinkSync(tmp); } catch { /* already gone */ }
  }
  // A run paused long enough may create a generation that was cleaned up:
  // the higher one is the real lock, so step back.
  const gens = generations(dir);
  if (gens[gens.length - 1] !== gen) {
    try { unlinkSync(join(dir, String(gen))); } catch { /* cleaned by the holder */ }
    return 'lost';
  }
  for (const old of gens) {
    if (old >= gen) continue;
    for (const f of [String(old), `${old}.free`]) {
      try { unlinkSync(join(dir, f)); } catch { /* someone else cleaned it */ }
    }
  }
  removeOrphanTemps(dir);
  return 'won';
}

/** A run killed between writing its temp file and linking it leaves the temp file behind. */
function removeOrphanTemps(dir: string) {
  for (const f of readdirSync(dir)) {
    const m = /^\.tmp\.(\d+)\./.exec(f);
    if (m && isDead(readStat(Number(m[1])))) {
      try { unlinkSync(join(dir, f)); } catch { /* gone */ }
    }
  }
}

function makeLock(dir: string, gen: number, holder: LockHolder): Lock {
  let released = false;
  return {
    gen,
    holder,
    stillHeld() {
      if (released || Date.now() > holder.expires) return false;
      try {
        const gens = generations(dir);
        return gens[gens.length - 1] === gen && !existsSync(join(dir, `${gen}.free`));
      } catch {
        return false;
      }
    },
    release() {
      if (released) return;
      released = true;
      // Mark the generation over instead of deleting it: numbers only grow.
      try { createFile(join(dir, `${gen}.free`), ''); } catch { /* dir gone: nothing to release */ }
    },
  };
}
