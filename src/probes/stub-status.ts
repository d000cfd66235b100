// stub_status: nginx's ngx_http_stub_status_module page. Connection counts
// (active/reading/writing/waiting) against limits, and connections accepted
// but not handled over the window (nginx hit worker_connections or a limit).
import * as v from 'valibot';
import { intRange, severity, probeName } from '../config/units.js';
import { sampleWindow, settle, windowKeys, type WindowConfig } from './window.js';
import { remainingMs, type Check, type ProbeContext, type Prober } from './types.js';
import { printable, request } from '../sys/http1.js';
import { HeaderMap } from '../sys/header-map.js';
import { redactUrl } from '../output/redact.js';
import { clientCertProblem, headers, httpUrl, requestEvidence, tlsKeys } from './http-config.js';

const count = (what: string) => v.optional(intRange(0, 100_000_000, what));

const keys = v.strictObject({
  type: v.literal('stub_status'),
  name: probeName,
  severity,
  /** the stub_status page; user:password@ in it is sent as Basic authorization */
  url: httpUrl,
  headers,
  ...tlsKeys,
  active_max: count('active_max'),
  reading_max: count('reading_max'),
  writing_max: count('writing_max'),
  waiting_max: count('waiting_max'),
  /** connections accepted but not handled during the window */
  dropped_max: count('dropped_max'),
  ...windowKeys,
});

export const schema = v.pipe(
  keys,
  v.rawCheck(({ dataset, addIssue }) => {
    const bad = dataset.typed ? clientCertProblem(dataset.value) : undefined;
    const key = dataset.typed && dataset.value.client_cert === undefined ? 'client_key' : 'client_cert';
    if (bad) addIssue({ message: bad, path: [{ type: 'object', origin: 'value', input: dataset.value as never, key, value: (dataset.value as Record<string, unknown>)[key] }] });
  }),
);
export type StubStatusConfig = v.InferOutput<typeof keys> & WindowConfig;

export interface StubStatus { active: number; accepts: number; handled: number; requests: number; reading: number; writing: number; waiting: number }

export function parseStubStatus(text: string): StubStatus | undefined {
  const m = /Active connections:\s*(\d+)\s+server accepts handled requests\s+(\d+)\s+(\d+)\s+(\d+)\s+Reading:\s*(\d+)\s+Writing:\s*(\d+)\s+Waiting:\s*(\d+)/.exec(text);
  if (!m) return undefined;
  const [active, accepts, handled, requests, reading, writing, waiting] = m.slice(1).map(Number);
  return { active, accepts, handled, requests, reading, writing, waiting };
}

/** Request headers per probe entry, made once: the object keys src/sys/http1.ts's prepared request (a new one each cycle re-parsed the URL and re-built the request). */
const headersOf = new WeakMap<StubStatusConfig, HeaderMap>();

/** One GET bounded by the deadline, over the http probe's HTTP/1.1 (src/sys/http1.ts). */
async function fetchStatus(cfg: StubStatusConfig, ctx: ProbeContext): Promise<StubStatus> {
  let headers = headersOf.get(cfg);
  if (!headers) headersOf.set(cfg, (headers = HeaderMap.from(cfg.headers)));
  const a = await request({
    url: cfg.url, method: 'GET', headers, tlsVerify: cfg.tls_verify, caFile: cfg.ca_file,
    clientCert: cfg.client_cert, clientKey: cfg.client_key, sni: cfg.sni,
    wantBody: true, timeoutMs: Math.max(1, remainingMs(ctx)), signal: ctx.signal,
  });
  if (!a.ok) throw Object.assign(new Error(a.timedOut ? 'no answer before the deadline' : a.reason), { value: a.value, timedOut: a.timedOut });
  if (a.reply.status !== 200) throw new Error(`status ${a.reply.status}`);
  const s = parseStubStatus(a.reply.body);
  if (!s) throw new Error('not a stub_status page');
  return s;
}

/** An abort with more than this left of the deadline was not the deadline's (timers fire up to ~1 ms early). */
const CUT_SHORT_MS = 5;

/** The metrics' keys with nothing measured (NaN), so a failed fetch keeps every series. */
function unmeasured(cfg: StubStatusConfig): Record<string, number> {
  return { active: NaN, reading: NaN, writing: NaN, waiting: NaN, requests: NaN, ...(cfg.dropped_max !== undefined && { dropped: NaN }), breach_streak: NaN };
}

export const prober: Prober<StubStatusConfig> = {
  schema: schema as never,
  async run(cfg, ctx) {
    const t0 = performance.now();
    const left = remainingMs(ctx);
    const key = ctx.name ?? 'stub_status';
    const target = printable(redactUrl(cfg.url), Infinity); // a CR/LF or escape in the configured URL shown as \xHH
    let cur: StubStatus;
    let dropped: number | undefined;
    let windowMs: number | undefined;
    try {
      if (cfg.dropped_max === undefined) cur = await fetchStatus(cfg, ctx);
      else {
        const w = await sampleWindow(ctx, key, cfg, () => fetchStatus(cfg, ctx), (x) => [x.accepts, x.handled, x.requests]);
        if (!w) throw new Error('no window: deadline too close');
        cur = w.cur;
        windowMs = w.windowMs;
        // counters restart with nginx: a negative delta is a restart, not a drop
        dropped = Math.max(0, (w.cur.accepts - w.cur.handled) - (w.prev.accepts - w.prev.handled));
      }
    } catch (e) {
      // a failed request carries what was measured ("ECONNREFUSED", "no answer") as `value`
      const err = e as Error & { value?: string; timedOut?: boolean };
      const timedOut = ctx.signal.aborted || err.timedOut === true;
      const reason = printable(err.message, 1000);
      const check: Check = { target, ok: false, value: err.value ?? 'error', expect: 'stub_status page', reason, durationMs: performance.now() - t0, timedOut, ...(timedOut && { startedWithMs: Math.round(left) }) };
      // nobody listens at a local address: a fact, as the http probe's
      if (requestEvidence(err.value, cfg.url) === 'definitive') check.evidence = 'definitive';
      // cut short well before the deadline (another probe decided the run; the runner reports this one as
      // not waited for): nothing measured, the streak stays. The deadline's own abort may fire a moment early.
      if (ctx.signal.aborted && remainingMs(ctx) > CUT_SHORT_MS) return { ok: false, summary: `${target}: ${reason}`, timedOut, checks: [check] };
      // no answer before the deadline: unhealthy whatever `for` (contract: a deadline exceeded counts as unhealthy)
      if (timedOut) return { ok: false, summary: `${target}: ${reason}`, timedOut, checks: [check], metrics: unmeasured(cfg) };
      // an answer that is not a stub_status page (a reset, an error status) is a breach like a limit's:
      // `for: N` counts it (a definitive one, a refused local URL, is critical at once)
      const st = settle(ctx, key, cfg, [check]);
      return { ok: st.ok, summary: `${target}: ${st.breach ?? reason}`, timedOut, checks: [check], metrics: { ...unmeasured(cfg), breach_streak: st.count } };
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
    const checks: Check[] = [{ target, ok: bad.length === 0, value, expect, reason: bad.join(', ') || undefined, durationMs: performance.now() - t0 }];
    const st = settle(ctx, key, cfg, checks);
    metrics.breach_streak = st.count;
    return { ok: st.ok, checks, summary: st.breach ?? value, metrics, thresholds };
  },
  targets: (cfg) => [printable(redactUrl(cfg.url), Infinity)],
  unmeasured,
};
