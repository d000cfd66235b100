// Review of ReplyHead's fast framing scan: for random header sections built from the bytes
// that matter (case, white space incl. \x0b \xa0, CR, colons, obs-fold, NUL, latin1), the
// three framing fields read by the scan equal the full HeaderMap's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplyReader } from '../../src/sys/http1.ts';

const alpha = ['c', 'C', 't', 'T', 'Content-Length', 'content-length', 'Transfer-Encoding', 'TRANSFER-ENCODING', 'Connection', ':', ' ', '\t', '\r', '\x0b', '\x0c', '\xa0', '\x85', '5', ' 5', 'close', 'chunked', '\n', '\r\n', 'x', '\x00', '\x1c', '\x1f', '\xff'];

test('fast framing scan and full header map agree', () => {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  let compared = 0;
  for (let it = 0; it < 60000; it++) {
    let s = '';
    const n = 2 + Math.floor(rnd() * 14);
    for (let i = 0; i < n; i++) s += alpha[Math.floor(rnd() * alpha.length)];
    const head = `HTTP/1.1 200 OK\r\n${s}`;
    if (/\n\r?\n/.test(head)) continue;
    const r = new ReplyReader(false, true);
    try { r.push(Buffer.from(`${head}\r\n\r\n`, 'latin1')); } catch { continue; }
    const h = (r as unknown as { head?: { field(n: string): string | undefined; headers(): { get(n: string): string | undefined } } }).head;
    if (!h) continue;
    for (const f of ['content-length', 'transfer-encoding', 'connection']) {
      assert.equal(h.field(f), h.headers().get(f), `${JSON.stringify(head)} ${f}`);
      compared++;
    }
  }
  assert.ok(compared > 10000);
});
