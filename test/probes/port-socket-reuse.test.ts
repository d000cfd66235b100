// Review of the reused closed sockets: open, refused and aborted connects interleaved, each result is its own target.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import * as v from 'valibot';
import { prober, schema } from '../../src/probes/port.ts';

async function listen(backlog?: number) {
  const srv = createServer((s) => s.destroy());
  await new Promise<void>((r) => srv.listen({ host: '127.0.0.1', port: 0, backlog }, r));
  return srv;
}
async function probe(targets: (string | number)[], ms = 2000) {
  const cfg = v.parse(schema, { type: 'port', targets });
  const ac = new AbortController();
  if (ms < 1) { setImmediate(() => ac.abort()); return prober.run(cfg, { signal: ac.signal, deadline: performance.now() + 1, stateDir: '/nonexistent' }); }
  return prober.run(cfg, { signal: AbortSignal.timeout(ms), deadline: performance.now() + ms, stateDir: '/nonexistent' });
}

test('mixed open/refused/hung targets, many runs: each result is its own target', async () => {
  const open = await listen();
  const openPort = (open.address() as any).port;
  const closed = await listen(); const closedPort = (closed.address() as any).port; closed.close();
  // a listener that never accepts, its backlog filled: connects to it hang
  const hung = createServer(); hung.listen({ host: '127.0.0.1', port: 0, backlog: 0 });
  await new Promise((r) => hung.once('listening', r));
  (hung as any)._handle?.readStop?.();
  const hungPort = (hung.address() as any).port;
  hung.removeAllListeners('connection');
  (hung as any)._handle.onconnection = () => {};
  const fill: Socket[] = [];
  for (let i = 0; i < 8; i++) fill.push(connect(hungPort, '127.0.0.1').on('error', () => {}));
  await new Promise((r) => setTimeout(r, 200));
  after(() => { open.close(); hung.close(); fill.forEach((s) => s.destroy()); });
  const h = await probe([`127.0.0.1:${hungPort}`], 150);
  const hungWorks = h.checks[0].timedOut;
  for (let i = 0; i < 300; i++) {
    const targets = [`127.0.0.1:${openPort}`, `127.0.0.1:${closedPort}`, `127.0.0.1:${openPort}`, `127.0.0.1:${closedPort}`, `127.0.0.1:${openPort}`, `127.0.0.1:${closedPort}`];
    if (hungWorks && i % 10 === 0) targets.push(`127.0.0.1:${hungPort}`);
    const r = await probe(targets, hungWorks && i % 10 === 0 ? 60 : 2000);
    for (const c of r.checks) {
      const port = Number(c.target.split(':')[1]);
      if (port === openPort) assert.equal(c.ok, true, `${i} ${c.target} ${c.value} ${c.reason}`);
      else if (port === closedPort) assert.equal(c.value, 'ECONNREFUSED', `${i} ${c.target} ${c.value}`);
      else assert.equal(c.timedOut, true, `${i} ${c.target} ${c.value}`);
    }
  }
  for (let i = 0; i < 300; i++) {
    const r0 = await probe([`127.0.0.1:${openPort}`, `127.0.0.1:${closedPort}`, `127.0.0.1:${openPort}`], i % 3 === 0 ? 0.3 : 2000);
    if (i % 3 !== 0) {
      assert.equal(r0.checks[0].ok, true, `${i} ${r0.checks[0].value} ${r0.checks[0].reason}`);
      assert.equal(r0.checks[1].value, 'ECONNREFUSED', `${i} ${r0.checks[1].value}`);
      assert.equal(r0.checks[2].ok, true);
    }
  }
  for (let i = 0; i < 400; i++) {
    if (i % 2 === 0) { await probe([`localhost:${openPort}`, `localhost:${openPort}`, `localhost:${openPort}`, `localhost:${openPort}`, `localhost:${openPort}`], 0.5); continue; }
    const r = await probe([`127.0.0.1:${closedPort}`, `127.0.0.1:${closedPort}`, `127.0.0.1:${closedPort}`, `127.0.0.1:${closedPort}`, `127.0.0.1:${closedPort}`]);
    for (const c of r.checks) assert.equal(c.value, 'ECONNREFUSED', `${i} ${c.target} ${c.value}`);
  }
  await new Promise((r) => setTimeout(r, 100));

});
