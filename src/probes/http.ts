// http: several URLs (HTTP/1.1 over node:net/node:tls, src/sys/http1.ts), each
// with its own expectations, and a quorum across them.
import { printable, request } from '../sys/http1.js';
import { HeaderMap } from '../sys/header-map.js';
import { matchBodyAsync } from '../sys/body-match.js';
import * as v from 'valibot';
import { duration, intRange, path, severity, probeName } from '../config/units.js';
import { redactUrl } from '../output/redact.js';
import { clientCertProblem, headers, httpUrl, requestEvidence, tlsKeys } from './http-config.js';
import { listSome, mapLimited, MAX_IN_FLIGHT } from './limit.js';
import { remainingMs, type Check, type ProbeContext, type Prober } from './types.js';

/** "200", 200, "200-399" → [lo, hi] */
const statusSpec = v.pipe(
  v.union([v.number(), v.string()], 'expected a status code or range such as 200 or "200-399"'),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const m = /^(\d{3})(?:-(\d{3}))?$/.exec(String(dataset.value).trim());
    const lo = m ? Number(m[1]) : NaN;
    const hi = m ? Number(m[2] ?? m[1]) : NaN;
    if (!m || lo < 100 || hi > 599 || lo > hi) {
      addIssue({ message: `bad status "${dataset.value}": use a code (200) or range ("200-399") within 100-599` });
      return NEVER;
    }
    return [lo, hi] as [number, number];
  }),
);

const regex = v.pipe(
  v.string(),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    try {
      return new RegExp(dataset.value);
    } catch (e) {
      addIssue({ message: `bad regular expression: ${(e as Error).message}` });
      return NEVER;
    }
  }),
);

/** "Name: value" → [name, value]; "Name" alone → [name, ''] (presence only) */
export function parseHeader(text: string): [string, string] | undefined {
  const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*(?::\s*(.*))?$/.exec(text.trim());
  return m ? [m[1], (m[2] ?? '').trim()] : undefined;
}

const headerLine = v.pipe(
  v.string(),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const h = parseHeader(dataset.value);
    if (!h) {
      addIssue({ message: `bad header "${dataset.value}": use "Name: value"` });
      return NEVER;
    }
    return h;
  }),
);

export const urlSchema = v.strictObject({
  url: httpUrl,
  method: v.optional(v.picklist(['GET', 'HEAD', 'POST', 'PUT', 'OPTIONS', 'DELETE', 'PATCH'], 'method must be GET, HEAD, POST, …'), 'GET'),
  status: v.optional(v.pipe(v.union([statusSpec, v.array(statusSpec)]), v.transform((s) => (s.length === 0 || Array.isArray(s[0]) ? s : [s]) as [number, number][])), '200-399'),
  /** response body must contain this substring */
  body: v.optional(v.string()),
  /** response body must match this regular expression */
  body_regex: v.optional(regex),
  /** response must carry this header ("Name" or "Name: substring") */
  response_header: v.optional(headerLine),
  /** extra request headers, e.g. {Host: api.example.com}; they replace the probe's of the same name (any case) */
  headers,
  ...tlsKeys,
  /** warn when the server certificate expires within this many days (0 = off) */
  cert_expiry_warn_days: v.optional(intRange(0, 3650, 'cert_expiry_warn_days'), 14),
  /** connect over this unix socket instead of TCP */
  socket: v.optional(path('socket path')),
  /** per-URL timeout, capped by the run's deadline */
  timeout: v.optional(duration()),
});

/** Expectations no response can meet, refused at load (file:line, exit 78) instead of failing every run. */
function impossible(u: v.InferOutput<typeof urlSchema>): { key: string; why: string } | undefined {
  const bodyCheck = u.body !== undefined ? 'body' : u.body_regex !== undefined ? 'body_regex' : undefined;
  if (bodyCheck && u.method === 'HEAD') return { key: 'method', why: `method HEAD gets no body, so ${bodyCheck} can never match: use GET` };
  if (u.status.length === 0) return { key: 'status', why: 'an empty list accepts no status at all: give codes or ranges (e.g. [200, "300-399"]), or leave the key out for 200-399' };
  // an empty body or body_regex matches every reply: it checks nothing, and was meant to check something
  if (u.body === '') return { key: 'body', why: 'an empty body matches every reply: give the text to look for, or leave the key out' };
  if (u.body_regex?.source === '(?:)') return { key: 'body_regex', why: 'an empty body_regex matches every reply: give a pattern, or leave the key out' };
  const final = u.status.filter(([lo, hi]) => hi >= 200);
  if (final.length === 0) return { key: 'status', why: 'status 1xx is never final (interim responses are skipped): expect 200-599' };
  // 204 and 304 carry no body (RFC 9110 section 15.3.5, section 15.4.5)
  const noBody = ([lo, hi]: [number, number]) => { const from = Math.max(lo, 200); return (from === 204 || from === 304) && hi === from; };
  if (bodyCheck && final.every(noBody)) {
    return { key: bodyCheck, why: `status ${final.map(([lo]) => lo).join(',')} has no body, so ${bodyCheck} can never match` };
  }
  const tls = clientCertProblem(u);
  if (tls) return { key: u.client_cert === undefined ? 'client_key' : 'client_cert', why: tls };
  return undefined;
}

/** One URL entry with its cross-key checks, each reported at the key it is about. */
const checkedUrl = v.pipe(
  urlSchema,
  v.rawCheck(({ dataset, addIssue }) => {
    const bad = dataset.typed ? impossible(dataset.value) : undefined;
    if (bad) addIssue({ message: bad.why, path: [{ type: 'object', origin: 'value', input: dataset.value as never, key: bad.key, value: (dataset.value as Record<string, unknown>)[bad.key] }] });
  }),
);
export type UrlConfig = v.InferOutput<typeof urlSchema>;

const quorum = v.union([v.picklist(['all', 'any']), intRange(1, 1000, 'quorum')], 'quorum must be "all", "any" or a number');

export const schema = v.pipe(
  v.strictObject({
    type: v.literal('http'),
    name: probeName,
    severity,
    quorum: v.optional(quorum, 'all'),
    /** request headers sent with every URL of this probe */
    headers,
    urls: v.pipe(
      v.array(v.union([v.pipe(httpUrl, v.transform((url) => v.parse(urlSchema, { url }))), checkedUrl], 'each url is a URL string or a {url: …} map')),
      v.minLength(1, 'http probe needs at least one url'),
    ),
  }),
  v.forward(v.check((c) => typeof c.quorum !== 'number' || c.quorum <= c.urls.length, (i) => `quorum ${(i.input as { quorum: number }).quorum} is larger than the number of urls (${(i.input as { urls: unknown[] }).urls.length})`), ['quorum']),
);
export type HttpConfig = v.InferOutput<typeof schema>;

const statusText = (u: UrlConfig) => u.status.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(',');

function describeExpect(u: UrlConfig): string {
  const parts = [`status ${statusText(u)}`];
  if (u.body !== undefined) parts.push(`body ∋ "${u.body}"`);
  if (u.body_regex) parts.push(`body ~ ${u.body_regex}`);
  if (u.response_header) parts.push(`header ${u.response_header[0]}${u.response_header[1] ? `: ${u.response_header[1]}` : ''}`);
  return parts.join(', ');
}

/** A URL's target text: the URL with its userinfo masked, and the unix socket it is sent over. */
const urlTarget = (u: UrlConfig) => printable(u.socket ? `${redactUrl(u.url)} via ${u.socket}` : redactUrl(u.url), Infinity); // control characters of the config (a CR/LF) as \xHH

/** Per URL entry, made once (the agent probes the same entries every cycle): its headers object keys src/sys/http1.ts's prepared request. */
const perUrl = new WeakMap<UrlConfig, { headers: HeaderMap; expect: string; target: string }>();

/** One URL: the request (src/sys/http1.ts), then its expectations. Request headers: the probe's, then the URL's (any spelling replaces). */
async function probeUrl(u: UrlConfig, shared: Record<string, string>, ctx: ProbeContext): Promise<Check> {
  const t0 = performance.now();
  let pre = perUrl.get(u);
  // a URL entry belongs to one probe entry of one config: its shared headers never change under it
  if (!pre) perUrl.set(u, (pre = { headers: HeaderMap.from(shared, u.headers), expect: describeExpect(u), target: urlTarget(u) }));
  const { target, expect } = pre;
  const warnings: string[] = [];
  // a reason can quote the server (a TLS error names its certificate's altnames): no control character gets out
  const done = (ok: boolean, value: string, reason?: string, timedOut = false): Check => ({
    target, ok, value, expect, reason: reason === undefined ? undefined : printable(reason, 1000), timedOut, warnings: warnings.length ? warnings : undefined, durationMs: performance.now() - t0,
  });
  const left = remainingMs(ctx);
  const a = await request({
    url: u.url, method: u.method, headers: pre.headers, tlsVerify: u.tls_verify, caFile: u.ca_file,
    clientCert: u.client_cert, clientKey: u.client_key, sni: u.sni, socket: u.socket,
    wantBody: u.body !== undefined || u.body_regex !== undefined,
    timeoutMs: Math.max(1, Math.min(left, u.timeout ?? Infinity)), signal: ctx.signal,
    // the run's signal aborts at its deadline: a timer is needed only for a shorter per-URL timeout
    signalIsTimeout: u.timeout === undefined || u.timeout >= left,
  });
  if (!a.ok) {
    const c = done(false, a.value, a.reason, a.timedOut);
    if (a.timedOut) c.startedWithMs = Math.round(left);
    // nobody listens at a local address or a unix socket: a fact, as the port probe's
    if (requestEvidence(a.value, u.url, u.socket) === 'definitive') c.evidence = 'definitive';
    return c;
  }
  const res = a.reply;
  const value = `${res.status} in ${(performance.now() - t0).toFixed(1)} ms`;
  if (a.cert?.valid_to && u.cert_expiry_warn_days > 0) {
    const days = (Date.parse(a.cert.valid_to) - Date.now()) / 86_400_000;
    if (days < u.cert_expiry_warn_days) warnings.push(days < 0 ? `certificate expired ${Math.ceil(-days)} days ago` : `certificate expires in ${Math.floor(days)} days`);
  }
  if (!u.status.some(([lo, hi]) => res.status >= lo && res.status <= hi)) return done(false, value, `status ${res.status}, expected ${statusText(u)}`);
  if (u.body !== undefined && !res.body.includes(u.body)) return done(false, value, `body does not contain "${u.body}"`);
  if (u.body_regex) {
    const m = await matchBodyAsync(u.body_regex, res.body, remainingMs(ctx), ctx.signal);
    if ('timedOut' in m) return done(false, value, `body_regex ${u.body_regex} did not finish before the deadline (${m.engine} engine, ${res.body.length} characters)`, true);
    if (!m.matched) return done(false, value, `body does not match ${u.body_regex}`);
  }
  if (u.response_header) {
    const [name, want] = u.response_header;
    const text = res.headers.get(name);
    if (text === undefined) return done(false, value, `response lacks header ${name}`);
    if (want && !text.includes(want)) return done(false, value, `header ${name}: "${printable(text)}" does not contain "${want}"`);
  }
  return done(true, value);
}

function needed(q: HttpConfig['quorum'], n: number): number {
  return q === 'all' ? n : q === 'any' ? 1 : q;
}

export const prober: Prober<HttpConfig> = {
  schema,
  async run(cfg, ctx) {
    const checks = await mapLimited(cfg.urls, ctx, (u) => probeUrl(u, cfg.headers, ctx), (u, ahead): Check => ({
      target: urlTarget(u), ok: false, value: 'no answer', expect: describeExpect(u), timedOut: true, durationMs: 0,
      reason: `not started before the deadline (${ahead} URLs ahead of it, at most ${MAX_IN_FLIGHT} at a time)`,
    }));
    const passed = checks.filter((c) => c.ok).length;
    const need = needed(cfg.quorum, checks.length);
    const ok = passed >= need;
    const failed = checks.filter((c) => !c.ok);
    // Definitive only when the definitive failures alone break the quorum: with quorum 1 of 2, a
    // refused local URL beside a slow remote one is still a matter of the slow one.
    if (!ok && failed.filter((c) => c.evidence === 'definitive').length <= checks.length - need) {
      for (const c of failed) if (c.evidence === 'definitive') c.evidence = 'ambiguous';
    }
    const summary = `${passed}/${checks.length} URLs ok, quorum ${cfg.quorum === 'all' || cfg.quorum === 'any' ? `${cfg.quorum} (${need})` : need}` +
      (failed.length ? `; failing: ${listSome(failed.map((c) => `${c.target} (${c.reason})`), 5, '; ')}` : '');
    return { ok, checks, summary, metrics: { urls_ok: passed, urls_total: checks.length } };
  },
  targets: (cfg) => cfg.urls.map(urlTarget),
  unmeasured: (cfg) => ({ urls_ok: 0, urls_total: cfg.urls.length }),
};
