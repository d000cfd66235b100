// Small persisted facts between one-shot runs (last verdict, samples, budget).
// The state dir may be missing or read-only (a non-root test run): callers get
// undefined / false and carry on; a check never fails because of its own bookkeeping.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write.js';

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
    writeFileAtomic(join(dir, name), JSON.stringify(value), { mkdir: true });
    return true;
  } catch {
    return false;
  }
}
