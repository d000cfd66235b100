// Check.evidence (issue 17): which failures are definitive — facts CPU contention
// cannot produce, on which the agent flips at once — and which stay ambiguous.
// Real nginx (own comm name), real sockets.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';
import * as port from '../../src/probes/port.ts';
import * as proc from '../../src/probes/process.ts';
import { startNginx } from '../fixtures/nginx-server.ts';
import { otherProgram, zombie } from '../fixtures/servers.ts';
import { sleep } from '../fixtures/nginx-lab.ts';

const COMM = 'hc-evid-nginx';
const ng = await startNginx({ after }, { comm: COMM, workers: 1 });
const ctx = (ms = 2000) => ({ signal: AbortSignal.timeout(ms), deadline: performance.now() + ms, stateDir: '/nonexistent' });

async function portCheck(target: string, ms?: number) {
  return (await port.prober.run(v.parse(port.schema, { type: 'port', targets: [target] }), ctx(ms))).checks[0];
}
async function procCheck(raw: Record<string, unknown>) {
  return (await proc.prober.run(v.parse(proc.schema, { type: 'process', ...raw }), ctx())).checks[0];
}

test('port: refused on a loopback port is definitive; a passing check carries none', async () => {
  const ok = await portCheck(`127.0.0.1:${ng.port}`);
  assert.equal(ok.ok, true);
  assert.equal(ok.evidence, undefined);
  const refused = await portCheck(`127.0.0.1:${ng.downPort}`);
  assert.equal(refused.value, 'ECONNREFUSED');
  assert.equal(refused.evidence, 'definitive');
});

test('port: a connect that does not complete before the deadline is ambiguous', async () => {
  const ac = new AbortController();
  ac.abort();
  const r = await port.prober.run(v.parse(port.schema, { type: 'port', targets: [ng.port] }), { signal: ac.signal, deadline: performance.now(), stateDir: '/nonexistent' });
  assert.equal(r.checks[0].timedOut, true);
  assert.notEqual(r.checks[0].evidence, 'definitive', 'absent or ambiguous');
});

test('port: local means loopback or an address of this machine; anything else is not', () => {
  for (const h of ['127.0.0.1', '127.3.4.5', '::1', 'localhost']) assert.equal(port.isLocalHost(h), true, h);
  // TEST-NET addresses are never configured here; a name is not resolved (no DNS in a probe's verdict)
  for (const h of ['192.0.2.1', '2001:db8::1', 'example.com']) assert.equal(port.isLocalHost(h), false, h);
});

test('process: stopped master, zombie, stale pidfile (another program), no such process: definitive', async (t) => {
  assert.equal((await procCheck({ process: 'hc-no-such' })).evidence, 'definitive');
  const other = otherProgram({ after });
  const f = join(ng.dir, 'other.pid');
  writeFileSync(f, `${other}\n`);
  assert.equal((await procCheck({ process: COMM, pidfile: f })).evidence, 'definitive');
  const z = await zombie({ after });
  writeFileSync(f, `${z}\n`);
  assert.equal((await procCheck({ process: 'perl', pidfile: f })).evidence, 'definitive');
  process.kill(ng.pid, 'SIGSTOP');
  t.after(() => process.kill(ng.pid, 'SIGCONT'));
  const until = performance.now() + 2000;
  let c = await procCheck({ process: COMM, pidfile: ng.pidfile });
  while (c.ok && performance.now() < until) {
    await sleep(10);
    c = await procCheck({ process: COMM, pidfile: ng.pidfile });
  }
  assert.match(c.reason!, /is stopped/);
  assert.equal(c.evidence, 'definitive');
});

test('process: fewer workers than min_workers (but some), and a pidfile that is not a pid while a master of that name runs, stay ambiguous', async () => {
  const few = await procCheck({ process: COMM, pidfile: ng.pidfile, min_workers: 3 });
  assert.equal(few.ok, false);
  assert.equal(few.evidence, 'ambiguous');
  const f = join(ng.dir, 'bad.pid');
  writeFileSync(f, 'nginx\n');
  // with a master of that name running (this test's own): it may be ours, so not sure
  assert.equal((await procCheck({ process: COMM, pidfile: f })).evidence, 'ambiguous');
  // with none (a name no process has, whatever else this machine runs): nginx is not running
  assert.equal((await procCheck({ process: 'hc-evid-none', pidfile: f })).evidence, 'definitive');
});

