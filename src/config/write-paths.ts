// The paths a config (or a flag) names where root writes or creates files:
// refused at start (64 for a flag, 78 for the config), before anything is
// claimed or written, when a write there could only do harm:
// - under the kernel's file systems (/dev, /proc, /sys): `--state-file
//   /dev/stdout` replaced the system's /dev/stdout symlink with a regular file;
// - a name that holds a device, FIFO or socket, itself or as the target of a
//   symbolic link (each write replaces the name by rename);
// - two of the agent's files on one path: the status JSON written over the
//   track_file reads as 0 (healthy) to keepalived.
// Who may have written the config that names them is src/config/load.ts's
// requireTrusted; whether another user could redirect a write is checked at
// each write (src/sys/trusted-file.ts).
import { statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { ConfigError } from './load.js';
import { systemDirProblem, walkDir, writeTargetProblem } from '../sys/trusted-file.js';

export interface WritePath {
  /** the config key ("agent.state_file") */
  key: string;
  /** the flag that can set it ("--state-file"), when one can */
  flag?: string;
  /** set by that flag in this run: a refusal is then 64 (usage), else 78 */
  byFlag: boolean;
  path: string;
  /** a file replaced by rename or appended to, or a directory files are made in */
  kind: 'file' | 'dir';
  /** what root does there, for the refusal ("the agent replaces this file on every write") */
  does: string;
  /** a good value, for the refusal */
  example: string;
  /** only checked against the others' paths (a log file: one that cannot be opened does not stop the agent) */
  sameOnly?: boolean;
}

const who = (w: WritePath) => (w.byFlag && w.flag ? w.flag : w.key);
const errKind = (...ws: WritePath[]) => (ws.some((w) => w.byFlag) ? 'usage' : 'config');

/** The same file under two spellings: the same name in the same directory (device and inode), or the same absolute path. */
export function samePath(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true;
  if (basename(a) !== basename(b)) return false;
  try {
    const x = statSync(dirname(a));
    const y = statSync(dirname(b));
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

/** Throws ConfigError for the first path root must not write (see the top of this file). */
export function requireWritablePaths(paths: readonly WritePath[]): void {
  for (const w of paths) {
    if (w.sameOnly) continue;
    const why = w.kind === 'dir' ? systemDirProblem(walkDir(w.path, 'writable').real) : writeTargetProblem(w.path);
    if (why) throw new ConfigError(`${who(w)}: ${w.path} is ${why}: ${w.does}; name a ${w.kind === 'dir' ? 'directory' : 'regular file'} (e.g. ${w.example})`, errKind(w));
  }
  const files = paths.filter((w) => w.kind === 'file');
  for (let i = 0; i < files.length; i++) {
    for (let j = i + 1; j < files.length; j++) {
      const [a, b] = [files[i], files[j]];
      if (!samePath(a.path, b.path)) continue;
      throw new ConfigError(`${who(b)}: ${b.path} is also ${who(a)}: each needs a file of its own (one written over the other: keepalived reads a track_file holding JSON or log lines as 0, healthy)`, errKind(a, b));
    }
  }
}
