// decide(): pure, probe results in, verdict out. Only critical probes set the exit code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide } from '../../src/verdict/verdict.ts';
import type { Check, ProbeResult } from '../../src/probes/types.ts';

const check = (ok: boolean, warnings?: string[]): Check => ({ target: 't', ok, value: 'v', expect: 'e', durationMs: 1, ...(ok ? {} : { reason: 'bad' }), ...(warnings && { warnings }) });
const probe = (name: string, ok: boolean, severity: 'critical' | 'warning' = 'critical', checks = [check(ok)]): ProbeResult =>
  ({ kind: name, name, severity, ok, summary: ok ? 'fine' : `${name} broken`, checks, durationMs: 1 });

test('all ok → healthy, 0, no reasons', () => {
  assert.deepEqual(decide([probe('process', true), probe('http', true)]), { verdict: 'healthy', exitCode: 0, reasons: [] });
});

test('a failed critical probe → unhealthy, 1; critical reasons first', () => {
  const v = decide([probe('cpu', false, 'warning'), probe('http', false)]);
  assert.equal(v.verdict, 'unhealthy');
  assert.equal(v.exitCode, 1);
  assert.deepEqual(v.reasons, ['http: http broken', 'cpu (warning): cpu broken']);
});

test('only warning-severity failures → warning, exit 0', () => {
  assert.deepEqual(decide([probe('process', true), probe('cpu', false, 'warning')]), { verdict: 'warning', exitCode: 0, reasons: ['cpu (warning): cpu broken'] });
});

test('a non-fatal finding (certificate expiry) on an ok probe → warning, exit 0', () => {
  const v = decide([probe('http', true, 'critical', [check(true, ['certificate expires in 4 days'])])]);
  assert.deepEqual(v, { verdict: 'warning', exitCode: 0, reasons: ['http (warning): certificate expires in 4 days'] });
});

test('a failed critical probe that also carries a finding is listed once as failed, once with the finding', () => {
  const v = decide([probe('http', false, 'critical', [check(false), check(true, ['certificate expires in 4 days'])])]);
  assert.equal(v.exitCode, 1);
  assert.deepEqual(v.reasons, ['http: http broken', 'http (warning): certificate expires in 4 days']);
});

test('a failed warning probe with a finding is not listed twice', () => {
  const v = decide([probe('http', false, 'warning', [check(false), check(true, ['certificate expires in 4 days'])])]);
  assert.deepEqual(v, { verdict: 'warning', exitCode: 0, reasons: ['http (warning): http broken'] });
});

test('forced down → 3 whatever the probes say, the reason first', () => {
  const v = decide([probe('http', false)], { forcedDown: 'forced down: maintenance file /x present' });
  assert.equal(v.verdict, 'forced-down');
  assert.equal(v.exitCode, 3);
  assert.deepEqual(v.reasons, ['forced down: maintenance file /x present', 'http: http broken']);
});

test('a probe not waited for (another decided the run) is no reason of its own, whatever its place in the config; still unhealthy', () => {
  const notWaited = (name: string, severity: 'critical' | 'warning' = 'critical'): ProbeResult =>
    ({ ...probe(name, false, severity), summary: 'not waited for: the run is unhealthy already (process failed, definitively)', notWaited: true });
  const v = decide([notWaited('http'), probe('process', false), notWaited('cpu', 'warning')]);
  assert.equal(v.verdict, 'unhealthy');
  assert.deepEqual(v.reasons, ['process: process broken']);
});
