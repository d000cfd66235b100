// What the agent logs as a new cause while unhealthy ("still unhealthy, now …"):
// keepalived-style, on change only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { causeOf } from '../../src/commands/agent.ts';
import type { ProbeResult } from '../../src/probes/types.ts';

test('causeOf: a probe not waited for (another decided the run) is no new cause; one failing on its own is', () => {
  const r = (name: string, ok: boolean, extra: Partial<ProbeResult> = {}): ProbeResult => ({ kind: name, name, severity: 'critical', ok, summary: '', checks: [], durationMs: 0, ...extra });
  // master stopped, workers serving: process alone; then the workers killed: http hangs and is not waited for
  const before = causeOf('definitive', [r('process', false), r('port', true), r('http', true)]);
  assert.equal(causeOf('definitive', [r('process', false), r('port', true), r('http', false, { notWaited: true })]), before);
  assert.notEqual(causeOf('definitive', [r('process', false), r('port', true), r('http', false)]), before);
  assert.notEqual(causeOf('ambiguous', [r('process', false), r('port', true), r('http', true)]), before);
  // a warning-severity probe is never a cause
  assert.equal(causeOf('definitive', [r('process', false), r('cpu', false, { severity: 'warning' })]), causeOf('definitive', [r('process', false)]));
});
