// http probe, in process, against a real nginx and real socket servers: method,
// status set, body substring/regex, response header, Host routing, TLS verify,
// SNI, certificate-expiry warning, unix socket, reset, 502, slow, hung, quorum.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as v from 'valibot';
import { prober, schema } from '../../src/probes/http.ts';
import type { ProbeContext } from '../../src/probes/types.ts';
import { BODY_TEXT, startNginx, type NginxServer } from '../fixtures/nginx-server.ts';
import { hungServer, resetServer, tlsServer, type TlsServed } from '../fixtures/servers.ts';

// started once for the file; the root after hooks stop them
const ng: NginxServer = await startNginx({ after }, { slowMs: 300 });
const tls: TlsServed = await tlsServer({ after }, { days: 5, name: 'tls.example.test' });

function ctx(ms = 3000): ProbeContext {
  return { signal: AbortSignal.timeout(ms), deadline: performance.now() + ms, stateDir: '/nonexistent' };
}

/** Runs one http probe entry (raw config as in the YAML file). */
async function probe(raw: Record<string, unknown>, ms = 3000) {
  const cfg = v.parse(schema, { type: 'http', severity: 'critical', ...raw });
  return prober.run(cfg, ctx(ms));
}
const one = async (url: Record<string, unknown> | string, ms?: number) => {
  const r = await probe({ urls: [url] }, ms);
  assert.equal(r.checks.length, 1);
  return { ...r.checks[0], probeOk: r.ok, summary: r.summary };
};

test('200 with the default expectation (200-399); value names status and time', async () => {
  const c = await one(`${ng.base}/`);
  assert.equal(c.ok, true, c.reason);
  assert.match(c.value, /^200 in [\d.]+ ms$/);
  assert.equal(c.expect, 'status 200-399');
});

test('500 fails the default expectation, passes an explicit status set', async () => {
  const bad = await one(`${ng.base}/500`);
  assert.equal(bad.ok, false);
  assert.match(bad.reason!, /^status 500, expected 200-399/);
  const set = await one({ url: `${ng.base}/500`, status: [200, '500-503'] });
  assert.equal(set.ok, true, set.reason);
  const notInSet = await one({ url: `${ng.base}/500`, status: [200, '300-302'] });
  assert.equal(notInSet.reason, 'status 500, expected 200,300-302');
  const single = await one({ url: `${ng.base}/`, status: 204 });
  assert.equal(single.ok, false);
  assert.match(single.reason!, /status 200, expected 204/);
});

test('method: POST accepted where GET is refused (405)', async () => {
  assert.equal((await one({ url: `${ng.base}/post`, method: 'POST' })).ok, true);
  const get = await one({ url: `${ng.base}/post` });
  assert.equal(get.ok, false);
  assert.match(get.reason!, /status 405/);
  assert.equal((await one({ url: `${ng.base}/`, method: 'HEAD' })).ok, true);
});

test('body substring and regex', async () => {
  assert.equal((await one({ url: `${ng.base}/body`, body: 'status=green' })).ok, true);
  const miss = await one({ url: `${ng.base}/body`, body: 'status=red' });
  assert.equal(miss.ok, false);
  assert.equal(miss.reason, 'body does not contain "status=red"');
  assert.equal((await one({ url: `${ng.base}/body`, body_regex: 'version=1\\.\\d+\\.\\d+' })).ok, true);
  const nomatch = await one({ url: `${ng.base}/body`, body_regex: '^version' });
  assert.equal(nomatch.ok, false);
  assert.match(nomatch.reason!, /body does not match \/\^version\//);
  assert.ok(BODY_TEXT.includes('status=green'));
});

test('required response header: presence and substring', async () => {
  assert.equal((await one({ url: `${ng.base}/header`, response_header: 'X-Backend' })).ok, true);
  assert.equal((await one({ url: `${ng.base}/header`, response_header: 'x-backend: blue' })).ok, true);
  const wrong = await one({ url: `${ng.base}/header`, response_header: 'X-Backend: green' });
  assert.equal(wrong.ok, false);
  assert.match(wrong.reason!, /header X-Backend: "blue" does not contain "green"/);
  const absent = await one({ url: `${ng.base}/`, response_header: 'X-Backend' });
  assert.equal(absent.ok, false);
  assert.equal(absent.reason, 'response lacks header X-Backend');
});

test('extra request header routes by Host (probe-wide and per URL)', async () => {
  const dflt = await one({ url: `${ng.base}/`, body: 'api backend' });
  assert.equal(dflt.ok, false, 'the default server block answers without a Host header');
  const perUrl = await one({ url: `${ng.base}/`, body: 'api backend', headers: { Host: 'api.example.test' } });
  assert.equal(perUrl.ok, true, perUrl.reason);
  const shared = await probe({ headers: { Host: 'api.example.test' }, urls: [{ url: `${ng.base}/`, body: 'api backend' }] });
  assert.equal(shared.ok, true, shared.summary);
});

test('unix-socket target', async () => {
  const c = await one({ url: 'http://localhost/body', socket: ng.socket, body: 'status=green' });
  assert.equal(c.ok, true, c.reason);
  assert.equal(c.target, `http://localhost/body via ${ng.socket}`);
  const gone = await one({ url: 'http://localhost/', socket: `${ng.dir}/no-such.sock` });
  assert.equal(gone.ok, false);
  assert.match(gone.reason!, /ENOENT/);
});

test('502 from an upstream that is down', async () => {
  const c = await one(`${ng.base}/502`);
  assert.equal(c.ok, false);
  assert.match(c.reason!, /status 502/);
});

test('a slow upstream within the deadline is ok; beyond a per-URL timeout it is hung', async () => {
  const slow = await one(`${ng.base}/slow`);
  assert.equal(slow.ok, true, slow.reason);
  const cut = await one({ url: `${ng.base}/slow`, timeout: '100ms' });
  assert.equal(cut.ok, false);
  assert.equal(cut.timedOut, true);
  assert.match(cut.reason!, /within 100 ms \(server hung\)/);
});

test('a server that accepts and never answers: no answer at the deadline', async () => {
  const hung = await hungServer({ after });
  const t0 = performance.now();
  const c = await one(`http://127.0.0.1:${hung.port}/`, 400);
  const took = performance.now() - t0;
  assert.equal(c.ok, false);
  assert.equal(c.timedOut, true);
  assert.equal(c.value, 'no answer');
  assert.ok(took < 400 + 300, `returned after ${took.toFixed(0)} ms (deadline 400 ms)`);
  assert.equal(hung.accepted(), 1);
});

test('a server that resets the connection', async () => {
  const rst = await resetServer({ after });
  const c = await one(`http://127.0.0.1:${rst.port}/`);
  assert.equal(c.ok, false);
  assert.equal(c.timedOut, false);
  assert.match(`${c.value} ${c.reason}`, /ECONNRESET|UND_ERR_SOCKET|other side closed/);
});

test('connection refused names the target', async () => {
  const c = await one(`http://127.0.0.1:${ng.downPort}/`);
  assert.equal(c.ok, false);
  assert.match(c.reason!, /ECONNREFUSED/);
});

test('TLS: self-signed fails with verify on, passes with verify off', async () => {
  const url = `https://127.0.0.1:${tls.port}/`;
  const strict = await one({ url, cert_expiry_warn_days: 0 });
  assert.equal(strict.ok, false);
  assert.match(strict.reason!, /self[- ]signed|certificate/i);
  const lax = await one({ url, tls_verify: false, cert_expiry_warn_days: 0 });
  assert.equal(lax.ok, true, lax.reason);
  assert.equal(lax.warnings, undefined);
});

test('TLS: verify on passes against the internal CA in ca_file; a wrong CA fails', async () => {
  const url = `https://127.0.0.1:${tls.port}/`;
  const ok = await one({ url, ca_file: tls.certFile, cert_expiry_warn_days: 0 });
  assert.equal(ok.ok, true, ok.reason);
  const other = await tlsServer({ after }, { name: 'other.example.test' });
  const wrong = await one({ url, ca_file: other.certFile, cert_expiry_warn_days: 0 });
  assert.equal(wrong.ok, false);
  assert.match(wrong.reason!, /self[- ]signed|certificate/i);
  assert.throws(() => v.parse(schema, { type: 'http', urls: [{ url, ca_file: '/nonexistent/ca.pem' }] }), /ca_file \/nonexistent\/ca.pem: cannot read it/);
});

test('TLS: a ca_file removed after validation (a cached config) fails that URL at once, naming the file', async () => {
  const url = `https://127.0.0.1:${tls.port}/`;
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-ca-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const ca = join(dir, 'ca.pem');
  copyFileSync(tls.certFile, ca);
  const cfg = v.parse(schema, { type: 'http', severity: 'critical', urls: [{ url, ca_file: ca, cert_expiry_warn_days: 0 }] });
  rmSync(ca);
  const t0 = performance.now();
  const r = await prober.run(cfg, ctx(3000));
  assert.equal(r.ok, false);
  assert.match(r.checks[0].reason!, /ca_file .*ca\.pem: cannot read it \(ENOENT\)/);
  assert.ok(performance.now() - t0 < 2000, 'well before the 3 s deadline');
});

test('TLS: SNI name is sent', async () => {
  const c = await one({ url: `https://127.0.0.1:${tls.port}/`, tls_verify: false, sni: 'tls.example.test', body: 'sni=tls.example.test' });
  assert.equal(c.ok, true, c.reason);
  assert.equal(tls.lastServername(), 'tls.example.test');
});

test('TLS: a certificate expiring within cert_expiry_warn_days is a warning, not a failure', async () => {
  const c = await one({ url: `https://127.0.0.1:${tls.port}/`, tls_verify: false, cert_expiry_warn_days: 30 });
  assert.equal(c.ok, true, c.reason);
  assert.equal(c.probeOk, true);
  assert.equal(c.warnings?.length, 1);
  assert.match(c.warnings![0], /^certificate expires in [45] days$/);
  const far = await one({ url: `https://127.0.0.1:${tls.port}/`, tls_verify: false, cert_expiry_warn_days: 2 });
  assert.equal(far.warnings, undefined);
});

test('quorum: 2 of 3, any, all', async () => {
  const urls = [`${ng.base}/`, `${ng.base}/body`, `${ng.base}/500`];
  const two = await probe({ quorum: 2, urls });
  assert.equal(two.ok, true, two.summary);
  assert.match(two.summary, /^2\/3 URLs ok, quorum 2; failing: .*\/500 \(status 500/);
  const oneOfThree = await probe({ quorum: 2, urls: [`${ng.base}/`, `${ng.base}/500`, `${ng.base}/502`] });
  assert.equal(oneOfThree.ok, false);
  assert.match(oneOfThree.summary, /^1\/3 URLs ok, quorum 2/);
  assert.equal((await probe({ quorum: 'any', urls: [`${ng.base}/500`, `${ng.base}/502`, `${ng.base}/`] })).ok, true);
  assert.equal((await probe({ quorum: 'any', urls: [`${ng.base}/500`, `${ng.base}/502`] })).ok, false);
  assert.equal((await probe({ quorum: 'all', urls })).ok, false);
  assert.equal((await probe({ urls: [`${ng.base}/`, `${ng.base}/body`] })).ok, true);
  assert.throws(() => v.parse(schema, { type: 'http', quorum: 4, urls }), /quorum 4 is larger than the number of urls/);
});

test('IPv6 URL http://[::1]:port/', async (t) => {
  if (!ng.port6) return t.skip('no IPv6 loopback (::1) on this machine');
  const c = await one({ url: `http://[::1]:${ng.port6}/body`, body: 'status=green' });
  assert.equal(c.ok, true, c.reason);
});

test('TLS handshake never answered (TCP accepted, no ServerHello): no answer at the deadline', async () => {
  const hung = await hungServer({ after });
  const t0 = performance.now();
  const c = await one({ url: `https://127.0.0.1:${hung.port}/`, tls_verify: false }, 400);
  assert.ok(performance.now() - t0 < 400 + 300);
  assert.equal(c.ok, false);
  assert.equal(c.timedOut, true);
});

test('headers sent, body never completes: ok without a body expectation, hung with one', async () => {
  const server = createHttpServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('partial');
  });
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => sockets.add(s));
  after(() => { sockets.forEach((s) => s.destroy()); server.close(); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  // status-only: decided at the headers, the endless body is not waited for
  const status = await one({ url: `http://127.0.0.1:${port}/` }, 2000);
  assert.equal(status.ok, true, status.reason);
  assert.ok(status.durationMs < 1000, `took ${status.durationMs} ms`);
  const c = await one({ url: `http://127.0.0.1:${port}/`, body: 'complete' }, 400);
  assert.equal(c.ok, false);
  assert.equal(c.timedOut, true);
  assert.match(c.reason!, /^body not complete within \d+ ms \(server hung\)$/);
});

test('a non-numeric Content-Length is a bad response at once, not a wait for the deadline', async () => {
  const { createServer } = await import('node:net');
  const server = createServer((s) => s.once('data', () => s.write('HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\nok')));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  after(() => server.close());
  const c = await one({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`, body: 'ok' });
  assert.equal(c.ok, false);
  assert.equal(c.reason, 'bad response: bad Content-Length "abc" (not a decimal number)');
  assert.equal(c.timedOut, false);
});

test('a response with more than 200 header lines is a bad response (bounded work per reply)', async () => {
  const { createServer } = await import('node:net');
  const many = Array.from({ length: 201 }, (_, i) => `X-H${i}: ${i}\r\n`).join('');
  const server = createServer((s) => s.once('data', () => s.end(`HTTP/1.1 200 OK\r\n${many}Content-Length: 2\r\n\r\nok`)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  after(() => server.close());
  const c = await one({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`, body: 'ok' });
  assert.equal(c.ok, false);
  assert.equal(c.reason, 'bad response: more than 200 response headers');
});

test('evidence: a refused local URL is definitive; one that does not break the quorum alone is not; a remote or slow failure never is', async () => {
  const { freePort } = await import('../fixtures/nginx-lab.ts');
  const closed = await freePort();
  const refused = await one(`http://127.0.0.1:${closed}/`);
  assert.equal(refused.ok, false);
  assert.equal(refused.value, 'ECONNREFUSED');
  assert.equal(refused.evidence, 'definitive');
  const hung = await hungServer({ after });
  const hangs = await one(`http://127.0.0.1:${hung.port}/`, 300);
  assert.equal(hangs.evidence ?? 'ambiguous', 'ambiguous');
  // quorum 1 of 2: the refused URL alone cannot fail the probe, the hung one decides: ambiguous
  const q = await probe({ quorum: 1, urls: [`http://127.0.0.1:${closed}/`, `http://127.0.0.1:${hung.port}/`] }, 300);
  assert.equal(q.ok, false);
  assert.deepEqual(q.checks.map((c) => c.evidence ?? 'ambiguous'), ['ambiguous', 'ambiguous']);
  // quorum all: the refused URL alone fails it: definitive
  const all = await probe({ urls: [`http://127.0.0.1:${closed}/`, `http://127.0.0.1:${hung.port}/`] }, 300);
  assert.deepEqual(all.checks.map((c) => c.evidence ?? 'ambiguous'), ['definitive', 'ambiguous']);
});
