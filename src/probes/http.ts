// http: several URLs over node:net/node:tls (HTTP/1.1, see probeUrl), each
// with its own expectations, and a quorum across them.
import { accessSync, constants, readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import * as v from 'valibot';
import { duration, intRange, severity } from '../config/units.js';
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

const httpUrl = v.pipe(
  v.string(),
  v.check((s) => {
    try {
      const u = new URL(s);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  }, (i) => `bad URL "${i.input}": expected http://… or https://…`),
);

export const urlSchema = v.strictObject({
  url: httpUrl,
  method: v.optional(v.picklist(['GET', 'HEAD', 'POST', 'PUT', 'OPTIONS', 'DELETE', 'PATCH'], 'method must be GET, HEAD, POST, …'), 'GET'),
  status: v.optional(v.pipe(v.union([statusSpec, v.array(statusSpec)]), v.transform((s) => (Array.isArray(s[0]) ? s : [s]) as [number, number][])), '200-399'),
  /** response body must contain this substring */
  body: v.optional(v.string()),
  /** response body must match this regular expression */
  body_regex: v.optional(regex),
  /** response must carry this header ("Name" or "Name: substring") */
  response_header: v.optional(headerLine),
  /** extra request headers, e.g. {Host: api.example.com} */
  headers: v.optional(v.record(v.string(), v.string()), {}),
  tls_verify: v.optional(v.boolean(), true),
  /** verify against this PEM bundle (an internal CA) instead of Node's public roots */
  ca_file: v.optional(v.pipe(v.string(), v.check(readable, (i) => `ca_file ${i.input}: cannot read it`))),
  /** TLS server name (SNI) when it differs from the URL's host */
  sni: v.optional(v.string()),
  /** warn when the server certificate expires within this many days (0 = off) */
  cert_expiry_warn_days: v.optional(intRange(0, 3650, 'cert_expiry_warn_days'), 14),
  /** connect over this unix socket instead of TCP */
  socket: v.optional(v.string()),
  /** per-URL timeout, capped by the run's deadline */
  timeout: v.optional(duration()),
});
export type UrlConfig = v.InferOutput<typeof urlSchema>;

const quorum = v.union([v.picklist(['all', 'any']), intRange(1, 1000, 'quorum')], 'quorum must be "all", "any" or a number');

export const schema = v.pipe(
  v.strictObject({
    type: v.literal('http'),
    name: v.optional(v.string()),
    severity,
    quorum: v.optional(quorum, 'all'),
    /** request headers sent with every URL of this probe */
    headers: v.optional(v.record(v.string(), v.string()), {}),
    urls: v.pipe(
      v.array(v.union([v.pipe(httpUrl, v.transform((url) => v.parse(urlSchema, { url }))), urlSchema], 'each url is a URL string or a {url: …} map')),
      v.minLength(1, 'http probe needs at least one url'),
    ),
  }),
  v.forward(v.check((c) => typeof c.quorum !== 'number' || c.quorum <= c.urls.length, (i) => `quorum ${(i.input as { quorum: number }).quorum} is larger than the number of urls (${(i.input as { urls: unknown[] }).urls.length})`), ['quorum']),
);
export type HttpConfig = v.InferOutput<typeof schema>;

const BODY_LIMIT = 256 * 1024;

const statusText = (u: UrlConfig) => u.status.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(',');

function describeExpect(u: UrlConfig): string {
  const parts = [`status ${statusText(u)}`];
  if (u.body !== undefined) parts.push(`body ∋ "${u.body}"`);
  if (u.body_regex) parts.push(`body ~ ${u.body_regex}`);
  if (u.response_header) parts.push(`header ${u.response_header[0]}${u.response_header[1] ? `: ${u.response_header[1]}` : ''}`);
  return parts.join(', ');
}

/** A response as far as the expectations need it: status, lower-cased headers, body (when wanted). */
interface Reply { status: number; headers: Record<string, string>; body: string }

/**
 * HTTP/1.1 response reader over one socket. Headers are read; the body only
 * when an expectation needs it (Content-Length, chunked, or until close,
 * capped at BODY_LIMIT). 1xx interim responses are skipped.
 */
class ReplyReader {
  private buf: Buffer = Buffer.alloc(0);
  private head?: { status: number; headers: Record<string, string> };
  private body: Buffer[] = [];
  private bodyLen = 0;
  private left?: number; // Content-Length bytes still to come
  private chunked = false;
  private chunkLeft = 0; // bytes of the current chunk still to come (+2 for its CRLF)
  constructor(private readonly wantBody: boolean, private readonly noBody: boolean) {}

  /** Feeds bytes; returns the reply once it is complete, undefined while more is needed. Throws on a malformed reply. */
  push(data: Buffer): Reply | undefined {
    this.buf = this.buf.length ? Buffer.concat([this.buf, data]) : data;
    while (!this.head) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.buf.length > 64 * 1024) throw new Error('response headers larger than 64 KiB');
        return undefined;
      }
      const lines = this.buf.toString('latin1', 0, end).split('\r\n');
      this.buf = this.buf.subarray(end + 4);
      const m = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(lines[0]);
      if (!m) throw new Error(`not an HTTP/1.x response: "${lines[0].slice(0, 40)}"`);
      const status = Number(m[1]);
      if (status >= 100 && status < 200) continue; // 100 Continue, 103 Early Hints: the real answer follows
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const i = line.indexOf(':');
        if (i <= 0) continue;
        const name = line.slice(0, i).trim().toLowerCase();
        const value = line.slice(i + 1).trim();
        headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
      }
      this.head = { status, headers };
      if (!this.wantBody || this.noBody || status === 204 || status === 304) return this.reply();
      this.chunked = /\bchunked\b/i.test(headers['transfer-encoding'] ?? '');
      if (!this.chunked && headers['content-length'] !== undefined) this.left = Number(headers['content-length']);
    }
    return this.readBody();
  }

  /** The connection closed: a reply read until close is complete; anything else was cut short. */
  end(): Reply | undefined {
    return this.head && !this.chunked && this.left === undefined ? this.reply() : undefined;
  }

  get gotHeaders(): boolean {
    return this.head !== undefined;
  }

  private keep(b: Buffer) {
    if (this.bodyLen < BODY_LIMIT) this.body.push(b);
    this.bodyLen += b.length;
  }

  private readBody(): Reply | undefined {
    if (this.chunked) {
      for (;;) {
        if (this.chunkLeft > 0) {
          const take = this.buf.subarray(0, Math.min(this.chunkLeft, this.buf.length));
          this.keep(take.subarray(0, Math.max(0, take.length - Math.max(0, 2 - (this.chunkLeft - take.length)))));
          this.chunkLeft -= take.length;
          this.buf = this.buf.subarray(take.length);
          if (this.chunkLeft > 0) break;
          continue;
        }
        const eol = this.buf.indexOf('\r\n');
        if (eol < 0) break;
        const size = parseInt(this.buf.toString('latin1', 0, eol), 16);
        if (!Number.isFinite(size)) throw new Error('bad chunk size in a chunked body');
        this.buf = this.buf.subarray(eol + 2);
        if (size === 0) return this.reply(); // trailers are not needed
        this.chunkLeft = size + 2;
      }
    } else {
      const take = this.left === undefined ? this.buf : this.buf.subarray(0, this.left);
      this.keep(take);
      this.buf = this.buf.subarray(take.length);
      if (this.left !== undefined) {
        this.left -= take.length;
        if (this.left <= 0) return this.reply();
      }
    }
    return this.bodyLen >= BODY_LIMIT ? this.reply() : undefined;
  }

  private reply(): Reply {
    return { ...this.head!, body: Buffer.concat(this.body).toString('utf8') };
  }
}

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

const isIp = (h: string) => /^[\d.]+$/.test(h) || h.includes(':');

/**
 * One request on a fresh connection, written and read here over node:net (or
 * node:tls for https). Measured in the binary (Node 24.21, env -i, 3 GETs
 * against a local nginx): node:http costs ~15 ms of CPU over `node -e 0`, the
 * same requests over node:net ~7 ms, and undici's dispatcher + request API
 * alone ~30 ms to load. A health check needs one request per URL, no pool,
 * no keep-alive, no streaming API: the HTTP/1.1 it needs is this much.
 * node:tls (~14 ms) is loaded only for https:// URLs.
 */
function probeUrl(u: UrlConfig, shared: Record<string, string>, ctx: ProbeContext): Promise<Check> {
  const t0 = performance.now();
  const target = u.socket ? `${u.url} via ${u.socket}` : u.url;
  const expect = describeExpect(u);
  const warnings: string[] = [];
  const done = (ok: boolean, value: string, reason?: string, timedOut = false): Check => ({
    target, ok, value, expect, reason, timedOut, warnings: warnings.length ? warnings : undefined, durationMs: performance.now() - t0,
  });
  const budget = Math.max(1, Math.min(remainingMs(ctx), u.timeout ?? Infinity));
  const url = new URL(u.url);
  const tls = url.protocol === 'https:';
  const extra = { 'user-agent': 'hacheck', ...shared, ...u.headers };
  const hostHeader = Object.entries(extra).find(([k]) => k.toLowerCase() === 'host')?.[1] ?? url.host;
  const lines = [`${u.method} ${url.pathname}${url.search} HTTP/1.1`, `Host: ${hostHeader}`];
  for (const [k, val] of Object.entries(extra)) if (k.toLowerCase() !== 'host' && k.toLowerCase() !== 'connection') lines.push(`${k}: ${val}`);
  if (['POST', 'PUT', 'PATCH'].includes(u.method)) lines.push('Content-Length: 0');
  lines.push('Connection: close', '', '');
  const head = lines.join('\r\n');
  if (/[\r\n\0]/.test(lines.slice(0, -2).join(''))) return Promise.resolve(done(false, 'error', 'request header or URL holds a line break'));
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(url.port) || (tls ? 443 : 80);
  const wantBody = u.body !== undefined || u.body_regex !== undefined;
  const reader = new ReplyReader(wantBody, u.method === 'HEAD');

  return new Promise<Check>((resolve) => {
    let settled = false;
    const finish = (c: Check) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onDeadline);
      sock.destroy();
      resolve(c);
    };
    const onDeadline = () => {
      const what = reader.gotHeaders ? 'body not complete' : 'no response headers';
      finish(done(false, 'no answer', `${what} within ${Math.round(budget)} ms (server hung)`, true));
    };
    const timer = setTimeout(onDeadline, budget);
    ctx.signal.addEventListener('abort', onDeadline, { once: true });
    const failed = (e: NodeJS.ErrnoException) => finish(done(false, e.code ?? 'error', `${e.code ? e.code + ': ' : ''}${e.message}`));
    const judge = (res: Reply) => {
      const value = `${res.status} in ${(performance.now() - t0).toFixed(1)} ms`;
      const cert = tls ? (sock as import('node:tls').TLSSocket).getPeerCertificate?.() : undefined;
      if (cert?.valid_to && u.cert_expiry_warn_days > 0) {
        const days = (Date.parse(cert.valid_to) - Date.now()) / 86_400_000;
        if (days < u.cert_expiry_warn_days) warnings.push(days < 0 ? `certificate expired ${Math.ceil(-days)} days ago` : `certificate expires in ${Math.floor(days)} days`);
      }
      if (!u.status.some(([lo, hi]) => res.status >= lo && res.status <= hi)) return finish(done(false, value, `status ${res.status}, expected ${statusText(u)}`));
      if (u.body !== undefined && !res.body.includes(u.body)) return finish(done(false, value, `body does not contain "${u.body}"`));
      if (u.body_regex && !u.body_regex.test(res.body)) return finish(done(false, value, `body does not match ${u.body_regex}`));
      if (u.response_header) {
        const [name, want] = u.response_header;
        const text = res.headers[name.toLowerCase()];
        if (text === undefined) return finish(done(false, value, `response lacks header ${name}`));
        if (want && !text.includes(want)) return finish(done(false, value, `header ${name}: "${text}" does not contain "${want}"`));
      }
      finish(done(true, value));
    };

    const where = u.socket ? { path: u.socket } : { host, port };
    const sock = tls
      ? (process.getBuiltinModule('node:tls') as typeof import('node:tls')).connect({
        ...where, rejectUnauthorized: u.tls_verify,
        ...(u.ca_file && { ca: readFileSync(u.ca_file) }),
        // SNI as node:https sends it: the sni key, else the Host header's name, never an IP address
        servername: u.sni ?? (() => { const n = hostHeader.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1'); return isIp(n) ? undefined : n; })(),
      })
      : netConnect(where);
    sock.once(tls ? 'secureConnect' : 'connect', () => sock.write(head));
    sock.on('data', (d: Buffer) => {
      try {
        const res = reader.push(d);
        if (res) judge(res);
      } catch (e) {
        finish(done(false, 'error', `bad response: ${(e as Error).message}`));
      }
    });
    sock.on('end', () => {
      const res = reader.end();
      if (res) judge(res);
      else failed(Object.assign(new Error(reader.gotHeaders ? 'connection closed before the body was complete' : 'socket hang up'), { code: 'ECONNRESET' }));
    });
    sock.on('error', failed);
  });
}

function needed(q: HttpConfig['quorum'], n: number): number {
  return q === 'all' ? n : q === 'any' ? 1 : q;
}

export const prober: Prober<HttpConfig> = {
  schema,
  async run(cfg, ctx) {
    const checks = await Promise.all(cfg.urls.map((u) => probeUrl(u, cfg.headers, ctx)));
    const passed = checks.filter((c) => c.ok).length;
    const need = needed(cfg.quorum, checks.length);
    const ok = passed >= need;
    const failed = checks.filter((c) => !c.ok);
    const summary = `${passed}/${checks.length} URLs ok, quorum ${cfg.quorum === 'all' || cfg.quorum === 'any' ? `${cfg.quorum} (${need})` : need}` +
      (failed.length ? `; failing: ${failed.map((c) => `${c.target} (${c.reason})`).join('; ')}` : '');
    return { ok, checks, summary, metrics: { urls_ok: passed, urls_total: checks.length } };
  },
};
