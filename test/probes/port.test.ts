// port probe, in process: TCP connect over IPv4 and IPv6 against a real nginx,
// a closed port, a target list with one bad entry, the deadline; target parsing.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as v from 'valibot';
import { parseHostPort, prober, schema } from '../../src/probes/port.ts';
import { startNginx } from '../fixtures/nginx-server.ts';

const ng = await startNginx({ after });

async function probe(targets: (string | number)[], ms = 2000) {
  const cfg = v.parse(schema, { type: 'port', targets });
  return prober.run(cfg, { signal: AbortSignal.timeout(ms), deadline: performance.now() + ms, stateDir: '/nonexistent' });
}

test('IPv4: host:port and a bare port (127.0.0.1)', async () => {
  const r = await probe([`127.0.0.1:${ng.port}`, ng.port]);
  assert.equal(r.ok, true, r.summary);
  assert.equal(r.summary, '2/2 ports open');
  assert.deepEqual(r.checks.map((c) => c.target), [`127.0.0.1:${ng.port}`, `127.0.0.1:${ng.port}`]);
  assert.match(r.checks[0].value, /^connected in [\d.]+ ms$/);
});

test('IPv6: [::1]:port', async (t) => {
  if (!ng.port6) return t.skip('no IPv6 loopback (::1) on this machine');
  const r = await probe([`[::1]:${ng.port6}`]);
  assert.equal(r.ok, true, r.summary);
  assert.equal(r.checks[0].target, `[::1]:${ng.port6}`);
});

test('a closed port fails with the reason, and fails the whole probe', async () => {
  const r = await probe([`127.0.0.1:${ng.port}`, `127.0.0.1:${ng.downPort}`]);
  assert.equal(r.ok, false);
  assert.equal(r.summary, `127.0.0.1:${ng.downPort} not accepting connections`);
  const bad = r.checks[1];
  assert.equal(bad.value, 'ECONNREFUSED');
  assert.match(bad.reason!, /ECONNREFUSED/);
  assert.equal(bad.timedOut, false);
});

test('a closed IPv6 port', async (t) => {
  if (!ng.port6) return t.skip('no IPv6 loopback (::1) on this machine');
  const r = await probe([`[::1]:${ng.downPort}`]);
  assert.equal(r.ok, false);
});

test('a deadline already spent reports no answer, not a hang', async () => {
  const cfg = v.parse(schema, { type: 'port', targets: [ng.port] });
  const ac = new AbortController();
  ac.abort();
  const r = await prober.run(cfg, { signal: ac.signal, deadline: performance.now(), stateDir: '/nonexistent' });
  assert.equal(r.ok, false);
  assert.equal(r.checks[0].timedOut, true);
  assert.equal(r.checks[0].value, 'no answer');
});

test('target parsing', () => {
  assert.deepEqual(parseHostPort('80'), { host: '127.0.0.1', port: 80 });
  assert.deepEqual(parseHostPort('localhost:8080'), { host: 'localhost', port: 8080 });
  assert.deepEqual(parseHostPort('[::1]:443'), { host: '::1', port: 443 });
  assert.deepEqual(parseHostPort('[2001:db8::1]:80'), { host: '2001:db8::1', port: 80 });
  for (const bad of ['0', '65536', '::1:80', 'host:', ':80', 'a b:80', '[::1]', '080', '+80', '0x50', '127.1:80', '0x7f.1:80', '2130706433:80']) assert.equal(parseHostPort(bad), undefined, bad);
  assert.throws(() => v.parse(schema, { type: 'port', targets: ['99999'] }), /bad port target "99999"/);
  assert.throws(() => v.parse(schema, { type: 'port', targets: [] }), /at least one target/);
});
