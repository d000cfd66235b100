// Orphaned nginx workers: their master was killed (kill -9, the OOM killer), they
// live on with the listening sockets, so a new master fails with
// "bind() … failed (98: Address already in use)". The restart flow finds them
// (the same classification as the process probe; only those holding a listening
// socket block a bind) and, only when restart.kill_orphans is on, stops them
// before starting nginx.
import type { Config } from '../config/schema.js';
import type { ProbeResult } from '../probes/types.js';
import { isDead, readStat } from '../sys/proc.js';
import { describeOrphans, holdVerb, scanNginx, splitOrphans, type NginxProcess } from '../sys/nginx-procs.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long orphans get to exit on SIGTERM (nginx's fast shutdown) before SIGKILL. */
const TERM_WAIT_MS = 1000;

/** The comms the config's process probes watch (nginx when none is configured). */
export function watchedComms(cfg: Config): string[] {
  const comms = cfg.probes.filter((p) => p.type === 'process').map((p) => (p.process as string | undefined) ?? 'nginx');
  return [...new Set(comms.length ? comms : ['nginx'])];
}

/**
 * Live worker/cache processes whose master is gone, for every watched comm. The
 * process probe's results say when it already read all of /proc and found none
 * (metrics.orphans 0): then there is nothing to scan again.
 */
export function findOrphans(cfg: Config, results: ProbeResult[] = []): NginxProcess[] {
  const proc = results.filter((r) => r.kind === 'process');
  if (proc.length && proc.every((r) => r.metrics?.orphans === 0)) return [];
  // only those holding a listening socket keep a new master from binding (and are ever signalled)
  return watchedComms(cfg).flatMap((c) => splitOrphans(scanNginx(c).orphans).holding);
}

/** Still the process we found (same pid, start time and comm), and alive. */
function same(p: NginxProcess): boolean {
  const s = readStat(p.pid);
  return !!s && !isDead(s) && s.startTicks === p.startTicks && s.comm === p.comm;
}

export interface StopResult {
  /** exited on SIGTERM */
  termed: number[];
  /** needed SIGKILL */
  killed: number[];
  /** still alive at the deadline */
  left: number[];
}

/**
 * SIGTERM (nginx: fast shutdown), wait up to 1 s (at most half the time left),
 * SIGKILL the rest, wait until they are dead or `deadline` (performance.now()
 * ms). A zombie counts as dead: its sockets are closed. A pid reused by another
 * process meanwhile (start time differs) is never signalled.
 */
export async function stopOrphans(orphans: NginxProcess[], deadline: number): Promise<StopResult> {
  const alive = () => orphans.filter(same);
  const signal = (ps: NginxProcess[], sig: NodeJS.Signals) => {
    for (const p of ps) try { process.kill(p.pid, sig); } catch { /* gone meanwhile */ }
  };
  signal(alive(), 'SIGTERM');
  const now = performance.now();
  const termUntil = Math.min(now + TERM_WAIT_MS, now + Math.max(0, deadline - now) / 2);
  while (alive().length && performance.now() < termUntil) await sleep(10);
  const stubborn = alive();
  signal(stubborn, 'SIGKILL');
  while (alive().length && performance.now() < deadline) await sleep(5);
  const left = alive().map((p) => p.pid);
  return {
    termed: orphans.filter((p) => !stubborn.includes(p)).map((p) => p.pid),
    killed: stubborn.filter((p) => !left.includes(p.pid)).map((p) => p.pid),
    left,
  };
}

/** "orphaned nginx workers 812, 813 hold the listening sockets; a new master cannot bind" */
export function orphansBlock(orphans: NginxProcess[]): string {
  return `${describeOrphans(orphans)} ${holdVerb(orphans)} the listening sockets; a new master cannot bind`;
}

/** For the restart outcome: which orphans were found and what stopping them did. */
export interface OrphanInfo { pids: number[]; termed?: number[]; killed?: number[]; left?: number[] }

/** kill_orphans: stops them; a note for the output, or why the restart cannot go on. */
export async function stopOrphansForRestart(orphans: NginxProcess[], deadline: number): Promise<{ info: OrphanInfo; note: string; failure?: string }> {
  const what = orphansBlock(orphans);
  const r = await stopOrphans(orphans, deadline);
  const info = { pids: orphans.map((p) => p.pid), ...r };
  const how = `${r.termed.length ? `, ${r.termed.join(', ')} on SIGTERM` : ''}${r.killed.length ? `, ${r.killed.join(', ')} on SIGKILL` : ''}`;
  return {
    info,
    note: `${what}: stopped them (kill_orphans)${how}`,
    ...(r.left.length && { failure: `${what}; still alive after SIGTERM and SIGKILL: ${r.left.join(', ')}` }),
  };
}
