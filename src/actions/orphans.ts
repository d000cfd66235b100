// Orphaned nginx workers: their master was killed (kill -9, the OOM killer), they
// live on with the listening sockets, so a new master fails with
// "bind() … failed (98: Address already in use)". The restart flow finds them
// (the same classification as the process probe; only those holding a listening
// socket block a bind) and, only when restart.kill_orphans is on, stops them
// before starting nginx.
import type { Config } from '../config/schema.js';
import type { ProbeResult } from '../probes/types.js';
import { isIP } from 'node:net';
import { isDead, readStat, type Endpoint } from '../sys/proc.js';
import type { HostPort } from '../probes/port.js';
import { trustedPidfilePid } from '../probes/process.js';
import { describeOrphans, holdVerb, scanNginx, splitOrphans, type NginxProcess } from '../sys/nginx-procs.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long orphans get to exit on SIGTERM (nginx's fast shutdown) before SIGKILL. */
const TERM_WAIT_MS = 1000;

/** The comms the config's process probes watch (nginx when none is configured). */
export function watchedComms(cfg: Config): string[] {
  const comms = cfg.probes.filter((p) => p.type === 'process').map((p) => (p.process as string | undefined) ?? 'nginx');
  return [...new Set(comms.length ? comms : ['nginx'])];
}

/** An address:port the restarted nginx needs: a port probe's target, an http/stub_status URL's host and port. */
export interface Needed { host: string; port: number }

/** The TCP endpoints the config probes: where the watched nginx must listen again after a restart. */
export function neededEndpoints(cfg: Config): Needed[] {
  const out: Needed[] = [];
  const fromUrl = (text: unknown) => {
    try {
      const u = new URL(String(text));
      out.push({ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port) || (u.protocol === 'https:' ? 443 : 80) });
    } catch { /* not a URL: the config check said so */ }
  };
  for (const p of cfg.probes as { type: string; targets?: HostPort[]; urls?: { url: string; socket?: string }[]; url?: string }[]) {
    if (p.type === 'port') for (const t of p.targets ?? []) out.push({ host: t.host, port: t.port });
    if (p.type === 'http') for (const u of p.urls ?? []) if (!u.socket) fromUrl(u.url);
    if (p.type === 'stub_status' && p.url) fromUrl(p.url);
  }
  return out;
}

/** An address as /proc/net/tcp6 shows it (8 groups of 4 hex digits), IPv4 (and IPv4-mapped) dotted; undefined for a host name. */
function ipKey(host: string): string | undefined {
  const kind = isIP(host);
  if (kind === 4) return host;
  if (kind !== 6) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  if (mapped) return mapped[1];
  let [head, tail] = host.toLowerCase().split('::') as [string, string | undefined];
  const hs = head ? head.split(':') : [];
  const ts = tail ? tail.split(':') : [];
  const groups = tail === undefined ? hs : [...hs, ...Array(8 - hs.length - ts.length).fill('0'), ...ts];
  return groups.map((g) => g.padStart(4, '0')).join(':');
}

const ANY = new Set(['0.0.0.0', '0000:0000:0000:0000:0000:0000:0000:0000']);

/**
 * Would a socket listening on `l` keep nginx from listening where `n` is probed?
 * Same port, and the same address, or either is the wildcard address, or the
 * probe names a host (its addresses are not looked up here: the port decides).
 */
export function conflicts(l: Endpoint, n: Needed): boolean {
  if (l.port !== n.port) return false;
  const k = ipKey(n.host);
  return k === undefined || ANY.has(l.addr) || ANY.has(k) || k === l.addr;
}

/** The orphans the restart flow may wait for or stop, and the orphans of another nginx it leaves alone. */
export interface FoundOrphans { blocking: NginxProcess[]; others: NginxProcess[]; note?: string }

/** "127.0.0.1:8080" for an Endpoint (IPv6 in brackets, compressed to the zero groups' absence only for ::). */
const fmtEndpoint = (e: Endpoint) => (e.addr.includes(':') ? `[${ANY.has(e.addr) ? '::' : e.addr}]:${e.port}` : `${e.addr}:${e.port}`);

/**
 * Live worker/cache processes whose master is gone, for every watched comm, that
 * hold a listening socket, split into those of the watched nginx and the rest.
 * Of the watched nginx: started by the master a trusted pid file names (their
 * session or process group is its pid), or listening where the config probes
 * (neededEndpoints: a new master would fail to bind there). The rest — another
 * nginx instance on other ports whose master died, still serving — never block
 * the restart and are never signalled. The process probe's results say when it
 * already read all of /proc and found none (metrics.orphans 0): then there is
 * nothing to scan again.
 */
export function findOrphans(cfg: Config, results: ProbeResult[] = []): FoundOrphans {
  const proc = results.filter((r) => r.kind === 'process');
  if (proc.length && proc.every((r) => r.metrics?.orphans === 0)) return { blocking: [], others: [] };
  // only those holding a listening socket keep a new master from binding (and are ever signalled)
  const holding = watchedComms(cfg).flatMap((c) => splitOrphans(scanNginx(c).orphans).holding);
  if (!holding.length) return { blocking: [], others: [] };
  const masters = new Set<number>();
  for (const p of cfg.probes) {
    if (p.type !== 'process' || typeof p.pidfile !== 'string') continue;
    for (const f of [p.pidfile, `${p.pidfile}.oldbin`]) {
      const pid = trustedPidfilePid(f);
      if (pid !== undefined) masters.add(pid);
    }
  }
  const needed = neededEndpoints(cfg);
  const blocking: NginxProcess[] = [];
  const others: NginxProcess[] = [];
  for (const o of holding) {
    const ours = masters.has(o.session) || masters.has(o.pgrp)
      // descriptors unreadable (no CAP_SYS_PTRACE, as in the agent's unit): where it listens is unknown; another
      // nginx's only when the watched master is known (a trusted pid file) and did not start it
      || (o.listens === undefined && masters.size === 0)
      || !!o.listens?.some((l) => needed.some((n) => conflicts(l, n)));
    (ours ? blocking : others).push(o);
  }
  const where = [...new Set(others.flatMap((o) => (o.listens ?? []).map(fmtEndpoint)))].join(', ');
  const note = others.length
    ? `left alone: ${describeOrphans(others)} ${holdVerb(others)} listening sockets of another nginx${where ? ` (${where})` : ''}: not an address this config probes, and not started by the master its pid file names`
    : undefined;
  return { blocking, others, ...(note && { note }) };
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
