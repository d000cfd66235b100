// The priority arithmetic's findings, from the instance reports: a check that
// cannot move the VIP (weight too small, nopreempt peer, weights keepalived
// ignores), a failure that raises the priority, FAULT while healthy (weight 0
// reverse, any tracker kind), and the slow takeover of a weighted check (master
// down timer instead of skew time; the peer's preempt_delay on top).
import type { CheckReport, InstanceReport } from '../arithmetic.js';
import { finding, sec, type DoctorContext, type Family, type Finding } from './types.js';

const LABEL = { script: 'track_script', file: 'track_file', process: 'track_process', interface: 'track_interface' } as const;

export const arithmetic: Family = (ctx) => {
  const out: Finding[] = [];
  for (const rep of ctx.reports) {
    for (const c of rep.checks) {
      if (c.via?.startsWith('via ')) continue; // another member's line: reported on that member
      out.push(...checkFindings(ctx, rep, c));
    }
  }
  return out;
};

function checkFindings(ctx: DoctorContext, rep: InstanceReport, c: CheckReport): Finding[] {
  const m = ctx.local.model;
  const inst = m.instances.find((i) => i.name === rep.name)!;
  const label = `${LABEL[c.kind]} ${c.name}`;
  const subject = `track:${rep.name}:${c.kind}:${c.name}`;
  if (c.off) {
    // the weights keepalived ignores are this family's; scripts it turned off are reported at the script
    if (/vrrp_sync_group/.test(c.off)) return [finding('error', 'sync-group-weights', c.weightAt, `vrrp_instance ${rep.name}: ${c.text}`, 'weight 0 (FAULT; the whole group fails over), or add sync_group_tracking_weight to the group', subject)];
    if (/address owner/.test(c.off)) return [finding('error', 'address-owner', inst.priorityLoc ?? inst, `vrrp_instance ${rep.name}: ${c.text}`, 'priority 254 or lower (or weight 0 to go to FAULT)', subject)];
    return [];
  }
  const out: Finding[] = [];
  const contribution = ctx.arith.contribution(m, inst.tracks.find((t) => t.kind === c.kind && t.name === c.name && t.file === c.file && t.line === c.line)!);
  if (c.takeover?.by === 'master-down' && c.takeover.preemptDelayMs && c.takeover.exact && c.kind !== 'interface') {
    out.push(preemptDelayed(rep, c, label));
  } else if (c.takeover?.by === 'master-down' && c.takeover.ms >= 1000 && c.kind !== 'interface') {
    const tk = c.takeover;
    const faultMs = Math.round(((256 - (typeof rep.peer?.healthy === 'number' ? rep.peer.healthy : 1)) / 256) * (rep.version === 3 ? rep.advertInt : 1) * 1000);
    out.push(finding('info', 'slow-takeover', c.weightAt,
      `vrrp_instance ${rep.name}: ${label}: weight ${c.weight}${c.reverse ? ' reverse' : ''}${c.weight > 0 && !c.reverse ? ' (a bonus lost on failure)' : ''} lowers the priority (${typeof rep.healthy === 'number' ? rep.healthy : '?'} → ${c.failed}) instead of FAULT: the peer discards the lower-priority adverts and takes over only when its master down timer expires, ${tk.exact ? '' : 'up to '}${sec(tk.ms / 1000)} after the last advert it accepted (${tk.formula}), on top of the detection; with weight 0 (FAULT) it takes over ${tk.exact ? '' : 'within '}${sec(faultMs / 1000)} after the priority-0 advert`,
      'weight 0 (FAULT) for the fast takeover, if a failure on both nodes may leave the VIP on neither (with a weight it stays on the higher node: keep the weight for a check of something both nodes share, such as an upstream); or keep the weight and shorten the master down interval: a smaller advert_int (fractions need VRRPv3: version 3 in the instance), or down_timer_adverts (fewer lost adverts then make both nodes MASTER)'));
  }
  if (contribution?.healthyFault) {
    // the check's own text says it (arithmetic.ts reverseWords), per kind
    out.push(finding('error', 'reverse-fault', c.weightAt, `vrrp_instance ${rep.name}: ${c.text.replace(/ \u2192 backwards$/, '')}: weight 0 reverse is backwards`,
      'drop `reverse` (weight 0 alone: FAULT when the check fails)', subject));
  } else if (typeof c.failed === 'number' && contribution && typeof contribution.failed === 'number' && contribution.failed > 0) {
    out.push(failureRaises(ctx, rep, c, contribution.failed));
  } else if (c.kind !== 'interface' && c.moves === false && c.problem) {
    out.push(finding('error', c.problem.code, c.problem.at, `vrrp_instance ${rep.name}: ${c.text}`, c.problem.fix));
  }
  return out;
}

/**
 * A weighted check whose takeover waits out the peer's preempt_delay (vrrp.c vrrp_state_backup: a BACKUP keeps
 * accepting lower-priority adverts until preempt_delay has passed since the first, "start preempt delay"). A
 * priority-0 advert (FAULT) is not delayed, so weight 0 is the fix here.
 */
function preemptDelayed(rep: InstanceReport, c: CheckReport, label: string): Finding {
  const tk = c.takeover!;
  const faultMs = Math.round(((256 - (typeof rep.peer?.healthy === 'number' ? rep.peer.healthy : 1)) / 256) * (rep.version === 3 ? rep.advertInt : 1) * 1000);
  const peer = rep.peer ? `peer ${rep.peer.name} (${rep.peer.file}:${rep.peer.line})` : 'the peer';
  return finding('warning', 'preempt-delay-slow', c.weightAt,
    `vrrp_instance ${rep.name}: ${label}: weight ${c.weight}${c.reverse ? ' reverse' : ''} lowers the priority (${rep.healthy} → ${c.failed}) and ${peer} has preempt_delay ${sec(tk.preemptDelayMs! / 1000)}: it keeps accepting the lower-priority adverts that long ("start preempt delay") before it takes over, up to ${sec(tk.ms / 1000)} after the first one (${tk.formula}), while this node's nginx is failing; a FAULT's priority-0 advert is not delayed: with weight 0 it takes over ${sec(faultMs / 1000)} after it`,
    'weight 0 (FAULT: preempt_delay does not delay a priority-0 advert), or a shorter preempt_delay on the peer (it also delays the takeover after a weighted failure, not only after a restart)');
}

/** A failure that adds to the priority; for a track_file the fix's weight is scaled to what the file holds when unhealthy. */
function failureRaises(ctx: DoctorContext, rep: InstanceReport, c: CheckReport, raise: number): Finding {
  const label = `${LABEL[c.kind]} ${c.name}`;
  if (c.kind !== 'file') {
    return finding('error', 'failure-raises', c.weightAt, `vrrp_instance ${rep.name}: ${label}: a failure raises the priority by ${raise} (negative weight with reverse)`, 'drop `reverse`');
  }
  const v = ctx.arith.fileValues(ctx.local.model, c.name).unhealthy;
  // the drop that moves the VIP: below the peer's priority, else a plain 50
  const healthy = typeof rep.healthy === 'number' ? rep.healthy : 100;
  const need = rep.peer && typeof rep.peer.healthy === 'number' ? Math.max(1, healthy - rep.peer.healthy + 1) : 50;
  const per = Math.max(1, Math.ceil(need / Math.abs(v || 1)));
  const weight = Math.abs(v) * per > 253 ? undefined : per;
  const example = weight !== undefined
    ? `weight ${v > 0 ? '-' : ''}${weight} (${v} × ${v > 0 ? '-' : ''}${weight} = ${-Math.abs(v) * weight}${rep.peer ? `, below the peer's ${rep.peer.healthy}` : ''})`
    : 'weight 0 (the value is too large for a weight: any non-zero value is FAULT)';
  return finding('error', 'failure-raises', c.weightAt,
    `vrrp_instance ${rep.name}: ${label}: a failure raises the priority by ${raise} (the file holds ${v} when unhealthy, × weight ${c.weight}${c.reverse ? ' reverse (× -1)' : ''}${c.weight === 1 && !c.reverse ? ' (the default)' : ''} = +${raise})`,
    `a weight that makes the unhealthy value lower the priority (value × weight is added), e.g. ${example}, or weight 0 to go to FAULT`);
}
