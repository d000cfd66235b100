// The agent's status file (JSON, rewritten every cycle) and the pure judgement
// `hacheck status` makes of it: fresh, written by a live agent, healthy.
import type { ProbeResult } from '../probes/types.js';
import type { VerdictName } from '../verdict/verdict.js';

export interface StatusDoc {
  /** when this file was written (ISO) and the same in epoch ms */
  time: string;
  time_ms: number;
  pid: number;
  /** the agent's process start time (clock ticks since boot): a reused pid is not the agent */
  pid_start?: number;
  version: string;
  /** the published verdict (after rise/fall) and what this cycle's probes said */
  verdict: VerdictName | 'stopped';
  observed: VerdictName;
  /** this cycle's probes failed: how sure ('definitive': a fact CPU contention cannot produce); null when they passed */
  evidence?: 'definitive' | 'ambiguous' | null;
  /** the verdict is unhealthy: which kind of evidence turned it (definitive: definitive_fall cycles, ambiguous: fall); else null */
  decided_by?: 'definitive' | 'ambiguous' | null;
  /** the value in the track_file */
  value: number | null;
  reasons: string[];
  /** when the published verdict last changed (ISO) */
  last_change: string;
  interval_ms: number;
  cycle: number;
  cycle_ms: number;
  /** the longest cycle since the agent started, and how many ticks long cycles skipped */
  cycle_ms_max?: number;
  overruns?: number;
  /** this cycle said nothing about nginx, and the verdict was held: why (the agent itself was starved); null otherwise */
  inconclusive?: string | null;
  /** cycles still needed before rise/fall flips the verdict (0: none pending) */
  pending: number;
  rise: number;
  fall: number;
  definitive_fall?: number;
  /** the cycle deadline */
  timeout_ms?: number;
  state_file: string;
  notes: string[];
  probes: ProbeResult[];
}

const round = (n: number) => Math.round(n * 10) / 10;

/** Durations rounded for the file: smaller, and nobody needs nanoseconds. */
export function compactProbes(results: ProbeResult[]): ProbeResult[] {
  return results.map((r) => ({ ...r, durationMs: round(r.durationMs), checks: r.checks.map((c) => ({ ...c, durationMs: round(c.durationMs) })) }));
}

export interface Judgement {
  /** 0 fresh and healthy (or warning), 1 anything else, 3 forced down (as `check`) */
  code: 0 | 1 | 3;
  reason: string;
  ageMs?: number;
  doc?: StatusDoc;
}

export interface AgentLiveness {
  /** undefined: cannot tell (no /proc access); otherwise whether the writer still runs, and why not */
  alive(pid: number, start?: number): boolean | { ok: boolean; why?: string } | undefined;
}

/** A status time ahead of our clock by more than this is not believed (two clocks on one host agree; a file from the future was forged or the clock stepped). */
export const FUTURE_SKEW_MS = 1000;

/** Pure: the file's text (or the read error), the clock and the liveness check → exit code + reason. */
export function judgeStatus(
  read: { text?: string; error?: string },
  path: string,
  opts: { maxAgeMs: number; now: number; liveness: AgentLiveness },
): Judgement {
  if (read.error !== undefined) {
    if (read.error.startsWith('not trusted: ')) return { code: 1, reason: `status file ${path} ${read.error}` };
    return { code: 1, reason: read.error === 'ENOENT' ? `status file ${path} missing (agent not running?)` : `status file ${path} unreadable: ${read.error}` };
  }
  let doc: StatusDoc;
  try {
    doc = JSON.parse(read.text ?? '') as StatusDoc;
  } catch {
    return { code: 1, reason: `status file ${path} is not valid JSON (${(read.text ?? '').length} bytes)` };
  }
  if (!doc || typeof doc !== 'object' || typeof doc.time_ms !== 'number' || typeof doc.verdict !== 'string' || typeof doc.pid !== 'number') {
    return { code: 1, reason: `status file ${path} is not an agent status (time_ms, pid, verdict missing)` };
  }
  const ageMs = opts.now - doc.time_ms;
  const age = `${(ageMs / 1000).toFixed(1)}s`;
  if (ageMs > opts.maxAgeMs) return { code: 1, reason: `status stale: written ${age} ago by pid ${doc.pid} (max age ${opts.maxAgeMs / 1000}s): agent dead or hung`, ageMs, doc };
  if (ageMs < -FUTURE_SKEW_MS) return { code: 1, reason: `status file ${path} is stamped ${(-ageMs / 1000).toFixed(1)}s in the future (clock stepped, or not written by the agent)`, ageMs, doc };
  if (doc.verdict === 'stopped') return { code: 1, reason: `agent pid ${doc.pid} stopped`, ageMs, doc };
  const alive = opts.liveness.alive(doc.pid, doc.pid_start);
  const live = typeof alive === 'boolean' ? { ok: alive } : alive;
  if (live && !live.ok) return { code: 1, reason: `${live.why ?? `agent pid ${doc.pid} is gone`} (status written ${age} ago)`, ageMs, doc };
  const why = doc.reasons?.length ? `: ${doc.reasons.join('; ')}` : '';
  // the agent's reason already reads "forced down: maintenance file … present": not "forced down: forced down: …"
  if (doc.verdict === 'forced-down') return { code: 3, reason: /^forced down\b/.test(doc.reasons?.[0] ?? '') ? doc.reasons!.join('; ') : `forced down${why}`, ageMs, doc };
  if (doc.verdict === 'unhealthy') return { code: 1, reason: `unhealthy${why}${doc.decided_by ? ` [${doc.decided_by} evidence]` : ''}`, ageMs, doc };
  if (doc.verdict !== 'healthy' && doc.verdict !== 'warning') return { code: 1, reason: `unknown verdict "${doc.verdict}"`, ageMs, doc };
  return { code: 0, reason: `${doc.verdict} (pid ${doc.pid}, written ${age} ago)${doc.verdict === 'warning' ? why : ''}`, ageMs, doc };
}
