// Pure: probe results in, verdict out. Only critical probes decide; warnings are reported.
import type { ProbeResult } from '../probes/types.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import type { Evidence } from './hysteresis.js';

export type VerdictName = 'healthy' | 'warning' | 'unhealthy' | 'forced-down';

export interface Verdict {
  verdict: VerdictName;
  exitCode: ExitCode;
  /** one line per failing probe, critical first */
  reasons: string[];
  /** unhealthy only: how sure the failure is (see evidenceOf) */
  evidence?: Evidence;
}

/**
 * How sure a failed run is: 'definitive' when a failed critical probe has a
 * failed check marked definitive (Check.evidence: a dead, zombie or stopped
 * master, no live worker, a refused local port), else 'ambiguous'. A probe
 * that fails only when several of its checks fail (an http quorum) must not
 * mark a check definitive unless that check alone fails the probe.
 */
export function evidenceOf(results: ProbeResult[]): Evidence {
  const sure = results.some((r) => !r.ok && r.severity === 'critical' && r.checks.some((c) => !c.ok && c.evidence === 'definitive'));
  return sure ? 'definitive' : 'ambiguous';
}

export function decide(results: ProbeResult[], opts: { forcedDown?: string } = {}): Verdict {
  const critical = results.filter((r) => !r.ok && r.severity === 'critical');
  const failedWarning = results.filter((r) => !r.ok && r.severity === 'warning');
  // non-fatal findings (a certificate about to expire) of probes not already listed as failed warnings
  const findings = results.filter((r) => !failedWarning.includes(r) && r.checks.some((c) => c.warnings?.length));
  const warn = [...failedWarning, ...findings];
  // a probe not waited for (another's failure decided the run) is no reason of its own: its rows say so
  const cause = (r: ProbeResult) => !r.notWaited;
  const reasons = [
    ...critical.filter(cause).map((r) => `${r.name}: ${r.summary}`),
    ...failedWarning.filter(cause).map((r) => `${r.name} (warning): ${r.summary}`),
    ...findings.map((r) => `${r.name} (warning): ${r.checks.flatMap((c) => c.warnings ?? []).join('; ')}`),
  ];
  if (opts.forcedDown) return { verdict: 'forced-down', exitCode: EXIT.FORCED_DOWN, reasons: [opts.forcedDown, ...reasons] };
  if (critical.length) return { verdict: 'unhealthy', exitCode: EXIT.UNHEALTHY, reasons, evidence: evidenceOf(critical) };
  if (warn.length) return { verdict: 'warning', exitCode: EXIT.HEALTHY, reasons };
  return { verdict: 'healthy', exitCode: EXIT.HEALTHY, reasons };
}
