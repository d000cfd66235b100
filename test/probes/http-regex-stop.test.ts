// A body_regex the linear engine cannot run (a backreference) backtracks for as
// long as the deadline allows. It runs off the main thread (src/sys/body-match.ts),
// so the agent still stops within a second of SIGTERM in the middle of it
// (repro-3: 8-9 s), and a one-shot check (main thread, no thread start to pay)
// still ends at its deadline naming it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hacheck, startHacheck } from '../fixtures/hacheck.ts';
import { matchBodyAsync, matchInWorker } from '../../src/sys/body-match.ts';
import { sleep } from '../fixtures/nginx-lab.ts';

const EVIL = String.raw`(a*)\1b`;

async function server(t: { after: (fn: () => void) => void }): Promise<{ port: number; hits: () => number }> {
  let hits = 0;
  const body = `${'a'.repeat(49_999)}!`;
  const s = createServer((_q, res) => { hits++; res.end(body); });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  t.after(() => { s.closeAllConnections(); s.close(); });
  return { port: (s.address() as { port: number }).port, hits: () => hits };
}

function tmp(t: { after: (fn: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), 'hacheck-regex-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test('agent: SIGTERM during a backtracking body_regex stops it within a second (10 s cycle deadline)', async (t) => {
  const d = tmp(t);
  const srv = await server(t);
  const cfg = join(d, 'a.yaml');
  writeFileSync(cfg, `maintenance_file: ""
probes:
  - type: http
    urls:
      - url: http://127.0.0.1:${srv.port}/
        body_regex: '${EVIL}'
agent:
  interval: 1s
  timeout: 10s
  state_file: ${d}/state
  status_file: ${d}/status.json
`);
  const a = startHacheck(['agent', '-c', cfg, '--state-dir', join(d, 'sd')]);
  t.after(() => { try { process.kill(-a.child.pid!, 'SIGKILL'); } catch { /* gone */ } });
  for (let i = 0; i < 1000 && srv.hits() === 0; i++) await sleep(10);
  assert.ok(srv.hits() > 0, 'the URL was fetched');
  await sleep(700); // well into the match
  const t0 = performance.now();
  process.kill(a.child.pid!, 'SIGTERM');
  const r = await a.done;
  const ms = performance.now() - t0;
  assert.equal(r.code, 0, r.stderr);
  assert.ok(ms < 1000, `stopped ${ms.toFixed(0)} ms after SIGTERM`);
});

test('one-shot: the backtracking match still ends at the deadline, named; a backreference that matches still passes', async (t) => {
  const srv = await server(t);
  const d = tmp(t);
  const cfg = join(d, 'c.yaml');
  writeFileSync(cfg, `maintenance_file: ""\ntimeout: 1s\nprobes:\n  - type: http\n    urls:\n      - url: http://127.0.0.1:${srv.port}/\n        body_regex: '${EVIL}'\n`);
  const r = await hacheck('-c', cfg, '--state-dir', join(d, 'sd'), '--json');
  assert.equal(r.code, 1);
  assert.ok(r.ms < 3000, `${r.ms} ms`);
  assert.match(JSON.parse(r.stdout).reasons.join('\n'), /body_regex .* did not finish before the deadline \(backtracking engine, 50000 characters\)/);
  writeFileSync(cfg, `maintenance_file: ""\ntimeout: 1s\nprobes:\n  - type: http\n    urls:\n      - url: http://127.0.0.1:${srv.port}/\n        body_regex: '(a)\\1!'\n`);
  const ok = await hacheck('-c', cfg, '--state-dir', join(d, 'sd'), '--json');
  assert.equal(ok.code, 0, ok.stdout);
});

test('matchBodyAsync: answers, and times out at its budget, in the worker (the agent) and on the main thread (a one-shot)', async () => {
  for (const worker of [true, false]) {
    matchInWorker(worker);
    assert.deepEqual(await matchBodyAsync(/(a)\1/, 'xaay', 1000), { matched: true });
    assert.deepEqual(await matchBodyAsync(/(a)\1/, 'xay', 1000), { matched: false });
    const body = `${'a'.repeat(49_999)}!`;
    let t0 = performance.now();
    assert.deepEqual(await matchBodyAsync(/(a*)\1b/, body, 300), { timedOut: true, engine: 'backtracking' });
    assert.ok(performance.now() - t0 < 1500);
    // the linear engine stays on this thread
    assert.deepEqual(await matchBodyAsync(/a+$/, 'xaa', 1000), { matched: true });
  }
  matchInWorker(false);
});
