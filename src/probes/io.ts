// io: disk read/write rates from /proc/diskstats (whole disks) and nginx's own
// storage I/O from /proc/<pid>/io, over a real window (see window.ts).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as v from 'valibot';
import { comm, fmtBytes, path, severity, size, probeName } from '../config/units.js';
import { watchedBy } from './process.js';
import { describeIgnored, watchedProcesses } from '../sys/nginx-procs.js';
import { noWindow, sampleWindow, settle, windowKeys, windowNote, type WindowConfig } from './window.js';
import type { Check, Prober } from './types.js';

export const schema = v.strictObject({
  type: v.literal('io'),
  name: probeName,
  severity,
  /** fail when the disks together read / write more than this per second ("200MiB/s") */
  read_max: v.optional(size({ perSecond: true })),
  write_max: v.optional(size({ perSecond: true })),
  /** same for nginx's own processes (/proc/<pid>/io; needs root with CAP_SYS_PTRACE (the agent's unit leaves it out), or nginx's user) */
  nginx_read_max: v.optional(size({ perSecond: true })),
  nginx_write_max: v.optional(size({ perSecond: true })),
  /** block devices to sum (names in /sys/block); default: every physical disk */
  devices: v.optional(v.pipe(v.array(v.pipe(v.string(), v.regex(/^[\w.-]+$/, 'a device is a name such as sda or nvme0n1'))), v.minLength(1))),
  /** count the master this pid file names and its processes only (default: the process probe's pidfile for the same comm) */
  pidfile: v.optional(path('pid file')),
  process: comm,
  ...windowKeys,
});
export type IoConfig = v.InferOutput<typeof schema> & WindowConfig;

interface IoSample {
  /** bytes read, written by the chosen disks */
  disk: [number, number];
  /** [pid, start ticks, read_bytes, write_bytes]; undefined entries could not be read */
  nginx?: [number, number, number, number][];
  unreadable?: number;
  /** what watchedProcesses left out, said in the value */
  ignored?: string;
}

const SECTOR = 512; // /proc/diskstats counts 512-byte sectors whatever the device's own size

/** Whole physical disks: loop, ram, zram and device-mapper/md layers would count bytes twice. */
function physicalDisks(): string[] {
  try {
    return readdirSync('/sys/block').filter((d) => existsSync(`/sys/block/${d}/device`));
  } catch {
    return [];
  }
}

export function parseDiskstats(text: string, devices: Set<string>): [number, number] {
  let read = 0;
  let written = 0;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !devices.has(f[2])) continue;
    read += Number(f[5]) * SECTOR;
    written += Number(f[9]) * SECTOR;
  }
  return [read, written];
}

function procIo(pid: number): [number, number] | undefined {
  try {
    const t = readFileSync(`/proc/${pid}/io`, 'latin1');
    return [Number(/^read_bytes:\s+(\d+)/m.exec(t)?.[1] ?? 0), Number(/^write_bytes:\s+(\d+)/m.exec(t)?.[1] ?? 0)];
  } catch {
    return undefined;
  }
}

function read(cfg: IoConfig, devices: Set<string>): IoSample {
  const disk = parseDiskstats(readFileSync('/proc/diskstats', 'latin1'), devices);
  if (cfg.nginx_read_max === undefined && cfg.nginx_write_max === undefined) return { disk };
  const nginx: IoSample['nginx'] = [];
  let unreadable = 0;
  // only the watched nginx's processes (the process probe's trust rule): another user's process named nginx is not ours to count
  const w = watchedProcesses(cfg.process, undefined, undefined, watchedBy(cfg.pidfile, cfg.process));
  const ignored = describeIgnored(cfg.process, w.ignored);
  for (const p of w.procs) {
    const io = procIo(p.pid);
    if (io) nginx.push([p.pid, p.startTicks, io[0], io[1]]);
    else unreadable++;
  }
  return { disk, nginx, unreadable, ...(ignored && { ignored }) };
}

const rate = (n: number) => `${fmtBytes(Math.round(n))}/s`;

const nginxWatched = (cfg: IoConfig) => cfg.nginx_read_max !== undefined || cfg.nginx_write_max !== undefined;

/** Its facts when nothing was measured (not waited for, no window): NaN, the same keys as a measured run. */
function unmeasured(cfg: IoConfig): Record<string, number> {
  return { read_bps: NaN, write_bps: NaN, window_ms: NaN, ...(nginxWatched(cfg) && { nginx_read_bps: NaN, nginx_write_bps: NaN, nginx_processes: NaN }), breach_streak: NaN };
}

export const prober: Prober<IoConfig> = {
  schema: schema as never,
  async run(cfg, ctx) {
    const t0 = performance.now();
    const devices = new Set(cfg.devices ?? physicalDisks());
    const key = ctx.name ?? 'io';
    const w = await sampleWindow(ctx, key, cfg, () => read(cfg, devices), (x) => x.disk);
    if (!w) return { ...noWindow('IO', t0), metrics: unmeasured(cfg) };
    const secs = w.windowMs / 1000;
    const rd = Math.max(0, w.cur.disk[0] - w.prev.disk[0]) / secs;
    const wr = Math.max(0, w.cur.disk[1] - w.prev.disk[1]) / secs;
    const metrics: Record<string, number> = { read_bps: Math.round(rd), write_bps: Math.round(wr), window_ms: w.windowMs };
    const thresholds: Record<string, number> = {};
    const windowText = `over ${secs.toFixed(1)}s${windowNote(w)}`;
    const checks: Check[] = [];
    const limit = (metric: string, value: number, max: number | undefined, what: string, bad: string[]) => {
      if (max === undefined) return;
      thresholds[metric] = max;
      if (value > max) bad.push(`${what} ${rate(value)} > ${rate(max)}`);
    };
    const expect = (r?: number, wmax?: number) => [r !== undefined && `read <= ${rate(r)}`, wmax !== undefined && `write <= ${rate(wmax)}`].filter(Boolean).join(', ') || 'measure only';

    const diskBad: string[] = [];
    limit('read_bps', rd, cfg.read_max, 'disk read', diskBad);
    limit('write_bps', wr, cfg.write_max, 'disk write', diskBad);
    // the target is what was configured (the devices found are measured: in the value)
    checks.push({ target: cfg.devices ? cfg.devices.join(',') : 'system', ok: diskBad.length === 0, value: `read ${rate(rd)}, write ${rate(wr)} on ${[...devices].join(',') || 'no disks'} ${windowText}`, expect: expect(cfg.read_max, cfg.write_max), durationMs: performance.now() - t0, reason: diskBad.join(', ') || undefined });

    if (w.cur.nginx && w.prev.nginx) {
      const before = new Map(w.prev.nginx.map(([pid, start, r, wb]) => [`${pid}:${start}`, [r, wb]]));
      let nr = 0;
      let nw = 0;
      for (const [pid, start, r, wb] of w.cur.nginx) {
        const b = before.get(`${pid}:${start}`);
        if (b) { nr += Math.max(0, r - b[0]); nw += Math.max(0, wb - b[1]); }
      }
      const [nrs, nws] = [nr / secs, nw / secs];
      metrics.nginx_read_bps = Math.round(nrs);
      metrics.nginx_write_bps = Math.round(nws);
      metrics.nginx_processes = w.cur.nginx.length;
      const bad: string[] = [];
      limit('nginx_read_bps', nrs, cfg.nginx_read_max, 'nginx read', bad);
      limit('nginx_write_bps', nws, cfg.nginx_write_max, 'nginx write', bad);
      const warnings = w.cur.unreadable ? [`cannot read /proc/<pid>/io of ${w.cur.unreadable} ${cfg.process} processes (needs root with CAP_SYS_PTRACE, or nginx's user)`] : undefined;
      checks.push({ target: `comm=${cfg.process}`, ok: bad.length === 0, value: `read ${rate(nrs)}, write ${rate(nws)}, ${w.cur.nginx.length} processes ${windowText}${w.cur.ignored ? `; ${w.cur.ignored}` : ''}`, expect: expect(cfg.nginx_read_max, cfg.nginx_write_max), durationMs: performance.now() - t0, reason: bad.join(', ') || undefined, warnings });
    }
    const st = settle(ctx, key, cfg, checks);
    metrics.breach_streak = st.count;
    return { ok: st.ok, checks, summary: st.breach ?? checks.map((c) => c.value).join('; '), metrics, thresholds };
  },
  targets: (cfg) => [cfg.devices ? cfg.devices.join(',') : 'system', ...(nginxWatched(cfg) ? [`comm=${cfg.process}`] : [])],
  unmeasured: (cfg) => unmeasured(cfg),
};
