// Conformance of our own HTTP/1.1 reader and request writer (src/sys/http1.ts),
// as a library's would be tested (RFC 9112 framing, RFC 9110 fields): the same
// reply whatever the TCP segmentation, one limit for the header section,
// interim responses, chunked/Content-Length/close framing, obs-fold, names
// that are Object.prototype's, and exactly one Host/Content-Length/User-Agent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HEADER_LIMIT, ReplyReader, isDecimal, printable, requestHead, statusOf, type Reply } from '../../src/sys/http1.ts';
import { HeaderMap, mergeHeaders } from '../../src/sys/header-map.ts';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

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
  assert.equal(read('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'), 'bad chunk size "zz" in a chunked body');
  assert.equal(read('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\n'), 'bad chunk size "-5" in a chunked body');
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
    ['Content-Length: 2\r\ncontent-length: 3', 'ok', 'bad Content-Length "2, 3" (different values)'],
    ['Content-Length: 2\r\n 3', 'ok', 'bad Content-Length "2 3" (not a decimal number)'], // obs-fold joins the continuation with a space
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

// ---- hostile and odd servers, class by class (RFC 9110 / RFC 9112 sections named per test) ----

/** A reader with connection reuse on (the agent's): the reply (or error text) and whether the connection may carry the next request. */
function readReuse(wire: string, size = 0, opts: { wantBody?: boolean; head?: boolean } = {}): { got: Reply | string | undefined; reusable: boolean } {
  const r = new ReplyReader(opts.wantBody ?? false, opts.head ?? false, true);
  const buf = Buffer.from(wire, 'latin1');
  let got: Reply | string | undefined;
  try {
    for (let i = 0; i < buf.length && !got; i += size || buf.length) got = r.push(buf.subarray(i, i + (size || buf.length)));
  } catch (e) {
    got = (e as Error).message;
  }
  return { got, reusable: r.reusable };
}

test('RFC 9112 section 6.3 item 5: an invalid Content-Length is an error even when no body is read (sign, inner space, different values, not digits, over 15 digits)', () => {
  const bad: [string, string][] = [
    ['+2', 'not a decimal number'], ['-1', 'not a decimal number'], ['2 3', 'not a decimal number'], ['0x10', 'not a decimal number'],
    ['1e3', 'not a decimal number'], ['', 'not a decimal number'], ['2, 3', 'different values'], ['2,', 'different values'],
    ['99999999999999999999', 'more than 15 digits'],
  ];
  for (const [value, why] of bad) {
    for (const opts of [{ wantBody: true }, { wantBody: false }, { wantBody: false, head: true }]) {
      for (const size of [0, 1]) {
        assert.equal(read(`HTTP/1.1 200 OK\r\nContent-Length: ${value}\r\n\r\nok`, size, opts), `bad Content-Length "${value}" (${why})`, `${JSON.stringify(value)} ${JSON.stringify(opts)} segments of ${size}`);
      }
    }
    // repeated as two fields: the same rule
    assert.match(read(`HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: ${value}\r\n\r\nok`, 0, { wantBody: false }) as string, /^bad Content-Length/);
  }
  // RFC 9110 section 8.6: identical values are one; leading zeros are digits; white space around it is not part of it
  for (const value of ['2, 2', '02', ' 2 ', '2,2']) assert.equal((read(`HTTP/1.1 200 OK\r\nContent-Length: ${value}\r\n\r\nok`) as Reply).body, 'ok', value);
  // RFC 9112 section 6.3 item 3: with Transfer-Encoding the Content-Length is not read at all
  assert.equal((read('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: +9\r\n\r\n2\r\nok\r\n0\r\n\r\n') as Reply).body, 'ok');
  // interim responses carry no framing of the reply
  assert.equal((read('HTTP/1.1 100 Continue\r\nContent-Length: x\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok') as Reply).body, 'ok');
});

test('RFC 9110 section 15.2.2: a 101 Switching Protocols (never asked for) is the answer, not an interim reply to skip; its connection is never reused', () => {
  for (const size of [0, 1]) {
    const { got, reusable } = readReuse('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n\x81\x02hi', size, { wantBody: true });
    assert.equal((got as Reply).status, 101, `segments of ${size}`);
    assert.equal(reusable, false);
  }
  // 100 and 103 stay interim
  assert.equal((read('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n') as Reply).status, 200);
});

test('RFC 9112 section 4: a reply that cannot be HTTP/1.x fails as soon as its first bytes say so, not when a blank line that never comes arrives', () => {
  const bad: [string, RegExp][] = [
    ['SSH-2.0-OpenSSH_9.2\r\n', /^not an HTTP\/1\.x response: "SSH-2\.0-OpenSSH_9\.2"$/],
    ['\x15\x03\x03\x00\x02\x02\x50', /^not an HTTP\/1\.x response: "\\x15\\x03\\x03\\x00\\x02\\x02P" \(a TLS record: is this an https:\/\/ port\?\)$/],
    ['HTTP/1.1 2000 OK\r\n', /^not an HTTP\/1\.x response: "HTTP\/1\.1 2000 OK"$/],
    ['HTTP/2 200\r\n', /^not an HTTP\/1\.x response/],
    ['HTTP/1.1 20x OK', /^not an HTTP\/1\.x response/],
    ['-ERR unknown command\r\n', /^not an HTTP\/1\.x response: "-ERR unknown command"$/],
    ['\r\nHTTP/1.1 200 OK\r\n', /^not an HTTP\/1\.x response: ""$/],
  ];
  for (const [wire, want] of bad) {
    assert.match(String(read(wire)), want, JSON.stringify(wire));
    // in pieces: refused at the first byte that cannot fit, quoting what came so far
    for (const size of [1, 3]) assert.match(String(read(wire, size)), /^not an HTTP\/1\.x response: "/, `${JSON.stringify(wire)} in segments of ${size}`);
  }
  // the block after an interim reply is checked the same way
  assert.match(String(read('HTTP/1.1 100 Continue\r\n\r\nSSH-2.0-x', 1)), /^not an HTTP\/1\.x response: "S"/);
  assert.match(String(read('HTTP/1.1 100 Continue\r\n\r\nSSH-2.0-x')), /^not an HTTP\/1\.x response: "SSH-2\.0-x"/);
  // a valid start waits for more, byte by byte
  for (const wire of ['H', 'HTTP/1.', 'HTTP/1.1 2', 'HTTP/1.1 200', 'HTTP/1.0 503\r', 'HTTP/1.1 200 OK\r\nX-A: 1\r\n']) {
    for (const size of [0, 1]) assert.equal(read(wire, size), undefined, `${JSON.stringify(wire)} in segments of ${size}`);
  }
});

test('the early status-line check never refuses a line statusOf accepts: every prefix of every accepted line, and a sweep of one-byte changes', async () => {
  const { statusPrefixProblem } = await import('../../src/sys/http1.ts');
  const lines = ['HTTP/1.1 200 OK', 'HTTP/1.0 503', 'HTTP/1.1 204 ', 'HTTP/1.1 100 Continue', 'HTTP/1.1 404 Not\rFound'];
  let checked = 0;
  for (const base of lines) {
    const variants = [base];
    for (let i = 0; i < 14; i++) for (const c of ['0', '1', '9', ' ', 'x', '\r', '\n', '\t', 'H', '/', '.']) variants.push(base.slice(0, i) + c + base.slice(i + 1));
    for (const line of variants) {
      for (const end of ['\r\n', '\n', '']) {
        const full = line + end;
        // what the header-block reading accepts: the first line up to LF, one trailing CR dropped
        const lf = full.indexOf('\n');
        const first = lf < 0 ? undefined : full.slice(0, full[lf - 1] === '\r' ? lf - 1 : lf);
        const accepted = first !== undefined && statusOf(first) !== undefined;
        for (let n = 0; n <= full.length; n++) {
          const p = statusPrefixProblem(full.slice(0, n));
          checked++;
          if (accepted) assert.notEqual(p, 'bad', `${JSON.stringify(full)} cut at ${n}`);
        }
      }
    }
  }
  assert.ok(checked > 1000);
});

test('RFC 9112 section 5: a header line without a colon or without a name is a bad response (as curl, Node and nginx\'s proxy read it); obs-fold continuations are not such lines', () => {
  for (const opts of [{ wantBody: true }, { wantBody: false }, { wantBody: false, head: true }]) {
    assert.equal(read('HTTP/1.1 200 OK\r\nX-A: 1\r\nGarbage line\r\nContent-Length: 2\r\n\r\nok', 0, opts), 'response header line without a colon: "Garbage line"');
    assert.equal(read('HTTP/1.1 200 OK\r\n: no name\r\nContent-Length: 2\r\n\r\nok', 0, opts), 'response header line without a name: ": no name"');
    assert.equal(read('HTTP/1.1 204 No Content\nGarbage\n\n', 1, opts), 'response header line without a colon: "Garbage"');
    // the line is quoted as printable text
    assert.equal(read('HTTP/1.1 200 OK\r\n\x1b[31mred\r\n\r\n', 0, opts), 'response header line without a colon: "\\x1b[31mred"');
  }
  const folded = read('HTTP/1.1 200 OK\r\nX-Fold: a\r\n b\r\n\tc\r\nContent-Length: 2\r\n\r\nok') as Reply;
  assert.equal(folded.headers.get('x-fold'), 'a b c');
  assert.equal(folded.body, 'ok');
});

test('RFC 9112 section 7.1: chunk data must end with CRLF (a size that lies is an error); bare LF chunk lines, upper-case hex, extensions and trailers are read', () => {
  const te = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';
  for (const size of SEGMENTS) {
    assert.equal(read(`${te}2\r\nokXX0\r\n\r\n`, size), 'chunk data longer than its chunk size (no CRLF after it)', `segments of ${size}`);
    assert.equal(read(`${te}2\r\nok\rX0\r\n\r\n`, size), 'chunk data longer than its chunk size (no CRLF after it)', `segments of ${size}`);
    assert.equal((read(`${te}2\nok\n3\nabc\n0\n\n`, size) as Reply).body, 'okabc', `LF only, segments of ${size}`);
    assert.equal((read(`${te}A\r\n0123456789\r\n1f;name="v"\r\n${'x'.repeat(31)}\r\n0\r\nX-T: 1\r\n\r\n`, size) as Reply).body, `0123456789${'x'.repeat(31)}`, `segments of ${size}`);
    // the last chunk ends the body: trailers or a final CRLF that never come are not waited for
    assert.equal((read(`${te}2\r\nok\r\n0\r\n`, size) as Reply).body, 'ok', `segments of ${size}`);
  }
  // a size over 15 hex digits (2^60) is not a number to trust
  assert.equal(read(`${te}${'f'.repeat(16)}\r\n`), `bad chunk size "${'f'.repeat(16)}" in a chunked body`);
  // a huge but valid size reads up to the body limit, then answers
  const big = read(`${te}${'f'.repeat(15)}\r\n${'y'.repeat(300 * 1024)}`, 64 * 1024) as Reply;
  assert.equal(big.body.length, 256 * 1024);
});

test('RFC 9112 section 6.3 item 4: chunked only as the final transfer coding; otherwise the body runs until close', () => {
  assert.equal((read('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n') as Reply).body, 'ok');
  assert.equal((read('HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n') as Reply).body, 'ok');
  for (const te of ['chunked, gzip', 'x-chunked', 'notchunked', 'identity']) {
    assert.equal(read(`HTTP/1.1 200 OK\r\nTransfer-Encoding: ${te}\r\n\r\n2\r\nok`), undefined, `${te}: not complete before the close`);
    assert.equal((read(`HTTP/1.1 200 OK\r\nTransfer-Encoding: ${te}\r\n\r\n2\r\nok`, 0, { close: true }) as Reply).body, '2\r\nok', te);
  }
});

test('RFC 9112 section 9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with "keep-alive"', () => {
  const cases: [string, boolean][] = [
    ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', true],
    ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok', false],
    ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: Keep-Alive, Close\r\n\r\nok', false],
    ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: x-close\r\n\r\nok', true],
    ['HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok', false],
    ['HTTP/1.0 200\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok', true],
    ['HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: Keep-Alive\r\n\r\nok', true],
    ['HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: x-keep-alive\r\n\r\nok', false],
    ['HTTP/1.0 204 No Content\r\n\r\n', false],
  ];
  for (const [wire, want] of cases) {
    const { got, reusable } = readReuse(wire);
    assert.equal(typeof got, 'object', `${JSON.stringify(wire)}: ${String(got)}`);
    assert.equal(reusable, want, JSON.stringify(wire));
  }
});

test('RFC 9110 section 9.3.2 / 15.3.5 / 15.4.5: HEAD, 204 and 304 end at their headers; bytes after them (a body the server should not send) make the connection unfit for the next request', () => {
  for (const [wire, head] of [
    ['HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n', true], ['HTTP/1.1 204 No Content\r\n\r\n', false], ['HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n', false],
  ] as const) {
    const clean = readReuse(wire, 0, { head });
    assert.equal(clean.reusable, true, JSON.stringify(wire));
    const extra = readReuse(`${wire}body`, 0, { head });
    assert.equal(typeof extra.got, 'object');
    assert.equal(extra.reusable, false, `${JSON.stringify(wire)} + body`);
    // a stale reply right behind it, as a desynchronised server would send
    assert.equal(readReuse(`${wire}HTTP/1.1 503 Stale\r\nContent-Length: 0\r\n\r\n`, 0, { head }).reusable, false);
  }
  // the same for a Content-Length body followed by more than it said
  assert.equal(readReuse('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok\n').reusable, false);
  assert.equal(readReuse('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 503 Stale\r\n\r\n').reusable, false);
});

test('request target and Host (RFC 9112 section 3.2, RFC 9110 section 7.2): path and query as the URL parser encodes them, no fragment, no userinfo, a non-default port kept, an IPv6 literal in brackets', () => {
  const cases: [string, string, string][] = [
    ['http://h:8080/a b/%7e?x=1&y=a b#frag', 'GET /a%20b/%7e?x=1&y=a%20b HTTP/1.1', 'h:8080'],
    ['http://[::1]:8080/', 'GET / HTTP/1.1', '[::1]:8080'],
    ['https://[::1]/health', 'GET /health HTTP/1.1', '[::1]'],
    ['https://h:443/x', 'GET /x HTTP/1.1', 'h'],
    ['http://h:80', 'GET / HTTP/1.1', 'h'],
    ['http://u:p@h:81/#f', 'GET / HTTP/1.1', 'h:81'],
    ['http://b\u00fccher.example/', 'GET / HTTP/1.1', 'xn--bcher-kva.example'],
    ['http://h/%2e%2e/x', 'GET /x HTTP/1.1', 'h'],
    ['http://h/\u00e9?q=\u00e9', 'GET /%C3%A9?q=%C3%A9 HTTP/1.1', 'h'],
  ];
  for (const [url, line, host] of cases) {
    const h = head(url, 'GET');
    assert.equal(h.line, line, url);
    assert.equal(h.get('host'), host, url);
    assert.equal(h.count('host'), 1, url);
  }
});

test('bounded memory for a hostile chunked body: 300 K one-byte chunks keep one buffer of at most 256 KiB, not a Buffer object per chunk', () => {
  const wire = Buffer.from(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${'1\r\nx\r\n'.repeat(300 * 1024)}0\r\n\r\n`, 'latin1');
  // what the reader holds between segments: the heap after a full GC (as the agent calls it, src/commands/agent.ts)
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const r = new ReplyReader(true, false);
  gc();
  const before = process.memoryUsage().heapUsed;
  let peak = 0;
  let got: Reply | undefined;
  for (let i = 0; i < wire.length && !got; i += 64 * 1024) {
    got = r.push(wire.subarray(i, i + 64 * 1024));
    gc();
    peak = Math.max(peak, process.memoryUsage().heapUsed - before);
  }
  assert.equal(got?.body.length, 256 * 1024);
  // a Buffer object per chunk held ~50 MB here
  assert.ok(peak < 8 * 1024 * 1024, `heap held ${(peak / 1048576).toFixed(1)} MiB`);
  // chunk-size lines read byte by byte, as the regular expression read them
  const te = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';
  for (const line of ['5;a=b', '5 ;x', '5\t;x', '05', '0000000000005']) assert.equal((read(`${te}${line}\r\nhello\r\n0\r\n\r\n`) as Reply).body, 'hello', line);
  for (const line of ['5 ', '5 x', ';5', '5x', '0x5', '+5', ' 5', '5;a\rb']) assert.match(String(read(`${te}${line}\r\nhello\r\n0\r\n\r\n`)), /^bad chunk size/, JSON.stringify(line));
});
