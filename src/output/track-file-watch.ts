// The keepalived track_file is re-asserted every agent cycle, not only written
// when the verdict changes. keepalived (vrrp_track_file, keepalived.conf(5))
// takes whatever integer the file holds, and a missing file reads as 0 (seen in
// the field: shared/cases/14-track-file-fails-open): with the default values 0
// is healthy. So a track_file deleted by a /run cleanup or an
// operator's rm, or overwritten by anyone who can write its directory, would say
// "healthy" while nginx is down, for as long as the verdict does not change.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/** Longest content we expect ("-254\n" is 5 bytes); read a little more to see a longer file. */
const READ_BYTES = 32;

/**
 * Why the track_file at `path` does not hold `value` as the agent wrote it:
 * undefined when it is a regular file owned by this user, not writable by group
 * or others, holding exactly `${value}\n`; else a short reason ("is missing",
 * "holds 0", "is a symlink", "is owned by uid 65534", …). The file is opened
 * once with O_NOFOLLOW|O_NONBLOCK (a planted symlink or FIFO is neither
 * followed nor waited on) and judged by fstat of that descriptor. Cost: open,
 * fstat, one read of at most 32 bytes, close.
 */
export function trackFileDrift(path: string, value: number): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'is missing';
    if (code === 'ELOOP') return 'is a symlink';
    return `cannot be read (${code ?? (e as Error).message})`;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return 'is not a regular file';
    const euid = process.geteuid?.();
    if (euid !== undefined && st.uid !== euid) return `is owned by uid ${st.uid}, not ${euid}`;
    if (st.mode & 0o022) return `is writable by group or others (mode ${(st.mode & 0o7777).toString(8)})`;
    const buf = Buffer.alloc(READ_BYTES);
    const n = readSync(fd, buf, 0, READ_BYTES, 0);
    const text = buf.toString('utf8', 0, n);
    if (text === `${Math.trunc(value)}\n`) return undefined;
    return n === 0 ? 'is empty' : `holds ${JSON.stringify(n === READ_BYTES ? `${text}…` : text.replace(/\n$/, ''))}`;
  } catch (e) {
    return `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  } finally {
    closeSync(fd);
  }
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

  /** undefined: the file holds `value`, nothing to do; else rewrite it, and log `why` when `log` is true. */
  check(path: string, value: number): { why: string; log: boolean } | undefined {
    const why = trackFileDrift(path, value);
    const log = why !== undefined && why !== this.drift;
    this.drift = why;
    return why === undefined ? undefined : { why, log };
  }
}
