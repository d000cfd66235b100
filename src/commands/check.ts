// `hacheck` / `hacheck check`: the one-shot vrrp_script check. Decide (probes →
// verdict) then act (output, log on change); the exit code is the verdict.
import type { ProbeFlags } from '../config/flags.js';
import { resolveCached } from '../config/cache.js';
import { evaluate } from '../actions/evaluate.js';
import { decide } from '../verdict/verdict.js';
import { ONE_SHOT, starvedReason } from '../verdict/starved.js';
import { readJson, writeJson } from '../sys/state-dir.js';
import { VERSION } from '../version.js';
import { setExitDeadline } from '../exit.js';
import { probers, type ProbeKind } from '../probes/index.js';
import type { ProbeBase } from '../probes/types.js';

export interface CheckFlags extends ProbeFlags {
  verbose?: boolean;
  json?: boolean;
  format?: string;
}

/** Time kept back from --timeout for output and exit. */
const EXIT_MARGIN_MS = 10;
/**
 * Per configured target (URL, port), time kept back from the probes for what
 * follows them: closing the sockets still open at the deadline and rendering
 * one check each. Measured with 3,000 ports + 3,000 hung URLs and --json
 * (1.2 MB): 110-136 ms past the probes' deadline; 0.03 ms x 6,000 = 180 ms.
 * A usual config (a few targets) gives up well under a millisecond.
 */
const MARGIN_PER_TARGET_MS = 0.03;

/** How many targets the config names: each probe's own targets() (src/probes/types.ts), else one. */
function targetCount(probes: readonly ProbeBase[]): number {
  return probes.reduce((n, p) => n + (probers[p.type as ProbeKind].targets?.(p as never).length ?? 1), 0);
}

export async function checkCommand(flags: CheckFlags): Promise<number> {
  // A Nagios plugin stopped by a signal (the operator, a service manager) still answers: one
  // UNKNOWN line, code 3, not "(No output on stdout)" and an out-of-range 143. Without
  // --format nagios a signal keeps its default (keepalived reads the death as a failure).
  if (flags.format === 'nagios') {
    const { nagiosUnknown } = await import('../exit.js');
    for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(sig, () => nagiosUnknown(`interrupted by ${sig} before the check finished`));
  }
  const cfg = await resolveCached(flags);
  // The deadline counts from process start (performance.now() is 0 there), so
  // Node's own start-up is inside --timeout too, as keepalived sees it.
  const deadline = cfg.timeout - EXIT_MARGIN_MS - MARGIN_PER_TARGET_MS * targetCount(cfg.probes);
  // and so is writing the output: exit waits for a slow reader until --timeout, no longer
  setExitDeadline(cfg.timeout);
  const { results, forcedDown, notes, restart, restartFailure } = await evaluate(cfg, deadline, cfg.timeout);
  const verdict = decide(results, { forcedDown });
  if (restartFailure) verdict.reasons.unshift(restartFailure);
  // Checks hacheck itself started too late to judge (no CPU: a loaded machine, a SIGSTOP) measured
  // nothing about nginx: still unhealthy (the deadline passed, exit 1 as documented), but the
  // reason says so first, not only "no response headers within 9 ms (server hung)".
  // (not after the restart flow waited for health: its last re-probe starts late by design, not for want of CPU)
  const inconclusive = verdict.exitCode === 1 && !forcedDown && restart?.recovered === undefined ? starvedReason(results, cfg.timeout, ONE_SHOT) : undefined;
  if (inconclusive) verdict.reasons.unshift(`inconclusive: ${inconclusive}`);
  const elapsedMs = performance.now();

  let code: number = verdict.exitCode;
  if (flags.format === 'nagios') {
    const { renderNagios } = await import('../output/nagios.js');
    const out = renderNagios(results, verdict, notes);
    process.stdout.write(out.text);
    code = out.code;
  } else if (flags.json) {
    const { buildReport } = await import('../output/json.js');
    const report = buildReport(results, verdict, { timeoutMs: cfg.timeout, elapsedMs, notes, version: VERSION });
    process.stdout.write(JSON.stringify({ ...report, ...(inconclusive && { inconclusive }), ...(restart && { restart }) }) + '\n');
  } else if (flags.verbose) {
    const { renderTable } = await import('../output/table.js');
    process.stdout.write(renderTable(results, verdict, { timeoutMs: cfg.timeout, elapsedMs, notes }));
  }

  // A restart is rare and always worth a log line; the rest only on change.
  if (restart?.action === 'restart') {
    const { getLogger } = await import('../output/log.js');
    const log = await getLogger(cfg);
    const fields = { restart_cmd: restart.cmd, restart_pid: restart.pid, recovered: restart.recovered, reason: restart.reason, log_file: restart.log };
    log.warn(fields, `hacheck: restarted nginx: ${restart.recovered ? 'recovered' : restart.reason}`);
  }

  // keepalived-style: log on state change, not every run.
  const last = readJson<{ verdict: string }>(cfg.state_dir, 'last-check.json');
  if (last?.verdict !== verdict.verdict) {
    writeJson(cfg.state_dir, 'last-check.json', { verdict: verdict.verdict, since: new Date().toISOString() });
    if (last || verdict.exitCode !== 0) {
      const { getLogger } = await import('../output/log.js');
      const log = await getLogger(cfg);
      // exit_code: the code this run returns (under --format nagios the plugin's 0-3, not the vrrp_script code)
      const fields = { verdict: verdict.verdict, previous: last?.verdict ?? null, exit_code: code, ...(flags.format === 'nagios' && { format: 'nagios' }), reasons: verdict.reasons };
      if (verdict.exitCode === 0) log.info(fields, `hacheck: ${verdict.verdict}`);
      else log.warn(fields, `hacheck: ${verdict.verdict}: ${verdict.reasons.join('; ')}`);
    }
  }
  return code;
}
