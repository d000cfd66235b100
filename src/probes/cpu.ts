// cpu: system busy % and iowait % from /proc/stat, and nginx's own CPU %
// (master + workers) from /proc/<pid>/stat, as rates over a real window.
// Read directly rather than through systeminformation or pidusage: both keep
// their previous sample only in memory (useless across one-shot runs), and
// they shell out per call (`cat /proc/stat | grep cpu`, `getconf CLK_TCK`).
import { readFileSync } from 'node:fs';
import * as v from 'valibot';
import { comm, path, percent, severity, probeName } from '../config/units.js';
import { watchedBy } from './process.js';
import { TICKS_PER_SECOND } from '../sys/proc.js';
import { describeIgnored, watchedProcesses } from '../sys/nginx-procs.js';
import { noWindow, sampleWindow, settle, windowKeys, windowNote, type WindowConfig } from './window.js';
import type { Check, Prober } from './types.js';

export const schema = v.strictObject({
  type: v.literal('cpu'),
  name: probeName,
  severity,
  /** fail when system CPU busy % (user+nice+system+irq+softirq) exceeds it */
  busy_max: v.optional(percent()),
  /** fail when CPU iowait % exceeds it */
  iowait_max: v.optional(percent()),
  /** fail when nginx's processes together use more than this % of one core (200 = two cores) */
  nginx_max: v.optional(v.pipe(v.number('expected a percentage of one core'), v.minValue(0, 'nginx_max must be >= 0'), v.maxValue(100_000, 'nginx_max must be <= 100000'))),
  /** kernel comm of nginx's processes */
  /** count the master this pid file names and its processes only (default: the process probe's pidfile for the same comm) */
  pidfile: v.optional(path('pid file')),
  process: comm,
  ...windowKeys,
});
export type CpuConfig = v.InferOutput<typeof schema> & WindowConfig;

interface CpuSample {
  /** jiffies: [busy, iowait, idle, steal] summed over all CPUs */
  sys: [number, number, number, number];
  /** [pid, start ticks, utime+stime ticks] per nginx process, when asked for */
  nginx?: [number, number, number][];
  /** what watchedProcesses left out, said in the value */
  ignored?: string;
}

/** The aggregate "cpu " line: user nice system idle iowait irq softirq steal … */
export function parseProcStat(text: string): CpuSample['sys'] {
  const line = text.slice(0, text.indexOf('\n'));
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  return [user + nice + system + irq + softirq, iowait, idle, steal];
}

function read(cfg: CpuConfig): CpuSample {
  const sys = parseProcStat(readFileSync('/proc/stat', 'latin1'));
  if (cfg.nginx_max === undefined) return { sys };
  // only the watched nginx's processes (the process probe's trust rule): another user's process named nginx is not ours to count
  const w = watchedProcesses(cfg.process, undefined, undefined, watchedBy(cfg.pidfile, cfg.process));
  const ignored = describeIgnored(cfg.process, w.ignored);
  return { sys, nginx: w.procs.map((p) => [p.pid, p.startTicks, p.utimeTicks + p.stimeTicks]), ...(ignored && { ignored }) };
}

const pct = (part: number, total: number) => (total > 0 ? (100 * part) / total : 0);
const r1 = (n: number) => Math.round(n * 10) / 10;

/** Its facts when nothing was measured (not waited for, no window): NaN, the same keys as a measured run. */
function unmeasured(cfg: CpuConfig): Record<string, number> {
  return { busy_pct: NaN, iowait_pct: NaN, steal_pct: NaN, window_ms: NaN, ...(cfg.nginx_max !== undefined && { nginx_pct: NaN, nginx_processes: NaN }), breach_streak: NaN };
}

export const prober: Prober<CpuConfig> = {
  schema: schema as never,
  async run(cfg, ctx) {
    const t0 = performance.now();
    const key = ctx.name ?? 'cpu';
    const w = await sampleWindow(ctx, key, cfg, () => read(cfg), (x) => x.sys);
    if (!w) return { ...noWindow('CPU', t0), metrics: unmeasured(cfg) };
    const d = w.cur.sys.map((x, i) => x - w.prev.sys[i]);
    const total = d.reduce((a, b) => a + b, 0);
    // counters went back (a reboot with a persistent state dir) or no tick passed
    if (total <= 0 || d.some((x) => x < 0)) return { ...noWindow('CPU', t0), metrics: unmeasured(cfg) };
    const busy = r1(pct(d[0], total));
    const iowait = r1(pct(d[1], total));
    const metrics: Record<string, number> = { busy_pct: busy, iowait_pct: iowait, steal_pct: r1(pct(d[3], total)), window_ms: w.windowMs };
    const thresholds: Record<string, number> = {};
    const windowText = `over ${(w.windowMs / 1000).toFixed(1)}s${windowNote(w)}`;
    const checks: Check[] = [];
    const dt = () => performance.now() - t0;

    const sysBad: string[] = [];
    if (cfg.busy_max !== undefined) { thresholds.busy_pct = cfg.busy_max; if (busy > cfg.busy_max) sysBad.push(`busy ${busy}% > ${cfg.busy_max}%`); }
    if (cfg.iowait_max !== undefined) { thresholds.iowait_pct = cfg.iowait_max; if (iowait > cfg.iowait_max) sysBad.push(`iowait ${iowait}% > ${cfg.iowait_max}%`); }
    const sysExpect = [cfg.busy_max !== undefined && `busy <= ${cfg.busy_max}%`, cfg.iowait_max !== undefined && `iowait <= ${cfg.iowait_max}%`].filter(Boolean).join(', ') || 'measure only';
    checks.push({ target: 'system', ok: sysBad.length === 0, value: `busy ${busy}%, iowait ${iowait}% ${windowText}`, expect: sysExpect, durationMs: dt(), reason: sysBad.join(', ') || undefined });

    if (cfg.nginx_max !== undefined && w.cur.nginx && w.prev.nginx) {
      // Same pid and start time in both samples; a process started inside the
      // window is left out (its ticks before the window are unknown).
      const before = new Map(w.prev.nginx.map(([pid, start, ticks]) => [`${pid}:${start}`, ticks]));
      let ticks = 0;
      for (const [pid, start, t] of w.cur.nginx) {
        const b = before.get(`${pid}:${start}`);
        if (b !== undefined) ticks += Math.max(0, t - b);
      }
      const used = r1(pct(ticks / TICKS_PER_SECOND, w.windowMs / 1000));
      metrics.nginx_pct = used;
      thresholds.nginx_pct = cfg.nginx_max;
      const bad = used > cfg.nginx_max ? `nginx ${used}% > ${cfg.nginx_max}% of one core` : undefined;
      metrics.nginx_processes = w.cur.nginx.length;
      // the target is the configured identity (a label in Prometheus); the count is measured, so it goes in the value
      checks.push({ target: `comm=${cfg.process}`, ok: !bad, value: `${used}% of one core, ${w.cur.nginx.length} processes ${windowText}${w.cur.ignored ? `; ${w.cur.ignored}` : ''}`, expect: `<= ${cfg.nginx_max}%`, durationMs: dt(), reason: bad });
    }

    const st = settle(ctx, key, cfg, checks);
    metrics.breach_streak = st.count;
    const summary = st.breach ?? `busy ${busy}%, iowait ${iowait}%${metrics.nginx_pct !== undefined ? `, nginx ${metrics.nginx_pct}%` : ''} ${windowText}`;
    return { ok: st.ok, checks, summary, metrics, thresholds };
  },
  targets: (cfg) => ['system', ...(cfg.nginx_max !== undefined ? [`comm=${cfg.process}`] : [])],
  unmeasured: (cfg) => unmeasured(cfg),
};
