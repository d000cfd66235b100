// The agent's kept-alive HTTP connections (src/sys/http1.ts enableConnectionReuse),
// against real nginx and real socket servers: one connection carries request
// after request; a connection the server closed meanwhile is retried once on a
// fresh one; chunked, read-until-close, "Connection: close" and large replies are
// never reused; a dead nginx is still refused; https is never kept.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { request, enableConnectionReuse, REUSE_MAX_AGE_MS } from '../../src/sys/http1.ts';
import { HeaderMap } from '../../src/sys/header-map.ts';
import { killNginxAndWait, startNginx } from '../fixtures/nginx-server.ts';
import { sleep } from '../fixtures/nginx-lab.ts';

enableConnectionReuse();
const ng = await startNginx({ after });

const get = (url: string, headers = new HeaderMap(), timeoutMs = 2000) =>
  request({ url, method: 'GET', headers, tlsVerify: true, wantBody: false, timeoutMs, signal: AbortSignal.timeout(timeoutMs + 500) });

/** A raw HTTP server answering each request with `reply(n)` (n = request number on that connection); counts connections. */
async function rawServer(reply: (n: number, sock: Socket) => string | undefined) {
  let conns = 0;
  const socks = new Set<Socket>();
  const srv = createServer((s) => {
    conns++;
    socks.add(s);
    let n = 0;
    let buf = '';
    s.on('data', (d) => {
      buf += d;
      while (buf.includes('\r\n\r\n')) {
        buf = buf.slice(buf.indexOf('\r\n\r\n') + 4);
        const r = reply(++n, s);
        if (r !== undefined) s.write(r);
      }
    });
    s.on('error', () => {});
    s.on('close', () => socks.delete(s));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  after(() => { for (const s of socks) s.destroy(); srv.close(); });
  return { url: `http://127.0.0.1:${(srv.address() as { port: number }).port}/`, conns: () => conns, socks, close: () => srv.close() };
}
const ok = (body = 'ok\n', extra = '') => `HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

test('nginx: ten requests on one kept-alive connection, each a full 200', async () => {
  const srv = await rawServer(() => ok());
  for (let i = 0; i < 10; i++) {
    const a = await get(srv.url);
    assert.equal(a.ok && a.reply.status, 200);
  }
  assert.equal(srv.conns(), 1);
  for (let i = 0; i < 5; i++) assert.equal((await get(`${ng.base}/`)).ok, true);
});

test('the server closed the idle connection: the next request gets a fresh one and succeeds', async () => {
  const srv = await rawServer(() => ok());
  assert.equal((await get(srv.url)).ok, true);
  for (const s of srv.socks) s.destroy();
  await sleep(50);
  assert.equal((await get(srv.url)).ok, true);
  assert.equal(srv.conns(), 2);
});

test('a kept connection that fails before any reply byte (closed as the request went out) is retried once on a fresh one', async () => {
  // the first connection answers once, then closes on the second request without answering
  const srv = await rawServer((n, s) => (n === 1 ? ok() : (s.destroy(), undefined)));
  assert.equal((await get(srv.url)).ok, true);
  const a = await get(srv.url);
  assert.equal(a.ok, true, JSON.stringify(a));
  assert.equal(srv.conns(), 2);
});

test('the retry of a kept connection is a new connect: its failure names the connect phase, not the headers', async () => {
  // the first connection answers once; on the second request the listener is gone and the connection closed
  let srvClose = () => {};
  const srv = await rawServer((n, s) => (n === 1 ? ok() : (srvClose(), s.destroy(), undefined)));
  const port = Number(new URL(srv.url).port);
  assert.equal((await get(srv.url)).ok, true);
  srvClose = () => srv.close();
  const a = await get(srv.url);
  assert.equal(a.ok, false, JSON.stringify(a));
  assert.equal(!a.ok && a.value, 'ECONNREFUSED', JSON.stringify(a));
  assert.equal(!a.ok && a.phase, 'connect', `refused on 127.0.0.1:${port}: ${JSON.stringify(a)}`);
});

test('a fresh connection that fails is not retried: the failure is the answer', async () => {
  const srv = await rawServer((_n, s) => (s.destroy(), undefined));
  const a = await get(srv.url);
  assert.equal(a.ok, false);
  assert.equal(srv.conns(), 1);
});

test('not reused: Connection: close, chunked, no length, a body over 64 KiB', async () => {
  for (const [what, reply] of [
    ['close', ok('ok\n', 'Connection: close\r\n')],
    ['chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nok\n\r\n0\r\n\r\n'],
    ['big', ok('x'.repeat(70 * 1024))],
  ] as const) {
    const srv = await rawServer(() => reply);
    for (let i = 0; i < 3; i++) assert.equal((await get(srv.url)).ok, true, what);
    assert.equal(srv.conns(), 3, what);
  }
  const eof = await rawServer((_n, s) => (s.end('HTTP/1.1 200 OK\r\n\r\nok\n'), undefined));
  for (let i = 0; i < 2; i++) assert.equal((await get(eof.url)).ok, true);
  assert.equal(eof.conns(), 2);
});

test('a server that sends bytes while the connection is idle: dropped, the next request is clean', async () => {
  const srv = await rawServer((n, s) => { setTimeout(() => s.write('garbage'), 10); return ok(); });
  assert.equal((await get(srv.url)).ok, true);
  await sleep(60);
  const a = await get(srv.url);
  assert.equal(a.ok && a.reply.status, 200);
  assert.equal(srv.conns(), 2);
});

test('a hung server on a kept connection times out (no answer), as on a fresh one', async () => {
  const srv = await rawServer((n) => (n === 1 ? ok() : undefined));
  assert.equal((await get(srv.url)).ok, true);
  const a = await get(srv.url, new HeaderMap(), 200);
  assert.equal(a.ok, false);
  assert.equal(!a.ok && a.timedOut, true);
});

test('nginx killed: the kept connection is gone, the next request is refused', async () => {
  const own = await startNginx({ after });
  assert.equal((await get(`${own.base}/`)).ok, true);
  await killNginxAndWait(own);
  const a = await get(`${own.base}/`);
  assert.equal(a.ok, false);
  assert.equal(!a.ok && a.value, 'ECONNREFUSED');
});

test('a server that serves its established connections but accepts no new one: a kept connection is used for at most REUSE_MAX_AGE_MS, then a fresh one is refused', async () => {
  // what nginx out of worker_connections or file descriptors, or a listener closed under
  // established connections, looks like to a client: the old connection still answers
  let conns = 0;
  const socks = new Set<Socket>();
  const srv = createServer((s) => {
    conns++;
    socks.add(s);
    s.on('data', (d) => { if (String(d).includes('\r\n\r\n')) s.write(ok()); });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  after(() => { for (const s of socks) s.destroy(); });
  const url = `http://127.0.0.1:${(srv.address() as { port: number }).port}/`;
  assert.equal((await get(url)).ok, true);
  srv.close(); // no new connection; the established one is still served
  assert.equal((await get(url)).ok, true, 'within its age the kept connection is used');
  assert.equal(conns, 1);
  await sleep(REUSE_MAX_AGE_MS + 50);
  const a = await get(url);
  assert.equal(a.ok, false, 'a connection kept for ever would still say 200');
  assert.equal(!a.ok && a.value, 'ECONNREFUSED');
  assert.equal(conns, 1);
});

const send = (url: string, method: string) => request({ url, method, headers: new HeaderMap(), tlsVerify: true, wantBody: true, timeoutMs: 1000, signal: AbortSignal.timeout(1500) });

test('a stale reply the server sent on the parked connection is never read as the next request\'s (its bytes drop the connection before the request goes out)', async () => {
  const srv = await rawServer(() => ok('fresh'));
  let a = await send(srv.url, 'GET');
  assert.equal(a.ok && a.reply.body, 'fresh');
  // A reply to no request (a desynchronised server, a duplicate of the last one) arrives after the
  // event loop's last poll and waits unread in the client's socket while the process is busy (a
  // synchronous 30 ms here, as a starved agent is not scheduled); then the next request starts:
  // from a timer (the agent's cycle), from a setImmediate, or right after an I/O callback.
  // (TCP_NODELAY, as nginx's tcp_nodelay: else Nagle holds the stale bytes until the client's next
  // segment, the request, acknowledges the last reply; then they follow the request and no client can
  // tell them from its answer)
  const stale = () => {
    for (const s of srv.socks) s.setNoDelay(true).write('HTTP/1.1 503 Stale\r\nContent-Length: 5\r\n\r\nstale');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30);
  };
  const starts: [string, (f: () => void) => void][] = [
    ['timer', (f) => setTimeout(f, 0)],
    ['immediate', (f) => setImmediate(f)],
    ['I/O callback', (f) => readFile('/proc/self/stat', () => f())],
  ];
  for (const [i, [name, start]] of starts.entries()) {
    a = await new Promise((r) => start(() => { stale(); r(send(srv.url, 'GET')); }));
    assert.equal(a.ok && `${a.reply.status} ${a.reply.body}`, '200 fresh', `${name}: ${JSON.stringify(a)}`);
    assert.equal(srv.conns(), 2 + i, name);
    assert.equal((await send(srv.url, 'GET')).ok, true);
  }
});

test('RFC 9112 section 9.3: an HTTP/1.0 reply without Connection: keep-alive ends its connection (a 1.0 server that ignores a second request hung the next cycle)', async () => {
  // answers the first request of each connection only, and never closes it
  const plain = await rawServer((n) => (n === 1 ? 'HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n' : undefined));
  for (let i = 0; i < 3; i++) {
    const a = await send(plain.url, 'GET');
    assert.equal(a.ok && a.reply.status, 200, `request ${i + 1}: ${JSON.stringify(a)}`);
  }
  assert.equal(plain.conns(), 3);
  const keep = await rawServer(() => 'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nok\n');
  for (let i = 0; i < 3; i++) assert.equal((await send(keep.url, 'GET')).ok, true);
  assert.equal(keep.conns(), 1);
});

test('RFC 9110 section 15.5.9: a 408 on a kept connection (the server timing it out as idle) is retried once on a fresh one; a 408 on a fresh one is the answer', async () => {
  const srv = await rawServer((n, s) => (n === 1 ? ok() : (s.end('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'), undefined)));
  assert.equal((await send(srv.url, 'GET')).ok, true);
  const a = await send(srv.url, 'GET');
  assert.equal(a.ok && a.reply.status, 200, JSON.stringify(a));
  assert.equal(srv.conns(), 2);
  const always = await rawServer(() => 'HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n');
  const b = await send(always.url, 'GET');
  assert.equal(b.ok && b.reply.status, 408);
  assert.equal(always.conns(), 1);
});

test('RFC 9110 section 9.2.2: POST and PATCH never ride a kept connection (a failed one would be retried, and a user agent must not repeat them on its own)', async () => {
  for (const method of ['POST', 'PATCH']) {
    const srv = await rawServer(() => ok());
    for (let i = 0; i < 3; i++) assert.equal((await send(srv.url, method)).ok, true, method);
    assert.equal(srv.conns(), 3, method);
  }
  // a POST whose connection closes before any reply byte fails: it is not sent a second time
  const shut = await rawServer((_n, s) => (s.destroy(), undefined));
  const a = await send(shut.url, 'POST');
  assert.equal(a.ok, false);
  assert.equal(shut.conns(), 1);
  // idempotent methods keep using it
  const put = await rawServer(() => ok());
  for (let i = 0; i < 3; i++) assert.equal((await send(put.url, 'PUT')).ok, true);
  assert.equal(put.conns(), 1);
});

test('not reused: a HEAD reply followed by body bytes, a 101 Switching Protocols', async () => {
  const head = await rawServer(() => 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody');
  for (let i = 0; i < 2; i++) assert.equal((await request({ url: head.url, method: 'HEAD', headers: new HeaderMap(), tlsVerify: true, wantBody: false, timeoutMs: 1000, signal: AbortSignal.timeout(1500) })).ok, true);
  assert.equal(head.conns(), 2);
  const up = await rawServer(() => 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n');
  for (let i = 0; i < 2; i++) {
    const a = await send(up.url, 'GET');
    assert.equal(a.ok && a.reply.status, 101);
  }
  assert.equal(up.conns(), 2);
});

test('a status-only check on a kept connection answers at the headers, as on a fresh one: a small body kept only for the connection that comes late, never, or is cut off does not fail it', async () => {
  const head = 'HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n';
  // the body 150 ms late: answered at once, the connection parked once the body is in, and reused
  const late = await rawServer((_n, s) => { setTimeout(() => s.write('x'.repeat(20)), 150); return head; });
  const t0 = performance.now();
  const a = await get(late.url);
  assert.equal(a.ok && a.reply.status, 200, JSON.stringify(a));
  assert.ok(performance.now() - t0 < 120, `answered at the headers (${Math.round(performance.now() - t0)} ms)`);
  await sleep(250);
  assert.equal((await get(late.url)).ok, true);
  assert.equal(late.conns(), 1, 'parked after its body came');
  // never sent, or cut off: still the headers' answer; the connection is not kept
  for (const reply of [(s: Socket) => { s.write(head); }, (s: Socket) => { s.end(head); }, (s: Socket) => { s.end(`${head}short`); }]) {
    const srv = await rawServer((_n, s) => { reply(s); return undefined; });
    for (let i = 0; i < 2; i++) {
      const b = await get(srv.url, new HeaderMap(), 500);
      assert.equal(b.ok && b.reply.status, 200, JSON.stringify(b));
    }
    assert.equal(srv.conns(), 2);
  }
  // a body expectation still needs the body
  const cut = await rawServer((_n, s) => { s.end(head); return undefined; });
  const c = await request({ url: cut.url, method: 'GET', headers: new HeaderMap(), tlsVerify: true, wantBody: true, timeoutMs: 500, signal: AbortSignal.timeout(1000) });
  assert.equal(!c.ok && c.reason, 'connection closed before the body was complete (status 200)');
});
