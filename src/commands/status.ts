// `hacheck status`: the guard keepalived runs beside a track_file, because
// track_file fails open (a stale or deleted file still reads as healthy).
// Exit 0 only when the agent's status file is fresh, its writer alive, and the
// verdict healthy (or warning); 1 otherwise (missing, stale, garbage, dead or
// stopped agent, unhealthy); 3 forced down, as `check`. Kept light: it runs
// every second or two, so the config file is read only when it names the path.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMaxAge, relativeProblem } from '../config/units.js';
import { resolveCached } from '../config/cache.js';
import { DEFAULT_CONFIG_PATH, DEFAULT_STATE_DIR } from '../config/defaults.js';
import { judgeStatus, type AgentLiveness } from '../output/status.js';
import { isDead, readStat } from '../sys/proc.js';
import { readTrusted, UntrustedError } from '../sys/trusted-file.js';

export interface StatusFlags {
  config?: string;
  stateDir?: string;
  statusFile?: string;
  maxAge?: string;
  json?: boolean;
  verbose?: boolean;
}

export const DEFAULT_MAX_AGE = '3s';

/** The agent's kernel comm: the binary's name. */
export const AGENT_COMM = 'hacheck';

/**
 * A hacheck agent: comm `hacheck` (the binary's name), or a command line that is
 * hacheck's `agent` command — the binary by any path, or node running the bundle
 * (bin/hacheck, the tests). The command line is needed because Node 24 renames
 * its main thread "MainThread" (the comm) at some point of a run.
 */
function isAgent(pid: number, comm: string): boolean {
  if (comm === AGENT_COMM) return true;
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0');
    const program = /(^|\/)hacheck$/.test(argv[0] ?? '') || /(^|\/)hacheck\.cjs$/.test(argv[1] ?? '');
    return program && argv.includes('agent');
  } catch {
    return false;
  }
}

/**
 * The writer is a live hacheck agent: its pid runs (not a zombie), it is hacheck
 * (isAgent) and its start time (clock ticks since boot, /proc/<pid>/stat field
 * 22, proc(5)) is the file's pid_start, so neither a reused pid nor pid 1 passes.
 */
export const procLiveness: AgentLiveness = {
  alive(pid, start) {
    if (!existsSync('/proc/self/stat')) return undefined;
    const st = readStat(pid);
    if (isDead(st)) return { ok: false, why: `agent pid ${pid} is gone` };
    if (!isAgent(pid, st!.comm)) return { ok: false, why: `pid ${pid} is "${st!.comm}", not a hacheck agent` };
    if (start === undefined) return { ok: false, why: `the status file names no pid_start for pid ${pid}` };
    if (st!.startTicks !== start) return { ok: false, why: `pid ${pid} is another process than the agent that wrote the file (start time ${st!.startTicks}, file says ${start})` };
    return { ok: true };
  },
};

/** With --status-file or --state-dir the config is not even read; else it comes from the cache (src/config/cache.ts): this runs every second. */
async function statusPath(flags: StatusFlags): Promise<string> {
  for (const [flag, path] of [['--status-file', flags.statusFile], ['--state-dir', flags.stateDir]] as const) {
    const why = path ? relativeProblem(path, 'path') : undefined;
    if (why) {
      const { ConfigError } = await import('../config/load.js');
      throw new ConfigError(`${flag}: ${why}`, 'usage');
    }
  }
  if (flags.statusFile) return flags.statusFile;
  if (flags.stateDir) return join(flags.stateDir, 'status.json');
  if (flags.config || existsSync(DEFAULT_CONFIG_PATH)) {
    const cfg = await resolveCached({ config: flags.config });
    return cfg.agent.status_file ?? join(cfg.state_dir, 'status.json');
  }
  return join(DEFAULT_STATE_DIR, 'status.json');
}

export async function statusCommand(flags: StatusFlags): Promise<number> {
  const maxAgeMs = parseMaxAge(flags.maxAge ?? DEFAULT_MAX_AGE);
  if (maxAgeMs === undefined) {
    const { ConfigError } = await import('../config/load.js');
    throw new ConfigError(`--max-age: bad duration "${flags.maxAge}": use e.g. 3s or 1500ms`, 'usage');
  }
  const path = await statusPath(flags);
  let read: { text?: string; error?: string };
  try {
    // opened once, O_NOFOLLOW, judged by fstat: a file another user could have written proves nothing
    read = { text: readTrusted(path, { maxBytes: 4 * 1024 * 1024 }).toString('utf8') };
  } catch (e) {
    read = { error: e instanceof UntrustedError ? `not trusted: ${e.why}` : (e as NodeJS.ErrnoException).code ?? (e as Error).message };
  }
  const j = judgeStatus(read, path, { maxAgeMs, now: Date.now(), liveness: procLiveness });
  if (flags.json) {
    process.stdout.write(JSON.stringify({ ok: j.code === 0, exit_code: j.code, reason: j.reason, path, max_age_ms: maxAgeMs, age_ms: j.ageMs ?? null, status: j.doc ?? null }) + '\n');
  } else if (flags.verbose) {
    process.stdout.write(`${j.code === 0 ? 'OK' : 'FAIL'} (exit ${j.code}): ${j.reason}\n`);
    const d = j.doc;
    if (d && typeof d.fall === 'number') {
      const cycle = d.evidence ? `this cycle failed with ${d.evidence} evidence` : 'this cycle passed';
      process.stdout.write(`  ${cycle}; fall ${d.fall} (ambiguous), definitive_fall ${d.definitive_fall ?? 1}, rise ${d.rise}${d.pending ? `, ${d.pending} more cycle(s) to flip` : ''}${d.decided_by ? `; unhealthy by ${d.decided_by} evidence` : ''}\n`);
    }
    for (const p of j.doc?.probes ?? []) {
      const sure = p.ok ? '' : p.checks.some((c) => !c.ok && c.evidence === 'definitive') ? ' [definitive]' : ' [ambiguous]';
      process.stdout.write(`  ${p.ok ? 'ok  ' : 'FAIL'} ${p.name}: ${p.summary}${sure}\n`);
    }
  }
  if (j.code !== 0 && !flags.json) process.stderr.write(`hacheck status: ${j.reason}\n`);
  return j.code;
}
