// Conformance of our own HTTP/1.1 reader and request writer (src/sys/http1.ts),
// as a library's would be tested (RFC 9112 framing, RFC 9110 fields): the same
// reply whatever the TCP segmentation, one limit for the header section,
// interim responses, chunked/Content-Length/close framing, obs-fold, names
// that are Object.prototype's, and exactly one Host/Content-Length/User-Agent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HEADER_LIMIT, ReplyReader, isDecimal, printable, requestHead, statusOf, type Reply } from '../../src/sys/http1.ts';
import { HeaderMap, mergeHeaders } from '../../src/sys/header-map.ts';

/** Feeds `wire` in segments of `size` bytes (0: all at once); returns the reply, or the error text. */
function read(wire: string | Buffer, size = 0, opts: { wantBody?: boolean; head?: boolean; close?: boolean } = {}): Reply | string | undefined {
  const r = new ReplyReader(opts.wantBody ?? true, opts.head ?? false);
  const buf = Buffer.isBuffer(wire) ? wire : Buffer.from(wire, 'latin1');
  try {
    for (let i = 0; i < buf.length; i += size || buf.length) {
      const res = r.push(buf.subarray(i, i + (size || buf.length)));
      if (res) return res;
    }
    return opts.close ? r.end() : undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

const SEGMENTS = [0, 1, 2, 3, 7, 1000];

test('the same reply whatever the segmentation (1-byte, 3-byte, CRLF split across segments, one write)', () => {
  const wire = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\nX-A: 1\r\n\r\nhello world';
  for (const size of SEGMENTS) {
    const r = read(wire, size) as Reply;
    assert.equal(typeof r, 'object', `segment ${size}: ${r}`);
    assert.equal(r.status, 200);
    assert.equal(r.body, 'hello world', `segment ${size}`);
    assert.equal(r.headers.get('x-a'), '1');
  }
});

test('one limit for the header section: the same verdict in one segment, 1 KiB or 1-byte segments', () => {
  const block = (n: number) => {
    const fixed = 'HTTP/1.1 200 OK\r\nX-Pad: \r\n\r\n'.length;
    return `HTTP/1.1 200 OK\r\nX-Pad: ${'a'.repeat(n - fixed)}\r\n\r\n`;
  };
  assert.equal(block(HEADER_LIMIT).length, HEADER_LIMIT);
  for (const size of [0, 1024, 1]) {
    const ok = read(block(HEADER_LIMIT), size, { wantBody: false });
    assert.equal(typeof ok, 'object', `exactly the limit, segments of ${size}: ${ok}`);
    assert.equal(read(block(HEADER_LIMIT + 1), size, { wantBody: false }), 'response headers larger than 64 KiB', `one byte over, segments of ${size}`);
    // never terminated: refused once past the limit, not buffered without end
    assert.equal(read(`HTTP/1.1 200 OK\r\nX-Pad: ${'a'.repeat(HEADER_LIMIT * 2)}`, size, { wantBody: false }), 'response headers larger than 64 KiB');
  }
});

test('interim 1xx blocks are skipped and count toward the one header limit', () => {
  const r = read('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n', 1) as Reply;
  assert.equal(r.status, 204);
  assert.equal(r.headers.get('link'), undefined, 'interim fields are not the reply');
  const many = 'HTTP/1.1 100 Continue\r\n\r\n'.repeat(Math.ceil(HEADER_LIMIT / 25) + 1);
  assert.equal(read(many + 'HTTP/1.1 200 OK\r\n\r\n', 0, { wantBody: false }), 'response headers larger than 64 KiB');
  assert.equal(read(many + 'HTTP/1.1 200 OK\r\n\r\n', 512, { wantBody: false }), 'response headers larger than 64 KiB');
});

test('chunked: extensions, trailers, sizes split across segments; a bad or endless size line is an error', () => {
  const wire = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n';
  for (const size of SEGMENTS) assert.equal((read(wire, size) as Reply).body, 'hello world', `segment ${size}`);
  assert.equal(read('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'), 'bad chunk size in a chunked body');
  assert.equal(read('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\n'), 'bad chunk size in a chunked body');
  assert.equal(read(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;${'x'.repeat(5000)}`, 100), 'chunk-size line too long in a chunked body');
});

test('framing: Transfer-Encoding beats Content-Length; identical Content-Length values are one; different ones are an error', () => {
  assert.equal((read('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n') as Reply).body, 'ok');
  assert.equal((read('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok') as Reply).body, 'ok');
  assert.equal((read('HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok') as Reply).body, 'ok');
  assert.match(read('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok') as string, /^bad Content-Length/);
  assert.match(read('HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\nok') as string, /^bad Content-Length "abc"/);
  // close-delimited: complete at the end of the connection, not before
  assert.equal(read('HTTP/1.1 200 OK\r\n\r\nuntil close', 4), undefined);
  assert.equal((read('HTTP/1.1 200 OK\r\n\r\nuntil close', 4, { close: true }) as Reply).body, 'until close');
  // HEAD, 204 and 304 have no body whatever their Content-Length
  assert.equal((read('HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n', 0, { head: true }) as Reply).body, '');
  assert.equal((read('HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n') as Reply).status, 304);
});

test('framing fields are read as the full field map reads them: any case, repeats, white space, obs-fold, look-alike names', () => {
  // [header lines, body after the blank line, what the reply must be]
  const cases: [string, string, string | { body: string; reusable?: boolean }][] = [
    ['CONTENT-LENGTH: 2', 'ok', { body: 'ok' }],
    ['content-length:2', 'okXX', { body: 'ok' }],
    ['Content-Length : 2', 'ok', { body: 'ok' }], // a name with space before the colon: trimmed, as the map does
    ['Content-Type: text/plain\r\nContent-Length: 2', 'ok', { body: 'ok' }],
    ['Content-Length: 2\r\ncontent-length: 2', 'ok', { body: 'ok' }],
    ['Content-Length: 2\r\ncontent-length: 3', 'ok', 'bad Content-Length "2, 3"'],
    ['Content-Length: 2\r\n 3', 'ok', 'bad Content-Length "2 3"'], // obs-fold joins the continuation with a space
    ['X-A: 1\r\n\tContent-Length: 9\r\nContent-Length: 2', 'ok', { body: 'ok' }], // folded into X-A: not a Content-Length field
    ['\x0bContent-Length: 2', 'ok', { body: 'ok' }], // the map trims a vertical tab off a name
    ['TRANSFER-ENCODING: CHUNKED\r\nContent-Length: 99', '2\r\nok\r\n0\r\n\r\n', { body: 'ok' }],
    ['Trailer: x\r\nTE: y\r\nContent-Length: 2', 'ok', { body: 'ok' }], // t-names that are not Transfer-Encoding
    ['Contentlength: 5\r\nContent-Length: 2', 'ok', { body: 'ok' }],
    ['Content-Length: 2\r\nCONNECTION: Close', 'ok', { body: 'ok', reusable: false }],
    ['Content-Length: 2\r\nConnection: keep-alive', 'ok', { body: 'ok', reusable: true }],
    ['Content-Length: 2\r\nConnection: upgrade, close', 'ok', { body: 'ok', reusable: false }],
  ];
  for (const [fields, body, want] of cases) {
    for (const size of [0, 1, 5]) {
      const r = new ReplyReader(true, false, true);
      const wire = Buffer.from(`HTTP/1.1 200 OK\r\n${fields}\r\n\r\n${body}`, 'latin1');
      let got: Reply | string | undefined;
      try {
        for (let i = 0; i < wire.length && !got; i += size || wire.length) got = r.push(wire.subarray(i, i + (size || wire.length)));
      } catch (e) {
        got = (e as Error).message;
      }
      const where = `${JSON.stringify(fields)} in ${size || 'one'}-byte segments`;
      if (typeof want === 'string') {
        assert.equal(got, want, where);
        continue;
      }
      assert.equal(typeof got, 'object', `${where}: ${String(got)}`);
      assert.equal((got as Reply).body, want.body, where);
      if (want.reusable !== undefined && body.length === want.body.length) assert.equal(r.reusable, want.reusable, where);
    }
  }
  // the full map is built on first use and agrees with the framing read
  const r = read('HTTP/1.1 200 OK\r\nServer: nginx\r\ncontent-LENGTH: 2\r\nX-Fold: a\r\n b\r\n\r\nok') as Reply;
  assert.equal(r.headers.get('Content-Length'), '2');
  assert.equal(r.headers.get('x-fold'), 'a b');
  assert.equal(r.headers, r.headers, 'made once');
});

test('status line: HTTP/1.0 and no reason phrase accepted; anything else is not HTTP', () => {
  assert.equal((read('HTTP/1.0 503\r\n\r\n', 0, { wantBody: false }) as Reply).status, 503);
  assert.match(read('SSH-2.0-OpenSSH_9.2\r\n\r\n') as string, /^not an HTTP\/1.x response/);
  assert.match(read('HTTP/2 200\r\n\r\n') as string, /^not an HTTP\/1.x response/);
});

test('response fields: case-insensitive, repeated ones joined, obs-fold unfolded, prototype names are plain names', () => {
  const r = read('HTTP/1.1 200 OK\r\nX-Multi: a\r\nx-multi: b\r\nX-Fold: one\r\n  two\r\n__proto__: p\r\nconstructor: c\r\nContent-Length: 0\r\n\r\n') as Reply;
  assert.equal(r.headers.get('X-MULTI'), 'a, b');
  assert.equal(r.headers.get('x-fold'), 'one two');
  assert.equal(r.headers.get('__proto__'), 'p');
  assert.equal(r.headers.get('Constructor'), 'c');
  assert.equal(r.headers.get('toString'), undefined);
  assert.equal(r.headers.get('hasOwnProperty'), undefined);
  assert.equal(read('HTTP/1.1 200 OK\r\n' + 'X: 1\r\n'.repeat(201) + '\r\n'), 'more than 200 response headers');
});

/** The request head as lines, and every field name lower-cased, for counting. */
function head(url: string, method: string, ...layers: Record<string, string>[]) {
  const r = requestHead(url, method, HeaderMap.from(...layers));
  assert.ok('head' in r, JSON.stringify(r));
  const lines = r.head.split('\r\n');
  assert.equal(r.head.slice(-4), '\r\n\r\n');
  const fields = lines.slice(1, -2).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as const);
  const count = (n: string) => fields.filter(([k]) => k === n).length;
  const get = (n: string) => fields.find(([k]) => k === n)?.[1];
  return { line: lines[0], count, get };
}

test('exactly one Host, User-Agent and Content-Length on the wire, whatever the spelling (adv-10)', () => {
  for (const spelling of ['Host', 'host', 'HOST', 'hOsT']) {
    const h = head('http://127.0.0.1:8080/x?y=1', 'GET', { Host: 'probe.example' }, { [spelling]: 'url.example' });
    assert.equal(h.line, 'GET /x?y=1 HTTP/1.1');
    assert.equal(h.count('host'), 1, spelling);
    assert.equal(h.get('host'), 'url.example', `the later layer wins (${spelling})`);
  }
  assert.equal(head('http://127.0.0.1:8080/', 'GET').get('host'), '127.0.0.1:8080');
  assert.equal(head('http://example.test:80/', 'GET').get('host'), 'example.test');
  const ua = head('http://h/', 'GET', { 'user-agent': 'mine/1' });
  assert.equal(ua.count('user-agent'), 1);
  assert.equal(ua.get('user-agent'), 'mine/1');
  assert.equal(head('http://h/', 'GET').get('user-agent'), 'hacheck');
  for (const spelling of ['Content-Length', 'content-length', 'Content-length', 'CONTENT-LENGTH']) {
    const post = head('http://h/', 'POST', { [spelling]: '0' });
    assert.equal(post.count('content-length'), 1, spelling);
    assert.equal(post.get('content-length'), '0');
  }
  assert.equal(head('http://h/', 'POST').count('content-length'), 1);
  assert.equal(head('http://h/', 'GET').count('content-length'), 0);
  const conn = head('http://h/', 'GET', { connection: 'keep-alive' });
  assert.equal(conn.count('connection'), 1);
  assert.equal(conn.get('connection'), 'close');
});

test('header names that are Object.prototype properties are sent like any other', () => {
  const layer = JSON.parse('{"__proto__": "p", "constructor": "c", "toString": "t"}') as Record<string, string>;
  const h = head('http://h/', 'GET', layer);
  assert.equal(h.get('__proto__'), 'p');
  assert.equal(h.get('constructor'), 'c');
  assert.equal(h.get('tostring'), 't');
  // merging layers (flags over file) keeps them as own keys
  const merged = mergeHeaders(layer, { CONSTRUCTOR: 'flag' });
  assert.deepEqual(Object.entries(merged), [['__proto__', 'p'], ['CONSTRUCTOR', 'flag'], ['toString', 't']]);
  assert.equal(Object.getPrototypeOf(merged), Object.prototype);
});

test('URL userinfo becomes Authorization: Basic (percent-decoded, UTF-8); an explicit Authorization wins', () => {
  const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
  assert.equal(head('http://user:pass@h/', 'GET').get('authorization'), basic('user:pass'));
  assert.equal(head('http://us%40er:p%3Ass%20w@h/', 'GET').get('authorization'), basic('us@er:p:ss w'));
  assert.equal(head('http://j%C3%B6rg:%E2%82%AC@h/', 'GET').get('authorization'), basic('jörg:€'));
  assert.equal(head('http://token@h/', 'GET').get('authorization'), basic('token:'));
  const explicit = head('http://user:pass@h/', 'GET', { authorization: 'Bearer abc' });
  assert.equal(explicit.count('authorization'), 1);
  assert.equal(explicit.get('authorization'), 'Bearer abc');
  assert.equal(head('http://h/', 'GET').count('authorization'), 0);
  assert.equal(head('http://user:pass@h/', 'GET').get('host'), 'h', 'userinfo is not part of Host');
});

test('a line break in a header value is refused, never sent', () => {
  assert.deepEqual(requestHead('http://h/', 'GET', HeaderMap.from({ 'X-A': 'a\r\nInjected: 1' })), { error: 'request header or URL holds a line break' });
});

test('a bare LF ends lines too (RFC 9112 §2.2 MAY, as curl reads it): LF-only and mixed header blocks, any segmentation', () => {
  for (const wire of ['HTTP/1.1 200 OK\nContent-Length: 5\nX-A: 1\n\nhello', 'HTTP/1.1 200 OK\r\nContent-Length: 5\nX-A: 1\r\n\nhello', 'HTTP/1.1 200 OK\nContent-Length: 5\nX-A: 1\r\n\r\nhello']) {
    for (const size of SEGMENTS) {
      const r = read(wire, size) as Reply;
      assert.equal(typeof r, 'object', `${JSON.stringify(wire)} in segments of ${size}: ${r}`);
      assert.equal(r.status, 200);
      assert.equal(r.body, 'hello', `${JSON.stringify(wire)} in segments of ${size}`);
      assert.equal(r.headers.get('x-a'), '1');
      assert.equal(r.headers.get('content-length'), '5');
    }
  }
  // `printf 'HTTP/1.0 200 OK\n\nok'` then close: read until close
  assert.equal((read('HTTP/1.0 200 OK\n\nok', 1, { close: true }) as Reply).body, 'ok');
  // an interim block ended by LF LF, then the reply
  assert.equal((read('HTTP/1.1 100 Continue\n\nHTTP/1.1 204 No Content\n\n', 1) as Reply).status, 204);
  // the one limit holds with LF terminators too
  const fixed = 'HTTP/1.1 200 OK\nX-Pad: \n\n'.length;
  const at = (n: number) => `HTTP/1.1 200 OK\nX-Pad: ${'a'.repeat(n - fixed)}\n\n`;
  for (const size of [0, 1024, 1]) {
    assert.equal(typeof read(at(HEADER_LIMIT), size, { wantBody: false }), 'object', `exactly the limit, segments of ${size}`);
    assert.equal(read(at(HEADER_LIMIT + 1), size, { wantBody: false }), 'response headers larger than 64 KiB', `one byte over, segments of ${size}`);
  }
});

test('server text quoted in a reason carries no control character (a terminal escape, a BEL, a line break): \\xHH', () => {
  assert.equal(read('\x1b]0;PWNED\x07\x1b[2J\x1b[31mEVIL\r\n\r\n'), 'not an HTTP/1.x response: "\\x1b]0;PWNED\\x07\\x1b[2J\\x1b[31mEVIL"');
  assert.equal(printable('a\u0085b\x7fc\td'), 'a\\x85b\\x7fc\\x09d');
  assert.equal(printable('x'.repeat(100), 10), `${'x'.repeat(10)}…`);
  assert.equal(printable('plain text, ünïcode'), 'plain text, ünïcode');
});

test('status line (RFC 9112 section 4): HTTP/1.0 or 1.1, one space, three digits, then a space or the end', () => {
  const ok: [string, number][] = [['HTTP/1.1 200 OK', 200], ['HTTP/1.1 200', 200], ['HTTP/1.0 404 Not Found', 404], ['HTTP/1.1 503 ', 503], ['HTTP/1.1 100 Continue', 100]];
  for (const [line, code] of ok) assert.equal(statusOf(line), code, line);
  for (const line of ['HTTP/1.1 2000', 'HTTP/1.2 200 OK', 'HTTP/1.1  200 OK', 'HTTP/1.1 20x OK', 'HTTP/2 200', 'http/1.1 200 OK', 'HTTP/1.1 200\tOK', 'HTTP/1.1', 'HTTP/1.1 20', '', 'ICY 200 OK', 'HTTP/1.1 \u0662\u0660\u0660 OK']) {
    assert.equal(statusOf(line), undefined, JSON.stringify(line));
  }
});

test('Content-Length digits: 1 to 15 ASCII digits only', () => {
  for (const t of ['0', '7', '123456789012345']) assert.equal(isDecimal(t), true, t);
  for (const t of ['', '1234567890123456', ' 1', '1 ', '+1', '-1', '1e3', '0x10', '1.0', '\u0661']) assert.equal(isDecimal(t), false, JSON.stringify(t));
});
