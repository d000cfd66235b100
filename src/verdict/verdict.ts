// Pure: probe results in, verdict out. Only critical probes decide; warnings are reported.
import type { ProbeResult } from '../probes/types.js';
import { EXIT, type ExitCode } from './exit-codes.js';

export type VerdictName = 'healthy' | 'warning' | 'unhealthy' | 'forced-down';

export interface Verdict {
  verdict: VerdictName;
  exitCode: ExitCode;
  /** one line per failing probe, critical first */
  reasons: string[];
}

export function decide(results: ProbeResult[], opts: { forcedDown?: string } = {}): Verdict {
  const critical = results.filter((r) => !r.ok && r.severity === 'critical');
  const failedWarning = results.filter((r) => !r.ok && r.severity === 'warning');
  // non-fatal findings (a certificate about to expire) of probes not already listed as failed warnings
  const findings = results.filter((r) => !failedWarning.includes(r) && r.checks.some((c) => c.warnings?.length));
  const warn = [...failedWarning, ...findings];
  const reasons = [
    ...critical.map((r) => `${r.name}: ${r.summary}`),
    ...failedWarning.map((r) => `${r.name} (warning): ${r.summary}`),
    ...findings.map((r) => `${r.name} (warning): ${r.checks.flatMap((c) => c.warnings ?? []).join('; ')}`),
  ];
  if (opts.forcedDown) return { verdict: 'forced-down', exitCode: EXIT.FORCED_DOWN, reasons: [opts.forcedDown, ...reasons] };
  if (critical.length) return { verdict: 'unhealthy', exitCode: EXIT.UNHEALTHY, reasons };
  if (warn.length) return { verdict: 'warning', exitCode: EXIT.HEALTHY, reasons };
  return { verdict: 'healthy', exitCode: EXIT.HEALTHY, reasons };
}
