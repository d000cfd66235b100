// Review of takeIdle without its readyState check: a server that half-closes (FIN) a kept
// connection right after its reply, or a little later, never fails the next request.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { request, enableConnectionReuse } from '../../src/sys/http1.ts';
import { HeaderMap } from '../../src/sys/header-map.ts';

enableConnectionReuse();
const get = (url: string) => request({ url, method: 'GET', headers: new HeaderMap(), tlsVerify: true, wantBody: false, timeoutMs: 2000, signal: AbortSignal.timeout(2500) });

async function server(after_: (s: Socket) => void) {
  let conns = 0;
  const socks = new Set<Socket>();
  const srv = createServer({ allowHalfOpen: true }, (s) => {
    conns++; socks.add(s);
    let buf = '';
    s.on('data', (d) => {
      buf += d;
      while (buf.includes('\r\n\r\n')) {
        buf = buf.slice(buf.indexOf('\r\n\r\n') + 4);
        s.write('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n');
        after_(s);
      }
    });
    s.on('error', () => {}); s.on('close', () => socks.delete(s));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  after(() => { for (const s of socks) s.destroy(); srv.close(); });
  return { url: `http://127.0.0.1:${(srv.address() as { port: number }).port}/`, conns: () => conns };
}

for (const [name, delay] of [['with the reply', -1], ['at once after it', 0], ['1 ms later', 1], ['20 ms later', 20]] as const) {
  test(`a FIN ${name}: the next requests all succeed`, async () => {
    const srv = await server((s) => (delay < 0 ? s.end() : setTimeout(() => s.end(), delay)));
    for (let i = 0; i < 50; i++) {
      const a = await get(srv.url);
      assert.equal(a.ok, true, `${i}: ${JSON.stringify(a)}`);
      if (i % 2) await new Promise((r) => setTimeout(r, delay < 0 ? 0 : delay + 1));
    }
  });
}
