// client_cert/client_key against a real nginx with ssl_verify_client on
// (certificates made by openssl here): the health endpoint and stub_status
// answer 200 with the client certificate, 400 without it or with one from
// another CA, as nginx does (ngx_http_ssl_module, ssl_verify_client).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as v from 'valibot';
import { prober, schema } from '../../src/probes/http.ts';
import { prober as stubProber, schema as stubSchema } from '../../src/probes/stub-status.ts';
import type { ProbeContext } from '../../src/probes/types.ts';
import { NGINX } from '../fixtures/nginx-server.ts';
import { freePort, sleep } from '../fixtures/nginx-lab.ts';
import { pki } from '../fixtures/pki.ts';
import { hacheck } from '../fixtures/hacheck.ts';

const dir = mkdtempSync(join(tmpdir(), 'hacheck-mtls-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const p = pki(dir);
const ca = p.make('ca', { ca: true });
const server = p.make('server', { san: 'DNS:mtls.example.test,IP:127.0.0.1' });
const client = p.make('client-a');
const stranger = p.make('stranger', { selfSigned: true });
const port = await freePort();

writeFileSync(join(dir, 'nginx.conf'), `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 64; }
http {
  access_log off;
  default_type text/plain;
  client_body_temp_path ${dir}/tb; proxy_temp_path ${dir}/tp; fastcgi_temp_path ${dir}/tf; uwsgi_temp_path ${dir}/tu; scgi_temp_path ${dir}/ts;
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${server.cert};
    ssl_certificate_key ${server.key};
    ssl_client_certificate ${ca.cert};
    ssl_verify_client on;
    location = /health { return 200 "client=$ssl_client_s_dn\\n"; }
    location = /nginx_status { stub_status; }
  }
}
`);
const t = spawnSync(NGINX, ['-t', '-q', '-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { encoding: 'utf8' });
assert.equal(t.status, 0, `nginx -t: ${t.stderr}`);
const child = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log'), '-g', 'daemon off;'], { detached: true, stdio: 'ignore' });
after(async () => {
  try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
  await sleep(100);
});
const up = (): Promise<boolean> => new Promise((resolve) => {
  const s = connect({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true); });
  s.once('error', () => resolve(false));
});
const until = performance.now() + 5000;
while (!(await up())) {
  if (child.exitCode !== null || performance.now() > until) throw new Error(`nginx did not come up: ${readFileSync(join(dir, 'error.log'), 'utf8')}`);
  await sleep(20);
}

// stub_status keeps its breach streak in the state dir: one of the test's own, never a path outside it
const stateDir = mkdtempSync(join(tmpdir(), 'hc-mtls-state-'));
after(() => rmSync(stateDir, { recursive: true, force: true }));
const ctx = (): ProbeContext => ({ signal: AbortSignal.timeout(3000), deadline: performance.now() + 3000, stateDir });
const url = `https://127.0.0.1:${port}`;
async function one(extra: Record<string, unknown>) {
  const cfg = v.parse(schema, { type: 'http', urls: [{ url: `${url}/health`, ca_file: ca.cert, cert_expiry_warn_days: 0, ...extra }] });
  return (await prober.run(cfg, ctx())).checks[0];
}

test('with client_cert/client_key: 200, and nginx saw the client certificate', async () => {
  const c = await one({ client_cert: client.cert, client_key: client.key, body: 'CN=client-a' });
  assert.equal(c.ok, true, c.reason);
});

test('without a client certificate, or with one from another CA: nginx answers 400, the check fails', async () => {
  const none = await one({});
  assert.equal(none.ok, false);
  assert.match(none.reason!, /^status 400/);
  const other = await one({ client_cert: stranger.cert, client_key: stranger.key });
  assert.equal(other.ok, false);
  assert.match(other.reason!, /^status 400/);
});

test('one PEM file holding certificate and key (client_key omitted); SNI by name with the CA verifying it', async () => {
  const both = join(dir, 'client-both.pem');
  writeFileSync(both, readFileSync(client.cert, 'utf8') + readFileSync(client.key, 'utf8'), { mode: 0o600 });
  const c = await one({ client_cert: both, sni: 'mtls.example.test' });
  assert.equal(c.ok, true, c.reason);
});

test('a private key others can read is not used, as ssh refuses one (judged by fstat of the open file): client_key, or client_cert holding the key', async () => {
  for (const mode of [0o644, 0o604, 0o444]) {
    const key = join(dir, `open-${mode.toString(8)}.key`);
    writeFileSync(key, readFileSync(client.key));
    chmodSync(key, mode);
    const c = await one({ client_cert: client.cert, client_key: key });
    assert.equal(c.ok, false);
    assert.equal(c.value, 'exposed');
    const who = 'other users';
    assert.equal(c.reason, `client_key ${key}: a private key readable by ${who} (mode 0${mode.toString(8)}): not used (chmod 600 ${key})`);
    // the key in the certificate's file (client_key omitted): the same
    const both = join(dir, `both-${mode.toString(8)}.pem`);
    writeFileSync(both, readFileSync(client.cert, 'utf8') + readFileSync(client.key, 'utf8'));
    chmodSync(both, mode);
    const b = await one({ client_cert: both });
    assert.equal(b.value, 'exposed', b.reason);
    assert.equal(b.reason, `client_key ${both}: a private key readable by ${who} (mode 0${mode.toString(8)}): not used (chmod 600 ${both})`);
  }
  // owner-only (0600, 0400) is used, and so is a key its group may read (Debian's root:ssl-cert 0640);
  // a certificate or CA file may be world-readable (no secret in it)
  for (const mode of [0o600, 0o400, 0o640]) {
    const key = join(dir, `closed-${mode.toString(8)}.key`);
    writeFileSync(key, readFileSync(client.key));
    chmodSync(key, mode);
    const c = await one({ client_cert: client.cert, client_key: key });
    assert.equal(c.ok, true, c.reason);
  }
  // reached through a symlink (mode 0777 itself): the key's own mode decides, not the link's
  const link = join(dir, 'link.key');
  symlinkSync(join(dir, 'closed-600.key'), link);
  assert.equal((await one({ client_cert: client.cert, client_key: link })).ok, true);
});

test('hacheck validate/check refuse an exposed client key at load: 78 naming the key and the fix', async () => {
  const key = join(dir, 'load-open.key');
  writeFileSync(key, readFileSync(client.key));
  chmodSync(key, 0o644);
  const cfg = join(dir, 'load.yaml');
  writeFileSync(cfg, `maintenance_file: ""\nstate_dir: ${stateDir}\nprobes:\n  - type: http\n    urls:\n      - {url: "${url}/health", ca_file: ${ca.cert}, client_cert: ${client.cert}, client_key: ${key}}\n`);
  for (const args of [['validate', '-c', cfg], ['check', '-c', cfg]]) {
    const r = await hacheck(...args);
    assert.equal(r.code, 78, r.stderr);
    assert.equal(r.stderr, `hacheck: ${cfg}: client_key ${key} holds a private key and is readable by other users (mode 0644): ssh refuses such a private key (chmod 600 ${key})\n`);
  }
  chmodSync(key, 0o600);
  const ok = await hacheck('check', '-c', cfg);
  assert.equal(ok.code, 0, ok.stderr + ok.stdout);
});

test('stub_status behind ssl_verify_client, with credentials-free client certificate auth', async () => {
  const cfg = v.parse(stubSchema, { type: 'stub_status', url: `${url}/nginx_status`, ca_file: ca.cert, client_cert: client.cert, client_key: client.key });
  const r = await stubProber.run(cfg as never, ctx());
  assert.equal(r.ok, true, r.summary);
  assert.match(r.checks[0].value, /^active \d+/);
  const bare = v.parse(stubSchema, { type: 'stub_status', url: `${url}/nginx_status`, ca_file: ca.cert });
  const no = await stubProber.run(bare as never, ctx());
  assert.equal(no.ok, false);
  assert.match(no.summary, /status 400/);
});

test('a client key removed after validation (a cached config) fails that URL at once, naming the file', async () => {
  const key = join(dir, 'gone.key');
  writeFileSync(key, readFileSync(client.key));
  const cfg = v.parse(schema, { type: 'http', urls: [{ url: `${url}/health`, ca_file: ca.cert, client_cert: client.cert, client_key: key }] });
  rmSync(key);
  const c = (await prober.run(cfg, ctx())).checks[0];
  assert.equal(c.ok, false);
  assert.match(c.reason!, /^client_key .*gone\.key: cannot read it \(ENOENT\)$/);
});
