// The keepalived track_file is re-asserted every agent cycle, not only written
// when the verdict changes. keepalived (vrrp_track_file, keepalived.conf(5))
// takes whatever integer the file holds, and a missing file reads as 0 (seen in
// the field: shared/cases/14-track-file-fails-open): with the default values 0
// is healthy. So a track_file deleted by a /run cleanup or an
// operator's rm, or overwritten by anyone who can write its directory, would say
// "healthy" while nginx is down, for as long as the verdict does not change.
import { closeSync, constants, fstatSync, lstatSync, openSync, readvSync, type Stats } from 'node:fs';

/** Longest content we expect ("-254\n" is 5 bytes); read a little more to see a longer file. */
const READ_BYTES = 32;

/**
 * Why the track_file at `path` does not hold `value` as the agent wrote it:
 * undefined when it is a regular file owned by this user, not writable by group
 * or others, holding exactly `${value}\n`; else a short reason ("is missing",
 * "holds 0", "is a symlink", "is owned by uid 65534", …). The file is opened
 * once with O_NOFOLLOW|O_NONBLOCK (a planted symlink or FIFO is neither
 * followed nor waited on) and judged by fstat of that descriptor. Cost: open,
 * fstat, one read of at most 32 bytes, close (TrackFileWatch: lstat and one read
 * while the file stays right).
 */
export function trackFileDrift(path: string, value: number): string | undefined {
  return judge(path, value, false).why;
}

/** A descriptor of the track_file as last judged right, with its identity (device and inode). */
interface Held { fd: number; dev: number; ino: number }

/**
 * trackFileDrift's rule, with `held` (the descriptor of the inode last judged
 * right) read again instead of a new open when lstat(2) of the path still names
 * that inode: lstat gives that inode's type, owner and mode, the read its
 * content (2 system calls instead of 4, every cycle at a short interval). Any
 * other answer (missing, replaced by rename, a symlink, wrong) closes `held`
 * and takes the open path. Returns the reason (undefined: right) and, with
 * `keep`, the descriptor to hold next (only while the file is right).
 */
function judge(path: string, value: number, keep: boolean, held?: Held): { why: string | undefined; held?: Held } {
  if (held) {
    try {
      const l = lstatSync(path, { throwIfNoEntry: false });
      if (l && l.ino === held.ino && l.dev === held.dev && metaDrift(l) === undefined && contentDrift(held.fd, value) === undefined) return { why: undefined, held };
    } catch { /* judged again below, by the open path */ }
    closeSync(held.fd);
  }
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { why: 'is missing' };
    if (code === 'ELOOP') return { why: 'is a symlink' };
    return { why: `cannot be read (${code ?? (e as Error).message})` };
  }
  let st: Stats;
  let why: string | undefined;
  try {
    st = fstatSync(fd);
    why = metaDrift(st) ?? contentDrift(fd, value);
  } catch (e) {
    why = `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  }
  if (why !== undefined || !keep) {
    closeSync(fd);
    return { why };
  }
  return { why, held: { fd, dev: st!.dev, ino: st!.ino } };
}

/** The type, owner and mode rule of trackFileDrift; undefined when they are right. */
function metaDrift(st: Stats): string | undefined {
  if (!st.isFile()) return 'is not a regular file';
  const euid = process.geteuid?.();
  if (euid !== undefined && st.uid !== euid) return `is owned by uid ${st.uid}, not ${euid}`;
  if (st.mode & 0o022) return `is writable by group or others (mode ${(st.mode & 0o7777).toString(8)})`;
  return undefined;
}

/** One buffer for the content reads (synchronous, copied out before return); [readBuf] for readvSync (preadv: fewer argument validators than readSync under --jitless). */
const readBuf = Buffer.alloc(READ_BYTES);
const readBufs = [readBuf];

/** The content rule of trackFileDrift: exactly `${value}\n` from offset 0. Throws the read's error. */
function contentDrift(fd: number, value: number): string | undefined {
  const n = readvSync(fd, readBufs, 0);
  const text = readBuf.toString('latin1', 0, n);
  if (text === `${Math.trunc(value)}\n`) return undefined;
  const shown = readBuf.toString('utf8', 0, n);
  return n === 0 ? 'is empty' : `holds ${JSON.stringify(n === READ_BYTES ? `${shown}…` : shown.replace(/\n$/, ''))}`;
}

/**
 * One agent's watch over its track_file: check() every cycle after the value
 * was written. A drift is logged when it starts or its reason changes, not
 * every cycle while someone keeps overwriting the file (keepalived-style: log
 * on state change).
 */
export class TrackFileWatch {
  /** the reason found by the last check; undefined: the file was right */
  private drift: string | undefined;
  /** the track_file's descriptor while it is right (see judge) */
  private held: Held | undefined;

  /** undefined: the file holds `value`, nothing to do; else rewrite it, and log `why` when `log` is true. */
  check(path: string, value: number): { why: string; log: boolean } | undefined {
    const j = judge(path, value, true, this.held);
    this.held = j.held;
    const why = j.why;
    const log = why !== undefined && why !== this.drift;
    this.drift = why;
    return why === undefined ? undefined : { why, log };
  }
}
