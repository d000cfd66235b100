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
  const warn = results.filter((r) => (!r.ok && r.severity === 'warning') || r.checks.some((c) => c.warnings?.length));
  const reasons = [
    ...critical.map((r) => `${r.name}: ${r.summary}`),
    ...warn.map((r) => `${r.name} (warning): ${r.ok ? r.checks.flatMap((c) => c.warnings ?? []).join('; ') : r.summary}`),
  ];
  if (opts.forcedDown) return { verdict: 'forced-down', exitCode: EXIT.FORCED_DOWN, reasons: [opts.forcedDown, ...reasons] };
  if (critical.length) return { verdict: 'unhealthy', exitCode: EXIT.UNHEALTHY, reasons };
  if (warn.length) return { verdict: 'warning', exitCode: EXIT.HEALTHY, reasons };
  return { verdict: 'healthy', exitCode: EXIT.HEALTHY, reasons };
}
