// memory: system available % (MemAvailable/MemTotal, what the kernel estimates
// can be allocated without swapping) and nginx's resident memory summed over
// master + workers. Levels, not rates: no window needed, but `for: N` applies.
import { readFileSync } from 'node:fs';
import * as v from 'valibot';
import { comm, fmtBytes, path, percent, severity, size, probeName } from '../config/units.js';
import { watchedBy } from './process.js';
import { readRssBytes } from '../sys/proc.js';
import { describeIgnored, watchedProcesses } from '../sys/nginx-procs.js';
import { settle, windowKeys, type WindowConfig } from './window.js';
import type { Check, Prober } from './types.js';

export const schema = v.strictObject({
  type: v.literal('memory'),
  name: probeName,
  severity,
  /** fail when available memory falls below this % of total */
  available_min: v.optional(percent()),
  /** fail when nginx's processes together hold more resident memory than this ("2GiB") */
  nginx_rss_max: v.optional(size()),
  /** count the master this pid file names and its processes only (default: the process probe's pidfile for the same comm) */
  pidfile: v.optional(path('pid file')),
  process: comm,
  ...windowKeys,
});
export type MemoryConfig = v.InferOutput<typeof schema> & WindowConfig;

export function parseMeminfo(text: string): { totalBytes: number; availableBytes: number } {
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN) * 1024;
  return { totalBytes: kb('MemTotal'), availableBytes: kb('MemAvailable') };
}

export const prober: Prober<MemoryConfig> = {
  schema: schema as never,
  async run(cfg, ctx) {
    const t0 = performance.now();
    const m = parseMeminfo(readFileSync('/proc/meminfo', 'latin1'));
    const avail = Math.round((1000 * m.availableBytes) / m.totalBytes) / 10;
    const metrics: Record<string, number> = { available_pct: avail, available_bytes: m.availableBytes };
    const thresholds: Record<string, number> = {};
    const checks: Check[] = [];
    const sysBad = cfg.available_min !== undefined && avail < cfg.available_min ? `available ${avail}% < ${cfg.available_min}%` : undefined;
    if (cfg.available_min !== undefined) thresholds.available_pct = cfg.available_min;
    checks.push({
      target: 'system', ok: !sysBad, value: `${avail}% available (${fmtBytes(m.availableBytes)} of ${fmtBytes(m.totalBytes)})`,
      expect: cfg.available_min !== undefined ? `>= ${cfg.available_min}% available` : 'measure only', durationMs: performance.now() - t0, reason: sysBad,
    });
    if (cfg.nginx_rss_max !== undefined) {
      // only the watched nginx's processes (the process probe's trust rule): another user's process named nginx is not ours to count
      const { procs, ignored: ig } = watchedProcesses(cfg.process, undefined, undefined, watchedBy(cfg.pidfile, cfg.process));
      const ignored = describeIgnored(cfg.process, ig);
      const rss = procs.reduce((sum, p) => sum + (readRssBytes(p.pid) ?? 0), 0);
      metrics.nginx_rss_bytes = rss;
      metrics.nginx_processes = procs.length;
      thresholds.nginx_rss_bytes = cfg.nginx_rss_max;
      const bad = rss > cfg.nginx_rss_max ? `nginx RSS ${fmtBytes(rss)} > ${fmtBytes(cfg.nginx_rss_max)}` : undefined;
      checks.push({ target: `comm=${cfg.process}`, ok: !bad, value: `RSS ${fmtBytes(rss)}, ${procs.length} processes${ignored ? `; ${ignored}` : ''}`, expect: `<= ${fmtBytes(cfg.nginx_rss_max)}`, durationMs: performance.now() - t0, reason: bad });
    }
    const st = settle(ctx, ctx.name ?? 'memory', cfg, checks);
    metrics.breach_streak = st.count;
    return { ok: st.ok, checks, summary: st.breach ?? checks.map((c) => c.value).join(', '), metrics, thresholds };
  },
  targets: (cfg) => ['system', ...(cfg.nginx_rss_max !== undefined ? [`comm=${cfg.process}`] : [])],
  unmeasured: (cfg) => ({ available_pct: NaN, available_bytes: NaN, ...(cfg.nginx_rss_max !== undefined && { nginx_rss_bytes: NaN, nginx_processes: NaN }), breach_streak: NaN }),
};
