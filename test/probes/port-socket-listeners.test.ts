// Review of the reused closed sockets: no listeners gathered on a socket over 1000 runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, Socket } from 'node:net';
import * as v from 'valibot';
import { prober, schema } from '../../src/probes/port.ts';

test('reused port sockets gather no listeners over 1000 runs', async () => {
  const srv = createServer((s) => s.destroy());
  await new Promise<void>((r) => srv.listen({ host: '127.0.0.1', port: 0 }, r));
  const port = (srv.address() as any).port;
  const closedSrv = createServer(); await new Promise<void>((r) => closedSrv.listen({ host: '127.0.0.1', port: 0 }, r));
  const closed = (closedSrv.address() as any).port; closedSrv.close();
  const seen = new Set<Socket>();
  const orig = Socket.prototype.connect;
  (Socket.prototype as any).connect = function (this: Socket, ...a: any[]) { seen.add(this); return (orig as any).apply(this, a); };
  try {
    for (let i = 0; i < 1000; i++) {
      const cfg = v.parse(schema, { type: 'port', targets: [`127.0.0.1:${port}`, `localhost:${port}`, `127.0.0.1:${closed}`, `localhost:${closed}`] });
      const r = await prober.run(cfg, { signal: AbortSignal.timeout(2000), deadline: performance.now() + 2000, stateDir: '/nonexistent' });
      assert.deepEqual(r.checks.map((c) => c.ok), [true, true, false, false], JSON.stringify(r.checks));
    }
  } finally { (Socket.prototype as any).connect = orig; srv.close(); }
  await new Promise((r) => setTimeout(r, 50));
  for (const s of seen) for (const e of s.eventNames()) assert.ok(s.listenerCount(e) <= 3, `${String(e)} ${s.listenerCount(e)}`);
});

test('at most 4 closed sockets are kept, however many targets finish at once', async () => {
  const srv = createServer((s) => s.destroy());
  await new Promise<void>((r) => srv.listen({ host: '127.0.0.1', port: 0 }, r));
  const port = (srv.address() as any).port;
  const runOnce = async () => {
    const used: Socket[] = [];
    const orig = Socket.prototype.connect;
    (Socket.prototype as any).connect = function (this: Socket, ...a: any[]) { used.push(this); return (orig as any).apply(this, a); };
    try {
      const cfg = v.parse(schema, { type: 'port', targets: Array.from({ length: 12 }, () => `127.0.0.1:${port}`) });
      const r = await prober.run(cfg, { signal: AbortSignal.timeout(2000), deadline: performance.now() + 2000, stateDir: '/nonexistent' });
      assert.equal(r.ok, true);
    } finally { (Socket.prototype as any).connect = orig; }
    await new Promise((r) => setTimeout(r, 50)); // every 'close' emitted
    return used;
  };
  const first = new Set(await runOnce());
  const second = await runOnce();
  srv.close();
  assert.ok(second.filter((s) => first.has(s)).length <= 4, `${second.filter((s) => first.has(s)).length} reused`);
});
