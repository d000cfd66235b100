// Bad input refused at load, one path for every URL-bearing key (adv-20),
// impossible expectations, header maps (case, prototype names, fields hacheck
// owns), client certificates; flags over file for headers (adv-10); and URL
// credentials never printed (adv-16): -v, --json, Nagios, the log, validate
// --print, the agent's status.json and /metrics. Built CLI, clean environment.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hacheck, startHacheck } from '../fixtures/hacheck.ts';
import { freePort, sleep } from '../fixtures/nginx-lab.ts';
import { pki } from '../fixtures/pki.ts';
import { headServer } from '../fixtures/servers.ts';

const dir = mkdtempSync(join(tmpdir(), 'hacheck-inputs-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(body: string): string {
  const f = join(dir, `c${++n}.yaml`);
  writeFileSync(f, `maintenance_file: ""\n${body}`);
  return f;
}
const validate = (f: string) => hacheck('validate', '-c', f);

test('adv-20: a stub_status url that cannot be parsed is 78 with file:line, like an http url', async () => {
  const stub = file('probes:\n  - type: stub_status\n    url: "http://exa mple/nginx_status"\n');
  const r = await validate(stub);
  assert.equal(r.code, 78);
  assert.equal(r.stderr, `hacheck: ${stub}:4: probes[0].url: bad URL "http://exa mple/nginx_status": not a URL: expected http://… or https://…\n`);
  const http = file('probes:\n  - type: http\n    urls:\n      - "http://exa mple/"\n');
  assert.match((await validate(http)).stderr, /:5: probes\[0\]\.urls\[0\]: bad URL "http:\/\/exa mple\/": not a URL/);
  for (const [url, why] of [['ftp://h/x', 'scheme ftp is not http or https'], ['http://', 'not a URL'], ['http://u:%zz@h/', 'user:password is not valid percent-encoding'], ['/nginx_status', 'not a URL']]) {
    const s = await validate(file(`probes:\n  - type: stub_status\n    url: "${url}"\n`));
    assert.equal(s.code, 78, url);
    assert.ok(s.stderr.includes(why), `${url}: ${s.stderr}`);
  }
});

test('a bad URL with a password in it is refused without printing the password', async () => {
  const r = await validate(file('probes:\n  - type: stub_status\n    url: "http://admin:s3cret@exa mple/"\n'));
  assert.equal(r.code, 78);
  assert.ok(!r.stderr.includes('s3cret'), r.stderr);
  assert.match(r.stderr, /bad URL "http:\/\/xxxxx@exa mple\/"/);
});

test('impossible or empty expectations are refused at load with the line of the key: HEAD with a body check, 204/304 with a body, 1xx, no status, an empty body', async () => {
  const cases: [string, RegExp][] = [
    ['method: HEAD\n        body: ok', /:6: probes\[0\]\.urls\[0\]\.method: method HEAD gets no body, so body can never match: use GET/],
    ['method: HEAD\n        body_regex: ok', /\.method: method HEAD gets no body, so body_regex can never match/],
    ['status: 204\n        body: ok', /:7: probes\[0\]\.urls\[0\]\.body: status 204 has no body, so body can never match/],
    ['status: [204, 304]\n        body_regex: "^ok"', /\.body_regex: status 204,304 has no body/],
    ['status: "100-199"', /\.status: status 1xx is never final/],
    // checks that check nothing: no status accepted at all, a body every reply contains
    ['status: []', /:6: probes\[0\]\.urls\[0\]\.status: an empty list accepts no status at all/],
    ['body: ""', /\.body: an empty body matches every reply/],
    ['body_regex: ""', /\.body_regex: an empty body_regex matches every reply/],
  ];
  for (const [keys, want] of cases) {
    const r = await validate(file(`probes:\n  - type: http\n    urls:\n      - url: http://127.0.0.1/\n        ${keys}\n`));
    assert.equal(r.code, 78, keys);
    assert.match(r.stderr, want, keys);
  }
  for (const ok of ['status: "200-204"\n        body: ok', 'method: HEAD', 'status: 204']) {
    assert.equal((await validate(file(`probes:\n  - type: http\n    urls:\n      - url: http://127.0.0.1/\n        ${ok}\n`))).code, 0, ok);
  }
});

test('header maps: one name per map whatever the case; fields hacheck sets are refused; prototype names are kept', async () => {
  const bad: [string, RegExp][] = [
    ['{ Host: a, host: b }', /header host given twice \(as "Host" and "host"\): names are case-insensitive/],
    ['{ Content-Length: 5 }', /header Content-Length: 5: hacheck sends no request body/],
    ['{ Connection: keep-alive }', /header Connection is not allowed: hacheck sends Connection: close/],
    ['{ Transfer-Encoding: chunked }', /header Transfer-Encoding is not allowed/],
    ['{ "Bad Name": x }', /bad header name "Bad Name"/],
    ['[ "Host: a" ]', /headers must be a map of Name: value/],
  ];
  for (const [map, want] of bad) {
    for (const where of ['probe', 'url']) {
      const body = where === 'probe'
        ? `probes:\n  - type: http\n    headers: ${map}\n    urls: [ "http://127.0.0.1/" ]\n`
        : `probes:\n  - type: http\n    urls:\n      - url: http://127.0.0.1/\n        headers: ${map}\n`;
      const r = await validate(file(body));
      assert.equal(r.code, 78, `${where} ${map}: ${r.stderr}`);
      assert.match(r.stderr, want, `${where} ${map}`);
    }
  }
  const stub = await validate(file('probes:\n  - type: stub_status\n    url: http://127.0.0.1/s\n    headers: { HOST: a, Host: b }\n'));
  assert.equal(stub.code, 78);
  const proto = file('probes:\n  - type: http\n    headers: { __proto__: p, constructor: c, Content-Length: 0 }\n    urls: [ "http://127.0.0.1/" ]\n');
  const p = await hacheck('validate', '-c', proto, '--print');
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stdout, /__proto__: p/);
  assert.match(p.stdout, /constructor: c/);
  const flag = await hacheck('-c', '/dev/null', '--state-dir', join(dir, 'flag-cl'), '--maintenance-file', '', '--url', 'http://127.0.0.1:1/', '--header', 'Content-Length: 5');
  assert.equal(flag.code, 64, flag.stderr);
  assert.match(flag.stderr, /--url\/--header: .*hacheck sends no request body/);
});

/** Routes by Host like nginx server blocks: new.example 200, anything else 503; records request heads. */
function vhostServer(): Promise<{ port: number; heads: string[] }> {
  return headServer({ after }, (s, head) => {
    const host = /^host: *(.*)$/im.exec(head)?.[1];
    const auth = /^authorization: *(.*)$/im.exec(head)?.[1];
    const code = auth !== undefined && auth !== `Basic ${Buffer.from('user:pa55').toString('base64')}` ? 401 : host === 'new.example' || auth ? 200 : 503;
    const body = 'Active connections: 1 \nserver accepts handled requests\n 5 5 7 \nReading: 0 Writing: 1 Waiting: 0 \n';
    s.end(`HTTP/1.1 ${code} X\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  });
}

test('adv-10: --header replaces the file\'s header of any spelling, at probe and URL level', async () => {
  const srv = await vhostServer();
  const probeLevel = file(`timeout: 2s\nprobes:\n  - type: http\n    headers: { Host: new.example }\n    urls: [ "http://127.0.0.1:${srv.port}/" ]\n`);
  const st = (name: string) => ['--state-dir', join(dir, name)];
  assert.equal((await hacheck('-c', probeLevel, ...st('h1'))).code, 0);
  assert.equal((await hacheck('-c', probeLevel, ...st('h2'), '--header', 'host: old.example')).code, 1);
  assert.match(srv.heads.at(-1)!, /^Host: old\.example$/m);
  assert.equal((srv.heads.at(-1)!.match(/^host:/gim) ?? []).length, 1);
  const urlLevel = file(`timeout: 2s\nprobes:\n  - type: http\n    urls:\n      - url: http://127.0.0.1:${srv.port}/\n        headers: { HOST: new.example }\n`);
  assert.equal((await hacheck('-c', urlLevel, ...st('h3'))).code, 0);
  assert.equal((await hacheck('-c', urlLevel, ...st('h4'), '--header', 'Host: old.example')).code, 1, 'flag over file, URL level too');
});

test('adv-16: URL credentials are sent as Basic and never printed: -v, --json, Nagios, the log, validate --print', async () => {
  const srv = await vhostServer();
  const url = `http://user:pa55@127.0.0.1:${srv.port}/nginx_status`;
  const logFile = join(dir, 'adv16.log');
  const cfg = file(`log: { file: ${logFile} }\nprobes:\n  - type: http\n    headers: { Authorization: "Bearer t0ken", Cookie: "sid=c00kie; theme=dark" }\n    urls: [ "${url}" ]\n  - type: stub_status\n    url: "http://user:pa55@127.0.0.1:${srv.port}/nginx_status"\n  - type: http\n    name: failing\n    urls: [ "http://user:pa55@127.0.0.1:1/" ]\n`);
  const outs: string[] = [];
  for (const fmt of [['-v'], ['--json'], ['--format', 'nagios']]) {
    const r = await hacheck('-c', cfg, '--state-dir', join(dir, `s16-${fmt[0]}`), ...fmt);
    outs.push(r.stdout, r.stderr);
    assert.ok(r.stdout.includes(`http://xxxxx@127.0.0.1:${srv.port}/nginx_status`) || fmt[0] === '--format', `${fmt}: ${r.stdout}`);
  }
  const flagRun = await hacheck('-c', '/dev/null', '--state-dir', join(dir, 's16-flag'), '--maintenance-file', '', '--url', url, '-v');
  assert.equal(flagRun.code, 0, flagRun.stdout);
  outs.push(flagRun.stdout);
  const printed = await hacheck('validate', '-c', cfg, '--print');
  assert.equal(printed.code, 0, printed.stderr);
  assert.match(printed.stdout, /Authorization: Bearer xxxxx/);
  assert.match(printed.stdout, /Cookie: sid=xxxxx; theme=xxxxx/);
  outs.push(printed.stdout, readFileSync(logFile, 'utf8'));
  const all = outs.join('\n');
  for (const secret of ['pa55', 't0ken', 'c00kie', 'user:']) assert.ok(!all.includes(secret), `"${secret}" printed:\n${all}`);
  assert.ok(srv.heads.some((h) => h.includes(`Authorization: Basic ${Buffer.from('user:pa55').toString('base64')}`)), 'the stub_status page got Basic');
});

test('adv-16 agent: status.json and /metrics carry no credentials', async () => {
  const srv = await vhostServer();
  const port = await freePort();
  const state = join(dir, 'agent16');
  const { child, done } = startHacheck(['agent', '-c', '/dev/null', '--url', `http://user:pa55@127.0.0.1:${srv.port}/nginx_status`, '--interval', '300ms',
    '--state-dir', state, '--maintenance-file', '', '--metrics-listen', `127.0.0.1:${port}`]);
  after(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } });
  const status = join(state, 'status.json');
  const until = performance.now() + 15_000;
  while (!existsSync(status) && performance.now() < until) await sleep(50);
  await sleep(400);
  const metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
  child.kill('SIGTERM');
  await done;
  const text = readFileSync(status, 'utf8') + metrics;
  assert.match(metrics, new RegExp(`target="http://xxxxx@127\\.0\\.0\\.1:${srv.port}/nginx_status"`));
  assert.ok(!text.includes('pa55') && !text.includes('user:'), text);
});

test('client_cert/client_key are validated at load: unreadable, mismatched, key without cert, plain http', async () => {
  const p = pki(dir);
  p.make('ca', { ca: true });
  const a = p.make('client-a');
  const b = p.make('client-b');
  const url = (keys: string, u = 'https://127.0.0.1/') => file(`probes:\n  - type: http\n    urls:\n      - url: ${u}\n        ${keys}\n`);
  const cases: [string, RegExp, string?][] = [
    [`client_cert: ${a.cert}\n        client_key: ${b.key}`, /client_key .*client-b\.key does not belong to client_cert .*client-a\.pem/],
    ['client_cert: /nonexistent/c.pem', /client_cert \/nonexistent\/c\.pem: cannot read it/],
    [`client_key: ${a.key}`, /client_key without client_cert/],
    [`client_cert: ${a.cert}\n        client_key: ${a.key}`, /client_cert needs an https:\/\/ URL/, 'http://127.0.0.1/'],
    [`client_cert: ${a.cert}`, /client_cert .*client-a\.pem \/ client_key .*client-a\.pem/],
  ];
  for (const [keys, want, u] of cases) {
    const r = await validate(url(keys, u));
    assert.equal(r.code, 78, keys);
    assert.match(r.stderr, want, keys);
    assert.match(r.stderr, /\.yaml:\d+: probes\[0\]\.urls\[0\]\.client_(cert|key): /);
  }
  writeFileSync(join(p.dir, 'both.pem'), readFileSync(a.cert, 'utf8') + readFileSync(a.key, 'utf8'), { mode: 0o600 });
  assert.equal((await validate(url(`client_cert: ${join(p.dir, 'both.pem')}`))).code, 0, 'one PEM holding both');
  // holding the key, it is a secret: others may not read it (as ssh refuses such a key)
  chmodSync(join(p.dir, 'both.pem'), 0o644);
  const open = await validate(url(`client_cert: ${join(p.dir, 'both.pem')}`));
  assert.equal(open.code, 78, 'one PEM holding both, readable by all');
  assert.match(open.stderr, /: client_cert .*both\.pem holds a private key and is readable by other users \(mode 0644\): ssh refuses such a private key/);
  assert.equal((await validate(url(`client_cert: ${a.cert}\n        client_key: ${a.key}`))).code, 0);
  const stub = await validate(file(`probes:\n  - type: stub_status\n    url: https://127.0.0.1/s\n    client_cert: ${a.cert}\n    client_key: ${b.key}\n`));
  assert.equal(stub.code, 78);
  assert.match(stub.stderr, /probes\[0\]\.client_cert: client_key .* does not belong/);
});


test('a probe name is a plain label: a name that would leave the state dir (/, \\, a leading .), or hold # or a control character, is 78 with file:line', async () => {
  const state = join(dir, 'names-state');
  for (const [type, name] of [['cpu', '../../escaped'], ['cpu', 'x/../../../tmp/pwn'], ['io', 'a/b'], ['memory', '..'], ['stub_status', '.hidden'], ['http', 'cpu#2'], ['port', 'a\\nb'], ['process', ''], ['cpu', 'trailing '], ['cpu', 'back\\\\slash'], ['memory', ' lead']]) {
    const extra = type === 'http' ? '\n    urls: [http://127.0.0.1:9/]' : type === 'port' ? '\n    targets: [9]' : type === 'stub_status' ? '\n    url: http://127.0.0.1:9/' : '';
    const f = file(`state_dir: ${state}\nprobes:\n  - type: ${type}\n    name: "${name}"${extra}\n`);
    const r = await validate(f);
    assert.equal(r.code, 78, `${type} ${name}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^hacheck: ${f.replace(/[.]/g, '\\.')}:5: probes\\[0\\]\\.name: probe name `), `${type} ${name}`);
    // the check itself refuses it too: nothing written anywhere
    assert.equal((await hacheck('-c', f, '--timeout', '600ms')).code, 78, name);
  }
  assert.ok(!existsSync(join(dir, 'escaped.json')) && !existsSync(join(state, 'escaped.json')));
  for (const name of ['front end', 'front end=1', 'cpu-main', 'api.v2:443', 'A_1', "it's (v2) | x"]) {
    const r = await validate(file(`probes:\n  - type: cpu\n    name: "${name}"\n`));
    assert.equal(r.code, 0, `${name}: ${r.stderr}`);
  }
});

test('adv-16 siblings: a password holding a space, a tab or an unencoded / is never printed (-v, --json, Nagios, log, validate, a refused URL)', async () => {
  const srv = await vhostServer();
  const logFile = join(dir, 'adv16b.log');
  // the WHATWG parser accepts a space or a tab in the userinfo (and percent-encodes it)
  const cfg = file(`log: { file: ${logFile} }\nprobes:\n  - type: http\n    urls: [ "http://user:pa55 w0rd@127.0.0.1:${srv.port}/nginx_status" ]\n  - type: stub_status\n    url: "http://user:pa55\\tw0rd@127.0.0.1:${srv.port}/nginx_status"\n`);
  const outs: string[] = [];
  for (const fmt of [['-v'], ['--json'], ['--format', 'nagios']]) {
    const r = await hacheck('-c', cfg, '--state-dir', join(dir, `s16b-${fmt[0]}`), ...fmt);
    outs.push(r.stdout, r.stderr);
    assert.ok(r.stdout.includes(`http://xxxxx@127.0.0.1:${srv.port}/nginx_status`), `${fmt}: ${r.stdout}`);
  }
  outs.push((await hacheck('validate', '-c', cfg, '--print')).stdout, readFileSync(logFile, 'utf8'));
  // not a URL: the message shows it masked up to its last @
  for (const url of ['http://user:pa55/w0rd@h/', 'http://user:pa55?w0rd@h/', 'http://user:pa55#w0rd@h/']) {
    const v = await validate(file(`probes:\n  - type: http\n    urls: [ "${url}" ]\n`));
    assert.equal(v.code, 78, v.stderr);
    assert.match(v.stderr, /bad URL "http:\/\/xxxxx@h\/"/);
    const f = await hacheck('-c', file(''), '--url', url, '--format', 'nagios');
    assert.equal(f.code, 3, f.stdout);
    outs.push(v.stderr, f.stdout, f.stderr);
  }
  const all = outs.join('\n');
  for (const secret of ['pa55', 'w0rd', 'user:']) assert.ok(!all.includes(secret), `"${secret}" printed:\n${all}`);
  assert.ok(srv.heads.some((h) => h.includes(`Authorization: Basic ${Buffer.from('user:pa55 w0rd').toString('base64')}`)), 'sent as Basic, space included');
});
