// A port, a threshold or an address means what it says, wherever it is written:
// in the config (YAML numbers: see yaml-errors.test.ts), in text (a port target,
// a URL, stub_status, metrics.listen) and in flags. Forms a parser would read as
// another number (0x50, 1e2, +80, 080, 127.1, 0x7f.1, 2130706433) are refused
// with one line naming the key or flag, never probed as something else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText, validate } from '../../src/config/load.ts';
import { hacheck } from '../fixtures/hacheck.ts';
import { configErrorOf as errorOf } from '../fixtures/config-error.ts';

const printed = (yaml: string) => {
  const loaded = parseConfigText(yaml, 'c.yaml');
  return validate(loaded, 'config');
};

test('port targets as text: decimal 1-65535 without sign or leading zero; a numeric host only as a dotted quad', () => {
  const t = (x: string) => errorOf(`probes:\n  - type: port\n    targets: [${JSON.stringify(x)}]\n`);
  for (const bad of ['080', '+80', '0x50', '8_0', '80.0', '1e2', '0', '65536', '127.0.0.1:080']) {
    assert.match(t(bad), /^c\.yaml:3: probes\[0\]\.targets\[0\]: bad port target ".*": use PORT, HOST:PORT or \[IPv6\]:PORT with port 1-65535 in decimal, without a sign or leading zero$/, bad);
  }
  for (const bad of ['127.1:80', '0x7f.1:80', '0177.0.0.1:80', '2130706433:80', '127.0.0.01:80', '256.0.0.1:80']) {
    assert.match(t(bad), /bad port target ".*": host .* is an IPv4 address in a shorthand, octal or hexadecimal form .*write the four decimal parts, e.g\. 127\.0\.0\.1$/, bad);
  }
  const cfg = printed('probes:\n  - type: port\n    targets: [80, "443", "10.0.0.1:8080", "[::1]:80", "localhost:65535", "1e100.example:80"]\n');
  assert.deepEqual((cfg.probes[0] as unknown as { targets: unknown[] }).targets, [
    { host: '127.0.0.1', port: 80 }, { host: '127.0.0.1', port: 443 }, { host: '10.0.0.1', port: 8080 }, { host: '::1', port: 80 },
    { host: 'localhost', port: 65535 }, { host: '1e100.example', port: 80 },
  ]);
});

test('URLs (http and stub_status): http:// or https://, the port as written, the host as written', () => {
  const http = (u: string) => errorOf(`probes:\n  - type: http\n    urls: [${JSON.stringify(u)}]\n`);
  const stub = (u: string) => errorOf(`probes:\n  - type: stub_status\n    url: ${JSON.stringify(u)}\n`);
  const cases: [string, RegExp][] = [
    ['http://127.0.0.1:080/', /port 080: write a port 1-65535 in decimal, without a sign or leading zero/],
    ['http://127.0.0.1:00080/', /port 00080: write a port/],
    ['http://127.0.0.1:/', /an empty port after ":"/],
    ['http://127.1/', /host 127\.1 is an IPv4 address in a shorthand/],
    ['http://0x7f.1:8080/', /host 0x7f\.1 is an IPv4 address/],
    ['http://0177.0.0.1/', /host 0177\.0\.0\.1 is an IPv4 address/],
    ['http://2130706433/health', /host 2130706433 is an IPv4 address/],
    ['http://user:pw@127.1/', /host 127\.1 is an IPv4 address/],
    ['http:127.0.0.1/', /write it as http:\/\/HOST\[:PORT\]\/… or https:\/\/…/],
    ['http:\\\\127.0.0.1\\', /write it as http:\/\/HOST/],
  ];
  for (const [u, re] of cases) {
    assert.match(http(u), new RegExp(`^c\\.yaml:3: probes\\[0\\]\\.urls\\[0\\]: bad URL .*${re.source}`), u);
    assert.match(stub(u), new RegExp(`^c\\.yaml:3: probes\\[0\\]\\.url: bad URL .*${re.source}`), `stub_status ${u}`);
  }
  // a password with @ and :, IPv6, names, the default ports: as written
  for (const u of ['http://127.0.0.1/', 'https://127.0.0.1:8443/x?y=1', 'http://u:p%40ss@127.0.0.1:8080/', 'http://[::1]:80/', 'http://localhost/', 'HTTP://Example.COM:65535/']) {
    assert.equal(http(u), 'ok', u);
    assert.equal(stub(u), 'ok', `stub_status ${u}`);
  }
});

test('metrics.listen: host:port with the port in decimal (0: any free port), a numeric host a dotted quad', () => {
  const l = (x: string) => errorOf(`agent:\n  metrics:\n    listen: ${JSON.stringify(x)}\n`);
  assert.match(l('127.0.0.1:09464'), /^c\.yaml:3: agent\.metrics\.listen: metrics\.listen must be host:port, e\.g\. 127\.0\.0\.1:9464 \(the port in decimal, without a sign or leading zero\)$/);
  assert.match(l('127.0.0.1:65536'), /must be host:port/);
  assert.match(l('127.1:9464'), /^c\.yaml:3: agent\.metrics\.listen: host 127\.1 is an IPv4 address/);
  for (const ok of ['127.0.0.1:9464', '[::1]:9464', 'localhost:0']) assert.equal(l(ok), 'ok', ok);
});

test('percentages: a number or "N%"; text is refused, not read as 0', () => {
  const p = (x: string) => errorOf(`probes:\n  - type: cpu\n    busy_max: ${x}\n`);
  assert.equal((printed('probes:\n  - type: cpu\n    busy_max: 90%\n    iowait_max: 12.5\n').probes[0] as unknown as { busy_max: number }).busy_max, 90);
  assert.match(p('150%'), /busy_max: percentage must be <= 100$/);
  assert.match(p('"90 %"'), /busy_max: expected a percentage \(number 0-100, e\.g\. 90 or "90%"\), got "90 %"$/);
  assert.match(p('"ninety"'), /got "ninety"$/);
  assert.match(p('"90"'), /got "90"$/);
  assert.match(p('1e2%'), /got "1e2%"$/);
});

test('flags: --port, --url, --cpu-max and --metrics-listen refuse the same forms with 64', async () => {
  const common = ['--state-dir', '/tmp/hacheck-literal-numbers-none', '--maintenance-file='];
  const cases: [string[], RegExp][] = [
    [['--port', '0x50'], /^hacheck: --port: bad port target "0x50"/],
    [['--port', '080'], /^hacheck: --port: bad port target "080"/],
    [['--port', '127.1:80'], /^hacheck: --port: bad port target "127\.1:80": host 127\.1/],
    [['--url', 'http://0x7f.1/'], /^hacheck: --url\/--header: bad URL "http:\/\/0x7f\.1\/": host 0x7f\.1/],
    [['--cpu-max', '0x50'], /^hacheck: --cpu-max\/--iowait-max: expected a percentage .*got "0x50"/],
    [['--cpu-max', '1e2'], /got "1e2"/],
    [['agent', '--port', '80', '--metrics-listen', '127.0.0.1:09464'], /^hacheck: --metrics-listen: metrics\.listen must be host:port/],
  ];
  for (const [args, re] of cases) {
    const r = await hacheck(...args, ...common);
    assert.equal(r.code, 64, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
});

// A name whose labels happen to be hex letters and digits (42.cafe, 1.bad, 0xcafe.face) is a name:
// its last label is no number, so neither inet_aton(3) nor the WHATWG URL parser (its "ends in a
// number" test, URL Standard section 3.5) reads it as an IPv4 address. Refusing it broke a valid config.
test('a host name made of hex letters and digits is a name, not an IPv4 shorthand', () => {
  const t = (x: string) => errorOf(`probes:\n  - type: port\n    targets: [${JSON.stringify(x)}]\n`);
  const http = (u: string) => errorOf(`probes:\n  - type: http\n    urls: [${JSON.stringify(u)}]\n`);
  const l = (x: string) => errorOf(`agent:\n  metrics:\n    listen: ${JSON.stringify(x)}\nprobes: [{type: port, targets: ["80"]}]\n`);
  for (const name of ['42.cafe', '1.bad', '0xcafe.face', '10.0.0.1.beef']) {
    assert.equal(t(`${name}:80`), 'ok', name);
    assert.equal(http(`http://${name}/`), 'ok', name);
    assert.equal(l(`${name}:9464`), 'ok', name);
  }
  // still refused: the last label is a number (decimal, octal or 0x hex)
  for (const bad of ['127.1', '0x7f.1', '1.0xff', '10.0.0.0x1', '2130706433', '127.0.0.1.']) {
    assert.match(t(`${bad}:80`), /is an IPv4 address in a shorthand/, bad);
  }
});
