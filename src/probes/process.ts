// process: the nginx master by kernel comm name and/or pidfile; dead, zombie,
// stopped (SIGSTOP, a hung node the seed scripts' `ps | wc -l` counts as fine),
// a stale pidfile whose pid now belongs to another program, too few workers.
import { readFileSync } from 'node:fs';
import * as v from 'valibot';
import { severity, intRange, path } from '../config/units.js';
import { family, snapshot, isDead, isStopped, STATE_NAMES, type ProcStat } from '../sys/proc.js';
import type { Check, Prober } from './types.js';

export const schema = v.strictObject({
  type: v.literal('process'),
  name: v.optional(v.string()),
  severity,
  /** kernel comm of the master (15 chars max, as in /proc/<pid>/comm) */
  process: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(15, 'a kernel comm name is at most 15 characters')), 'nginx'),
  pidfile: v.optional(path('file path')),
  min_workers: v.optional(intRange(0, 1024, 'min_workers'), 1),
});
export type ProcessConfig = v.InferOutput<typeof schema>;

function workersOf(master: ProcStat, all: ProcStat[]): ProcStat[] {
  return all.filter((p) => p.ppid === master.pid && p.comm === master.comm && !isDead(p));
}

function describe(master: ProcStat, workers: ProcStat[]): string {
  return `pid ${master.pid} ${master.comm} ${STATE_NAMES[master.state] ?? master.state}, ${workers.length} worker${workers.length === 1 ? '' : 's'}`;
}

/** Judges one master: alive, not stopped, enough live (not stopped) workers. */
function judge(master: ProcStat, all: ProcStat[], cfg: ProcessConfig): string | undefined {
  if (master.state === 'Z') return `pid ${master.pid} is a zombie (dead, not reaped)`;
  if (isStopped(master)) return `pid ${master.pid} is stopped (SIGSTOP/traced): alive but serving nothing`;
  const workers = workersOf(master, all);
  const stopped = workers.filter(isStopped).length;
  const live = workers.length - stopped;
  if (live < cfg.min_workers) {
    return `${live} live worker${live === 1 ? '' : 's'}${stopped ? ` (${stopped} stopped)` : ''}, need >= ${cfg.min_workers}`;
  }
  return undefined;
}

function byPidfile(cfg: ProcessConfig & { pidfile: string }, t0: number): Check {
  const expect = `pid alive, comm ${cfg.process}, >= ${cfg.min_workers} workers`;
  const done = (ok: boolean, value: string, reason?: string): Check => ({
    target: cfg.pidfile, ok, value, expect, reason, durationMs: performance.now() - t0,
  });
  let text: string;
  try {
    text = readFileSync(cfg.pidfile, 'utf8').trim();
  } catch (e) {
    return done(false, 'no pidfile', `cannot read pidfile: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  const pid = Number(text);
  if (!/^\d+$/.test(text) || pid <= 0) return done(false, `"${text.slice(0, 20)}"`, 'pidfile does not hold a pid');
  // the master and its children only; all of /proc when the kernel cannot list children
  const all = family(pid) ?? snapshot();
  const st = all.find((p) => p.pid === pid);
  if (isDead(st)) {
    return done(false, st ? `pid ${pid} zombie` : `pid ${pid} gone`, st ? `pid ${pid} is a zombie (master died)` : `stale pidfile: pid ${pid} is not running`);
  }
  if (st!.comm !== cfg.process) {
    return done(false, `pid ${pid} is ${st!.comm}`, `stale pidfile: pid ${pid} now belongs to "${st!.comm}", not "${cfg.process}"`);
  }
  const reason = judge(st!, all, cfg);
  return done(!reason, describe(st!, workersOf(st!, all)), reason);
}

function byName(cfg: ProcessConfig, all: ProcStat[], t0: number): Check {
  const named = all.filter((p) => p.comm === cfg.process);
  // masters: named processes whose parent is not a live process of the same name
  const masters = named.filter((p) => !isDead(p) && !named.some((q) => q.pid === p.ppid && !isDead(q)));
  const expect = `master running, >= ${cfg.min_workers} workers`;
  const done = (ok: boolean, value: string, reason?: string): Check => ({
    target: `comm=${cfg.process}`, ok, value, expect, reason, durationMs: performance.now() - t0,
  });
  if (masters.length === 0) {
    const zombies = named.filter((p) => p.state === 'Z').length;
    return done(false, zombies ? `${zombies} zombie` : 'none', `no live ${cfg.process} process${zombies ? ` (${zombies} zombie)` : ''}`);
  }
  // Several masters (e.g. during a binary upgrade): healthy if any one is.
  const verdicts = masters.map((m) => ({ m, reason: judge(m, all, cfg) }));
  const good = verdicts.find((x) => !x.reason) ?? verdicts[0];
  return done(!good.reason, describe(good.m, workersOf(good.m, all)), good.reason);
}

export const prober: Prober<ProcessConfig> = {
  schema,
  async run(cfg) {
    const t0 = performance.now();
    const checks = [cfg.pidfile ? byPidfile({ ...cfg, pidfile: cfg.pidfile }, t0) : byName(cfg, snapshot(), t0)];
    const ok = checks.every((c) => c.ok);
    return { ok, checks, summary: ok ? checks[0].value : checks[0].reason! };
  },
};
