// --json: one document with the same facts as the table.
import type { ProbeResult } from '../probes/types.js';
import type { Verdict } from '../verdict/verdict.js';

export interface Report {
  version: string;
  time: string;
  verdict: Verdict['verdict'];
  exit_code: number;
  reasons: string[];
  /** unhealthy only: 'definitive' (a fact CPU contention cannot produce) or 'ambiguous' */
  evidence?: 'definitive' | 'ambiguous';
  elapsed_ms: number;
  timeout_ms: number;
  notes: string[];
  probes: ProbeResult[];
}

export function buildReport(results: ProbeResult[], verdict: Verdict, extra: { timeoutMs: number; elapsedMs: number; notes?: string[]; version: string }): Report {
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    version: extra.version,
    time: new Date().toISOString(),
    verdict: verdict.verdict,
    exit_code: verdict.exitCode,
    reasons: verdict.reasons,
    ...(verdict.evidence && { evidence: verdict.evidence }),
    elapsed_ms: round(extra.elapsedMs),
    timeout_ms: extra.timeoutMs,
    notes: extra.notes ?? [],
    probes: results.map((r) => ({ ...r, durationMs: round(r.durationMs), checks: r.checks.map((c) => ({ ...c, durationMs: round(c.durationMs) })) })),
  };
}
