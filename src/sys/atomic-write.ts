// Replace a file so that a reader sees either the old or the new content, never
// an empty or partial one: write a temp file in the same directory (same file
// system, so rename(2) is atomic), optionally fsync it, then rename over the target.
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { makeDirs } from './make-dirs.js';

export interface AtomicWriteOptions {
  /** fsync the temp file before the rename (the track_file: yes; a status rewritten every cycle: no) */
  fsync?: boolean;
  /** file mode of a newly written file */
  mode?: number;
  /** create the directory when missing */
  mkdir?: boolean;
}

/** Throws the fs error (ENOENT, EACCES, …); the temp file never outlives a failure. */
export function writeFileAtomic(path: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): void {
  const dir = dirname(path);
  // Dot-prefixed and not ending in the target's suffix: node_exporter reads only *.prom,
  // and a reader globbing the directory never picks up a half-written file.
  const tmp = join(dir, `.${basename(path)}.${process.pid}.tmp`);
  let fd: number;
  try {
    fd = openSync(tmp, 'w', opts.mode ?? 0o644);
  } catch (e) {
    // The directory is created only when missing: no mkdir per write in a loop that writes every cycle.
    if (!opts.mkdir || (e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    makeDirs(dir);
    fd = openSync(tmp, 'w', opts.mode ?? 0o644);
  }
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    if (opts.fsync) fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw e;
  }
}
