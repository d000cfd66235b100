// The one redaction function (src/output/redact.ts): URL userinfo in any text,
// credential and cookie header values, a whole config for `validate --print`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redact, redactConfig, redactHeader, redactHeaders, redactUrl } from '../../src/output/redact.ts';

test('URL userinfo is masked whole, wherever the URL sits in a text', () => {
  assert.equal(redact('http://user:pass@127.0.0.1:8080/nginx_status'), 'http://xxxxx@127.0.0.1:8080/nginx_status');
  assert.equal(redact('https://token@api.example.com/'), 'https://xxxxx@api.example.com/');
  assert.equal(redact('http://u%40x:p%3As@h/'), 'http://xxxxx@h/');
  // raw config text: an unencoded @ or quote in the password; the parser takes the last @ of the authority
  assert.equal(redact('http://user:p@ss@h/x@y'), 'http://xxxxx@h/x@y');
  assert.equal(redact(`http://user:pa"s'@h`), 'http://xxxxx@h');
  assert.equal(redact('failing: http://a:b@h1/ (status 401); http://c:d@h2/ (ECONNREFUSED)'), 'failing: http://xxxxx@h1/ (status 401); http://xxxxx@h2/ (ECONNREFUSED)');
  assert.equal(redact('bad URL "http://admin:s3cret@exa mple/"'), 'bad URL "http://xxxxx@exa mple/"');
  for (const plain of ['http://127.0.0.1/', 'mail me: ops@example.com', 'http://h/path?user=a@b', '']) assert.equal(redact(plain), plain);
});

test('a URL on its own: userinfo masked as the WHATWG parser splits it, whatever the password holds', () => {
  // the parser accepts (and percent-encodes) a space or a tab in the userinfo: the whole password is masked
  assert.equal(redactUrl('http://user:pa ss@h/'), 'http://xxxxx@h/');
  assert.equal(redactUrl('http://user:pa\tss word@h:8080/x?y=a@b'), 'http://xxxxx@h:8080/x?y=a@b');
  assert.equal(redactUrl('HTTPS://tok en@h'), 'HTTPS://xxxxx@h');
  // not a URL (an unencoded / ? or # in the password): masked up to the last @, it is only shown in an error
  assert.equal(redactUrl('http://user:pa/ss@h/'), 'http://xxxxx@h/');
  assert.equal(redactUrl('http://user:pa?ss@h/'), 'http://xxxxx@h/');
  assert.equal(redactUrl('http://user:pa#ss@exa mple/'), 'http://xxxxx@exa mple/');
  for (const plain of ['http://127.0.0.1/', 'http://h/path?user=a@b', 'http://h/a@b', 'not a url', '']) assert.equal(redactUrl(plain), plain);
  assert.deepEqual(redactConfig({ url: 'http://user:pa ss@h/' }), { url: 'http://xxxxx@h/' });
});

test('credential and cookie headers keep their scheme and names only; names compared case-insensitively', () => {
  assert.equal(redactHeader('Authorization', 'Basic dXNlcjpwYXNz'), 'Basic xxxxx');
  assert.equal(redactHeader('authorization', 'Bearer eyJhbGciOi.x.y'), 'Bearer xxxxx');
  assert.equal(redactHeader('PROXY-AUTHORIZATION', 'Basic abc'), 'Basic xxxxx');
  assert.equal(redactHeader('Authorization', 'opaque-token'), 'xxxxx');
  assert.equal(redactHeader('Cookie', 'sid=abc; theme=dark'), 'sid=xxxxx; theme=xxxxx');
  assert.equal(redactHeader('Set-Cookie', 'sid=abc; Path=/; HttpOnly'), 'sid=xxxxx; Path=/; HttpOnly');
  assert.equal(redactHeader('Host', 'api.example.com'), 'api.example.com');
  assert.equal(redactHeader('Referer', 'http://u:p@h/'), 'http://xxxxx@h/');
  const proto = JSON.parse('{"__proto__": "x", "Authorization": "Basic a"}') as Record<string, string>;
  assert.deepEqual(Object.entries(redactHeaders(proto)), [['__proto__', 'x'], ['Authorization', 'Basic xxxxx']]);
});

test('a config for display: every string, every headers map, nothing else changed', () => {
  const cfg = {
    timeout: '1500ms',
    probes: [
      { type: 'http', headers: { Authorization: 'Bearer t' }, urls: [{ url: 'http://u:p@h/', headers: { Cookie: 'a=1' }, status: ['200-399'] }] },
      { type: 'stub_status', url: 'http://u:p@h/s', active_max: 5 },
    ],
  };
  assert.deepEqual(redactConfig(cfg), {
    timeout: '1500ms',
    probes: [
      { type: 'http', headers: { Authorization: 'Bearer xxxxx' }, urls: [{ url: 'http://xxxxx@h/', headers: { Cookie: 'a=xxxxx' }, status: ['200-399'] }] },
      { type: 'stub_status', url: 'http://xxxxx@h/s', active_max: 5 },
    ],
  });
  assert.equal(cfg.probes[1].url, 'http://u:p@h/s', 'the input is not modified');
});

test('metrics label values go through it, whatever a label is made of', async () => {
  const { escapeLabel } = await import('../../src/output/metrics.ts');
  assert.equal(escapeLabel('http://user:pa"ss@h/'), 'http://xxxxx@h/');
  assert.equal(escapeLabel('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
});
