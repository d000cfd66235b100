// Small persisted facts between one-shot runs (last verdict, samples, budget,
// config cache). The state dir may be missing or read-only (a non-root test
// run): callers get undefined / false and carry on; a check never fails
// because of its own bookkeeping.
//
// What is read here steers a root run (the cached config names the restart
// command; samples, streaks, the budget and the lock decide verdicts and
// restarts), so the directory must be one no other user can write: owned by
// root or the euid, not group/other-writable (a sticky /tmp is refused too:
// others may create names there), and so must every directory above it
// (sticky ones allowed: they cannot rename ours), every directory on the way
// root's or ours wherever it sits (the owner of /tmp/x can rename it, sticky
// /tmp or not), and a symlink on the way root's or ours, judged by the
// directories it leads through. An unsafe state dir is not
// used at all: nothing read, nothing written, said once on stderr.
import { join, resolve } from 'node:path';
import { makeDirs } from './make-dirs.js';
import { readTrustedJson, systemDirProblem, walkDir, writeFileAtomic } from './trusted-file.js';

export type StateDir = { ok: true; /** the absolute path that was checked */ real: string } | { ok: false; missing?: boolean; why: string };

/** Re-checked after this long: an agent runs for months, and a chmod must take effect. */
const RECHECK_MS = 1000;
// Keyed by pid as well: the single binary starts from a heap snapshot taken after a
// build-time check, whose verdicts must not be believed by a later process.
const known = new Map<string, { at: number; res: StateDir }>();
const warned = new Set<string>();

/**
 * Walks the path as given, component by component, with lstat (for /run/hacheck:
 * two calls): every directory on the way owned by root or the euid and not
 * group/other-writable (sticky allowed above, refused for the state dir itself:
 * others may create names in it); a symlink on the way only if root or the euid
 * owns it (one planted in /tmp by another user would redirect every write),
 * then judged by what it points to.
 */
function check(dir: string): StateDir {
  const { real, problem: p } = walkDir(dir, 'refuse');
  // /dev, /proc, /sys: root makes no files of its own there (/dev/shm is an ordinary tmpfs)
  const sys = systemDirProblem(real);
  if (sys) return { ok: false, why: `is ${sys}` };
  if (!p) return { ok: true, real: resolve(dir) };
  // a file where a directory should be: unusable, as a missing one (the lock's mkdir then says ENOTDIR), not unsafe
  if (p.missing || p.why.startsWith('cannot use it')) return { ok: false, missing: !!p.missing, why: p.why };
  return unsafe(p.last, p.at, p.why);
}

const unsafe = (last: boolean, p: string, why: string): StateDir => ({ ok: false, why: last ? `is ${why}` : `is below ${p}, which is ${why}` });

/**
 * The state dir, resolved, if it is safe to act on; with `create`, a missing one
 * is made (mode 0700). An unsafe one is named on stderr once per process:
 * "state_dir DIR is writable by other users (mode 0777): …".
 */
export function stateDir(dir: string, opts: { create?: boolean } = {}): StateDir {
  const now = performance.now();
  const key = `${process.pid}\0${dir}`;
  const seen = known.get(key);
  let res = seen && now - seen.at < RECHECK_MS && (seen.res.ok || !seen.res.missing) ? seen.res : check(dir);
  if (!res.ok && res.missing && opts.create) {
    try {
      makeDirs(dir, 0o700);
    } catch {
      // read-only or not a directory: reported as missing, and the caller carries on
    }
    res = check(dir);
  }
  known.set(key, { at: now, res });
  if (!res.ok && !res.missing) warnUnsafe(dir, res.why);
  return res;
}

/** Why the state dir is refused, for a reason line ("not restarting: …"); undefined when usable or merely missing. */
export function stateDirRefusal(dir: string): string | undefined {
  const s = stateDir(dir);
  return !s.ok && !s.missing ? `state_dir ${dir} ${s.why}` : undefined;
}

function warnUnsafe(dir: string, why: string) {
  const line = `state_dir ${dir} ${why}: not used (no config cache, stored samples, restart budget or lock; restart refused; probes still run)`;
  if (warned.has(`${process.pid}\0${line}`)) return;
  warned.add(`${process.pid}\0${line}`);
  process.stderr.write(`hacheck: ${line}\n`);
}

/** A JSON state file, read through the trusted-file layer; undefined when missing, unsafe or malformed. */
export function readJson<T>(dir: string, name: string): T | undefined {
  const s = stateDir(dir);
  return s.ok ? readTrustedJson<T>(join(s.real, name)) : undefined;
}

/** Atomic (random temp name, O_EXCL, rename in the same directory), owner-only; false when the dir is unusable or unsafe. */
export function writeJson(dir: string, name: string, value: unknown, mode = 0o600): boolean {
  const s = stateDir(dir, { create: true });
  if (!s.ok) return false;
  try {
    writeFileAtomic(join(s.real, name), JSON.stringify(value), { mode });
    return true;
  } catch {
    return false;
  }
}
