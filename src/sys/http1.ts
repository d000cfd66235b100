// HTTP/1.1 for health checks: one request per connection, written and read
// here over node:net (or node:tls for https). The agent (enableConnectionReuse)
// keeps plain-http connections open between cycles instead, as Envoy's health
// checker does (reuse_connection): on a local nginx a new connection costs ~0.4 ms
// of CPU, a request on an open one ~0.1 ms (interpreter, bench/agent.mjs); a
// connection the server closed meanwhile is retried once on a fresh one. Measured in the binary (Node
// 24.21, env -i, 3 GETs against a local nginx): node:http costs ~15 ms of CPU
// over `node -e 0`, the same requests over node:net ~7 ms, and undici's
// dispatcher + request API alone ~30 ms to load. A health check needs one
// request per URL, no pool, no keep-alive, no streaming API: the HTTP/1.1 it
// needs is this much. node:tls (~14 ms) is loaded only for https:// URLs.
// Used by the http and stub_status probes.
import { readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import type { PeerCertificate, TLSSocket } from 'node:tls';

const BODY_LIMIT = 256 * 1024;
/** A body read only to keep the connection (no expectation needs it): a health answer's size, Content-Length framed. */
const REUSE_BODY_MAX = 64 * 1024;
const MAX_HEADERS = 200;

export interface RequestOptions {
  url: string;
  method: string;
  /** request headers; a Host header here replaces the URL's */
  headers: Record<string, string>;
  tlsVerify: boolean;
  /** PEM bundle to verify against instead of Node's public roots */
  caFile?: string;
  /** TLS server name; default the Host name, never an IP address */
  sni?: string;
  /** connect over this unix socket instead of TCP */
  socket?: string;
  /** read the body too (else the answer is complete at the headers) */
  wantBody: boolean;
  timeoutMs: number;
  /** aborts the request (the run's deadline) */
  signal: AbortSignal;
}

/** The reply, or why there is none: `value` is what a human sees measured ("no answer", "ECONNREFUSED"). */
export type Answer =
  | { ok: true; reply: Reply; cert?: PeerCertificate }
  | { ok: false; value: string; reason: string; timedOut?: boolean };

/** A response as far as the expectations need it: status, lower-cased headers, body (when wanted). */
export interface Reply { status: number; headers: Record<string, string>; body: string }

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
  /** `reuse`: also read a small Content-Length body no expectation needs, so the connection can carry the next request */
  constructor(private readonly wantBody: boolean, private readonly noBody: boolean, private readonly reuse = false) {}

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
      // The binary keeps one hash seed per build (--no-rehash-snapshot): a bounded header count keeps
      // names crafted to collide from costing more than a few thousand probes of the table.
      if (lines.length - 1 > MAX_HEADERS) throw new Error(`more than ${MAX_HEADERS} response headers`);
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const i = line.indexOf(':');
        if (i <= 0) continue;
        const name = line.slice(0, i).trim().toLowerCase();
        const value = line.slice(i + 1).trim();
        headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
      }
      this.head = { status, headers };
      if (this.noBody || status === 204 || status === 304) return this.reply();
      const small = /^\d+$/.test(headers['content-length'] ?? '') && !/\bchunked\b/i.test(headers['transfer-encoding'] ?? '') && Number(headers['content-length']) <= REUSE_BODY_MAX;
      if (!this.wantBody && !(this.reuse && small)) return this.reply();
      this.chunked = /\bchunked\b/i.test(headers['transfer-encoding'] ?? '');
      if (!this.chunked && headers['content-length'] !== undefined) {
        if (!/^\d+$/.test(headers['content-length'])) throw new Error(`bad Content-Length "${headers['content-length'].slice(0, 20)}"`);
        this.left = Number(headers['content-length']);
      }
    }
    return this.readBody();
  }

  /**
   * The reply ended exactly where its framing said (Content-Length, or no body)
   * with nothing after it, and the server did not ask to close: the connection
   * can carry the next request. Chunked and read-until-close replies: no.
   */
  get reusable(): boolean {
    if (!this.head || this.buf.length || this.chunked || /\bclose\b/i.test(this.head.headers.connection ?? '')) return false;
    return this.noBody || this.head.status === 204 || this.head.status === 304 || (this.left === 0 && (this.wantBody || this.reuse));
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

const isIp = (h: string) => /^[\d.]+$/.test(h) || h.includes(':');

/** Idle kept-alive connections by destination ("host:port" or "unix:path"), plain http only. */
const idle = new Map<string, Socket[]>();
let reuse = false;

/** The agent: keep plain-http connections open between cycles (see the top of this file). */
export function enableConnectionReuse(): void {
  reuse = true;
}

/**
 * The request a connection currently serves; a parked one's handlers drop it.
 * One set of listeners per connection for its whole life (adding and removing
 * them per request cost more than the request itself in the interpreter).
 */
interface Handlers { data(d: Buffer): void; end(): void; error(e: NodeJS.ErrnoException): void }
type Conn = (Socket | TLSSocket) & { hc?: Handlers };

function listen(s: Conn, h: Handlers): void {
  if (!s.hc) {
    s.on('data', (d: Buffer) => s.hc?.data(d));
    s.on('end', () => s.hc?.end());
    s.on('error', (e: NodeJS.ErrnoException) => s.hc?.error(e));
    s.on('close', () => s.hc?.end());
  }
  s.hc = h;
}

/** An idle connection to `key`, if one is still open. */
function takeIdle(key: string): Conn | undefined {
  const list = idle.get(key);
  for (let s = list?.pop(); s; s = list?.pop()) {
    if (!s.destroyed && s.readyState === 'open') return s;
    s.destroy();
  }
  return undefined;
}

/** Parks a connection after a complete reply: dropped (and closed) as soon as the server closes it or sends anything. */
function putIdle(key: string, s: Conn) {
  const list = idle.get(key) ?? [];
  idle.set(key, list);
  const drop = () => {
    s.hc = undefined;
    const i = list.indexOf(s as Socket);
    if (i >= 0) list.splice(i, 1);
    s.destroy();
  };
  s.hc = { data: drop, end: drop, error: drop };
  list.push(s as Socket);
}

/** What a request needs from its options before any I/O: parsed once per URL, method and headers object (the agent asks the same every cycle). */
interface Prepared { tls: boolean; host: string; port: number; hostHeader: string; head: string; key?: string; error?: string }
const prepared = new WeakMap<Record<string, string>, Map<string, Prepared>>();

function prepare(o: RequestOptions): Prepared {
  const id = `${o.method} ${o.url} ${o.socket ?? ''} ${reuse}`;
  let byUrl = prepared.get(o.headers);
  const hit = byUrl?.get(id);
  if (hit) return hit;
  const url = new URL(o.url);
  const tls = url.protocol === 'https:';
  const extra = { 'user-agent': 'hacheck', ...o.headers };
  const hostHeader = Object.entries(extra).find(([k]) => k.toLowerCase() === 'host')?.[1] ?? url.host;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(url.port) || (tls ? 443 : 80);
  // a kept-alive connection: plain http; the whole body is then read so the next reply starts clean
  const key = reuse && !tls ? (o.socket ? `unix:${o.socket}` : `${host}:${port}`) : undefined;
  const lines = [`${o.method} ${url.pathname}${url.search} HTTP/1.1`, `Host: ${hostHeader}`];
  for (const [k, val] of Object.entries(extra)) if (k.toLowerCase() !== 'host' && k.toLowerCase() !== 'connection') lines.push(`${k}: ${val}`);
  if (['POST', 'PUT', 'PATCH'].includes(o.method)) lines.push('Content-Length: 0');
  lines.push(...(key ? [] : ['Connection: close']), '', '');
  const p: Prepared = { tls, host, port, hostHeader, head: lines.join('\r\n'), key };
  if (/[\r\n\0]/.test(lines.slice(0, -2).join(''))) p.error = 'request header or URL holds a line break';
  if (!byUrl) prepared.set(o.headers, (byUrl = new Map()));
  byUrl.set(id, p);
  return p;
}

export function request(o: RequestOptions): Promise<Answer> {
  const { tls, host, port, hostHeader, head, key, error } = prepare(o);
  if (error) return Promise.resolve({ ok: false, value: 'error', reason: error });
  let reader = new ReplyReader(o.wantBody, o.method === 'HEAD', key !== undefined);
  // Read before any socket or timer exists: the file was readable when the config was
  // validated, but the config may come from the cache (src/config/cache.ts) long after.
  let ca: Buffer | undefined;
  try {
    if (tls && o.caFile) ca = readFileSync(o.caFile);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    return Promise.resolve({ ok: false, value: code, reason: `ca_file ${o.caFile}: cannot read it (${code})` });
  }

  return new Promise<Answer>((resolve) => {
    let settled = false;
    let sock: Conn;
    // a kept-alive connection the server closed meanwhile fails before the first byte of a reply: once more on a fresh one
    let reused = false;
    let gotBytes = false;
    const finish = (a: Answer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal.removeEventListener('abort', onDeadline);
      if (key && a.ok && reader.reusable && !sock.destroyed) {
        putIdle(key, sock);
      } else {
        sock.hc = undefined;
        sock.destroy();
      }
      resolve(a);
    };
    const onDeadline = () => {
      const what = reader.gotHeaders ? 'body not complete' : 'no response headers';
      finish({ ok: false, value: 'no answer', reason: `${what} within ${Math.round(o.timeoutMs)} ms (server hung)`, timedOut: true });
    };
    const timer = setTimeout(onDeadline, o.timeoutMs);
    o.signal.addEventListener('abort', onDeadline, { once: true });
    const failed = (e: NodeJS.ErrnoException) => {
      if (settled) return;
      if (reused && !gotBytes) {
        sock.hc = undefined;
        sock.destroy();
        reader = new ReplyReader(o.wantBody, o.method === 'HEAD', key !== undefined);
        return attach(fresh(), false);
      }
      finish({ ok: false, value: e.code ?? 'error', reason: `${e.code ? e.code + ': ' : ''}${e.message}` });
    };
    const answer = (reply: Reply) => finish({ ok: true, reply, cert: tls ? (sock as TLSSocket).getPeerCertificate?.() : undefined });

    const where = o.socket ? { path: o.socket } : { host, port };
    const fresh = (): Conn => tls
      ? (process.getBuiltinModule('node:tls') as typeof import('node:tls')).connect({
        ...where, rejectUnauthorized: o.tlsVerify,
        ...(ca && { ca }),
        // SNI as node:https sends it: the sni key, else the Host header's name, never an IP address
        servername: o.sni ?? (() => { const n = hostHeader.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1'); return isIp(n) ? undefined : n; })(),
      })
      : netConnect(where);
    const handlers: Handlers = {
      data(d) {
        gotBytes = true;
        try {
          const res = reader.push(d);
          if (res) answer(res);
        } catch (e) {
          finish({ ok: false, value: 'error', reason: `bad response: ${(e as Error).message}` });
        }
      },
      end() {
        const res = reader.end();
        if (res) answer(res);
        else failed(Object.assign(new Error(reader.gotHeaders ? 'connection closed before the body was complete' : 'socket hang up'), { code: 'ECONNRESET' }));
      },
      error: failed,
    };
    const attach = (s: Conn, wasIdle: boolean) => {
      sock = s;
      reused = wasIdle;
      listen(s, handlers);
      // written at once: a new socket sends it once connected (and TLS once the handshake is done)
      s.write(head);
    };
    const kept = key ? takeIdle(key) : undefined;
    attach(kept ?? fresh(), kept !== undefined);
  });
}
