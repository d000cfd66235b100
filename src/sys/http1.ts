// HTTP/1.1 for health checks: one request on a fresh connection, written and
// read here over node:net (or node:tls for https). Measured in the binary (Node
// 24.21, env -i, 3 GETs against a local nginx): node:http costs ~15 ms of CPU
// over `node -e 0`, the same requests over node:net ~7 ms, and undici's
// dispatcher + request API alone ~30 ms to load. A health check needs one
// request per URL, no pool, no keep-alive, no streaming API: the HTTP/1.1 it
// needs is this much. node:tls (~14 ms) is loaded only for https:// URLs.
// Used by the http and stub_status probes. The agent (enableConnectionReuse)
// keeps plain-http connections open between cycles instead, as Envoy's health
// checker does (reuse_connection): on a local nginx a new connection cost ~0.4 ms
// of CPU per URL, a request on an open one ~0.1 ms (interpreter; docs/performance.md);
// a kept connection that fails before the first byte of a reply (the server
// closed it meanwhile) is retried once on a fresh one.
import { connect as netConnect, isIP, type Socket } from 'node:net';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { HeaderMap } from './header-map.js';
import { lookupFor } from './resolve.js';
import { readInput } from './trusted-file.js';
import { deadlineTimer, onAbort } from './abort.js';
import { isAsciiDigits, printable } from './ascii.js';

const BODY_LIMIT = 256 * 1024;
/** A body read only to keep the connection (no expectation needs it): a health answer's size, Content-Length framed. */
const REUSE_BODY_MAX = 64 * 1024;
/** The whole header section of one response, interim (1xx) blocks included, however the bytes are segmented. */
export const HEADER_LIMIT = 64 * 1024;
const MAX_HEADERS = 200;
/** A chunk-size line (with extensions): a longer one is garbage, not a reason to buffer without end. */
const CHUNK_LINE_LIMIT = 4096;

export interface RequestOptions {
  url: string;
  method: string;
  /** request headers, merged (src/sys/header-map.ts); a Host here replaces the URL's, an Authorization the URL's userinfo */
  headers: HeaderMap;
  tlsVerify: boolean;
  /** PEM bundle to verify against instead of Node's public roots */
  caFile?: string;
  /** PEM client certificate (and its key) for servers with ssl_verify_client */
  clientCert?: string;
  clientKey?: string;
  /** TLS server name; default the Host name, never an IP address */
  sni?: string;
  /** connect over this unix socket instead of TCP */
  socket?: string;
  /** read the body too (else the answer is complete at the headers) */
  wantBody: boolean;
  timeoutMs: number;
  /** aborts the request (the run's deadline) */
  signal: AbortSignal;
  /** `signal` aborts when timeoutMs runs out (the run's deadline is this request's): no timer of its own (~25 µs a request in the interpreter) */
  signalIsTimeout?: boolean;
}

/** Where a request was when it stopped: what a deadline message names. */
export type Phase = 'DNS' | 'connect' | 'TLS handshake' | 'headers' | 'body';

/** The reply, or why there is none: `value` is what a human sees measured ("no answer", "ECONNREFUSED"). */
export type Answer =
  | { ok: true; reply: Reply; cert?: PeerCertificate }
  | { ok: false; value: string; reason: string; timedOut?: boolean; phase?: Phase };

/** A response as far as the expectations need it: status, headers (case-insensitive), body (when wanted). */
export interface Reply { status: number; headers: HeaderMap; body: string }

/** Server-sent text as it may be quoted in a reason (src/sys/ascii.ts). */
export { printable };

/**
 * HTTP/1.1 response reader over one socket (RFC 9112). Headers are read; the
 * body only when an expectation needs it (Content-Length, chunked, or until
 * close, capped at BODY_LIMIT). 1xx interim responses are skipped. Every
 * buffer is bounded: HEADER_LIMIT for the header section (counted the same
 * whether it comes in one segment or a byte at a time, and found without
 * re-scanning what was already searched), CHUNK_LINE_LIMIT for a chunk-size line.
 */
export class ReplyReader {
  private buf: Buffer = Buffer.alloc(0);
  /** header phase: segments not yet parsed, their length, and how far the CRLFCRLF search got */
  private parts: Buffer[] = [];
  private partsLen = 0;
  private headerBytes = 0; // bytes of header blocks already parsed (1xx)
  private head?: ReplyHead;
  /**
   * The body kept (its first BODY_LIMIT bytes): the first piece as received, then one buffer grown
   * by doubling, so a body of a million 1-byte chunks holds one buffer, not a million Buffer objects
   * (~56 MB of heap for 300 K of them).
   */
  private body?: Buffer;
  private bodyKept = 0;
  private bodyLen = 0; // body bytes received in all
  private left?: number; // Content-Length bytes still to come
  private chunked = false;
  private chunkLeft = 0; // data bytes of the current chunk still to come
  private chunkEnd = false; // the line end after a chunk's data comes next
  /** the status line of the block being received was checked before its end arrived (statusPrefixProblem) */
  private lineChecked = false;
  /** bytes received in all */
  received = 0;
  /** `reuse`: also read a small Content-Length body no expectation needs, so the connection can carry the next request */
  constructor(private readonly wantBody: boolean, private readonly noBody: boolean, private readonly reuse = false) {}

  /** Feeds bytes; returns the reply once it is complete, undefined while more is needed. Throws on a malformed reply. */
  push(data: Buffer): Reply | undefined {
    this.received += data.length;
    if (this.head) {
      this.buf = this.buf.length ? Buffer.concat([this.buf, data]) : data;
      return this.readBody();
    }
    this.parts.push(data);
    this.partsLen += data.length;
    for (;;) {
      const found = this.findEnd(data);
      if (!found) {
        // not all in yet: a reply that is not HTTP (an SSH banner, a TLS alert) is said now, not at the deadline
        if (!this.lineChecked) this.checkStatusLine();
        if (this.headerBytes + this.partsLen > HEADER_LIMIT + 3) throw new Error(`response headers larger than ${HEADER_LIMIT / 1024} KiB`);
        return undefined;
      }
      const [end, len] = found;
      if (this.headerBytes + end + len > HEADER_LIMIT) throw new Error(`response headers larger than ${HEADER_LIMIT / 1024} KiB`);
      const all = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.partsLen);
      this.headerBytes += end + len;
      const rest = all.subarray(end + len);
      const done = this.parseHead(all.toString('latin1', 0, end));
      this.parts = [];
      this.partsLen = 0;
      if (done) {
        // bytes after a reply without a body (HEAD, 204, 304) are kept too: such a connection is not reused
        this.buf = rest;
        if (done === 'reply') return this.reply();
        // a body read only to keep the connection (no expectation needs it): the headers are the answer
        // now, whether the rest comes or not (as on a fresh connection); `draining` reads it afterwards
        return this.readBody() ?? (this.wantBody ? undefined : this.reply());
      }
      // an interim response: the rest is the next block
      if (rest.length) this.parts.push(rest);
      this.partsLen = rest.length;
      this.lineChecked = false;
      data = rest;
    }
  }

  /**
   * The first bytes of a block before its end arrived: once they cannot begin a
   * status line (RFC 9112 section 4) the reply is not HTTP. Reads at most the
   * first 13 bytes of the block, once they are in.
   */
  private checkStatusLine(): void {
    let s = '';
    for (const p of this.parts) {
      s += p.toString('latin1', 0, 13 - s.length);
      if (s.length >= 13) break;
    }
    const problem = statusPrefixProblem(s);
    if (problem === 'ok') this.lineChecked = true;
    else if (problem === 'bad') {
      const all = Buffer.concat(this.parts, this.partsLen);
      const lf = all.indexOf(10);
      throw new Error(notHttp(all.toString('latin1', 0, lf < 0 ? Math.min(all.length, 40) : lf).replace(/\r$/, '')));
    }
  }

  /**
   * The blank line ending the header block in the concatenated parts, searching
   * only the newest segment and 3 bytes before it: [index of its LF, its length]
   * (LF CR LF, or LF LF: RFC 9112 section 2.2 lets a recipient take a bare LF as a line
   * terminator, as curl and nginx's proxy do; a health endpoint written as
   * `printf 'HTTP/1.1 200 OK\n\n'` is then read, not reported as cut short).
   */
  private findEnd(newest: Buffer): [number, number] | undefined {
    const before = this.partsLen - newest.length;
    const back = Math.min(3, before);
    let probe = newest;
    if (back > 0) {
      const tail: Buffer[] = [];
      let need = back;
      for (let i = this.parts.length - 2; i >= 0 && need > 0; i--) {
        const p = this.parts[i];
        tail.unshift(p.subarray(Math.max(0, p.length - need)));
        need -= Math.min(need, p.length);
      }
      probe = Buffer.concat([...tail, newest]);
    }
    const crlf = probe.indexOf('\n\r\n');
    const lf = probe.indexOf('\n\n');
    if (crlf < 0 && lf < 0) return undefined;
    const [i, len] = lf < 0 || (crlf >= 0 && crlf < lf) ? [crlf, 3] : [lf, 2];
    return [before - back + i, len];
  }

  /** One header block; 'interim' for 1xx, 'reply' when no body is to be read, 'body' otherwise. */
  private parseHead(text: string): 'interim' | 'reply' | 'body' | undefined {
    // split on LF: string operations, not regular expressions (the binary runs --jitless, where
    // V8 interprets regular expressions too; docs/performance.md)
    const lines = text.split('\n');
    const first = lines[0].charCodeAt(lines[0].length - 1) === 13 ? lines[0].slice(0, -1) : lines[0];
    const status = statusOf(first);
    if (status === undefined) throw new Error(notHttp(first));
    // 100 Continue, 103 Early Hints: the real answer follows. Not 101: after it the connection
    // speaks another protocol (RFC 9110 section 15.2.2); it is the answer (hacheck asks for no upgrade).
    if (status >= 100 && status < 200 && status !== 101) return undefined;
    // The binary keeps one hash seed per build (--no-rehash-snapshot): a bounded header count keeps
    // names crafted to collide from costing more than a few thousand probes of the table.
    if (lines.length - 1 > MAX_HEADERS) throw new Error(`more than ${MAX_HEADERS} response headers`);
    const head = new ReplyHead(status, lines, first.charCodeAt(7) === 48);
    this.head = head;
    const te = head.field('transfer-encoding');
    const len = head.field('content-length');
    // RFC 9112 section 6.3: Transfer-Encoding overrides Content-Length (item 3); an invalid
    // Content-Length is an unrecoverable error, the reply discarded (item 5), whether a body is read or not
    const length = te === undefined && len !== undefined ? contentLength(len) : undefined;
    if (this.noBody || status === 204 || status === 304 || status === 101) return 'reply';
    const small = this.reuse && length !== undefined && length <= REUSE_BODY_MAX;
    if (!this.wantBody && !small) return 'reply';
    // chunked only as the final coding (RFC 9112 section 6.3 item 4: else read until close)
    this.chunked = te !== undefined && finalCoding(te) === 'chunked';
    this.left = length;
    return 'body';
  }

  /**
   * The reply ended exactly where its framing said (Content-Length, or no body)
   * with nothing after it, and the server did not ask to close: the connection
   * can carry the next request. Chunked and read-until-close replies: no.
   */
  get reusable(): boolean {
    const head = this.head;
    if (!head || this.buf.length || this.chunked || head.status === 101) return false;
    // RFC 9112 section 9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with "keep-alive"
    const connection = head.field('connection');
    if (head.http10 ? !hasToken(connection, 'keep-alive') : hasToken(connection, 'close')) return false;
    return this.noBody || head.status === 204 || head.status === 304 || (this.left === 0 && (this.wantBody || this.reuse));
  }

  /** A status-only reply answered at its headers while the small body kept for the connection is still coming (push() returns the reply again once it is all in). */
  get draining(): boolean {
    return !this.wantBody && !this.noBody && this.left !== undefined && this.left > 0;
  }

  /** The connection closed: a reply read until close is complete; anything else was cut short. */
  end(): Reply | undefined {
    return this.head && !this.chunked && this.left === undefined ? this.reply() : undefined;
  }

  get gotHeaders(): boolean {
    return this.head !== undefined;
  }

  get status(): number | undefined {
    return this.head?.status;
  }

  private keep(b: Buffer) {
    this.bodyLen += b.length;
    const n = Math.min(b.length, BODY_LIMIT - this.bodyKept);
    if (n <= 0) return;
    if (!this.body) {
      this.body = b.subarray(0, n);
    } else {
      const have = this.body;
      if (this.bodyKept + n > have.length) {
        // the first piece was kept as received: from the second on, one buffer of our own, doubled as needed
        const grown = Buffer.allocUnsafe(Math.min(BODY_LIMIT, Math.max(2 * (this.bodyKept + n), 4096)));
        have.copy(grown, 0, 0, this.bodyKept);
        this.body = grown;
      }
      b.copy(this.body, this.bodyKept, 0, n);
    }
    this.bodyKept += n;
  }

  private readBody(): Reply | undefined {
    if (this.chunked) {
      // RFC 9112 section 7.1: chunk-size [chunk-ext] CRLF, chunk-data CRLF; a bare LF ends
      // those lines too, as it ends header lines here (and as curl reads chunks)
      for (;;) {
        if (this.chunkLeft > 0) {
          const take = this.buf.subarray(0, Math.min(this.chunkLeft, this.buf.length));
          this.keep(take);
          this.chunkLeft -= take.length;
          this.buf = this.buf.subarray(take.length);
          if (this.chunkLeft > 0) break;
          this.chunkEnd = true;
        }
        if (this.chunkEnd) {
          // the data's own line end: anything else means the chunk size did not match its data
          const b = this.buf;
          if (b.length === 0 || (b[0] === 13 && b.length === 1)) break;
          if (b[0] !== 10 && (b[0] !== 13 || b[1] !== 10)) throw new Error('chunk data longer than its chunk size (no CRLF after it)');
          this.buf = b.subarray(b[0] === 10 ? 1 : 2);
          this.chunkEnd = false;
        }
        const eol = this.buf.indexOf(10);
        if (eol < 0) {
          if (this.buf.length > CHUNK_LINE_LIMIT) throw new Error('chunk-size line too long in a chunked body');
          break;
        }
        const lineEnd = eol > 0 && this.buf[eol - 1] === 13 ? eol - 1 : eol;
        const size = chunkSize(this.buf, lineEnd);
        if (size < 0) throw new Error(`bad chunk size "${printable(this.buf.toString('latin1', 0, Math.min(lineEnd, 21)), 20)}" in a chunked body`);
        this.buf = this.buf.subarray(eol + 1);
        if (size === 0) return this.reply(); // trailers are not needed
        this.chunkLeft = size;
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
    const head = this.head!;
    const body = this.body ? this.body.toString('utf8', 0, this.bodyKept) : '';
    // the full header map only when an expectation reads it (response_header): most replies never do
    return { status: head.status, body, get headers() { return head.headers(); } };
  }
}

/** The framing fields read from every reply (RFC 9112 section 6): compared lower-cased. */
const FRAMING = ['content-length', 'transfer-encoding', 'connection'] as const;
type Framing = (typeof FRAMING)[number];

/**
 * One reply's header section as received (lines split on LF, CR not yet
 * dropped). The three framing fields are read on a first look at each line's
 * name; the case-insensitive HeaderMap of every field is built only when asked
 * for. A section with an obs-fold continuation line (RFC 9112 section 5.2) is
 * read through the full map, whose rules (a space for the fold) then apply to
 * the framing fields as well.
 */
class ReplyHead {
  private map?: HeaderMap;
  private framing?: Partial<Record<Framing, string>>;
  /** `http10`: the status line says HTTP/1.0 (persistence: RFC 9112 section 9.3) */
  constructor(readonly status: number, private readonly lines: string[], readonly http10 = false) {}

  /** A framing field's value (repeats joined by ", ", as HeaderMap.append), undefined when absent. */
  field(name: Framing): string | undefined {
    if (!this.framing) this.framing = this.readFraming();
    return this.framing[name];
  }

  /** Also checks every field line has a name and a colon (RFC 9112 section 5), as curl, Node and nginx's proxy do: throws. */
  private readFraming(): Partial<Record<Framing, string>> {
    const out: Partial<Record<Framing, string>> = {};
    const lines = this.lines;
    let mapped = false;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i];
      const c = line.charCodeAt(0);
      // an obs-fold continuation (RFC 9112 section 5.2): no name of its own
      if (c === 32 || c === 9) {
        mapped = true;
        continue;
      }
      const colon = line.indexOf(':');
      if (colon <= 0) throw new Error(`response header line without a ${colon ? 'colon' : 'name'}: "${printable(line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line, 40)}"`);
      // a name after other white space (which the map trims): the full map's reading
      if (c < 32 || c === 0xa0) mapped = true;
      // only names starting with c or t can be one of the three
      const lc = c | 0x20;
      if (mapped || (lc !== 0x63 && lc !== 0x74)) continue;
      const name = line.slice(0, colon).trim().toLowerCase() as Framing;
      if (name !== 'content-length' && name !== 'transfer-encoding' && name !== 'connection') continue;
      const value = line.slice(colon + 1).trim();
      const old = out[name];
      out[name] = old === undefined ? value : `${old}, ${value}`;
    }
    if (!mapped) return out;
    const m = this.headers();
    return { 'content-length': m.get('content-length'), 'transfer-encoding': m.get('transfer-encoding'), connection: m.get('connection') };
  }

  /** Every field, by name case-insensitively; made on first use. */
  headers(): HeaderMap {
    if (this.map) return this.map;
    const headers = new HeaderMap();
    let last: string | undefined;
    const lines = this.lines;
    for (let i = 1; i < lines.length; i++) {
      let line = lines[i];
      if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
      // obs-fold (RFC 9112 section 5.2): a continuation line is replaced by a space
      if ((line[0] === ' ' || line[0] === '\t') && last !== undefined) {
        headers.set(last, `${headers.get(last)} ${line.trim()}`);
        continue;
      }
      const c = line.indexOf(':');
      if (c <= 0) continue;
      last = line.slice(0, c).trim();
      headers.append(last, line.slice(c + 1).trim());
    }
    return (this.map = headers);
  }
}

/** 1 to 15 ASCII digits (a Content-Length: 15 digits stay below 2^53). */
export const isDecimal = (s: string): boolean => isAsciiDigits(s, 15);

/**
 * A Content-Length field's value (repeats joined by ", "): 1*DIGIT (RFC 9110 section 8.6),
 * a list of identical values read as one; anything else throws (RFC 9112 section 6.3 item 5:
 * a sign, inner space, different values). More than 15 digits (a petabyte) is refused too:
 * no precision lost (section 8.6 asks a recipient to prevent that).
 */
export function contentLength(value: string): number {
  if (isDecimal(value)) return Number(value);
  const values = new Set(value.split(',').map((s) => s.trim()));
  const [one] = values;
  if (values.size === 1 && isDecimal(one)) return Number(one);
  const why = values.size > 1 ? 'different values' : isAsciiDigits(one, Infinity) ? 'more than 15 digits' : 'not a decimal number';
  throw new Error(`bad Content-Length "${printable(value, 40)}" (${why})`);
}

/**
 * A chunk-size line's size (RFC 9112 section 7.1: 1*HEXDIG, then [BWS ";" chunk-ext]) from the
 * bytes of `line` before `end`, or -1. At most 15 hex digits (a larger size is no health answer;
 * the body is cut at BODY_LIMIT long before one matters). Read byte by byte, no string per line:
 * 0.2 µs a line where the string and a regular expression took 0.5 µs (interpreted, --jitless).
 */
function chunkSize(line: Buffer, end: number): number {
  let size = 0;
  let i = 0;
  for (; i < end; i++) {
    const c = line[i];
    const d = c >= 48 && c <= 57 ? c - 48 : (c | 0x20) >= 97 && (c | 0x20) <= 102 ? (c | 0x20) - 87 : -1;
    if (d < 0) break;
    size = size * 16 + d;
  }
  if (i === 0 || i > 15) return -1;
  if (i === end) return size;
  while (i < end && (line[i] === 32 || line[i] === 9)) i++;
  if (i === end || line[i] !== 59) return -1;
  for (i++; i < end; i++) if (line[i] === 13 || line[i] === 10) return -1;
  return size;
}

/** The last coding of a Transfer-Encoding list, lower-cased ("gzip, chunked" → "chunked"). */
function finalCoding(te: string): string {
  const comma = te.lastIndexOf(',');
  return (comma < 0 ? te : te.slice(comma + 1)).trim().toLowerCase();
}

/** Whether a Connection field (a comma-separated list, RFC 9110 section 7.6.1) names `token` (lower case). */
function hasToken(field: string | undefined, token: string): boolean {
  if (field === undefined) return false;
  if (field.length === token.length) return field.toLowerCase() === token;
  return field.split(',').some((t) => t.trim().toLowerCase() === token);
}

/** The reason for a first line that is not an HTTP/1.x status line; a TLS record (an alert, a handshake) is named. */
function notHttp(first: string): string {
  const c = first.charCodeAt(0);
  const tls = (c === 0x15 || c === 0x16) && first.charCodeAt(1) === 3 ? ' (a TLS record: is this an https:// port?)' : '';
  return `not an HTTP/1.x response: "${printable(first, 40)}"${tls}`;
}

/**
 * The first bytes of a status line, before all of it arrived: 'ok' once they are a valid start
 * (the line's end, or 13 bytes: "HTTP/1.1 200 "), 'bad' once they cannot be one, else 'more'.
 * Never 'bad' for a line statusOf would accept.
 */
export function statusPrefixProblem(s: string): 'ok' | 'bad' | 'more' {
  const cr = s.indexOf('\r');
  const lf = s.indexOf('\n');
  const end = cr < 0 ? lf : lf < 0 ? cr : Math.min(cr, lf);
  if (end >= 0) return statusOf(s.slice(0, end)) === undefined ? 'bad' : 'ok';
  if (s.length >= 13) return statusOf(s.slice(0, 13)) === undefined ? 'bad' : 'ok';
  const model = 'HTTP/1.1 200';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const fits = i < 7 || i === 8 ? c === model.charCodeAt(i) : i === 7 ? c === 48 || c === 49 : c >= 48 && c <= 57;
    if (!fits) return 'bad';
  }
  return 'more';
}

/** The status of an HTTP/1.0 or 1.1 status line ("HTTP/1.1 200 OK", "HTTP/1.1 200"; RFC 9112 section 4), else undefined. */
export function statusOf(line: string): number | undefined {
  if (!line.startsWith('HTTP/1.') || (line[7] !== '0' && line[7] !== '1') || line[8] !== ' ') return undefined;
  if (line.length > 12 && line[12] !== ' ') return undefined;
  const code = line.slice(9, 12);
  return code.length === 3 && isDecimal(code) ? Number(code) : undefined;
}

const isIp = (h: string) => isIP(h) !== 0;
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
/**
 * Methods not idempotent (RFC 9110 section 9.2.2): a request on a kept connection that fails is
 * retried on a fresh one, and a user agent must not retry these on its own (RFC 9112 section
 * 9.3.1), so they always get a fresh connection.
 */
const NOT_IDEMPOTENT = new Set(['POST', 'PATCH']);

/**
 * The request head: exactly one Host (a header of any spelling replaces the
 * URL's), one User-Agent (the user's replaces hacheck's), URL userinfo as
 * `Authorization: Basic` (RFC 7617) unless an Authorization header is given,
 * Content-Length: 0 once for methods with a body (hacheck sends none) or when
 * the user set it, Connection: close. Returns an error text for a line break.
 */
export function requestHead(urlText: string, method: string, headers: HeaderMap, keepAlive = false): { head: string; host: string } | { error: string } {
  const url = new URL(urlText);
  const h = new HeaderMap().set('User-Agent', 'hacheck');
  for (const [k, val] of headers.entries()) h.set(k, val);
  if ((url.username || url.password) && !h.has('authorization')) {
    const user = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    h.set('Authorization', `Basic ${Buffer.from(user, 'utf8').toString('base64')}`);
  }
  const host = h.get('host') ?? url.host;
  const userLength = h.has('content-length');
  for (const name of ['host', 'connection', 'content-length', 'transfer-encoding']) h.delete(name);
  const lines = [`${method} ${url.pathname}${url.search} HTTP/1.1`, `Host: ${host}`];
  for (const [k, val] of h.entries()) lines.push(`${k}: ${val}`);
  if (userLength || BODY_METHODS.has(method)) lines.push('Content-Length: 0');
  // HTTP/1.1 connections persist unless one side says close (RFC 9112 section 9.3)
  if (!keepAlive) lines.push('Connection: close');
  if (/[\r\n\0]/.test(lines.join(''))) return { error: 'request header or URL holds a line break' };
  return { head: `${lines.join('\r\n')}\r\n\r\n`, host };
}

/** A PEM file read when the request starts; undefined for no path. */
/** Through the trusted-file layer: a CA bundle or client key another user could have written is not used. */
function readPem(what: string, path: string | undefined, secret = false): { pem?: Buffer } | { error: string; code: string } {
  if (!path) return {};
  try {
    const r = readInput(path, { secret });
    if (r.untrusted) return { error: `${what} ${path}: not trusted: ${r.untrusted}`, code: 'untrusted' };
    if (r.exposed) return { error: `${what} ${path}: a private key ${r.exposed}: not used (chmod 600 ${path})`, code: 'exposed' };
    return { pem: Buffer.from(r.text) };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    return { error: `${what} ${path}: cannot read it (${code})`, code };
  }
}

/** Idle kept-alive connections by destination ("host:port" or "unix:path"), plain http only. */
const idle = new Map<string, Conn[]>();

/**
 * A kept connection carries requests for at most this long after it was opened;
 * then the next request opens a fresh one. A kept connection proves the server
 * answers on it, not that a client can still connect: nginx out of
 * worker_connections or file descriptors ("accept() failed (24: Too many open
 * files)"), a full accept queue, or a listener closed while established
 * connections are served all refuse or stall every new client, and a connection
 * kept for ever would read healthy through it. 1 s bounds that blind spot to
 * about one fresh connection a second (10 % of the requests at a 100 ms interval).
 */
export const REUSE_MAX_AGE_MS = 1000;
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
type Conn = (Socket | TLSSocket) & { hc?: Handlers; openedAt?: number; encrypted?: boolean };

/**
 * Where plain connections read into (net.connect's `onread`): the bytes skip the
 * Readable stream (a Buffer, a push and a 'data' emit per read: ~half the CPU of
 * a kept-alive request in the interpreter, measured in docs/performance.md). One
 * buffer for all: a callback runs to completion before the next read, and the
 * reader keeps a copy of what it needs.
 */
const READ_BUFFER = Buffer.alloc(64 * 1024);

function listen(s: Conn, h: Handlers): void {
  if (!s.hc) {
    // plain connections deliver bytes through their onread callback (fresh() below)
    if (s.encrypted) s.on('data', (d: Buffer) => s.hc?.data(d));
    s.on('end', () => s.hc?.end());
    s.on('error', (e: NodeJS.ErrnoException) => s.hc?.error(e));
    s.on('close', () => s.hc?.end());
  }
  s.hc = h;
}

/** An idle connection to `key`, if one is still open and younger than REUSE_MAX_AGE_MS. */
function takeIdle(key: string): Conn | undefined {
  const list = idle.get(key);
  const now = performance.now();
  for (let s = list?.pop(); s; s = list?.pop()) {
    // one the server closed or wrote to meanwhile has left the list already (putIdle's drop)
    if (!s.destroyed && now - (s.openedAt ?? 0) < REUSE_MAX_AGE_MS) return s;
    s.hc = undefined;
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
    const i = list.indexOf(s);
    if (i >= 0) list.splice(i, 1);
    s.destroy();
  };
  s.hc = { data: drop, end: drop, error: drop };
  list.push(s);
}

/** Requests waiting to go out on kept connections (afterPoll): two setImmediate turns for all of a cycle's. */
let afterPollQueue: (() => void)[] | undefined;

/**
 * Runs `fn` after the event loop has polled at least once since this call. Bytes or a FIN a
 * server sent on a parked connection may be in its socket unread when a request starts (they
 * arrived after the last poll, e.g. while the process was not scheduled): that poll hands them to
 * the parked handlers, which drop the connection, before the request goes out on it, so a stale
 * reply is never read as this request's. Two turns: the first setImmediate may run in this very
 * iteration's check phase, right after its poll (a request started from an I/O callback); the
 * second runs after the next poll. Requests started meanwhile share the turns (~9 µs a cycle in
 * the interpreter, however many URLs).
 */
function afterPoll(fn: () => void): void {
  if (afterPollQueue) return void afterPollQueue.push(fn);
  const batch = (afterPollQueue = [fn]);
  setImmediate(() => {
    afterPollQueue = undefined;
    setImmediate(() => { for (const f of batch) f(); });
  });
}

/**
 * A connection whose status-only reply was answered at its headers: its small Content-Length body
 * is read in the background, then the connection is parked (putIdle) if fit; a close, an error,
 * anything malformed, or no end within REUSE_MAX_AGE_MS closes it.
 */
function drain(key: string, s: Conn, reader: ReplyReader): void {
  const stop = () => {
    clearTimeout(timer);
    s.hc = undefined;
    s.destroy();
  };
  const timer = setTimeout(stop, REUSE_MAX_AGE_MS);
  timer.unref();
  s.hc = {
    data(d) {
      try {
        if (!reader.push(d)) return;
      } catch {
        return stop();
      }
      clearTimeout(timer);
      if (reader.reusable) putIdle(key, s);
      else stop();
    },
    end: stop,
    error: stop,
  };
}

/** What a request needs before any I/O, made once per URL, method and headers object (the agent asks the same every cycle). */
interface Prepared {
  /** what it was made for */
  url: string; method: string; socket?: string; reuse: boolean;
  tls: boolean; host: string; port: number; key?: string; built: ReturnType<typeof requestHead>; bytes?: Buffer; ip: boolean;
}
/** per headers object (one per URL entry: src/probes/http.ts), its requests; compared field by field, no key string built per request */
const prepared = new WeakMap<HeaderMap, Prepared[]>();

function prepare(o: RequestOptions): Prepared {
  let list = prepared.get(o.headers);
  if (list) for (const p of list) if (p.url === o.url && p.method === o.method && p.socket === o.socket && p.reuse === reuse) return p;
  const url = new URL(o.url);
  const tls = url.protocol === 'https:';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(url.port) || (tls ? 443 : 80);
  const key = reuse && !tls && !NOT_IDEMPOTENT.has(o.method) ? (o.socket ? `unix:${o.socket}` : `${host}:${port}`) : undefined;
  const built = requestHead(o.url, o.method, o.headers, key !== undefined);
  // encoded once: a Buffer goes to the socket as it is (a string is UTF-8-encoded on every write)
  const p: Prepared = {
    url: o.url, method: o.method, socket: o.socket, reuse,
    tls, host, port, key, built, bytes: 'head' in built ? Buffer.from(built.head, 'utf8') : undefined, ip: isIp(host),
  };
  if (!list) prepared.set(o.headers, (list = []));
  // a headers object shared by many requests (a caller's own): the newest few only
  if (list.length >= 16) list.shift();
  list.push(p);
  return p;
}

export function request(o: RequestOptions): Promise<Answer> {
  const { tls, host, port, key, built, bytes, ip } = prepare(o);
  if ('error' in built) return Promise.resolve({ ok: false, value: 'error', reason: built.error });
  const { host: hostHeader } = built;
  const head = bytes!;
  let reader = new ReplyReader(o.wantBody, o.method === 'HEAD', key !== undefined);
  // Read before any socket or timer exists: the files were readable when the config was
  // validated, but the config may come from the cache (src/config/cache.ts) long after.
  const pems: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
  if (tls) {
    // client_key defaults to client_cert: one PEM holding both, as nginx's ssl_certificate may
    const files = [['ca', 'ca_file', o.caFile], ['cert', 'client_cert', o.clientCert], ['key', 'client_key', o.clientKey ?? o.clientCert]] as const;
    for (const [key, what, path] of files) {
      const r = readPem(what, path, key === 'key');
      if ('error' in r) return Promise.resolve({ ok: false, value: r.code, reason: r.error });
      if (r.pem) pems[key] = r.pem;
    }
  }

  return new Promise<Answer>((resolve) => {
    let settled = false;
    let sock: Conn | undefined;
    // where a new connection starts: resolving the name, unless there is none to resolve
    const firstPhase: Phase = o.socket || ip ? 'connect' : 'DNS';
    let phase: Phase = firstPhase;
    // a kept-alive connection that fails before the first byte of a reply: the server closed it meanwhile
    let reused = false;
    const finish = (a: Answer) => {
      if (settled) return;
      settled = true;
      cancelTimer?.();
      dropAbort();
      if (key && sock && a.ok && reader.reusable && !sock.destroyed) {
        putIdle(key, sock);
      } else if (key && sock && a.ok && reader.draining && !sock.destroyed) {
        drain(key, sock, reader);
      } else if (sock) {
        sock.hc = undefined;
        sock.destroy();
      }
      resolve(a);
    };
    const onDeadline = () => {
      const ms = Math.round(o.timeoutMs);
      const partial = reader.received > 0 && !reader.gotHeaders ? ` (${reader.received} bytes of them received)` : '';
      const why: Record<Phase, string> = {
        DNS: `DNS: no address for ${host} within ${ms} ms (name server not answering)`,
        connect: `TCP connect to ${o.socket ?? `${host}:${port}`} not completed within ${ms} ms`,
        'TLS handshake': `TLS handshake not completed within ${ms} ms (connection accepted, handshake not answered)`,
        headers: `no response headers within ${ms} ms${partial} (server hung)`,
        body: `body not complete within ${ms} ms (server hung)`,
      };
      finish({ ok: false, value: 'no answer', reason: why[phase], timedOut: true, phase });
    };
    // after the poll phase, as the run's deadline (src/sys/abort.ts): a reply already in the socket is read first
    const cancelTimer = o.signalIsTimeout ? undefined : deadlineTimer(o.timeoutMs, onDeadline);
    const dropAbort = onAbort(o.signal, onDeadline);
    /**
     * once more on a fresh connection: true when this failure was a kept connection the server had
     * closed (nothing received), or `timedOut408` (a 408 on it: the server timed the idle connection out)
     */
    const retried = (timedOut408 = false) => {
      if (!reused || (reader.received > 0 && !timedOut408) || settled) return false;
      sock!.hc = undefined;
      sock!.destroy();
      reader = new ReplyReader(o.wantBody, o.method === 'HEAD', key !== undefined);
      // a new connection: a deadline or failure from here on is the connect's (or DNS's), not the headers'
      phase = firstPhase;
      attach(fresh(), false);
      return true;
    };
    const failed = (e: NodeJS.ErrnoException) => {
      if (retried()) return;
      const where = phase === 'body' ? ` after the response headers (status ${reader.status}), before the body was complete`
        : phase === 'headers' && reader.received > 0 ? ` after ${reader.received} bytes of the response headers` : '';
      finish({ ok: false, value: e.code ?? 'error', reason: `${e.code ? `${e.code}: ` : ''}${e.message}${where}`, phase });
    };
    // RFC 9110 section 15.5.9: a 408 on a kept connection is the server closing it as idle (browsers
    // retry it too); it says nothing about this request
    const answer = (reply: Reply) => (reply.status === 408 && retried(true)) || finish({ ok: true, reply, cert: tls ? (sock as TLSSocket).getPeerCertificate?.() : undefined });
    // an already aborted signal never fires 'abort' again: a spent deadline opens no socket
    if (o.signal.aborted) return onDeadline();

    const fresh = (): Conn => {
      const lookup = lookupFor(o.signal, o.timeoutMs, () => { if (phase === 'DNS') phase = 'connect'; });
      const where = o.socket ? { path: o.socket } : { host, port, lookup };
      const s: Conn = tls
        ? (process.getBuiltinModule('node:tls') as typeof import('node:tls')).connect({
          ...where, rejectUnauthorized: o.tlsVerify,
          ...pems,
          // SNI as node:https sends it: the sni key, else the Host header's name, never an IP address,
          // without a fully qualified name's trailing dot (RFC 6066 section 3)
          servername: o.sni ?? (() => { const n = hostHeader.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1').replace(/\.$/, ''); return isIp(n) ? undefined : n; })(),
        })
        : netConnect({ ...where, onread: { buffer: READ_BUFFER, callback: (n: number, b: Uint8Array) => { s.hc?.data(Buffer.copyBytesFrom(b, 0, n)); return true; } } });
      s.openedAt = performance.now();
      s.once('connect', () => {
        if (s.hc !== handlers) return;
        phase = tls ? 'TLS handshake' : 'headers';
        if (!tls) s.write(head);
      });
      if (tls) s.once('secureConnect', () => {
        if (s.hc !== handlers) return;
        phase = 'headers';
        s.write(head);
      });
      return s;
    };
    const handlers: Handlers = {
      data(d) {
        try {
          const res = reader.push(d);
          if (reader.gotHeaders) phase = 'body';
          if (res) answer(res);
        } catch (e) {
          finish({ ok: false, value: 'error', reason: `bad response: ${(e as Error).message}`, phase });
        }
      },
      end() {
        if (settled) return;
        const res = reader.end();
        if (res) return answer(res);
        if (retried()) return;
        const why = reader.gotHeaders ? `connection closed before the body was complete (status ${reader.status})`
          : reader.received > 0 ? `connection closed after ${reader.received} bytes, before the response headers were complete`
            : 'connection closed by the server without a response';
        finish({ ok: false, value: 'closed', reason: why, phase });
      },
      error: failed,
    };
    const attach = (s: Conn, wasIdle: boolean) => {
      sock = s;
      reused = wasIdle;
      listen(s, handlers);
      if (wasIdle) {
        phase = 'headers';
        s.write(head);
      }
    };
    const kept = key ? takeIdle(key) : undefined;
    if (!kept) return attach(fresh(), false);
    afterPoll(() => {
      if (settled) return void kept.destroy();
      attach(kept.destroyed ? fresh() : kept, !kept.destroyed);
    });
  });
}
