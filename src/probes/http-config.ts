// Config keys every HTTP-speaking probe shares (http's urls, stub_status's url):
// one URL check, one headers check, one set of TLS files, so a key means the
// same thing and is refused the same way wherever it appears.
import { accessSync, constants } from 'node:fs';
import { readInput } from '../sys/trusted-file.js';
import * as v from 'valibot';
import { redactUrl } from '../output/redact.js';
import { printable } from '../sys/ascii.js';
import { isLocalHost } from './port.js';
import { numericHostProblem, portNumber, relativeProblem } from '../config/units.js';

/** Parses as a URL (WHATWG), http or https, with a host, and userinfo that decodes; the message never shows a password. */
export function urlProblem(text: string): string | undefined {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return 'not a URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `scheme ${u.protocol.slice(0, -1)} is not http or https`;
  if (!u.hostname) return 'no host';
  const literal = urlLiteralProblem(text);
  if (literal) return literal;
  try {
    decodeURIComponent(u.username);
    decodeURIComponent(u.password);
  } catch {
    return 'user:password is not valid percent-encoding';
  }
  return undefined;
}

/**
 * The URL as written names the host and port the parser made of it: the WHATWG
 * parser takes http:host (no slashes), http:\\host, a port 080 or 00080, and
 * rewrites 127.1 or 0x7f.1 to 127.0.0.1 — a config that says one thing and
 * probes another. So: http:// or https://, a port in plain decimal
 * (portNumber), a numeric host only as a dotted quad (numericHostProblem).
 */
function urlLiteralProblem(text: string): string | undefined {
  const m = /^https?:\/\/([^/?#\\]*)/i.exec(text);
  if (!m) return 'write it as http://HOST[:PORT]/… or https://…';
  const hostPort = m[1].slice(m[1].lastIndexOf('@') + 1);
  const v6 = /^\[[^\]]*\]/.exec(hostPort)?.[0];
  const colon = v6 ? v6.length : hostPort.lastIndexOf(':');
  const host = v6 ?? (colon < 0 ? hostPort : hostPort.slice(0, colon));
  if (colon >= 0 && colon < hostPort.length) {
    const port = hostPort.slice(colon + 1);
    if (port === '' && hostPort[colon] === ':') return 'an empty port after ":": write the port, or leave out the ":"';
    if (hostPort[colon] === ':' && portNumber(port) === undefined) return `port ${port}: write a port 1-65535 in decimal, without a sign or leading zero`;
  }
  return v6 ? undefined : numericHostProblem(decodeURIComponentSafe(host));
}

const decodeURIComponentSafe = (s: string) => {
  try { return decodeURIComponent(s); } catch { return s; }
};

/** Every URL-bearing key uses this. */
export const httpUrl = v.pipe(
  v.string('expected a URL such as http://127.0.0.1/health'),
  v.check((s) => urlProblem(s) === undefined, (i) => `bad URL "${printable(redactUrl(String(i.input)), Infinity)}": ${urlProblem(String(i.input))}: expected http://… or https://…`),
);

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Fields hacheck sets itself: one request per connection, no request body (Content-Length 0 is allowed: it is what is sent). */
const OWN = new Map([
  ['connection', 'hacheck sends Connection: close (one request per connection)'],
  ['keep-alive', 'hacheck sends Connection: close (one request per connection)'],
  ['transfer-encoding', 'hacheck sends no request body'],
  ['te', 'hacheck reads no trailers'],
  ['upgrade', 'hacheck does not switch protocols'],
]);

function headersProblem(input: Record<string, unknown>): string | undefined {
  const seen = new Map<string, string>();
  for (const [name, value] of Object.entries(input)) {
    if (!TOKEN.test(name)) return `bad header name "${name}"`;
    const lower = name.toLowerCase();
    const before = seen.get(lower);
    if (before !== undefined) return `header ${name} given twice (as "${before}" and "${name}"): names are case-insensitive`;
    seen.set(lower, name);
    if (typeof value !== 'string' && typeof value !== 'number') return `header ${name}: expected a string value`;
    if (/[\r\n\0]/.test(String(value))) return `header ${name}: the value holds a line break`;
    const own = OWN.get(lower);
    if (own) return `header ${name} is not allowed: ${own}`;
    if (lower === 'content-length' && String(value).trim() !== '0') return `header ${name}: ${value}: hacheck sends no request body (Content-Length is 0)`;
  }
  return undefined;
}

/**
 * Request headers {Name: value}: own keys only (valibot's record would drop
 * "__proto__" and "constructor" silently), names unique whatever their case,
 * numbers taken as text (YAML reads `Content-Length: 0` as a number).
 */
export const headers = v.optional(v.pipe(
  v.custom<Record<string, unknown>>((x) => x !== null && typeof x === 'object' && !Array.isArray(x), 'headers must be a map of Name: value'),
  v.check((x) => headersProblem(x) === undefined, (i) => headersProblem(i.input as Record<string, unknown>)!),
  v.transform((x) => Object.fromEntries(Object.entries(x).map(([k, val]) => [k, String(val)])) as Record<string, string>),
), {});

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

const pemFile = (key: string) => v.pipe(
  v.string(),
  v.check((s) => s.trim() !== '', `${key} is empty: give a PEM file path`),
  v.check((s) => relativeProblem(s) === undefined, (i) => relativeProblem(String(i.input), 'PEM file path')!),
  v.check(readable, (i) => `${key} ${i.input}: cannot read it`),
);

/** TLS keys of a URL: verification, internal CA, SNI, client certificate (nginx ssl_verify_client). */
export const tlsKeys = {
  tls_verify: v.optional(v.boolean(), true),
  /** verify against this PEM bundle (an internal CA) instead of Node's public roots */
  ca_file: v.optional(pemFile('ca_file')),
  /** PEM client certificate presented to servers with ssl_verify_client */
  client_cert: v.optional(pemFile('client_cert')),
  /** its private key (PEM, unencrypted); default: client_cert, a file holding both */
  client_key: v.optional(pemFile('client_key')),
  /** TLS server name (SNI) when it differs from the URL's host */
  sni: v.optional(v.pipe(v.string(), v.minLength(1, 'sni is empty: give a server name, or leave the key out'))),
};

export interface TlsConfig { tls_verify: boolean; ca_file?: string; client_cert?: string; client_key?: string; sni?: string }

/**
 * A PEM file read at load through the bounded reader (at most 1 MiB; a FIFO not
 * waited for past 200 ms; a device refused): a blocking readFileSync of a FIFO
 * there held `hacheck check` past its --timeout for ever.
 */
const readPem = (path: string) => Buffer.from(readInput(path, { deadline: performance.now() + 200 }).text);

/** A client key that does not load, or does not belong to the certificate: refused at load, not at 3 a.m. */
export function clientCertProblem(c: { url?: string; client_cert?: string; client_key?: string }): string | undefined {
  if (c.client_key !== undefined && c.client_cert === undefined) return 'client_key without client_cert';
  if (c.client_cert === undefined) return undefined;
  if (c.url !== undefined && !c.url.startsWith('https:')) return 'client_cert needs an https:// URL';
  try {
    const tls = process.getBuiltinModule('node:tls') as typeof import('node:tls');
    tls.createSecureContext({ cert: readPem(c.client_cert), key: readPem(c.client_key ?? c.client_cert) });
    return undefined;
  } catch (e) {
    const msg = (e as Error).message;
    if (/bad decrypt|passphrase|encrypted/i.test(msg)) return `client_key ${c.client_key ?? c.client_cert}: an encrypted key is not supported (no one is there to type the passphrase)`;
    if (/key values mismatch/i.test(msg)) return `client_key ${c.client_key ?? c.client_cert} does not belong to client_cert ${c.client_cert}`;
    return `client_cert ${c.client_cert} / client_key ${c.client_key ?? c.client_cert}: ${msg}`;
  }
}

/**
 * A failed request's evidence (Check.evidence) from what it measured: refused
 * (ECONNREFUSED) by a local address or over a unix socket is definitive, as the
 * port probe's (isLocalHost: nobody listens there; CPU contention drops SYNs, it
 * does not refuse them); anything else (a timeout, a reset, a remote refusal a
 * firewall may send) is ambiguous.
 */
export function requestEvidence(value: string | undefined, url: string, socket?: string): 'definitive' | 'ambiguous' {
  if (value !== 'ECONNREFUSED') return 'ambiguous';
  return socket || isLocalHost(new URL(url).hostname.replace(/^\[|\]$/g, '')) ? 'definitive' : 'ambiguous';
}
