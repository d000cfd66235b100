// vrrp_scripts that run hacheck: keepalived's timeout against hacheck's own
// deadline, the agent run as a script, and the `hacheck status` guard's --max-age
// against the agent's interval and cycle deadline.
import { STATUS_EVERY_MS, statusWriteGapMs } from '../../config/defaults.js';
import { fmtMs, parseDuration, parseMaxAge } from '../../config/units.js';
import { flagValue, hacheckRole } from '../arithmetic.js';
import type { VrrpScript } from '../model.js';
import { finding, sec, type DoctorContext, type Family, type Finding } from './types.js';

/** The deadline a hacheck check script actually runs with: its own --timeout, else its -c config's, else the doctor's config's. */
export function scriptDeadline(ctx: Pick<DoctorContext, 'hacheck' | 'scriptConfigs'>, s: VrrpScript): { ms?: number; from: string } {
  const flag = flagValue(s.argv, ['--timeout']);
  const cfg = flagValue(s.argv, ['-c', '--config']);
  if (flag !== undefined) return { ms: parseDuration(flag), from: `--timeout ${flag} on vrrp_script ${s.name}'s command line` };
  if (cfg !== undefined) return { ms: ctx.scriptConfigs.get(cfg)?.deadlineMs, from: `timeout of ${cfg}, vrrp_script ${s.name}'s -c` };
  return { ms: ctx.hacheck.deadlineMs, from: ctx.hacheck.deadlineFrom };
}

export const hacheckScripts: Family = (ctx) => {
  const out: Finding[] = [];
  const m = ctx.local.model;
  for (const s of m.scripts.values()) {
    if (s.off) continue;
    const role = hacheckRole(s.argv);
    if (!role) continue;
    const at = s.scriptLoc ?? s;
    const killAfter = s.timeout || s.interval;
    const killLoc = s.timeoutLoc ?? s.intervalLoc ?? s;
    if (role === 'agent') {
      out.push(finding('error', 'agent-in-script', at, `vrrp_script ${s.name} runs \`hacheck agent\`, which never exits: keepalived kills it every ${sec(killAfter)} and counts a failure`,
        'run the agent as a service (hacheck-agent.service) and track its file with track_file plus a `hacheck status --max-age 3s` script'));
    } else if (role === 'check') {
      const { ms: deadline, from } = scriptDeadline(ctx, s);
      if (deadline === undefined) continue;
      const need = Math.ceil(deadline / 1000 + 0.25);
      if (killAfter * 1000 <= deadline) {
        out.push(finding('error', 'script-timeout', killLoc,
          `vrrp_script ${s.name}: keepalived kills the script after ${sec(killAfter)}${!s.timeout ? ' (no timeout: the interval)' : ''}, but hacheck may run for up to ${fmtMs(deadline)} (${from.replace(` on vrrp_script ${s.name}'s command line`, ' on its command line')}): a restart in progress is cut off and counted as a failure`,
          `timeout ${need} (longer than hacheck's deadline), or a shorter hacheck --timeout`));
      }
      if (s.interval * 1000 < deadline) {
        out.push(finding('warning', 'script-interval', s.intervalLoc ?? s,
          `vrrp_script ${s.name}: interval ${sec(s.interval)} is shorter than hacheck's deadline ${fmtMs(deadline)} (${from}): keepalived skips runs while the previous one is still going`,
          `interval ${need} or more`));
      }
    } else if (role === 'status') {
      const written = flagValue(s.argv, ['--max-age']);
      const maxAge = parseMaxAge(written ?? '3s');
      if (maxAge === undefined) {
        // status.ts refuses it on every run (exit 64): keepalived counts each run as a failed check
        const c = ctx.reports.flatMap((r) => r.checks).find((x) => x.kind === 'script' && x.name === s.name && !x.off);
        const then = c?.text.split('on this node, ')[1]?.split(/ \((?:after fall|as soon as)|; (?:the peer|if it does)/)[0];
        const fix = written && /^\d+(\.\d+)?$/.test(written) && Number(written) > 0 ? `${written}s` : '3s';
        out.push(finding('error', 'status-max-age-bad', at, `vrrp_script ${s.name}: \`hacheck status --max-age ${written}\` is refused (bad duration: a number with ms, s, m or h above zero): it exits 64 on every run, so every run is a failed check${then ? `: ${then}` : ''}`,
          `--max-age ${fix}`));
        continue;
      }
      const cfg = flagValue(s.argv, ['-c', '--config']);
      const agent = cfg !== undefined ? ctx.scriptConfigs.get(cfg) : ctx.hacheck;
      const every = agent?.agentIntervalMs;
      if (maxAge === undefined || every === undefined) continue;
      const cycle = agent?.agentCycleMs ?? every;
      const gap = statusWriteGapMs(every, cycle);
      if (maxAge < gap) {
        // the fix: room for a CPU-starved cycle; 2 s as `init --fast` writes for a sub-second agent, else at least the default 3 s
        const fix = Math.max(gap < 1000 ? 2000 : 3000, Math.ceil((gap + every) / 100) * 100);
        const rewrite = every < 1000 ? `an unchanged status about every ${fmtMs(STATUS_EVERY_MS)}` : 'the status every cycle';
        out.push(finding('warning', 'status-max-age', at, `vrrp_script ${s.name}: --max-age ${fmtMs(maxAge)} cannot cover the agent: it rewrites ${rewrite}, at the end of a cycle (every ${fmtMs(every)}, each up to its ${fmtMs(cycle)} deadline), so two writes can be ${fmtMs(gap)} apart: one slow cycle reads as a dead agent`,
          `--max-age ${fmtMs(fix)}`));
      }
    }
  }
  return out;
};
