// Small persisted facts between one-shot runs (last verdict, samples, budget).
// The state dir may be missing or read-only (a non-root test run): callers get
// undefined / false and carry on; a check never fails because of its own bookkeeping.
import { mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';

export function readJson<T>(dir: string, name: string): T | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, name), 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Atomic (temp + rename in the same directory); false when the dir is unusable. */
export function writeJson(dir: string, name: string, value: unknown): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    const tmp = join(dir, `.${name}.${process.pid}.tmp`);
    writeFileSync(tmp, JSON.stringify(value));
    renameSync(tmp, join(dir, name));
    return true;
  } catch {
    return false;
  }
}
