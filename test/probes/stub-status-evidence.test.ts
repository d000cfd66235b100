// stub_status follows the evidence rules of the other probes: a refused local
// URL is definitive (as the http probe's), and a fetch answered with something
// else than a stub_status page (a reset, an error status) is a breach that
// `for: N` counts like a limit's, on the same streak. No answer before the
// deadline is unhealthy at once whatever `for` (the contract: a deadline
// exceeded counts as unhealthy). Real sockets; the one-shot CLI for the exit codes.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as v from 'valibot';
import * as stub from '../../src/probes/stub-status.ts';
import { headServer } from '../fixtures/servers.ts';
import { freePort, sleep } from '../fixtures/nginx-lab.ts';
import { hacheck } from '../fixtures/hacheck.ts';

const dir = mkdtempSync(join(tmpdir(), 'hc-stub-evid-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let dirs = 0;

/** One run of the probe with its own state dir per `state` name (the streak lives there). */
async function run(raw: Record<string, unknown>, state: string, ms = 150) {
  const cfg = v.parse(stub.schema, { type: 'stub_status', window: '100ms', ...raw }) as stub.StubStatusConfig;
  return stub.prober.run(cfg, { signal: AbortSignal.timeout(ms), deadline: performance.now() + ms, stateDir: join(dir, state), name: 'stub_status' });
}

const page = (active: number) => `Active connections: ${active} \nserver accepts handled requests\n 10 10 20 \nReading: 0 Writing: ${active} Waiting: 0 \n`;

test('a refused local URL is definitive: critical on the first run whatever `for`', async () => {
  const port = await freePort();
  for (const host of ['127.0.0.1', 'localhost']) {
    const r = await run({ url: `http://${host}:${port}/status`, for: 3 }, `refused-${host}`);
    assert.equal(r.ok, false, r.summary);
    assert.equal(r.checks[0].value, 'ECONNREFUSED');
    assert.equal(r.checks[0].evidence, 'definitive');
    assert.match(r.summary, /ECONNREFUSED/);
    assert.equal(r.metrics?.breach_streak, 1);
  }
});

test('for: 3 counts a failed fetch like a limit breach, on the same streak; a pass resets it', async (t) => {
  let mode: 'page' | 'busy' | 'down' = 'busy';
  const srv = await headServer(t, (s) => {
    if (mode === 'down') return void s.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    const body = page(mode === 'busy' ? 5 : 0);
    s.end(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
  });
  const cfg = { url: `http://127.0.0.1:${srv.port}/status`, active_max: 1, for: 3 };
  const state = `streak-${++dirs}`;
  // a limit breach: 1 of 3
  let r = await run(cfg, state);
  assert.equal(r.ok, true, r.summary);
  assert.match(r.summary, /active 5 > 1 \(breach 1 of 3 before critical\)/);
  await sleep(60); // a new observation: more than window/2 after the last
  // the server answers 503: not a stub_status page, breach 2 of 3 (a warning, not critical)
  mode = 'down';
  r = await run(cfg, state);
  assert.equal(r.ok, true, r.summary);
  assert.match(r.summary, /\(breach 2 of 3 before critical\)$/);
  assert.equal(r.checks[0].evidence, undefined, 'an error status is ambiguous');
  assert.match(r.checks[0].warnings![0], /breach 2 of 3/);
  assert.equal(r.metrics?.breach_streak, 2);
  assert.ok(Number.isNaN(r.metrics?.active), 'nothing measured: NaN, the series stays');
  await sleep(60);
  r = await run(cfg, state);
  assert.equal(r.ok, false, 'the third breach in a row is critical');
  assert.match(r.summary, /\(3 consecutive, for: 3\)$/);
  await sleep(60);
  mode = 'page';
  assert.equal((await run(cfg, state)).ok, true);
  await sleep(60);
  mode = 'down';
  r = await run(cfg, state);
  assert.equal(r.ok, true, 'a pass ended the streak');
  assert.match(r.summary, /\(breach 1 of 3 before critical\)$/);
});

test('no answer before the deadline is unhealthy at once, whatever `for` (a deadline exceeded counts as unhealthy)', async (t) => {
  const hung = await headServer(t, () => {});
  const r = await run({ url: `http://127.0.0.1:${hung.port}/status`, for: 3 }, `hang-${++dirs}`);
  assert.equal(r.ok, false, r.summary);
  assert.equal(r.timedOut, true);
  assert.equal(r.checks[0].evidence, undefined, 'a timeout is ambiguous (the agent needs fall cycles)');
  assert.ok(Number.isNaN(r.metrics?.active), 'nothing measured: NaN, the series stays');
});

test('a fetch cut short well before the deadline (another probe decided the run) is not counted', async (t) => {
  let hang = true;
  const srv = await headServer(t, (s) => { if (!hang) s.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'); });
  const cfg = v.parse(stub.schema, { type: 'stub_status', url: `http://127.0.0.1:${srv.port}/status`, for: 3, window: '100ms' }) as stub.StubStatusConfig;
  const stateDir = join(dir, `cut-${++dirs}`);
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 20);
  const cut = await stub.prober.run(cfg, { signal: ac.signal, deadline: performance.now() + 2000, stateDir, name: 'stub_status' });
  assert.equal(cut.ok, false);
  assert.equal(cut.metrics, undefined, 'no streak kept');
  hang = false;
  const r = await run({ url: cfg.url, for: 3 }, stateDir.slice(dir.length + 1));
  assert.match(r.summary, /\(breach 1 of 3 before critical\)$/, 'the next run is the first breach');
});

test('one-shot check, for: 3: a 503 exits 0 (warning) on its first run; a hung or a refused local stub_status exits 1 at once', async (t) => {
  const down = await headServer(t, (s) => s.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'));
  const hung = await headServer(t, () => {});
  const refused = await freePort();
  const f = join(dir, 'check.yaml');
  const write = (port: number) => writeFileSync(f, `state_dir: ${join(dir, `cli-${port}`)}\nmaintenance_file: ""\ntimeout: 300ms\nprobes:\n  - type: stub_status\n    url: http://127.0.0.1:${port}/status\n    for: 3\n    window: 100ms\n`);
  write(down.port);
  const first = await hacheck('-c', f, '--json');
  const rep = JSON.parse(first.stdout);
  assert.equal(first.code, 0, first.stdout);
  assert.equal(rep.verdict, 'warning');
  assert.match(rep.reasons[0], /breach 1 of 3 before critical/);
  write(hung.port);
  const h = await hacheck('-c', f, '--json');
  assert.equal(h.code, 1, h.stdout);
  assert.equal(JSON.parse(h.stdout).evidence, 'ambiguous');
  write(refused);
  const r = await hacheck('-c', f, '--json');
  const d = JSON.parse(r.stdout);
  assert.equal(r.code, 1, r.stdout);
  assert.equal(d.evidence, 'definitive');
  assert.match(d.reasons[0], /ECONNREFUSED/);
});
