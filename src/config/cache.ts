// The resolved config, kept between one-shot runs. keepalived runs the same
// check with the same file and flags every 1-2 s; reading the YAML and
// validating it took ~4 ms of a ~40 ms run, and keeping the YAML parser and the
// config schema out of the single binary's start-up snapshot makes every run
// start faster. A hit needs the same build, the same flags and the same file:
// device, inode, size, mtime and ctime (ns), so any edit, replace or touch of
// the file is a miss and the file is read and validated again. Only a config
// that validated is kept; a bad one is reported on every run.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Config } from './schema.js';
import type { ProbeFlags } from './flags.js';
import { DEFAULT_CONFIG_PATH, DEFAULT_STATE_DIR } from './defaults.js';
import { readJson, writeJson } from '../sys/state-dir.js';
import { VERSION } from '../version.js';
import { PROBE_OPTIONS, parseOption } from '../options.js';

export type Resolved = Config & { configPath?: string };

declare const HACHECK_BUILD: string | undefined;
/** A hash of the sources (scripts/build-js.mjs): a rebuilt binary never reads another build's entries. */
const BUILD = `${VERSION}+${typeof HACHECK_BUILD === 'string' ? HACHECK_BUILD : 'dev'}`;
const CACHE_FILE = 'config-cache.json';
/** check and status with their usual flags, plus a few interactive runs */
const MAX_ENTRIES = 4;
/** the probe flags, which resolveConfig reads (from the one option table, so a new flag is in the key); output flags (-v, --json) do not change the config */
const CONFIG_FLAGS = [...new Set(PROBE_OPTIONS.map((o) => parseOption(o.flags).key as keyof ProbeFlags))];

interface Entry { key: string; config: string }

/** Misses of this process (the snapshot build asserts there were none). */
export const cacheStats = { misses: 0 };

/** undefined: not cacheable (the file cannot be stat'ed, and the loader reports why, or is not a regular file) */
function keyOf(f: ProbeFlags): string | undefined {
  const path = f.config !== undefined ? resolve(f.config) : DEFAULT_CONFIG_PATH;
  let file = 'absent';
  try {
    const s = statSync(path, { bigint: true });
    // a pipe or device (-c /dev/stdin, -c <(…)) can change without its stat changing
    if (!s.isFile()) return undefined;
    file = `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch {
    if (f.config !== undefined) return undefined;
  }
  return JSON.stringify([BUILD, path, file, CONFIG_FLAGS.map((k) => f[k] ?? null)]);
}

/**
 * Our own file only: it names the restart command root runs. Read through the
 * trusted-file layer (src/sys/state-dir.ts): a safe state dir, and the file
 * opened once with O_NOFOLLOW and judged by fstat of that descriptor (owner
 * root/euid, not group/other-writable), so it cannot be swapped between the
 * check and the read.
 */
function readEntries(stateDir: string): Entry[] {
  const entries = readJson<{ entries?: Entry[] }>(stateDir, CACHE_FILE)?.entries;
  return Array.isArray(entries) ? entries.filter((e) => typeof e?.key === 'string' && typeof e.config === 'string') : [];
}

// RegExps (body_regex, response_header) do not survive JSON on their own.
const RE = '\u0000re';
const replacer = (_: string, val: unknown) => (val instanceof RegExp ? { [RE]: [val.source, val.flags] } : val);
const reviver = (_: string, val: unknown) => {
  const re = val !== null && typeof val === 'object' ? (val as Record<string, [string, string]>)[RE] : undefined;
  return re ? new RegExp(re[0], re[1]) : val;
};

/**
 * The config for these flags: from the cache when the file and flags are
 * unchanged, else read and validated (src/config/flags.ts, loaded only then)
 * and kept. Errors are the loader's (ConfigError → 78 or 64).
 */
export async function resolveCached(f: ProbeFlags): Promise<Resolved> {
  // a relative --state-dir names no one place: never read a cache there (resolveConfig refuses it, 64)
  const key = f.stateDir !== undefined && !f.stateDir.startsWith('/') ? undefined : keyOf(f);
  const stateDir = f.stateDir ?? DEFAULT_STATE_DIR;
  const entries = key === undefined ? [] : readEntries(stateDir);
  const hit = entries.find((e) => e.key === key);
  if (hit) {
    try {
      return JSON.parse(hit.config, reviver) as Resolved;
    } catch {
      // a damaged entry: resolve again and replace it
    }
  }
  cacheStats.misses++;
  const { resolveConfig } = await import('./flags.js');
  const cfg = resolveConfig(f);
  if (key !== undefined) {
    const kept = [{ key, config: JSON.stringify(cfg, replacer) }, ...entries.filter((e) => e.key !== key)].slice(0, MAX_ENTRIES);
    // an unwritable (or unsafe) state dir only costs the next run the parse
    writeJson(stateDir, CACHE_FILE, { entries: kept }, 0o600);
  }
  return cfg;
}
