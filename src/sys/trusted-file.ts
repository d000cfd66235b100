// The one layer through which hacheck reads and writes the files that steer a
// root run (state dir, config cache, config, status/track/metrics files, logs).
// The rule is keepalived's enable_script_security, applied to data: a file
// decides something only when no other user could have written it, and a
// write never lands anywhere but the file named.
//
// - reads open once with O_NOFOLLOW and judge the open descriptor (fstat: a
//   regular file, owned by root or the effective uid, not group/other-writable),
//   then read that descriptor: never a check by path followed by a use by path;
// - writes go to a fresh temp file (random name, O_CREAT|O_EXCL|O_NOFOLLOW) in
//   the target's directory, then rename(2) over the target: a planted symlink
//   or file is replaced, never followed or truncated;
// - appends open with O_NOFOLLOW and refuse a file someone else owns;
// - every read is bounded (bytes, and for a pipe the deadline).
// Linux semantics: open(2) O_NOFOLLOW fails with ELOOP on a symlink; O_EXCL with
// O_CREAT fails with EEXIST on any existing name, a dangling symlink included.
import {
  closeSync, constants, fstatSync, fsyncSync, lstatSync, openSync, readSync, readlinkSync, realpathSync, renameSync, statSync, unlinkSync, writeSync, type Stats,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { isUtf8 } from 'node:buffer';
import { makeDirs } from './make-dirs.js';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_APPEND, O_NOFOLLOW, O_NONBLOCK, O_DIRECTORY } = constants;
/** lstatSync's options, one object for every call: undefined for a missing name, no throw */
const NO_THROW = Object.freeze({ throwIfNoEntry: false });

/** lstat, undefined for any error (ENOENT, and ENOTDIR, which throwIfNoEntry does not cover). */
function lstatQuiet(path: string): Stats | undefined {
  try {
    return lstatSync(path, NO_THROW);
  } catch {
    return undefined;
  }
}

/** A file or directory hacheck refuses to trust; `why` is one phrase ("owned by uid 65534, not root"). */
export class UntrustedError extends Error {
  readonly code = 'EUNTRUSTED';
  constructor(readonly path: string, readonly why: string) {
    super(`${path}: ${why}`);
  }
}

/** A read that hit its byte cap or its deadline, or a file of the wrong kind (ENOTREG). */
export class BoundedReadError extends Error {
  constructor(readonly path: string, readonly why: string, readonly code: 'EFBIG' | 'ETIMEDOUT' | 'ENOTREG' | 'EILSEQ') {
    super(`${path}: ${why}`);
  }
}

/**
 * The effective uid (process.geteuid; 0 where there is none). Not cached: the
 * single binary starts from a heap snapshot taken at build time, and nothing
 * read then (a uid, a random seed) may be believed at run time.
 */
export function euid(): number {
  return process.geteuid?.() ?? 0;
}

const octal = (mode: number) => (mode & 0o7777).toString(8).padStart(4, '0');

/** Owned by root or by us: the only users whose writes we take as our own. */
function ownerProblem(st: Stats): string | undefined {
  const me = euid();
  if (st.uid === 0 || st.uid === me) return undefined;
  return `owned by uid ${st.uid}, not root${me !== 0 ? ` or uid ${me}` : ''}`;
}

/** Why a file's owner or mode lets another user write it; undefined when only root/euid can. */
export function fileProblem(st: Stats): string | undefined {
  const owner = ownerProblem(st);
  if (owner) return owner;
  if (st.mode & 0o022) return `writable by ${st.mode & 0o002 ? 'other users' : 'its group'} (mode ${octal(st.mode)})`;
  return undefined;
}

/**
 * Why another user could replace entries of directory `st` (owner, or group/other
 * write bit); a sticky directory (/tmp) passes only when `sticky` is 'allow':
 * others cannot rename or delete what we own there, but they can create names.
 */
export function dirProblem(st: Stats, sticky: 'allow' | 'refuse'): string | undefined {
  if (!st.isDirectory()) return 'not a directory';
  const owner = ownerProblem(st);
  if (owner) return owner;
  if (st.mode & 0o022) {
    if (sticky === 'allow' && st.mode & 0o1000) return undefined;
    return `writable by ${st.mode & 0o002 ? 'other users' : 'its group'} (mode ${octal(st.mode)}${st.mode & 0o1000 ? ', sticky' : ''})`;
  }
  return undefined;
}

/**
 * keepalived's script security for a path that is already resolved (no symlinks):
 * every directory above it owned by root/euid and not group/other-writable
 * (sticky directories allowed, as keepalived allows them). Undefined when safe.
 */
export function ancestorsProblem(real: string): string | undefined {
  for (let d = dirname(real); ; d = dirname(d)) {
    let st: Stats;
    try {
      st = statSync(d);
    } catch (e) {
      return `cannot stat ${d}: ${(e as NodeJS.ErrnoException).code}`;
    }
    const why = dirProblem(st, 'allow');
    if (why) return `directory ${d} is ${why}`;
    if (d === '/' || dirname(d) === d) return undefined;
  }
}

/** How many symbolic links one walk follows (the kernel's own limit): more is ELOOP. */
const MAX_LINKS = 40;

/** What dirPathProblem found wrong: where, why, and whether it was the directory itself (`last`). */
export interface PathProblem { missing?: boolean; why: string; at: string; last: boolean }

/**
 * Walks a directory path component by component with lstat, as the kernel
 * would resolve it: a symlink on the way must be root's or the euid's (one
 * planted in /tmp by another user would redirect every write), and is then
 * followed — its target's components are walked and judged in turn, so a
 * root-owned link into a directory another user owns is judged by that
 * directory. Every directory met is owned by root or the euid, wherever it sits
 * (below a sticky /tmp too: the owner of /tmp/x may rename /tmp/x itself, and
 * swap it for a symlink between our check and our use), and is not
 * group/other-writable (sticky ones allowed above the last). The last one
 * (the directory itself) per `lastMode`: 'refuse' also refuses a sticky one (a
 * state dir: others could create names in it), 'allow' allows a sticky one,
 * 'writable' allows any mode and another user's directory unless its parent is
 * sticky (stickyOwnerProblem; a file replaced by rename there is only that name:
 * the operator's choice, as keepalived reads a track_file there).
 * `real`: the path resolved (no symlinks; what is left after a missing
 * component joined as given). Undefined `problem` when safe.
 */
export function walkDir(dir: string, lastMode: 'allow' | 'refuse' | 'writable'): { real: string; problem?: PathProblem } {
  // as the kernel reads it: a .. is taken where the walk has got to (after any link), not by the letters first
  const todo = (dir.startsWith('/') ? dir : `${process.cwd()}/${dir}`).split('/').filter(Boolean);
  let real = '';
  let links = 0;
  /** the directory the walk ends at was judged as the last one (not only as one above it) */
  let judgedLast = false;
  const rest = () => (real + (todo.length ? `/${todo.join('/')}` : '')) || '/';
  const judge = (st: Stats, last: boolean, at: string) => (last && lastMode === 'writable'
    ? stickyOwnerProblem(st, at)
    : dirProblem(st, last && lastMode === 'refuse' ? 'refuse' : 'allow'));
  while (todo.length) {
    const name = todo.shift()!;
    if (name === '.' || name === '..') {
      // a link's target ending in . or ..: the directory it ends at is judged again below, as the last one
      if (name === '..') real = real.slice(0, real.lastIndexOf('/'));
      judgedLast = false;
      continue;
    }
    const p = `${real}/${name}`;
    const last = todo.length === 0;
    let st: Stats;
    try {
      st = lstatSync(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      real = p;
      return { real: rest(), problem: { missing: code === 'ENOENT' || code === 'ENOTDIR', why: `cannot use it (${code})`, at: p, last } };
    }
    if (st.isSymbolicLink()) {
      if (st.uid !== 0 && st.uid !== euid()) return { real: p, problem: { why: `a symbolic link owned by uid ${st.uid}`, at: p, last } };
      if (++links > MAX_LINKS) return { real: p, problem: { why: 'cannot use it (ELOOP)', at: p, last } };
      let target: string;
      try {
        target = readlinkSync(p);
      } catch (e) {
        return { real: p, problem: { why: `cannot use it (${(e as NodeJS.ErrnoException).code})`, at: p, last } };
      }
      // the link's own components, then what followed it; an absolute one starts again at /
      if (target.startsWith('/')) real = '';
      todo.unshift(...target.split('/').filter(Boolean));
      continue;
    }
    real = p;
    if (!st.isDirectory()) return { real: rest(), problem: { missing: true, why: 'cannot use it (ENOTDIR)', at: p, last } };
    const why = judge(st, last, p);
    if (why) return { real: rest(), problem: { why, at: p, last } };
    judgedLast = last;
  }
  if (!judgedLast && real) {
    const st = lstatQuiet(real);
    const why = st ? judge(st, true, real) : 'cannot use it (ENOENT)';
    if (why) return { real, problem: { why, at: real, last: true } };
  }
  return { real: real || '/' };
}

/**
 * The last directory of a 'writable' walk: owning it gives another user no more
 * than write permission on it would (names in it, which a rename replaces
 * without following), unless its parent is sticky: there the owner of `at` may
 * rename `at` itself and swap it for a symlink between our check and our write.
 * So another user's directory is refused only below a sticky one (/tmp/x); a
 * node_exporter textfile directory owned by its exporter user, under root's
 * /var/lib/prometheus, is written.
 */
function stickyOwnerProblem(st: Stats, at: string): string | undefined {
  const owner = ownerProblem(st);
  if (!owner) return undefined;
  const parent = lstatQuiet(dirname(at));
  if (parent && !(parent.mode & 0o1000)) return undefined;
  return `${owner}, below the sticky ${dirname(at)} (its owner may rename it)`;
}

/** walkDir's verdict alone. */
export function dirPathProblem(dir: string, lastMode: 'allow' | 'refuse' | 'writable'): PathProblem | undefined {
  return walkDir(dir, lastMode).problem;
}

/**
 * The kernel's file systems, where root writes no file of ours: /dev (devices
 * and the system's own symlinks: /dev/stdout replaced by a regular file breaks
 * every script on the host), /proc, /sys. /dev/shm is an ordinary tmpfs
 * (a state dir may live there). Judged on the resolved path.
 */
export function systemDirProblem(real: string): string | undefined {
  for (const top of ['/dev', '/proc', '/sys']) {
    if (real !== top && !real.startsWith(`${top}/`)) continue;
    if (top === '/dev' && (real === '/dev/shm' || real.startsWith('/dev/shm/'))) return undefined;
    return `under ${top} (the kernel's files: hacheck writes no file there)`;
  }
  return undefined;
}

/**
 * Why a write in `dir` could be redirected by another user: a symlink of theirs on
 * the path, any directory on it they own (the owner of /tmp/x may rename it, sticky
 * /tmp or not), or a directory above `dir` they can write (they could swap `dir`
 * itself for a symlink); or `dir` is one of the kernel's (/dev, /proc, /sys).
 * `dir` itself may be writable by others: a rename there replaces only a name in
 * it (the file is then only as good as that directory, which is the operator's
 * choice: keepalived reads the track_file from it). Undefined when safe or missing.
 */
function writeDirProblem(dir: string): string | undefined {
  const { real, problem: p } = walkDir(dir, 'writable');
  const sys = systemDirProblem(real);
  if (sys) return `directory ${dir} is ${sys}`;
  if (!p || p.missing) return undefined;
  return p.last ? `directory ${p.at} is ${p.why}` : `directory ${dir} is below ${p.at}, which is ${p.why}`;
}

/**
 * Why root must never write the file at `path` (a track_file, a status file,
 * hacheck.prom, a log), for a refusal at start: it is on the kernel's file
 * systems (/dev, /proc, /sys, judged on the resolved path), or the name holds a
 * device, FIFO or socket, itself or as the target of a symbolic link
 * (--state-file /dev/stdout: a rename would replace the system's link).
 * Whether another user could redirect the write is judged at each write.
 * Returns what it is ("a character device", "under /dev (…)"); undefined when it may be written.
 */
export function writeTargetProblem(path: string): string | undefined {
  const sys = systemDirProblem(walkDir(dirname(path), 'writable').real);
  if (sys) return sys;
  const l = lstatQuiet(path);
  if (!l || l.isFile() || l.isDirectory()) return undefined;
  if (!l.isSymbolicLink()) return kind(l);
  let st: Stats | undefined;
  try { st = statSync(path); } catch { /* dangling: replaced, as a missing file */ }
  if (st && !st.isFile() && !st.isDirectory()) return `a symbolic link to ${kind(st)}`;
  return undefined;
}

export interface ReadOptions {
  /** refuse a larger file (bytes); default 1 MiB */
  maxBytes?: number;
  /** only the last `tail` bytes (a log's last line) */
  tail?: number;
}

export const MAX_INPUT_BYTES = 1024 * 1024;

/**
 * Reads `fd` (a regular file) from `pos` to its end, at most `max` bytes, into a
 * buffer of fstat's `size`, read once (files here are replaced by rename, never
 * grown in place; a size of 0 reads on until EOF, capped): never a
 * `max`-sized allocation for a small file.
 */
function readFd(fd: number, pos: number, max: number, size: number): Buffer {
  let buf = Buffer.allocUnsafe(Math.max(1, Math.min(size, max)));
  let off = 0;
  for (;;) {
    if (off === buf.length) {
      // as large as fstat said: done without one more read (files here are replaced by rename, not grown in place)
      if (buf.length >= max || off === size) break;
      const bigger = Buffer.allocUnsafe(Math.min(max, buf.length * 2));
      buf.copy(bigger, 0, 0, off);
      buf = bigger;
    }
    const n = readSync(fd, buf, off, buf.length - off, pos + off);
    if (n === 0) break;
    off += n;
  }
  return buf.subarray(0, off);
}

/**
 * A state or status file: opened once with O_NOFOLLOW, judged by fstat of the
 * descriptor (regular file, owner root/euid, not group/other-writable), read from it.
 * Throws the open error (ENOENT, ELOOP for a symlink — reported as UntrustedError),
 * UntrustedError, or BoundedReadError (larger than `maxBytes`).
 */
export function readTrusted(path: string, opts: ReadOptions = {}): Buffer {
  let fd: number;
  try {
    fd = openSync(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw new UntrustedError(path, 'is a symbolic link');
    throw e;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UntrustedError(path, 'not a regular file');
    const why = fileProblem(st);
    if (why) throw new UntrustedError(path, why);
    const max = opts.maxBytes ?? MAX_INPUT_BYTES;
    if (opts.tail !== undefined) {
      const from = Math.max(0, st.size - opts.tail);
      return readFd(fd, from, Math.min(opts.tail, max), st.size - from);
    }
    if (st.size > max) throw new BoundedReadError(path, `larger than the ${fmtBytes(max)} limit (${st.size} bytes)`, 'EFBIG');
    const buf = readFd(fd, 0, max + 1, st.size);
    if (buf.length > max) throw new BoundedReadError(path, `larger than the ${fmtBytes(max)} limit`, 'EFBIG');
    return buf;
  } finally {
    closeSync(fd);
  }
}

/** The same, parsed as JSON; undefined for a missing, untrusted, oversized or malformed file. */
export function readTrustedJson<T>(path: string, maxBytes?: number): T | undefined {
  try {
    return JSON.parse(readTrusted(path, { maxBytes }).toString('utf8')) as T;
  } catch {
    return undefined;
  }
}

const fmtBytes = (n: number) => (n % (1024 * 1024) === 0 ? `${n / 1024 / 1024} MiB` : n % 1024 === 0 ? `${n / 1024} KiB` : `${n} bytes`);

export interface InputRead {
  text: string;
  /** why another user could have written this input (the file, a directory above it); undefined: trusted */
  untrusted?: string;
  /** the resolved path that was read, when it is a file */
  real?: string;
  /** with `secret`: why other users can read it ("readable by other users (mode 0644)"); undefined: owner only */
  exposed?: string;
}

/**
 * Why a secret (a TLS private key) is exposed, from fstat of its open
 * descriptor: readable by other users (ssh refuses any group or other bit,
 * "UNPROTECTED PRIVATE KEY FILE", sshkey_perm_ok; a key its group may read is
 * Debian's ssl-cert convention and is kept). Undefined when owner or group only.
 */
export function secretProblem(st: Stats): string | undefined {
  // its group may read it: Debian's ssl-cert convention (root:ssl-cert 0640 in /etc/ssl/private), which
  // nginx itself reads from; refusing it made an upgrade fail every node's check at once (the VIP nowhere)
  if (!(st.mode & 0o004)) return undefined;
  return `readable by other users (mode ${octal(st.mode)})`;
}

/** /dev/null (char 1:3): the idiomatic "no config", always empty. */
const DEV_NULL_RDEV = (1 << 8) | 3;

/**
 * An operator input (the hacheck config, keepalived.conf, a ca_file): a regular
 * file or a pipe (`-c /dev/stdin`, `-c <(…)`), or /dev/null, at most `maxBytes`,
 * read before `deadline` (performance.now() ms; a pipe's writer that stays silent
 * is not waited for past it). With `secret` (a private key), `exposed` says
 * whether others may read the file (secretProblem, same descriptor). Symlinks are followed (/etc/ssl/certs holds them):
 * the path is opened once and the descriptor read; the trust verdict is about
 * that same inode — its owner and mode from fstat, and every directory above its
 * resolved path, which must still name the same device and inode. The verdict is
 * returned, not thrown: whether it matters depends on what the input asks root to do.
 * Throws the open error (ENOENT, EACCES, EISDIR) or BoundedReadError.
 */
export function readInput(path: string, opts: { maxBytes?: number; deadline?: number; secret?: boolean; strictUtf8?: boolean } = {}): InputRead {
  const max = opts.maxBytes ?? MAX_INPUT_BYTES;
  const fd = openSync(path, O_RDONLY | O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (st.isCharacterDevice() && st.rdev === DEV_NULL_RDEV) return { text: '' };
    if (st.isDirectory()) throw Object.assign(new Error(`EISDIR: illegal operation on a directory, read '${path}'`), { code: 'EISDIR' });
    const pipe = st.isFIFO() || st.isSocket();
    if (!st.isFile() && !pipe) throw new BoundedReadError(path, `not a regular file or a pipe (${kind(st)})`, 'ENOTREG');
    let real: string | undefined;
    let untrusted: string | undefined;
    const own = fileProblem(st);
    if (own) untrusted = `${path} is ${own}`;
    else if (st.isFile() || st.isFIFO()) {
      // a named file (a FIFO included): every directory above it must be safe too, else it can be swapped.
      // An anonymous pipe (/dev/stdin, <(…)) resolves to no path ("pipe:[…]"): its owner is its creator.
      try {
        real = realpathSync.native(path);
        const again = statSync(real);
        if (again.ino !== st.ino || again.dev !== st.dev) untrusted = `${path} changed while being opened`;
        else untrusted = ancestorsProblem(real) ?? (real !== path ? linkPathProblem(path) : undefined);
      } catch (e) {
        if (st.isFile()) untrusted = `${path} cannot be resolved (${(e as NodeJS.ErrnoException).code})`;
      }
    }
    if (!pipe) {
      // judged on this descriptor, as the rest: a chmod or a swap after the check changes nothing read here
      const exposed = opts.secret ? secretProblem(st) : undefined;
      if (st.size > max) throw new BoundedReadError(path, `larger than the ${fmtBytes(max)} limit for input files (${st.size} bytes)`, 'EFBIG');
      const buf = readFd(fd, 0, max + 1, st.size);
      if (buf.length > max) throw new BoundedReadError(path, `larger than the ${fmtBytes(max)} limit for input files`, 'EFBIG');
      return { text: decode(buf, path, opts.strictUtf8), untrusted, real, ...(exposed && { exposed }) };
    }
    return { text: decode(readPipe(fd, path, max, opts.deadline, namedFifo(fd, st)), path, opts.strictUtf8), untrusted };
  } finally {
    closeSync(fd);
  }
}

/**
 * Bytes as UTF-8 text. With `strict`, bytes that are not UTF-8 (a Latin-1 é, a
 * UTF-16 file) are a BoundedReadError (EILSEQ) naming the line and the byte,
 * never replaced by U+FFFD: a path or name read so would be another one.
 */
function decode(buf: Buffer, path: string, strict = false): string {
  if (!strict || isUtf8(buf)) return buf.toString('utf8');
  let at = 0;
  while (at < buf.length) {
    const b = buf[at];
    // the sequence length its lead byte announces (RFC 3629 section 4); isUtf8 judges the whole sequence
    const n = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (!n || (n > 1 && !isUtf8(buf.subarray(at, at + n)))) break;
    at += n;
  }
  const line = buf.subarray(0, at).toString('latin1').split('\n').length;
  throw new BoundedReadError(path, `not UTF-8 text: byte 0x${buf[at]?.toString(16).padStart(2, '0').toUpperCase()} on line ${line}${buf[0] === 0xff || buf[0] === 0xfe ? ' (a UTF-16 file? save it as UTF-8)' : ''}`, 'EILSEQ');
}

/**
 * The path as given, when it differs from the resolved one: every symbolic link
 * on the way (and each one its target leads through) root's or the euid's, in a
 * directory no other user could swap it in (walkDir). A link another user owns,
 * or can replace, chooses which of root's files is read: /tmp/hc.yaml → any
 * root-owned YAML on the host. Undefined when safe.
 */
function linkPathProblem(path: string): string | undefined {
  // not resolve(): /tmp/x/../hc.yaml is x's target's parent to the kernel
  let p = path.startsWith('/') ? path : `${process.cwd()}/${path}`;
  for (let links = 0; links <= MAX_LINKS; links++) {
    const { problem } = walkDir(dirname(p), 'allow');
    if (problem && !problem.missing) return problem.last ? `directory ${problem.at} is ${problem.why}` : `directory ${dirname(p)} is below ${problem.at}, which is ${problem.why}`;
    const l = lstatQuiet(p);
    if (!l?.isSymbolicLink()) return undefined;
    if (l.uid !== 0 && l.uid !== euid()) return `${p} is a symbolic link owned by uid ${l.uid}`;
    try {
      // joined, not resolve()d: a .. in the target is taken after the links before it, as the kernel does
      const target = readlinkSync(p);
      p = target.startsWith('/') ? target : `${dirname(p)}/${target}`;
    } catch (e) {
      return `${p} cannot be read (${(e as NodeJS.ErrnoException).code})`;
    }
  }
  return `${path}: too many symbolic links`;
}

/** A FIFO with a name in the file system (mkfifo), not a shell's pipe (/dev/stdin, <(…): "pipe:[…]" in /proc/self/fd). */
function namedFifo(fd: number, st: Stats): boolean {
  if (!st.isFIFO()) return false;
  try {
    return !readlinkSync(`/proc/self/fd/${fd}`).startsWith('pipe:');
  } catch {
    return false;
  }
}

/**
 * A non-blocking pipe until EOF, the byte cap or the deadline (polling every 5 ms: a config is read once).
 * `waitForWriter` (a named FIFO): read(2) returns 0 while no writer has opened it yet (pipe(7)), so
 * nothing read and 0 means "not yet", not an empty input: waited for, up to the deadline.
 */
function readPipe(fd: number, path: string, max: number, deadline = performance.now() + 1500, waitForWriter = false): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  const buf = Buffer.allocUnsafe(64 * 1024);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      const left = deadline - performance.now();
      if (left <= 0) throw new BoundedReadError(path, `no end of input within the deadline (${total} bytes read from the pipe)`, 'ETIMEDOUT');
      // a synchronous sleep (the snapshot builder has no SharedArrayBuffer at load time: made here)
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.min(5, left));
      continue;
    }
    if (n === 0 && total === 0 && waitForWriter) {
      const left = deadline - performance.now();
      if (left <= 0) throw new BoundedReadError(path, 'a FIFO no writer wrote to within the deadline', 'ETIMEDOUT');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.min(5, left));
      continue;
    }
    if (n === 0) break;
    total += n;
    if (total > max) throw new BoundedReadError(path, `more than the ${fmtBytes(max)} limit for input files`, 'EFBIG');
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks);
}

/** What a stat shows, in words: "a FIFO", "a character device", "a regular file", … */
export function kind(st: Stats): string {
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a directory';
  return st.isFile() ? 'a regular file' : 'of an unknown type';
}

/**
 * A temp-file name nobody can guess ahead: 64 bits from the kernel for each name
 * (not a per-process seed: the binary's heap snapshot would hold the build's).
 */
function randomSuffix(): string {
  const b = Buffer.alloc(8);
  try {
    const fd = openSync('/dev/urandom', O_RDONLY);
    try { readSync(fd, b, 0, 8, null); } finally { closeSync(fd); }
  } catch {
    // no /dev/urandom: O_EXCL still makes a planted name fail, never followed
    b.writeDoubleLE(Math.random() * 2 ** 52 + performance.now());
  }
  return b.toString('hex');
}

export interface AtomicWriteOptions {
  /** fsync the temp file before the rename (the track_file: yes; a status rewritten every cycle: no) */
  fsync?: boolean;
  /** file mode of the new file (before the umask); default 0644 */
  mode?: number;
  /** create the directory when missing */
  mkdir?: boolean;
}

/** Creates a fresh file that did not exist under any form (a symlink included): O_CREAT|O_EXCL|O_NOFOLLOW. */
function createExclusive(dir: string, base: string, mode: number): { fd: number; tmp: string } {
  for (let i = 0; ; i++) {
    const tmp = join(dir, `.${base}.${randomSuffix()}.tmp`);
    try {
      return { fd: openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode), tmp };
    } catch (e) {
      // a name planted ahead (or a collision): draw another, a few times
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || i >= 8) throw e;
    }
  }
}

/**
 * What `path` is when writeFileAtomic must not replace it: "a character
 * device", "a block device", "a FIFO", "a socket" (lstat: a symbolic link is
 * replaced itself, not followed); undefined for a regular file, a symlink, a
 * directory (rename fails there) or nothing.
 */
export function notReplaceable(path: string): string | undefined {
  const st = lstatSync(path, NO_THROW);
  if (!st || st.isFile() || st.isSymbolicLink() || st.isDirectory()) return undefined;
  return kind(st);
}

/**
 * A descriptor of `dir` when writeDirProblem refuses it only because the
 * directory just above it (Q) is another user's, as Debian's prometheus-node-exporter
 * leaves /var/lib/prometheus (owned by prometheus) above the root-owned textfile
 * directory node-exporter. Q's owner can swap the entry `dir` in Q, but nothing
 * else: Q itself cannot be renamed (the directory above Q is root's and only
 * root's to write, or Q is root's), and everything above is as writeDirProblem
 * wants it. So `dir` is lstat'ed once, opened with O_NOFOLLOW | O_DIRECTORY, and
 * the descriptor kept only when it is the same inode (dev, ino) — a symlink or
 * another directory swapped in meanwhile fails here — and is then written
 * through /proc/self/fd/N/…: what is done there happens in that directory,
 * whatever becomes of its name. Undefined when this does not apply (the caller
 * refuses as before). Linux's /proc, proc(5): /proc/[pid]/fd.
 */
function statQuiet(path: string): Stats | undefined {
  try { return statSync(path); } catch { return undefined; }
}

function anchoredDir(dir: string): number | undefined {
  const abs = resolve(dir);
  const q = dirname(abs);
  const r = dirname(q);
  if (q === abs || r === q || systemDirProblem(abs)) return undefined;
  // above Q: root's and not open to others (sticky allowed), as writeDirProblem wants every directory above
  if (walkDir(r, 'allow').problem) return undefined;
  const rs = lstatQuiet(r);
  const qs = lstatQuiet(q);
  const ds = lstatQuiet(abs);
  // the directory itself root's (or ours): this settles only Q, the one directory above that is another user's
  if (!rs || !qs?.isDirectory() || !ds?.isDirectory() || ownerProblem(ds)) return undefined;
  // in a sticky R, Q's owner may rename Q (and so swap what `dir` resolves through): only a Q of root's there
  if ((rs.mode & 0o1000) && ownerProblem(qs)) return undefined;
  let fd: number;
  try {
    fd = openSync(abs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch {
    return undefined;
  }
  const st = fstatSync(fd);
  if (st.dev !== ds.dev || st.ino !== ds.ino || !statQuiet(`/proc/self/fd/${fd}`)?.isDirectory()) {
    closeSync(fd);
    return undefined;
  }
  return fd;
}

/**
 * Replaces `path` so that a reader sees the old or the new content, never a
 * partial one, and nothing but `path` changes: a temp file with a random name
 * is created exclusively (never through a symlink) in the same directory (same
 * file system, so rename(2) is atomic), written, optionally fsync'ed, and
 * renamed over the target (a symlink there is replaced, not followed).
 * The path to the directory must not let another user redirect the write
 * (writeDirProblem): else UntrustedError, nothing written.
 * Throws the fs error (ENOENT, EACCES, …); the temp file never outlives a failure.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): void {
  const dir = dirname(path);
  // Dot-prefixed and not ending in the target's suffix: node_exporter reads only *.prom,
  // and a reader globbing the directory never picks up a half-written file.
  const base = basename(path);
  const mode = opts.mode ?? 0o644;
  // where another user could redirect it, root does not write: a symlink of theirs on
  // the way, or a directory above the target's they can write (swapped for a symlink) —
  // but for the one case a descriptor settles (anchoredDir: only the directory just above is theirs)
  const unsafe = writeDirProblem(dir);
  if (unsafe) {
    const fd = anchoredDir(dir);
    if (fd === undefined) throw new UntrustedError(path, `not written: ${unsafe}`);
    try {
      replaceIn(`/proc/self/fd/${fd}`, base, path, data, mode, opts);
    } finally {
      closeSync(fd);
    }
    return;
  }
  try {
    replaceIn(dir, base, path, data, mode, opts);
  } catch (e) {
    // The directory is created only when missing: no mkdir per write in a loop that writes every cycle.
    if (!opts.mkdir || (e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    makeDirs(dir);
    const made = writeDirProblem(dir);
    if (made) throw new UntrustedError(path, `not written: ${made}`);
    replaceIn(dir, base, path, data, mode, opts);
  }
}

/**
 * writeFileAtomic's act, in `dir` (a path, or /proc/self/fd/N of a directory
 * held open) once the directory is judged: a temp file O_EXCL with a random
 * name, written, fsynced when asked, renamed onto `base`; the temp file never
 * outlives a failure. `shown`: the path for errors.
 */
function replaceIn(dir: string, base: string, shown: string, data: string | Uint8Array, mode: number, opts: AtomicWriteOptions): void {
  const target = join(dir, base);
  // rename(2) replaces whatever the name holds: a device (--state-file /dev/null), a FIFO or a
  // socket would be swapped for a regular file, by root. Only a file (or a symlink, replaced
  // itself, not followed) is replaced; a directory fails at rename anyway (EISDIR).
  const other = notReplaceable(target);
  if (other) throw new UntrustedError(shown, `not written: it is ${other}, not a regular file (a rename would replace it)`);
  const { fd, tmp } = createExclusive(dir, base, mode);
  // the temp file never outlives a failure, whichever step fails (a write, fsync, close or the rename)
  let renamed = false;
  try {
    try {
      const buf = typeof data === 'string' ? Buffer.from(data) : data;
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      if (opts.fsync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
    renamed = true;
  } finally {
    if (!renamed) try { unlinkSync(tmp); } catch { /* already gone */ }
  }
}

/**
 * Opens a log for appending, never through a symlink (O_NOFOLLOW) and never a
 * file another user owns or could write (fstat of the descriptor), rotating it
 * to `path.1` first when it is larger than `rotateBytes`; with `mkdir`, a missing
 * directory is made once the path to it is judged safe. Returns the fd.
 * Throws the fs error or UntrustedError.
 */
export function openAppend(path: string, opts: { mode?: number; rotateBytes?: number; mkdir?: boolean } = {}): number {
  const open = () => {
    try {
      return openSync(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK, opts.mode ?? 0o640);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw new UntrustedError(path, 'is a symbolic link');
      throw e;
    }
  };
  // as for writes: no directory another user could redirect or write (the rotation renames by path)
  const unsafe = writeDirProblem(dirname(path));
  if (unsafe) throw new UntrustedError(path, `not opened: ${unsafe}`);
  // its directory made only once the path to it is judged (makeDirs first would mkdir through another user's directory)
  if (opts.mkdir && !lstatQuiet(dirname(path))) {
    makeDirs(dirname(path));
    const made = writeDirProblem(dirname(path));
    if (made) throw new UntrustedError(path, `not opened: ${made}`);
  }
  let fd = open();
  let st = fstatSync(fd);
  if (opts.rotateBytes !== undefined && st.isFile() && st.size > opts.rotateBytes) {
    closeSync(fd);
    renameSync(path, `${path}.1`); // renames the name itself, whatever it is
    fd = open();
    st = fstatSync(fd);
  }
  // a second name for the inode: another user's hard link to a root file (/etc/shadow
  // where fs.protected_hardlinks is 0) would pass the owner check and be appended to
  const why = !st.isFile() ? 'not a regular file' : st.nlink > 1 ? `has ${st.nlink} hard links (a log of ours has one)` : fileProblem(st);
  if (why) {
    closeSync(fd);
    throw new UntrustedError(path, why);
  }
  return fd;
}

/**
 * readInput's text, for readers that report an error's `code` or else its
 * message: the bound as a plain message ("larger than the 1 MiB limit for input
 * files (52428800 bytes)"). keepalived.conf and its includes (hacheck doctor:
 * parseKeepalivedConf(path, { readFile: readInputText })); within `deadlineMs` of the call.
 */
export function readInputText(path: string, deadlineMs = 1500): string {
  try {
    return readInput(path, { deadline: performance.now() + deadlineMs }).text;
  } catch (e) {
    if (e instanceof BoundedReadError) throw new Error(e.why);
    throw e;
  }
}
