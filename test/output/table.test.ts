// The --verbose table: one row per check, a probe's summary row only where it adds something.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderTable } from '../../src/output/table.ts';
import type { ProbeResult } from '../../src/probes/types.ts';

const check = (target: string, ok: boolean, reason: string) => ({ target, ok, value: ok ? '200' : 'x', expect: 'status 200-399', reason, durationMs: 1 });
const verdict = { verdict: 'unhealthy' as const, exitCode: 1 as const, reasons: [] };

test('a probe not waited for: its reason once per URL row, no summary row repeating it', () => {
  const summary = 'not waited for: the run is unhealthy already (process failed, definitively)';
  const r: ProbeResult = { kind: 'http', name: 'http', severity: 'critical', ok: false, notWaited: true, summary, durationMs: 35,
    checks: [check('http://127.0.0.1/', false, summary), check('http://127.0.0.1/health', false, summary)] };
  const out = renderTable([r], verdict, { timeoutMs: 1000, elapsedMs: 40 });
  assert.equal(out.split(summary).length - 1, 2, out);
});

test('a quorum summary under its URL rows stays (it says what the rows do not)', () => {
  const r: ProbeResult = { kind: 'http', name: 'http', severity: 'critical', ok: false, summary: '1/2 URLs ok, quorum all (2); failing: http://127.0.0.1/health (status 500)', durationMs: 5,
    checks: [check('http://127.0.0.1/', true, ''), check('http://127.0.0.1/health', false, 'status 500')] };
  const out = renderTable([r], verdict, { timeoutMs: 1000, elapsedMs: 6 });
  assert.match(out, /\n\s+FAIL: 1\/2 URLs ok, quorum all \(2\)\n/);
});
