// What each instance tracks: names that are not defined, an instance whose
// failure nothing tracks (its sync group's tracking counts: FAULT of a member is
// FAULT of all), and hacheck's agent file tracked without its `hacheck status` guard.
import { hacheckRole } from '../arithmetic.js';
import { why } from '../load.js';
import type { TrackRef } from '../model.js';
import { finding, type Family, type Finding } from './types.js';

const KW = { script: 'vrrp_script', file: 'track_file', process: 'vrrp_track_process', interface: 'interface' } as const;

/** A track line above the definition it names: keepalived ignores it (shared with messages.ts). */
export function trackOrder(instance: string, t: TrackRef, block = 'vrrp_instance'): Finding {
  return finding('error', 'track-order', t, `${block} ${instance}: track_${t.kind} ${t.name}: ${why.later(KW[t.kind], t.name, t.later!)}, so this check does nothing`,
    `move \`${KW[t.kind]} ${t.name} { … }\` above the ${block} that tracks it`, `track:${instance}:${t.kind}:${t.name}`);
}

export const tracking: Family = (ctx) => {
  const out: Finding[] = [];
  const m = ctx.local.model;
  for (const g of m.syncGroups) for (const t of g.tracks) if (t.later) out.push(trackOrder(g.name, t, 'vrrp_sync_group'));
  // a track line keepalived ignores as written (vrrp_track.c alloc_track_*); the group's lines once, at the group
  const badLine = (owner: string, block: string, t: TrackRef) => {
    const kw = `track_${t.kind === 'script' ? 'script' : t.kind === 'file' ? 'file' : t.kind === 'process' ? 'process' : 'interface'}`;
    const fix = t.bad!.why === 'duplicate' ? 'remove the second line' : t.bad!.why === 'option' ? `\`${t.name} weight ${t.bad!.text.split(' ').slice(1).find((w) => /^[-+]?\d/.test(w)) ?? 'N'}\`, or the name alone` : `\`${t.name} weight N\`, or the name alone`;
    const dup = t.bad!.why === 'duplicate';
    out.push(finding(dup ? 'warning' : 'error', 'track-line-ignored', t, `${block} ${owner}: ${kw} \`${t.bad!.text}\`: ${t.off}${dup ? ': what this line says (its weight) does not count' : ', so this check does nothing here'}`, fix, `track:${owner}:${t.kind}:${t.name}:${t.line}`));
  };
  // a name in a list that took the lines after it for want of '{' (parse-notes missing-brace says so, with them)
  const inOpenedList = (t: TrackRef) => ctx.local.parsed.notes.some((n) => n.kind === 'missing-brace' && n.block === 'value' && n.file === t.file && n.line < t.line && t.line <= (n.end ?? Infinity));
  for (const g of m.syncGroups) for (const t of g.tracks) if (t.bad && !inOpenedList(t)) badLine(g.name, 'vrrp_sync_group', t);
  for (const inst of m.instances) {
    for (const t of inst.tracks) {
      if (t.bad && !t.group && !inOpenedList(t)) badLine(inst.name, 'vrrp_instance', t);
      if (t.kind === 'interface' || t.group || t.bad) continue;
      const defined = t.kind === 'script' ? m.scripts.has(t.name) : t.kind === 'file' ? m.files.has(t.name) : m.processes.has(t.name);
      if (t.later) {
        out.push(trackOrder(inst.name, t));
      } else if (!defined && !inOpenedList(t)) {
        const kw = t.kind === 'script' ? 'vrrp_script' : t.kind === 'file' ? 'track_file' : 'vrrp_track_process';
        out.push(finding('error', 'unknown-track', t, `vrrp_instance ${inst.name} tracks ${kw} ${t.name}, which is not defined: keepalived ignores the line, so this check does nothing`,
          `define \`${kw} ${t.name} { … }\` or fix the name`, `track:${inst.name}:${t.kind}:${t.name}`));
      }
    }
    const rep = ctx.reports.find((r) => r.name === inst.name && r.file === inst.file && r.line === inst.line);
    // a check that can move the VIP: its own, its group's, or a group member's FAULT
    const live = rep?.checks.some((c) => c.kind !== 'interface' && !c.off);
    // a line keepalived turned off is reported where it is turned off
    if (!live && !rep?.checks.some((c) => c.off)) {
      out.push(finding('warning', 'no-tracking', inst, `vrrp_instance ${inst.name} tracks no script, file or process${inst.syncGroup ? ` (nor does a member of its vrrp_sync_group ${inst.syncGroup.name} with weight 0)` : ''}: a dead nginx never moves the VIP (only a dead keepalived or host does)`,
        'track hacheck: a vrrp_script running `/usr/bin/hacheck` with weight 0 (FAULT) or a negative weight (see `hacheck init`)'));
    }
    // agent mode: a track_file without a guard fails open when the agent dies
    const guarded = inst.tracks.some((t) => t.kind === 'script' && !t.off && hacheckRole(m.scripts.get(t.name)?.argv ?? []) === 'status');
    if (guarded) continue;
    for (const t of inst.tracks) {
      if (t.kind !== 'file' || !ctx.arith.fileValues(m, t.name).ours) continue;
      out.push(finding('warning', 'track-file-unguarded', t, `vrrp_instance ${inst.name} tracks hacheck's file ${m.files.get(t.name)?.path} without a \`hacheck status\` script: if the agent dies or hangs the file keeps its last value (fails open)`,
        'add a vrrp_script running `/usr/bin/hacheck status --max-age 3s` to this track_script block, weighted like the file'));
    }
  }
  return out;
};
