// A lock between concurrent builds/packagings/install tests on one machine
// (several `npm test` runs may share a checkout and a dpkg database): a
// directory created with mkdir (atomic), holding the owner's pid. A lock whose
// owner is gone is taken over; every wait has a deadline.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
};

/** Takes the lock at `dir` (waiting up to timeoutMs), returns its release function. */
export async function acquire(dir, { timeoutMs = 600_000, what = dir } = {}) {
  const deadline = Date.now() + timeoutMs;
  let said = false;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(`${dir}/pid`, String(process.pid));
      let released = false;
      const release = () => {
        if (!released) rmSync(dir, { recursive: true, force: true });
        released = true;
      };
      process.once('exit', release);
      return release;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    }
    let owner = NaN;
    try {
      owner = Number(readFileSync(`${dir}/pid`, 'utf8'));
    } catch { /* being created or removed */ }
    if (Number.isInteger(owner) && owner > 0 && !alive(owner)) {
      rmSync(dir, { recursive: true, force: true }); // its owner died without releasing it
      continue;
    }
    if (Date.now() > deadline) throw new Error(`${what}: still locked by pid ${owner} after ${timeoutMs / 1000}s (${dir})`);
    if (!said) process.stderr.write(`${what}: waiting for pid ${owner} (lock ${dir})\n`);
    said = true;
    await new Promise((r) => setTimeout(r, 200));
  }
}
