// stub_status: nginx's ngx_http_stub_status_module page. Connection counts
// (active/reading/writing/waiting) against limits, and connections accepted
// but not handled over the window (nginx hit worker_connections or a limit).
import * as v from 'valibot';
import { intRange, severity } from '../config/units.js';
import { sampleWindow, settle, windowKeys, type WindowConfig } from './window.js';
import { remainingMs, type Check, type ProbeContext, type Prober } from './types.js';

const count = (what: string) => v.optional(intRange(0, 100_000_000, what));

export const schema = v.strictObject({
  type: v.literal('stub_status'),
  name: v.optional(v.string()),
  severity,
  url: v.pipe(v.string(), v.check((s) => /^https?:\/\/[^/]/.test(s), (i) => `bad URL "${i.input}": expected http://… or https://…`)),
  headers: v.optional(v.record(v.string(), v.string()), {}),
  tls_verify: v.optional(v.boolean(), true),
  active_max: count('active_max'),
  reading_max: count('reading_max'),
  writing_max: count('writing_max'),
  waiting_max: count('waiting_max'),
  /** connections accepted but not handled during the window */
  dropped_max: count('dropped_max'),
  ...windowKeys,
});
export type StubStatusConfig = v.InferOutput<typeof schema> & WindowConfig;

export interface StubStatus { active: number; accepts: number; handled: number; requests: number; reading: number; writing: number; waiting: number }

export function parseStubStatus(text: string): StubStatus | undefined {
  const m = /Active connections:\s*(\d+)\s+server accepts handled requests\s+(\d+)\s+(\d+)\s+(\d+)\s+Reading:\s*(\d+)\s+Writing:\s*(\d+)\s+Waiting:\s*(\d+)/.exec(text);
  if (!m) return undefined;
  const [active, accepts, handled, requests, reading, writing, waiting] = m.slice(1).map(Number);
  return { active, accepts, handled, requests, reading, writing, waiting };
}

/** One GET bounded by the deadline; node:http, not undici: one small page needs no more. */
function fetchStatus(cfg: StubStatusConfig, ctx: ProbeContext): Promise<StubStatus> {
  return new Promise((resolve, reject) => {
    const u = new URL(cfg.url);
    // node:https (TLS) costs ~14 ms of start-up: loaded only when this probe runs.
    const { request } = process.getBuiltinModule(u.protocol === 'https:' ? 'node:https' : 'node:http') as typeof import('node:https');
    const req = request(u, {
      headers: cfg.headers, signal: ctx.signal, timeout: remainingMs(ctx), rejectUnauthorized: cfg.tls_verify, agent: false,
    }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (c: string) => { if (body.length < 4096) body += c; });
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
        const s = parseStubStatus(body);
        return s ? resolve(s) : reject(new Error('not a stub_status page'));
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer before the deadline')));
    req.on('error', (e: NodeJS.ErrnoException) => reject(ctx.signal.aborted ? new Error('no answer before the deadline') : e));
    req.end();
  });
}

export const prober: Prober<StubStatusConfig> = {
  schema: schema as never,
  async run(cfg, ctx) {
    const t0 = performance.now();
    const key = ctx.name ?? 'stub_status';
    let cur: StubStatus;
    let dropped: number | undefined;
    let windowMs: number | undefined;
    try {
      if (cfg.dropped_max === undefined) cur = await fetchStatus(cfg, ctx);
      else {
        const w = await sampleWindow(ctx, key, cfg, () => fetchStatus(cfg, ctx));
        if (!w) throw new Error('no window: deadline too close');
        cur = w.cur;
        windowMs = w.windowMs;
        // counters restart with nginx: a negative delta is a restart, not a drop
        dropped = Math.max(0, (w.cur.accepts - w.cur.handled) - (w.prev.accepts - w.prev.handled));
      }
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const reason = `${err.code ? err.code + ': ' : ''}${err.message}`;
      return { ok: false, summary: `${cfg.url}: ${reason}`, timedOut: ctx.signal.aborted, checks: [{ target: cfg.url, ok: false, value: ctx.signal.aborted ? 'no answer' : err.code ?? 'error', expect: 'stub_status page', reason, durationMs: performance.now() - t0, timedOut: ctx.signal.aborted }] };
    }
    const metrics: Record<string, number> = { active: cur.active, reading: cur.reading, writing: cur.writing, waiting: cur.waiting, requests: cur.requests };
    const thresholds: Record<string, number> = {};
    const bad: string[] = [];
    const limits: [keyof StubStatus, number | undefined][] = [['active', cfg.active_max], ['reading', cfg.reading_max], ['writing', cfg.writing_max], ['waiting', cfg.waiting_max]];
    for (const [k, max] of limits) {
      if (max === undefined) continue;
      thresholds[k] = max;
      if (cur[k] > max) bad.push(`${k} ${cur[k]} > ${max}`);
    }
    if (dropped !== undefined) {
      metrics.dropped = dropped;
      thresholds.dropped = cfg.dropped_max!;
      if (dropped > cfg.dropped_max!) bad.push(`${dropped} connections dropped in ${(windowMs! / 1000).toFixed(1)}s > ${cfg.dropped_max}`);
    }
    const expect = [...limits.filter(([, m]) => m !== undefined).map(([k, m]) => `${k} <= ${m}`), ...(cfg.dropped_max !== undefined ? [`dropped <= ${cfg.dropped_max}`] : [])].join(', ') || 'stub_status page';
    const value = `active ${cur.active}, reading ${cur.reading}, writing ${cur.writing}, waiting ${cur.waiting}${dropped !== undefined ? `, dropped ${dropped}` : ''}`;
    const checks: Check[] = [{ target: cfg.url, ok: bad.length === 0, value, expect, reason: bad.join(', ') || undefined, durationMs: performance.now() - t0 }];
    const st = settle(ctx, key, cfg, checks);
    metrics.breach_streak = st.count;
    return { ok: st.ok, checks, summary: st.breach ?? value, metrics, thresholds };
  },
};
