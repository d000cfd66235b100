// Odd and hostile HTTP servers against the one-shot check (`hacheck check --url … --json`, the
// built CLI as keepalived runs it: one connection per URL, Connection: close) and against the
// probes in process (TLS, stub_status): real sockets, one class per test, the RFC 9110/9112
// section that says what the right answer is. The reader's byte-level conformance is in
// test/sys/http1.test.ts; the agent's kept connections in test/probes/http-reuse.test.ts.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as v from 'valibot';
import * as http from '../../src/probes/http.ts';
import * as stub from '../../src/probes/stub-status.ts';
import { hacheck, spawnAgent } from '../fixtures/hacheck.ts';
import { onRequestHead, tlsServer } from '../fixtures/servers.ts';

const dir = mkdtempSync(join(tmpdir(), 'hc-hostile-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A raw server: `onRequest(socket, head)` once the request head is in (`onAccept` instead answers
 * at accept, before reading anything); records every request head. Closed after the file.
 */
async function raw(opts: { onRequest?: (s: Socket, head: string) => void; onAccept?: (s: Socket) => void; host?: string }) {
  const heads: string[] = [];
  const socks = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let conns = 0;
  const server: Server = createServer((s) => {
    conns++;
    socks.add(s);
    s.on('error', () => {});
    s.on('close', () => socks.delete(s));
    if (opts.onAccept) return opts.onAccept(s);
    onRequestHead(s, (head) => {
      heads.push(head);
      opts.onRequest?.(s, head);
    });
  });
  after(() => { for (const t of timers) clearInterval(t); for (const s of socks) s.destroy(); server.close(); });
  await new Promise<void>((r) => server.listen(0, opts.host ?? '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const host = (opts.host ?? '127.0.0.1').includes(':') ? `[${opts.host}]` : opts.host ?? '127.0.0.1';
  return { url: `http://${host}:${port}/`, port, heads, conns: () => conns, every: (ms: number, fn: () => void) => { const t = setInterval(fn, ms); timers.add(t); return t; } };
}

let runs = 0;
/** `hacheck check --url URL --json` with nothing else configured; the JSON, its one check, the exit code, the wall time. */
async function check(url: string, timeout = '2s', ...more: string[]) {
  const r = await hacheck('check', '-c', '/dev/null', '--url', url, '--json', '--timeout', timeout, '--no-restart', '--maintenance-file', '', '--state-dir', join(dir, `s${runs++}`), ...more);
  let doc: { verdict: string; probes: { checks: { ok: boolean; value: string; reason?: string; timedOut?: boolean }[] }[] };
  try {
    doc = JSON.parse(r.stdout);
  } catch {
    assert.fail(`not JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
  assert.equal(r.stderr.includes('    at '), false, `no stack trace: ${r.stderr}`);
  return { code: r.code, ms: r.ms, doc, c: doc.probes[0].checks[0] };
}

test('RFC 9110 section 15.2: interim 100 Continue and 103 Early Hints before the final reply are skipped; the final one decides', async () => {
  const good = await raw({ onRequest: (s) => s.end('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok') });
  const r = await check(good.url);
  assert.equal(r.code, 0, JSON.stringify(r.doc));
  assert.match(r.c.value, /^200 in /);
  const bad = await raw({ onRequest: (s) => s.end('HTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n') });
  const b = await check(bad.url);
  assert.equal(b.code, 1);
  assert.equal(b.c.reason, 'status 503, expected 200-399');
});

test('RFC 9110 section 15.2.2: an unsolicited 101 Switching Protocols is the answer (status 101, unhealthy at once), not an interim reply followed by a wait for the deadline', async () => {
  const srv = await raw({ onRequest: (s) => s.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n\x81\x02hi') });
  const r = await check(srv.url, '2s');
  assert.equal(r.code, 1);
  assert.equal(r.c.reason, 'status 101, expected 200-399');
  assert.ok(r.ms < 1500, `answered at once, not at the 2 s deadline (${Math.round(r.ms)} ms)`);
});

test('RFC 9112 section 4: a server that is not HTTP (an SSH banner, a TLS alert, a bad status line) fails at once, named, not at the deadline as "server hung"', async () => {
  const cases: [string, string | Buffer, RegExp][] = [
    ['ssh', 'SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n', /^bad response: not an HTTP\/1\.x response: "SSH-2\.0-OpenSSH_9\.2p1 Debian-2"$/],
    ['tls alert', Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]), /\(a TLS record: is this an https:\/\/ port\?\)$/],
    ['4-digit status', 'HTTP/1.1 2000 OK\r\n', /^bad response: not an HTTP\/1\.x response: "HTTP\/1\.1 2000 OK"$/],
    ['HTTP/2 status line', 'HTTP/2 200\r\n', /^bad response: not an HTTP\/1\.x response: "HTTP\/2 200"$/],
  ];
  for (const [what, bytes, want] of cases) {
    // the server says its piece and then waits, as sshd waits for the client's banner
    const srv = await raw({ onRequest: (s) => s.write(bytes) });
    const r = await check(srv.url, '2s');
    assert.equal(r.code, 1, what);
    assert.match(r.c.reason ?? '', want, what);
    assert.equal(r.c.timedOut, false, what);
    assert.ok(r.ms < 1500, `${what}: at once, not at the deadline (${Math.round(r.ms)} ms)`);
  }
  // said before the request was even read
  const banner = await raw({ onAccept: (s) => s.write('SSH-2.0-OpenSSH_9.2\r\n') });
  assert.match((await check(banner.url)).c.reason ?? '', /not an HTTP\/1\.x response: "SSH-2\.0-OpenSSH_9\.2"/);
});

test('RFC 9112 section 6.3 item 5 / RFC 9110 section 8.6: conflicting or malformed Content-Length fails a status-only check too (the reply is discarded, as curl and nginx\'s proxy do)', async () => {
  for (const [fields, want] of [
    ['Content-Length: 2\r\nContent-Length: 3', 'bad response: bad Content-Length "2, 3" (different values)'],
    ['Content-Length: +2', 'bad response: bad Content-Length "+2" (not a decimal number)'],
    ['Content-Length: 2 2', 'bad response: bad Content-Length "2 2" (not a decimal number)'],
    ['Content-Length: 99999999999999999999', 'bad response: bad Content-Length "99999999999999999999" (more than 15 digits)'],
  ]) {
    const srv = await raw({ onRequest: (s) => s.end(`HTTP/1.1 200 OK\r\n${fields}\r\n\r\nok`) });
    const r = await check(srv.url);
    assert.equal(r.code, 1, fields);
    assert.equal(r.c.reason, want);
  }
  // identical repeats are one value; Transfer-Encoding overrides a Content-Length (section 6.3 item 3)
  for (const fields of ['Content-Length: 2\r\nContent-Length: 2', 'Content-Length: 50\r\nTransfer-Encoding: chunked']) {
    const body = fields.includes('chunked') ? '2\r\nok\r\n0\r\n\r\n' : 'ok';
    const srv = await raw({ onRequest: (s) => s.end(`HTTP/1.1 200 OK\r\n${fields}\r\n\r\n${body}`) });
    assert.equal((await check(srv.url)).code, 0, fields);
  }
});

test('RFC 9112 section 5: a header line without a colon fails the reply (as curl: "Header without colon")', async () => {
  const srv = await raw({ onRequest: (s) => s.end('HTTP/1.1 200 OK\r\nServer: odd\r\nThis is not a field\r\nContent-Length: 2\r\n\r\nok') });
  const r = await check(srv.url);
  assert.equal(r.code, 1);
  assert.equal(r.c.reason, 'bad response: response header line without a colon: "This is not a field"');
});

test('a reply that never finishes (one header byte every 50 ms, a slowloris) ends at --timeout, naming what was missing and how much came', async () => {
  const srv = await raw({
    onRequest: (s) => {
      s.write('HTTP/1.1 200 OK\r\nX-Slow: ');
      const t = srv.every(50, () => s.write('a'));
      s.on('close', () => clearInterval(t));
    },
  });
  const r = await check(srv.url, '700ms');
  assert.equal(r.code, 1);
  assert.equal(r.c.timedOut, true);
  assert.match(r.c.reason ?? '', /^no response headers within \d+ ms \(\d+ bytes of them received\) \(server hung\)$/);
  assert.ok(r.ms < 700 + 600, `ended at the deadline (${Math.round(r.ms)} ms)`);
});

test('a server that answers before reading the request, and one that closes right after the headers: the headers are the answer of a status-only check', async () => {
  const early = await raw({ onAccept: (s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok') });
  assert.equal((await check(early.url)).code, 0);
  const cut = await raw({ onRequest: (s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n') });
  const r = await check(cut.url);
  assert.equal(r.code, 0, JSON.stringify(r.doc));
  // with a body expectation the cut is the failure
  const cfg = v.parse(http.schema, { type: 'http', severity: 'critical', urls: [{ url: cut.url, body: 'ok' }] });
  const p = await http.prober.run(cfg, { signal: AbortSignal.timeout(1000), deadline: performance.now() + 1000, stateDir: '/nonexistent' });
  assert.equal(p.checks[0].reason, 'connection closed before the body was complete (status 200)');
});

test('redirects are not followed: a 302 is the answer (in the default 200-399, as curl without -L and keepalived\'s HTTP_GET), its Location never asked', async () => {
  const elsewhere = await raw({ onRequest: (s) => s.end('HTTP/1.1 500 Wrong\r\nContent-Length: 0\r\n\r\n') });
  const srv = await raw({ onRequest: (s) => s.end(`HTTP/1.1 302 Found\r\nLocation: ${elsewhere.url}\r\nContent-Length: 0\r\n\r\n`) });
  const r = await check(srv.url);
  assert.equal(r.code, 0);
  assert.match(r.c.value, /^302 in /);
  assert.equal(elsewhere.conns(), 0);
});

test('the request on the wire (RFC 9112 section 3.2, RFC 9110 section 7.2): IPv6 literal Host with its port, userinfo as Basic, percent-encoding kept, no fragment, Connection: close', async (t) => {
  let srv;
  try {
    srv = await raw({ host: '::1', onRequest: (s) => s.end('HTTP/1.1 204 No Content\r\n\r\n') });
  } catch {
    return t.skip('no IPv6 loopback (::1) here');
  }
  const r = await check(`http://us%40er:p%3Ass@[::1]:${srv.port}/a%20b/c?x=%2F&y#frag`);
  assert.equal(r.code, 0, JSON.stringify(r.doc));
  const lines = srv.heads[0].split('\r\n');
  assert.equal(lines[0], 'GET /a%20b/c?x=%2F&y HTTP/1.1');
  const field = (n: string) => lines.filter((l) => l.toLowerCase().startsWith(`${n}:`)).map((l) => l.slice(n.length + 1).trim());
  assert.deepEqual(field('host'), [`[::1]:${srv.port}`]);
  assert.deepEqual(field('authorization'), [`Basic ${Buffer.from('us@er:p:ss').toString('base64')}`]);
  assert.deepEqual(field('connection'), ['close']);
  // the password is never printed
  assert.equal(JSON.stringify(r.doc).includes('p%3Ass'), false);
});

test('TLS: an expired certificate fails with verify on, naming it; with verify off it answers and warns how long ago it expired', async () => {
  const tls = await tlsServer({ after }, { expired: true, name: 'old.example.test' });
  const run = async (u: Record<string, unknown>) => {
    const cfg = v.parse(http.schema, { type: 'http', severity: 'critical', urls: [{ url: `https://127.0.0.1:${tls.port}/`, ...u }] });
    return (await http.prober.run(cfg, { signal: AbortSignal.timeout(2000), deadline: performance.now() + 2000, stateDir: '/nonexistent' })).checks[0];
  };
  const on = await run({ ca_file: tls.certFile });
  assert.equal(on.ok, false);
  assert.equal(on.value, 'CERT_HAS_EXPIRED');
  assert.match(on.reason ?? '', /certificate has expired/);
  const off = await run({ tls_verify: false });
  assert.equal(off.ok, true, off.reason);
  const days = Math.ceil((Date.now() - Date.parse('2020-01-02T00:00:00Z')) / 86_400_000);
  assert.deepEqual(off.warnings, [`certificate expired ${days} days ago`]);
});

test('TLS: SNI is the Host header\'s name without a fully qualified trailing dot (RFC 6066 section 3), never an address', async () => {
  const tls = await tlsServer({ after }, { name: 'tls.example.test' });
  const run = async (headers: Record<string, string>) => {
    const cfg = v.parse(http.schema, { type: 'http', severity: 'critical', urls: [{ url: `https://127.0.0.1:${tls.port}/`, ca_file: tls.certFile, headers }] });
    return (await http.prober.run(cfg, { signal: AbortSignal.timeout(2000), deadline: performance.now() + 2000, stateDir: '/nonexistent' })).checks[0];
  };
  const dotted = await run({ Host: 'tls.example.test.' });
  assert.equal(dotted.ok, true, dotted.reason);
  assert.equal(tls.lastServername(), 'tls.example.test');
  await run({ Host: 'tls.example.test:8443' });
  assert.equal(tls.lastServername(), 'tls.example.test');
  await run({});
  assert.equal(tls.lastServername(), '', 'an IP address is not sent as SNI');
});

test('stub_status on the same reader: a server that is not HTTP, or sends conflicting lengths, fails at once with the reason; a page behind 100 Continue and chunked with bare LF is read', async () => {
  const runStub = async (url: string) => {
    const cfg = v.parse(stub.schema, { type: 'stub_status', severity: 'critical', url }) as stub.StubStatusConfig;
    return stub.prober.run(cfg, { signal: AbortSignal.timeout(1500), deadline: performance.now() + 1500, stateDir: join(dir, `stub${runs++}`), name: 'stub_status' });
  };
  const ssh = await raw({ onRequest: (s) => s.write('SSH-2.0-OpenSSH_9.2\r\n') });
  const a = await runStub(ssh.url);
  assert.equal(a.ok, false);
  assert.equal(a.checks[0].timedOut, false);
  assert.equal(a.checks[0].reason, 'bad response: not an HTTP/1.x response: "SSH-2.0-OpenSSH_9.2"');
  const dup = await raw({ onRequest: (s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\nContent-Length: 11\r\n\r\n') });
  assert.equal((await runStub(dup.url)).checks[0].reason, 'bad response: bad Content-Length "10, 11" (different values)');
  const page = 'Active connections: 3 \nserver accepts handled requests\n 10 10 20 \nReading: 0 Writing: 1 Waiting: 2 \n';
  const odd = await raw({ onRequest: (s) => s.end(`HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n${Buffer.byteLength(page).toString(16).toUpperCase()}\n${page}\n0\n\n`) });
  const ok = await runStub(odd.url);
  assert.equal(ok.ok, true, ok.summary);
  assert.equal(ok.metrics?.active, 3);
  assert.equal(ok.metrics?.waiting, 2);
});

test('the agent (kept connections) against an HTTP/1.0 server that answers one request per connection and never closes: a fresh connection every cycle, never a second request on one, healthy throughout', async (t) => {
  let ignored = 0;
  const srv = await raw({
    onAccept: (s) => {
      let n = 0;
      let buf = '';
      s.on('data', (d) => {
        buf += d.toString('latin1');
        while (buf.includes('\r\n\r\n')) {
          buf = buf.slice(buf.indexOf('\r\n\r\n') + 4);
          if (++n === 1) s.write('HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n');
          else ignored++;
        }
      });
    },
  });
  const state = join(dir, 'agent-state');
  const a = spawnAgent(t, ['-c', '/dev/null', '--url', srv.url, '--interval', '100ms', '--state-file', state, '--status-file', join(dir, 'agent-status.json'),
    '--state-dir', join(dir, 'agent-st'), '--maintenance-file', '', '--no-restart']);
  const read = () => { try { return readFileSync(state, 'utf8'); } catch { return undefined; } };
  for (const end = performance.now() + 10_000; read() === undefined; await new Promise((r) => setTimeout(r, 5))) {
    assert.ok(performance.now() < end, `no track_file after 10 s; agent stderr:\n${a.stderr()}`);
  }
  const seen = new Set<string | undefined>();
  const until = performance.now() + 1200;
  while (performance.now() < until) {
    seen.add(read());
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.deepEqual([...seen], ['0\n'], `track_file values seen; agent stderr:\n${a.stderr()}`);
  assert.equal(ignored, 0, 'a request sent on a connection the HTTP/1.0 server had finished with');
  assert.ok(srv.conns() >= 8, `one connection per cycle (${srv.conns()})`);
});
