// What keepalived does to a config while loading it, beyond its defaults:
// scripts it removes or disables, track lines it ignores, weights it zeroes.
// Two sources give the same Effect list: keepalived's own config test
// (messages.ts) and, where keepalived is not installed or stopped early, the
// doctor's prediction from the model and the host's facts (predictEffects).
// applyEffects() then marks the model; the arithmetic runs on what is left.
// keepalived 2.2.7 sources: vrrp.c vrrp_complete_instance ("ignoring tracked
// script … with weights due to SYNC group"), notify.c check_script_secure,
// vrrp_parser.c vrrp_vscript_end_handler ("Unable to set default user … removing").
import type { KeepalivedModel, TrackKind, VrrpScript } from './model.js';
import type { Loc } from './parse.js';

export type Effect =
  /** keepalived disables or removes the vrrp_script: every track line of it does nothing */
  | { kind: 'script-off'; script: string; why: string }
  /** keepalived ignores one track line of an instance (or a group's line on a member) */
  | { kind: 'track-off'; instance: string; track: TrackKind; name: string; why: string }
  /** keepalived keeps the track line with weight 0 (a failure is FAULT) */
  | { kind: 'track-weight0'; instance: string; track: TrackKind; name: string; why: string }
  /** keepalived ignored this keyword (an unknown keyword, a value out of range): the default applies */
  | { kind: 'drop-line'; at: Loc };

/** What the host says about the users and script files keepalived would use (gathered by doctor.ts). */
export interface ScriptHostFacts {
  /** user names that exist on this host (getent passwd), of those the config names plus keepalived_script */
  users: Set<string>;
  /** keyed by the script's program (argv[0]) */
  scripts: Map<string, { exists: boolean; unsafe?: string; executable?: boolean }>;
}

const KW: Record<TrackKind, string> = { script: 'vrrp_script', file: 'track_file', process: 'vrrp_track_process', interface: 'interface' };

export const why = {
  sync: (g: string) => `keepalived ignores weighted tracking on a member of vrrp_sync_group ${g} without sync_group_tracking_weight and does not even run the check`,
  owner: 'keepalived ignores weighted tracking on the address owner (priority 255) and does not even run the check',
  user: (name: string, from: 'script' | 'global' | 'default') =>
    `user ${name} (${from === 'script' ? 'its `user` line' : from === 'global' ? 'global script_user' : "keepalived's default script user"}) does not exist on this host: keepalived removes the script`,
  missing: (program: string) => `${program} does not exist: keepalived disables the script`,
  unsafe: (reason: string) => `${reason}: with enable_script_security keepalived disables the script as insecure`,
  later: (kw: string, name: string, at: Loc) => `${kw} ${name} is defined only below this line (${at.file}:${at.line}): keepalived looks the name up as it reads the line, finds nothing and ignores it ("not found, ignoring...")`,
  ownInterface: (name: string) => `${name} is the instance's own interface: keepalived ignores the line and its weight ("Ignoring track_interface … since own interface"); ${name} going down is FAULT`,
  noexec: (program: string) => `${program} is not executable: keepalived disables the script ("is not executable for uid:gid … - disabling")`,
};

/** keepalived's load-time decisions, predicted from the model (and, with `host`, from this host's users and files). */
export function predictEffects(m: KeepalivedModel, host?: ScriptHostFacts): Effect[] {
  const out: Effect[] = [];
  for (const inst of m.instances) {
    const sync = inst.syncGroup && !inst.syncGroup.trackingWeight ? why.sync(inst.syncGroup.name) : undefined;
    const owner = inst.priority === 255 ? why.owner : undefined;
    // the group's own track_script lines keep their weights on every member (vrrp.c), unless a member is
    // the address owner: then keepalived clears the weight ("Cannot have weighted track script … clearing weight")
    const g = inst.syncGroup && m.syncGroups.find((x) => x.name === inst.syncGroup!.name);
    const groupOwner = g && g.members.some((mm) => m.instances.find((i) => i.name === mm.name)?.priority === 255);
    for (const t of inst.tracks) {
      if (!t.group || !groupOwner || t.kind !== 'script') continue;
      const weight = t.override?.weight ?? m.scripts.get(t.name)?.weight;
      if (weight) out.push({ kind: 'track-weight0', instance: inst.name, track: 'script', name: t.name, why: `a member of vrrp_sync_group ${t.group} is the address owner: keepalived clears the weight` });
    }
    for (const t of inst.tracks) {
      if (t.later) out.push({ kind: 'track-off', instance: inst.name, track: t.kind, name: t.name, why: why.later(KW[t.kind], t.name, t.later) });
    }
    // vrrp.c: a track_interface naming the instance's own interface is dropped (its own interface down is FAULT anyway)
    const own = new Set<string>();
    for (const t of inst.tracks) {
      if (t.kind !== 'interface' || t.group || t.name !== inst.interface) continue;
      own.add(t.name);
      out.push({ kind: 'track-weight0', instance: inst.name, track: 'interface', name: t.name, why: why.ownInterface(t.name) });
    }
    const reason = sync ?? owner;
    if (!reason) continue;
    for (const t of inst.tracks) {
      if (t.group) continue;
      const def = t.kind === 'script' ? m.scripts.get(t.name) : t.kind === 'file' ? m.files.get(t.name) : undefined;
      const weight = t.override?.weight ?? def?.weight ?? (t.kind === 'interface' ? 0 : undefined);
      if (weight === undefined || weight === 0) continue;
      if (t.kind === 'interface' && own.has(t.name)) continue;
      const base = { instance: inst.name, track: t.kind, name: t.name };
      if (t.kind === 'script') out.push({ kind: 'track-off', ...base, why: reason });
      // vrrp.c: a track_file with weight 1 (the default) becomes unweighted, any other weight is dropped
      else if (t.kind === 'file') out.push(weight === 1 ? { kind: 'track-weight0', ...base, why: reason } : { kind: 'track-off', ...base, why: reason });
      // interfaces: weight 0 in a sync group, dropped on the owner
      else if (t.kind === 'interface') out.push(sync ? { kind: 'track-weight0', ...base, why: reason } : { kind: 'track-off', ...base, why: reason });
    }
  }
  if (host) out.push(...scriptEffects(m, host));
  return out;
}

/** notify.c / vrrp_parser.c: scripts keepalived removes for their user, or disables as missing or insecure. */
function scriptEffects(m: KeepalivedModel, host: ScriptHostFacts): Effect[] {
  const out: Effect[] = [];
  const used = new Set([...m.groupTracked, ...m.instances.flatMap((i) => i.tracks.filter((t) => t.kind === 'script').map((t) => t.name))]);
  for (const s of m.scripts.values()) {
    if (!used.has(s.name) || !s.argv[0]) continue;
    const user = scriptUser(m, s);
    if (user.name && !host.users.has(user.name) && (user.from !== 'default' || m.scriptSecurity)) {
      out.push({ kind: 'script-off', script: s.name, why: why.user(user.name, user.from) });
      continue;
    }
    const f = host.scripts.get(s.argv[0]);
    if (f && !f.exists) out.push({ kind: 'script-off', script: s.name, why: why.missing(s.argv[0]) });
    else if (f?.executable === false) out.push({ kind: 'script-off', script: s.name, why: why.noexec(s.argv[0]) });
    else if (f?.unsafe && m.scriptSecurity) out.push({ kind: 'script-off', script: s.name, why: why.unsafe(f.unsafe) });
  }
  return out;
}

/** Who keepalived runs a script as: its own `user`, else global script_user, else keepalived_script (root when that user is missing and script security is off). */
export function scriptUser(m: KeepalivedModel, s: VrrpScript): { name: string; from: 'script' | 'global' | 'default' } {
  if (s.user) return { name: s.user.user, from: 'script' };
  if (m.scriptUser) return { name: m.scriptUser.user, from: 'global' };
  return { name: 'keepalived_script', from: 'default' };
}

const trackKey = (instance: string, kind: TrackKind, name: string) => `${instance}\0${kind}\0${name}`;

/** Marks the model with the effects: scripts and track lines keepalived turned off (`off`: why), weights it zeroed. */
export function applyEffects(m: KeepalivedModel, effects: Effect[]): KeepalivedModel {
  const off = new Map<string, string>();
  const zero = new Map<string, string>();
  for (const e of effects) {
    if (e.kind === 'script-off') {
      const s = m.scripts.get(e.script);
      if (s) s.off ??= e.why;
    } else if (e.kind === 'track-off') off.set(trackKey(e.instance, e.track, e.name), e.why);
    else if (e.kind === 'track-weight0') zero.set(trackKey(e.instance, e.track, e.name), e.why);
  }
  for (const inst of m.instances) {
    for (const t of inst.tracks) {
      const k = trackKey(inst.name, t.kind, t.name);
      const s = t.kind === 'script' ? m.scripts.get(t.name) : undefined;
      if (off.has(k)) t.off = off.get(k);
      else if (s?.off) t.off = `${s.off}: the check never runs`;
      else if (zero.has(k)) t.weight0 = zero.get(k);
    }
  }
  return m;
}

export const dropLines = (effects: Effect[]) => new Set(effects.flatMap((e) => (e.kind === 'drop-line' ? [`${e.at.file}:${e.at.line}`] : [])));
