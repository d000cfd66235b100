// mkdir -p that always ends. Node's mkdirSync({ recursive: true }) loops forever
// where mkdir fails with ENOENT although the parent exists (a path under /proc or
// /sys): a state_dir or log path there would hang the check past its deadline.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** Creates `dir` and missing parents, level by level; throws the first real error. */
export function makeDirs(dir: string, mode = 0o755): void {
  try {
    mkdirSync(dir, { mode });
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code !== 'ENOENT' || dirname(dir) === dir) throw e;
  }
  makeDirs(dirname(dir), 0o755);
  try {
    mkdirSync(dir, { mode }); // ENOENT again (procfs): thrown, not retried
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
}
