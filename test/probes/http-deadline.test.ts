// The http probe against odd servers, in process: every way a request can stall
// ends at the deadline with the phase named (DNS, connect, TLS handshake,
// headers, body); body_regex cannot backtrack past it (adv-12 and siblings);
// the header section has one limit however the server drips it; thousands of
// targets do not push a run past its deadline; request headers reach the wire
// once each (adv-10) and URL userinfo as Basic authorization, never printed (adv-16).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import * as v from 'valibot';
import { prober, schema } from '../../src/probes/http.ts';
import { prober as portProber, schema as portSchema } from '../../src/probes/port.ts';
import { runProbes } from '../../src/probes/run.ts';
import type { ProbeContext } from '../../src/probes/types.ts';
import { headServer, hungServer } from '../fixtures/servers.ts';
import { freePort } from '../fixtures/nginx-lab.ts';

const MARGIN = 500; // a loaded 2-core CI machine; the failures were 10 s and forever

function ctx(ms: number): ProbeContext {
  return { signal: AbortSignal.timeout(ms), deadline: performance.now() + ms, stateDir: '/nonexistent' };
}
async function one(url: Record<string, unknown> | string, ms = 3000) {
  const cfg = v.parse(schema, { type: 'http', severity: 'critical', urls: [url] });
  const t0 = performance.now();
  const r = await prober.run(cfg, ctx(ms));
  return { ...r.checks[0], summary: r.summary, took: performance.now() - t0 };
}

/** A raw TCP server (test/fixtures/servers.ts headServer): `onConn(socket, requestHead)` once the request head has arrived; records every request head. */
const rawServer = (onConn: (s: Socket, head: string) => void) => headServer({ after }, onConn);

/** Writes `text` `step` bytes every `everyMs` until done or the socket closes. */
function drip(s: Socket, text: string, step: number, everyMs: number) {
  let i = 0;
  const t = setInterval(() => {
    if (s.destroyed || i >= text.length) return clearInterval(t);
    s.write(text.slice(i, i + step));
    i += step;
  }, everyMs);
  s.once('close', () => clearInterval(t));
}

const bodyServer = (body: string) => rawServer((s) => s.end(`HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`));

test('adv-12: body_regex "(a+)+$" against 40 "a" and "!" fails at once (linear engine), not never', async () => {
  const srv = await bodyServer('a'.repeat(40) + '!');
  const c = await one({ url: `http://127.0.0.1:${srv.port}/`, body_regex: '(a+)+$' }, 1500);
  assert.equal(c.ok, false);
  assert.equal(c.reason, 'body does not match /(a+)+$/');
  assert.equal(c.timedOut, false);
  assert.ok(c.took < 1500, `took ${c.took.toFixed(0)} ms`);
  const ok = await one({ url: `http://127.0.0.1:${srv.port}/`, body_regex: 'a!$' }, 1500);
  assert.equal(ok.ok, true, ok.reason);
});

test('catastrophic siblings: nested and overlapping quantifiers, quadratic scans over 200 KB, all linear', async () => {
  const srv = await bodyServer('a'.repeat(200_000) + '!');
  for (const re of ['(a|a)*b', '^(a|aa)+$', '^(\\w+\\s?)*$', '[a-z]+@x', '(a*)*(b*)*c', '(.*a){1,3}b']) {
    const c = await one({ url: `http://127.0.0.1:${srv.port}/`, body_regex: re }, 1500);
    assert.equal(c.ok, false, re);
    assert.match(c.reason!, /^body does not match|did not finish before the deadline/, re);
    assert.ok(c.took < 1500 + MARGIN, `${re}: ${c.took.toFixed(0)} ms`);
  }
});

test('a pattern only the backtracking engine runs (backreference) is stopped at the deadline, phase named', async () => {
  const srv = await bodyServer('a'.repeat(40) + '!');
  const c = await one({ url: `http://127.0.0.1:${srv.port}/`, body_regex: '^(a+)+\\1$' }, 600);
  assert.equal(c.ok, false);
  assert.equal(c.timedOut, true);
  assert.match(c.reason!, /^body_regex \/\^\(a\+\)\+\\1\$\/ did not finish before the deadline \(backtracking engine, 41 characters\)$/);
  assert.ok(c.took < 600 + MARGIN, `took ${c.took.toFixed(0)} ms`);
});

test('stalled TLS handshake: "TLS handshake", not "server hung"', async () => {
  const hung = await hungServer({ after });
  const c = await one({ url: `https://127.0.0.1:${hung.port}/`, tls_verify: false }, 400);
  assert.equal(c.timedOut, true);
  assert.match(c.reason!, /^TLS handshake not completed within \d+ ms/);
  assert.ok(c.took < 400 + MARGIN);
});

test('slow-drip headers: ends at the deadline as "headers", with the bytes received; slow-drip body as "body"', async () => {
  const hdr = await rawServer((s) => drip(s, `HTTP/1.1 200 OK\r\n${'X-Slow: 1\r\n'.repeat(1000)}\r\n`, 1, 5));
  const c = await one(`http://127.0.0.1:${hdr.port}/`, 500);
  assert.equal(c.timedOut, true);
  assert.match(c.reason!, /^no response headers within \d+ ms \(\d+ bytes of them received\) \(server hung\)$/);
  assert.ok(c.took < 500 + MARGIN);
  const body = await rawServer((s) => { s.write('HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n'); drip(s, 'b'.repeat(100000), 10, 5); });
  const b = await one({ url: `http://127.0.0.1:${body.port}/`, body: 'x' }, 500);
  assert.equal(b.timedOut, true);
  assert.match(b.reason!, /^body not complete within \d+ ms \(server hung\)$/);
});

test('a header section split over many segments is read; over the limit it is refused however it is segmented', async () => {
  const fields = 'X-Pad: ' + 'p'.repeat(100) + '\r\n';
  const small = await rawServer((s) => drip(s, `HTTP/1.1 200 OK\r\n${fields.repeat(100)}Content-Length: 2\r\n\r\nok`, 97, 1));
  const ok = await one({ url: `http://127.0.0.1:${small.port}/`, body: 'ok' }, 5000);
  assert.equal(ok.ok, true, ok.reason);
  const big = `HTTP/1.1 200 OK\r\nX-Big: ${'b'.repeat(70 * 1024)}\r\nContent-Length: 2\r\n\r\nok`;
  const oneWrite = await rawServer((s) => s.end(big));
  const dripped = await rawServer((s) => drip(s, big, 1024, 1));
  for (const srv of [oneWrite, dripped]) {
    const c = await one(`http://127.0.0.1:${srv.port}/`, 5000);
    assert.equal(c.ok, false);
    assert.equal(c.reason, 'bad response: response headers larger than 64 KiB');
  }
});

test('a server that answered is never "socket hang up": closed mid-headers, mid-body, or with nothing', async () => {
  const midHead = await rawServer((s) => s.end('HTTP/1.1 200 OK\r\nX-Cut: '));
  assert.match((await one(`http://127.0.0.1:${midHead.port}/`)).reason!, /^connection closed after \d+ bytes, before the response headers were complete$/);
  const midBody = await rawServer((s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
  assert.equal((await one({ url: `http://127.0.0.1:${midBody.port}/`, body: 'abc' })).reason, 'connection closed before the body was complete (status 200)');
  const nothing = await rawServer((s) => s.end());
  assert.equal((await one(`http://127.0.0.1:${nothing.port}/`)).reason, 'connection closed by the server without a response');
  const reset = await rawServer((s) => { s.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'); setTimeout(() => s.resetAndDestroy(), 50); });
  assert.match((await one({ url: `http://127.0.0.1:${reset.port}/`, body: 'abc' })).reason!, /^ECONNRESET: .* after the response headers \(status 200\), before the body was complete$/);
});

test('adv-10: a URL\'s header replaces the probe\'s of any spelling; exactly one Host, Content-Length, User-Agent on the wire', async () => {
  const srv = await rawServer((s, head) => {
    const host = /^host: *(.*)$/im.exec(head)?.[1];
    const dup = (head.match(/^content-length:/gim) ?? []).length > 1;
    s.end(dup ? 'HTTP/1.1 400 Bad\r\nContent-Length: 0\r\n\r\n' : host === 'new.example' ? 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n' : 'HTTP/1.1 503 Down\r\nContent-Length: 0\r\n\r\n');
  });
  const url = `http://127.0.0.1:${srv.port}/`;
  const cfg = v.parse(schema, { type: 'http', headers: { Host: 'new.example' }, urls: [url, { url, headers: { host: 'old.example' } }] });
  const r = await prober.run(cfg, ctx(3000));
  assert.equal(r.checks[0].ok, true);
  assert.equal(r.checks[1].ok, false, 'the URL checks the vhost it names');
  assert.match(r.checks[1].reason!, /^status 503/);
  const post = await one({ url, method: 'POST', headers: { Host: 'new.example', 'Content-Length': '0', 'user-agent': 'probe/2' } });
  assert.equal(post.ok, true, post.reason);
  const last = srv.heads.at(-1)!;
  for (const name of ['host', 'content-length', 'user-agent', 'connection']) {
    assert.equal((last.match(new RegExp(`^${name}:`, 'gim')) ?? []).length, 1, `${name} in ${JSON.stringify(last)}`);
  }
  assert.match(last, /^User-Agent: probe\/2$/im);
});

test('adv-16: userinfo is sent as Basic authorization and shown as xxxxx; an explicit Authorization header wins', async () => {
  const want = `Basic ${Buffer.from('user:pa ss').toString('base64')}`;
  const srv = await rawServer((s, head) => {
    const auth = /^authorization: *(.*)$/im.exec(head)?.[1];
    s.end(auth === want ? 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n' : 'HTTP/1.1 401 No\r\nContent-Length: 0\r\n\r\n');
  });
  const url = `http://user:pa%20ss@127.0.0.1:${srv.port}/nginx_status`;
  const c = await one(url);
  assert.equal(c.ok, true, c.reason);
  assert.equal(c.target, `http://xxxxx@127.0.0.1:${srv.port}/nginx_status`);
  const explicit = await one({ url, headers: { Authorization: 'Basic d3Jvbmc6d3Jvbmc=' } });
  assert.equal(explicit.ok, false);
  assert.match(explicit.reason!, /^status 401/);
  assert.ok(!JSON.stringify(explicit).includes('pa%20ss') && !JSON.stringify(c).includes('pa%20ss'));
  assert.equal((srv.heads.at(-1)!.match(/^authorization:/gim) ?? []).length, 1);
});

test('3000 port targets (refused) and 2000 URLs on a hung server end within the deadline', async () => {
  const down = await freePort();
  const ports = v.parse(portSchema, { type: 'port', targets: Array.from({ length: 3000 }, () => down) });
  const t0 = performance.now();
  const pr = await portProber.run(ports, ctx(1500));
  assert.ok(performance.now() - t0 < 1500 + MARGIN, `ports: ${(performance.now() - t0).toFixed(0)} ms`);
  assert.equal(pr.ok, false);
  assert.equal(pr.checks.length, 3000);
  // refused, or (on a machine too loaded to finish 3000 connects) cut at the deadline: never late
  assert.ok(pr.checks.every((c) => c.value === 'ECONNREFUSED' || c.timedOut), JSON.stringify(pr.checks.find((c) => c.value !== 'ECONNREFUSED' && !c.timedOut)));
  assert.ok(pr.summary.length < 200, 'the summary names a few targets, not 3000');
  const hung = await hungServer({ after });
  const urls = v.parse(schema, { type: 'http', urls: Array.from({ length: 2000 }, (_, i) => `http://127.0.0.1:${hung.port}/${i}`) });
  const t1 = performance.now();
  const [res] = await runProbes([urls as never], { deadline: performance.now() + 800, stateDir: '/nonexistent' });
  const took = performance.now() - t1;
  assert.ok(took < 800 + MARGIN, `urls: ${took.toFixed(0)} ms`);
  assert.equal(res.ok, false);
  assert.equal(res.checks.length, 2000);
  assert.ok(res.checks.every((c) => c.timedOut));
  assert.ok(hung.accepted() <= 256, `at most 256 connections at a time (${hung.accepted()})`);
  assert.match(res.checks[1999].reason!, /^not started before the deadline \(\d+ URLs ahead of it, at most 256 at a time\)$/);
  assert.ok(res.summary.length < 1000);
});

test('a deadline already spent: no socket is opened, the answer is "no answer" (http and stub_status alike)', async () => {
  const { request } = await import('../../src/sys/http1.ts');
  const { HeaderMap } = await import('../../src/sys/header-map.ts');
  const hung = await hungServer({ after });
  const ac = new AbortController();
  ac.abort();
  const a = await request({ url: `http://127.0.0.1:${hung.port}/`, method: 'GET', headers: new HeaderMap(), tlsVerify: true, wantBody: false, timeoutMs: 1, signal: ac.signal });
  assert.equal(a.ok, false);
  assert.equal(a.ok === false && a.timedOut, true);
  const { prober: stub, schema: stubSchema } = await import('../../src/probes/stub-status.ts');
  const r = await stub.run(v.parse(stubSchema, { type: 'stub_status', url: `http://127.0.0.1:${hung.port}/s` }) as never, { signal: ac.signal, deadline: performance.now(), stateDir: '/nonexistent' });
  assert.equal(r.ok, false);
  assert.equal(r.timedOut, true);
  assert.doesNotMatch(r.summary, /before initialization/);
  await new Promise((res) => setTimeout(res, 50));
  assert.equal(hung.accepted(), 0);
});
