// An agent that does not get the CPU (starved by higher-priority work, or
// stopped) must not call a healthy nginx slow (issue 17 review: `nice -10`
// stress moved a healthy VIP at fall 2 / 300 ms; the deciding cycles were
// checks never started, or started with 32 ms left). Two parts: a reply that
// came in time is read before the deadline is declared (src/probes/run.ts),
// and a cycle whose only failures are checks the agent gave less than half the
// cycle deadline holds the verdict (src/verdict/starved.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onCleanup } from '../fixtures/cleanup.ts';
import { startHacheck } from '../fixtures/hacheck.ts';
import { sleep } from '../fixtures/nginx-lab.ts';
import { headServer, slowHttpServer } from '../fixtures/servers.ts';
import { writeFileSync } from 'node:fs';
import { STARVED_HOLD_MS, StarvedRun, starvedReason } from '../../src/verdict/starved.ts';
import { hold, observe, INITIAL } from '../../src/verdict/hysteresis.ts';
import type { Check, ProbeResult } from '../../src/probes/types.ts';

const check = (over: Partial<Check>): Check => ({ target: 't', ok: false, value: 'no answer', expect: '', durationMs: 0, ...over });
const probe = (name: string, checks: Check[], over: Partial<ProbeResult> = {}): ProbeResult =>
  ({ kind: 'http', name, severity: 'critical', ok: checks.every((c) => c.ok), summary: '', checks, durationMs: 0, ...over });

test('starvedReason: only timed-out checks the agent started late (less than half the cycle deadline left), and nothing else failing, are inconclusive', () => {
  // not started, or started with 32 ms of 300 left
  assert.match(starvedReason([probe('port', [check({ target: '127.0.0.1:80', timedOut: true, durationMs: 0 })])], 300)!, /port 127\.0\.0\.1:80 was not started before the deadline/);
  assert.match(starvedReason([
    probe('http', [check({ target: 'http://a/', timedOut: true, durationMs: 32, startedWithMs: 32 }), check({ target: 'http://b/', timedOut: true, durationMs: 120, startedWithMs: 120 })]),
    probe('process', [check({ ok: true })]),
  ], 300)!, /http http:\/\/a\/ started with 32 ms of the 300 ms cycle deadline left/);
  // evidence, as before: a timeout after most of the deadline, a URL's own shorter timeout started in time,
  // a hung probe (no start recorded), a status, a refusal, a definitive fact, a probe error
  assert.equal(starvedReason([probe('http', [check({ timedOut: true, durationMs: 150, startedWithMs: 150 })])], 300), undefined);
  assert.equal(starvedReason([probe('http', [check({ timedOut: true, durationMs: 100, startedWithMs: 299 })])], 300), undefined, 'its own 100 ms timeout, started on time');
  assert.equal(starvedReason([probe('http', [check({ timedOut: true, durationMs: 40 })])], 300), undefined, 'hung past the deadline');
  assert.equal(starvedReason([probe('http', [check({ timedOut: true, durationMs: 10, startedWithMs: 10 }), check({ reason: 'status 502', durationMs: 3 })])], 300), undefined);
  assert.equal(starvedReason([probe('port', [check({ timedOut: true, durationMs: 10, startedWithMs: 10 })]), probe('process', [check({ evidence: 'definitive' })])], 300), undefined);
  assert.equal(starvedReason([probe('port', [check({ value: 'ECONNREFUSED', evidence: 'definitive', durationMs: 1 })])], 300), undefined);
  assert.equal(starvedReason([probe('http', [], { ok: false, summary: 'probe error: x' })], 300), undefined);
  // warnings do not decide; a passing run has nothing to hold
  assert.equal(starvedReason([probe('http', [check({ timedOut: true, durationMs: 1, startedWithMs: 1 })], { severity: 'warning' })], 300), undefined);
  assert.equal(starvedReason([probe('http', [check({ ok: true })])], 300), undefined);
  assert.ok(STARVED_HOLD_MS >= 1000);
});

test('StarvedRun: holds for STARVED_HOLD_MS of inconclusive cycles in a row, then they count; logged at start, at the limit and at the end, not every cycle', () => {
  const run = new StarvedRun();
  assert.deepEqual(run.step(undefined, 0), { hold: false });
  const first = run.step('why', 100);
  assert.equal(first.hold, true);
  assert.match(first.log!.msg, /^cycle inconclusive, why: holding the verdict \(for at most 5s\)$/);
  assert.deepEqual(run.step('why', 200), { hold: true });
  assert.deepEqual(run.step('why', 100 + STARVED_HOLD_MS - 1), { hold: true });
  const over = run.step('why', 100 + STARVED_HOLD_MS);
  assert.equal(over.hold, false);
  assert.match(over.log!.msg, /^starved for 5s: timeouts count toward fall again \(why\)$/);
  assert.deepEqual(run.step('why', 100 + STARVED_HOLD_MS + 100), { hold: false });
  const end = run.step(undefined, 100 + STARVED_HOLD_MS + 200);
  assert.deepEqual([end.hold, end.log?.level], [false, 'info']);
  assert.match(end.log!.msg, /after 5 cycle\(s\)/);
  // a new run starts a new hold
  assert.equal(run.step('again', 20_000).hold, true);
});

test('hold: counters and settled health stay; the maintenance flag still applies at once', () => {
  const cfg = { rise: 2, fall: 2, definitive_fall: 1 };
  let h = observe(INITIAL, 'healthy', false, cfg).state;
  h = observe(h, 'unhealthy', false, cfg).state; // one ambiguous failure: pending
  const held = hold(h, false);
  assert.deepEqual([held.verdict, held.changed, held.state.streak], ['healthy', false, 1]);
  // the next real failure is the second in a row: the held cycle neither counted nor broke the run
  assert.equal(observe(held.state, 'unhealthy', false, cfg).verdict, 'unhealthy');
  assert.deepEqual([hold(h, true).verdict, hold(h, true).changed], ['forced-down', true]);
  const down = observe(INITIAL, 'unhealthy', false, cfg).state;
  assert.equal(hold(down, false).verdict, 'unhealthy');
});

test('agent at 100 ms, fall 2: stopped for 350 ms (past the 300 ms cycle deadline) twice in a row, ten times: a healthy URL never flips the track_file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-starved-'));
  onCleanup(t, () => rmSync(dir, { recursive: true, force: true, maxRetries: 3 }));
  // answers in 80 ms: well inside the deadline, but after a stop the reply waits in the socket
  const srv = await slowHttpServer(t, 80);
  const stateFile = join(dir, 'state');
  const a = startHacheck(['agent', '--state-file', stateFile, '--status-file', join(dir, 'status.json'), '--state-dir', join(dir, 'st'),
    '--maintenance-file', '', '--no-restart', '--url', `http://127.0.0.1:${srv.port}/`, '--interval', '100ms', '--fall', '2']);
  const pid = a.child.pid!;
  let exited = false;
  a.done.then(() => (exited = true));
  onCleanup(t, async () => {
    for (const sig of ['SIGCONT', 'SIGKILL'] as const) try { process.kill(-pid, sig); } catch { /* gone */ }
    if (!exited) await Promise.race([a.done, sleep(5000)]);
  });
  const read = () => { try { return readFileSync(stateFile, 'utf8'); } catch { return undefined; } };
  const end = performance.now() + 10_000;
  while (read() !== '0\n') {
    assert.ok(performance.now() < end, `agent never healthy: ${read()}`);
    await sleep(10);
  }
  const seen = new Set<string | undefined>();
  const poll = setInterval(() => seen.add(read()), 3);
  onCleanup(t, () => clearInterval(poll));
  for (let i = 0; i < 10; i++) {
    for (let k = 0; k < 2; k++) {
      process.kill(pid, 'SIGSTOP');
      await sleep(350);
      process.kill(pid, 'SIGCONT');
      await sleep(k === 0 ? 60 + i * 7 : 400);
    }
  }
  await sleep(300);
  clearInterval(poll);
  seen.add(read());
  assert.deepEqual([...seen], ['0\n'], 'the track_file only ever said healthy');
  assert.equal(exited, false);
});

test('a URL with its own timeout shorter than half the cycle deadline: hung, it is evidence (fall 2 flips within a second), not an inconclusive cycle', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-starved-'));
  onCleanup(t, () => rmSync(dir, { recursive: true, force: true, maxRetries: 3 }));
  let hang = false;
  const srv = await headServer(t, (s) => { if (!hang) s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok'); });
  const stateFile = join(dir, 'state');
  const cfg = join(dir, 'hacheck.yaml');
  writeFileSync(cfg, `state_dir: ${join(dir, 'st')}\nmaintenance_file: ""\nagent:\n  interval: 100ms\n  timeout: 300ms\n  fall: 2\n  state_file: ${stateFile}\n  status_file: ${join(dir, 'status.json')}\nprobes:\n  - type: http\n    urls:\n      - url: http://127.0.0.1:${srv.port}/t\n        timeout: 100ms\n`);
  const a = startHacheck(['agent', '-c', cfg]);
  let err = '';
  a.child.stderr!.on('data', (b) => (err += b));
  onCleanup(t, async () => {
    try { process.kill(-a.child.pid!, 'SIGKILL'); } catch { /* gone */ }
    await Promise.race([a.done, sleep(5000)]);
  });
  const read = () => { try { return readFileSync(stateFile, 'utf8'); } catch { return undefined; } };
  let end = performance.now() + 10_000;
  while (read() !== '0\n') {
    assert.ok(performance.now() < end, `agent never healthy: ${read()} ${err}`);
    await sleep(10);
  }
  hang = true;
  const t0 = performance.now();
  end = t0 + 4000;
  while (read() !== '1\n') {
    assert.ok(performance.now() < end, `not unhealthy 4 s after the URL hung (documented: fall x (deadline + interval) + interval = 0.9 s): ${err}`);
    await sleep(5);
  }
  assert.doesNotMatch(err, /inconclusive/, 'its own timeout is not the agent starving');
});
