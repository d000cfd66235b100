// runProbes: all probes concurrently under one deadline; unique names; a hung
// probe is named and the run returns at the deadline.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as v from 'valibot';
import { probeNames, runProbes } from '../../src/probes/run.ts';
import { configSchema } from '../../src/config/schema.ts';
import { hungServer } from '../fixtures/servers.ts';
import { freePort } from '../fixtures/nginx-lab.ts';

const probesOf = (probes: unknown[]) => v.parse(configSchema, { probes }).probes;

test('probe names: the type, or the given name; repeats get #2, #3', () => {
  assert.deepEqual(probeNames([{ type: 'http' }, { type: 'port' }, { type: 'http' }, { type: 'http', name: 'api' }, { type: 'http', name: 'api' }] as never),
    ['http', 'port', 'http#2', 'api', 'api#2']);
});

test('probes run concurrently: two hung URLs and a refused port return together at the deadline', async () => {
  const hung = await hungServer({ after });
  const closed = await freePort();
  const probes = probesOf([
    { type: 'http', urls: [`http://127.0.0.1:${hung.port}/a`] },
    { type: 'http', name: 'api', urls: [`http://127.0.0.1:${hung.port}/b`] },
    // warning: a refused local port is definitive evidence, and a critical one would end the wait (run.ts)
    { type: 'port', targets: [closed], severity: 'warning' },
  ]);
  const t0 = performance.now();
  const results = await runProbes(probes, { deadline: t0 + 500, stateDir: '/nonexistent' });
  const took = performance.now() - t0;
  assert.ok(took < 500 + 100, `runProbes took ${took.toFixed(0)} ms for a 500 ms deadline`);
  assert.ok(took >= 450, 'the hung URLs were waited for until the deadline');
  assert.deepEqual(results.map((r) => [r.name, r.ok, r.timedOut]), [['http', false, true], ['api', false, true], ['port', false, false]]);
  assert.equal(hung.accepted(), 2);
});

test('a deadline already passed: every probe reports at once, none hangs', async () => {
  const hung = await hungServer({ after });
  const probes = probesOf([{ type: 'http', urls: [`http://127.0.0.1:${hung.port}/`] }, { type: 'port', targets: [hung.port] }]);
  const t0 = performance.now();
  const results = await runProbes(probes, { deadline: t0 - 1, stateDir: '/nonexistent' });
  assert.ok(performance.now() - t0 < 200);
  assert.ok(results.every((r) => !r.ok && r.timedOut), JSON.stringify(results.map((r) => r.summary)));
});
