// Weights keepalived rejects while loading: each track kind has its own range
// and its own fallback (model.ts BadWeight), so the line does something other
// than it says: a track_file's `weight -300` becomes weight 1 (a failure then
// raises the priority), a vrrp_script's `weight 300` is kept despite the error,
// a track_interface's becomes 0 (FAULT). What the check then does is the
// arithmetic's verdict on what keepalived kept.
import type { BadWeight, KeepalivedModel } from '../model.js';
import { finding, type Family, type Finding } from './types.js';

const KW = { script: 'track_script', file: 'track_file', process: 'track_process', interface: 'track_interface' } as const;
const DEF = { script: 'vrrp_script', file: 'track_file', process: 'vrrp_track_process', interface: 'track_interface' } as const;

export const weightSubject = (b: Pick<BadWeight, 'owner' | 'kind' | 'name'>) => `weight:${b.owner ?? ''}:${b.kind}:${b.name}`;

/** The finding of one rejected weight (shared with messages.ts, where keepalived says it); `verdict`: what a failure then does. */
export function badWeight(b: BadWeight, m: KeepalivedModel, verdict?: string): Finding {
  const def = b.kind === 'script' ? m.scripts.get(b.name) : b.kind === 'file' ? m.files.get(b.name) : b.kind === 'process' ? m.processes.get(b.name) : undefined;
  const what = b.owner ? `${b.block ?? 'vrrp_instance'} ${b.owner}: ${KW[b.kind]} ${b.name}` : `${DEF[b.kind]} ${b.name}`;
  return finding('error', 'weight-range', b, `${what}: weight ${b.written} is ${/^[-+]?\d+$/.test(b.written) ? 'outside' : 'not a whole number in'} ${b.range}: ${b.why}${b.uses === undefined && def ? ` (${def.weight}${def.reverse ? ' reverse' : ''})` : ''}${verdict ? `; ${verdict}` : ''}`,
    `weight within ${b.range} (e.g. weight -50), or weight 0 to go to FAULT`, weightSubject(b));
}

export const weights: Family = (ctx) => {
  const out: Finding[] = [];
  for (const b of ctx.local.model.badWeights) {
    // what a failure of the check then does, on the first instance it applies to
    const c = ctx.reports.flatMap((r) => r.checks.filter((x) => !x.via?.startsWith('via ')).map((x) => ({ r, x })))
      .find(({ r, x }) => x.kind === b.kind && x.name === b.name && (!b.owner || b.owner === r.name || x.via === `vrrp_sync_group ${b.owner}`) && !x.off);
    // the verdict only (the detection and takeover times are in the report)
    const tail = c && c.x.text.split('on this node, ')[1]?.split(/ \((?:after fall|as soon as)|; (?:the peer|if it does)/)[0];
    out.push(badWeight(b, ctx.local.model, tail && `${b.owner ? '' : `on ${c.r.name}, `}if it fails: ${tail}`));
  }
  return out;
};
