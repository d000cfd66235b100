// mkdir -p that always ends. Node's mkdirSync({ recursive: true }) loops forever
// where mkdir fails with ENOENT although the parent exists (a path under /proc or
// /sys): a state_dir or log path there would hang the check past its deadline.
import { closeSync, constants, fchmodSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * mkdir(2) with exactly `mode`, whatever the umask: keepalived runs scripts with
 * umask 0177, which turned a 0700 lock directory into 0600 (refused as not ours,
 * and not traversable by a non-root owner). The mode is set through a descriptor
 * opened O_NOFOLLOW|O_DIRECTORY: a name swapped in between is never followed.
 */
function mkdirExact(dir: string, mode: number): void {
  mkdirSync(dir, { mode });
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    fchmodSync(fd, mode);
  } finally {
    closeSync(fd);
  }
}

/** Creates `dir` and missing parents, level by level, each with its mode whatever the umask; throws the first real error. */
export function makeDirs(dir: string, mode = 0o755): void {
  try {
    mkdirExact(dir, mode);
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code !== 'ENOENT' || dirname(dir) === dir) throw e;
  }
  makeDirs(dirname(dir), 0o755);
  try {
    mkdirExact(dir, mode); // ENOENT again (procfs): thrown, not retried
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
}
