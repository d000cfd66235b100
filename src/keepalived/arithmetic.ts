// Pure: keepalived's priority arithmetic on a config as keepalived loaded it,
// and what a failing check does to each vrrp_instance.
// keepalived 2.x semantics (keepalived.conf(5), vrrp.c, vrrp_track.c):
// - weight 0 on a failing script/process/interface → FAULT (advertises priority 0:
//   the peer takes over at once); otherwise priority = base + weights, clamped to
//   1..254. A positive weight is added while the check succeeds, a negative one is
//   subtracted while it fails; `reverse` flips the direction.
// - track_file: value × weight is added; with weight 0 a non-zero value is FAULT
//   (weight 0 reverse: a value of 0 is FAULT); a result below -253 is FAULT.
// - weight 0 reverse, every kind: FAULT while the check succeeds (vrrp_track.c
//   process_script_update_priority `script_ok != (multiplier == 1)`, the
//   process's quorum, the interface up; track_file.c update_track_file_status
//   `!new_status != (weight_multiplier == 1)`): the node holds the VIP only
//   while the check fails.
// - a track line keepalived turned off while loading (load.ts: a disabled or
//   removed script, weights ignored in a sync group or on the address owner)
//   contributes nothing: that check never moves the VIP.
// - vrrp_sync_group: FAULT of one member is FAULT of every member ("Syncing
//   instances to FAULT state"), and a member's state change carries the others.
// - a BACKUP takes over only from a master with a lower priority (equal: no), and
//   never while it has `nopreempt`, unless the master goes to FAULT.
// - takeover (RFC 3768/5798, vrrp.h VRRP_TIMER_SKEW_CALC): a BACKUP that gets the
//   priority-0 advert of a FAULTed master takes over after its skew time: VRRPv3
//   (256 − priority)/256 × advert_int, VRRPv2 (256 − priority)/256 s whatever the
//   advert_int; a lower-priority advert it discards and takes over only when its
//   master down timer expires, down_timer_adverts (3) × advert_int + skew after the
//   last advert it accepted. Measured in the lab of test/e2e (bench/failover.mjs,
//   advert_int 1, 100/90): ~0.65 s vs ~3.5 s.
// - the peer's preempt_delay (vrrp.c vrrp_state_backup): it keeps ACCEPTING the
//   lower-priority adverts for preempt_delay after the first one ("start preempt
//   delay"), and only then discards them and waits out its master down timer; a
//   priority-0 advert is not delayed (it is handled before the preempt test).
import { fmtSec as sec } from '../config/units.js';
import { basename } from 'node:path';
import { familyOf, stops } from './stops.js';
import type { Instance, KeepalivedModel, TrackKind, TrackRef, Weighted } from './model.js';
import type { Loc } from './parse.js';

export type Outcome = number | 'FAULT';

/** How long the peer takes to take the VIP over once keepalived here has seen the failure. */
export interface Takeover {
  /** skew: the peer got the priority-0 advert (FAULT); master-down: it discards the lower-priority adverts and waits for its master down timer */
  by: 'skew' | 'master-down';
  /** ms; master-down: counted from the last advert the peer accepted (0..advert_int before the failure), so at most this long */
  ms: number;
  /** false: the peer's priority is unknown (no --peer-conf): an upper bound */
  exact: boolean;
  /** master-down: the peer's preempt_delay (ms), counted in `ms`: it keeps accepting the lower-priority adverts that long first, so `ms` runs from the first lower-priority advert */
  preemptDelayMs?: number;
  /** the arithmetic, in keepalived's terms */
  formula: string;
}

export interface CheckReport extends Loc {
  kind: TrackKind;
  name: string;
  weight: number;
  reverse: boolean;
  /** hacheck's role when the script runs hacheck */
  hacheck?: 'check' | 'status' | 'agent-file';
  failed: Outcome;
  moves?: boolean;
  text: string;
  /** when the VIP moves (or may: no --peer-conf) */
  takeover?: Takeover;
  /** keepalived turned this line off while loading: why */
  off?: string;
  /** tracked through the instance's vrrp_sync_group (the group's line, or another member's) */
  via?: string;
  /** the verdict's finding, when the check cannot move the VIP (arithmetic family) */
  problem?: { code: string; fix: string; at: Loc };
  /** where the weight is written (or the definition) */
  weightAt: Loc;
}

export interface InstanceReport extends Loc {
  name: string;
  state: string;
  priority: number;
  healthy: Outcome;
  vrid?: number;
  version: 2 | 3;
  advertInt: number;
  peer?: { name: string; file: string; line: number; state: string; healthy: Outcome; nopreempt: boolean };
  checks: CheckReport[];
  allFail?: { failed: Outcome; moves?: boolean; text: string };
  assumption?: string;
  syncGroup?: string;
}

interface Contribution {
  healthy: number;
  failed: Outcome;
  /** FAULT while healthy (weight 0 reverse) */
  healthyFault?: boolean;
}

export const MIN_PRIO = 1;
export const MAX_PRIO = 254;
export const OWNER = 255;
const clamp = (p: number) => Math.max(MIN_PRIO, Math.min(MAX_PRIO, p));
const where = (l: Loc) => `${l.file}:${l.line}`;

/** The hacheck subcommand a vrrp_script runs, if it runs hacheck. */
export function hacheckRole(argv: string[]): 'check' | 'status' | 'agent' | undefined {
  if (!argv.length || !/^hacheck/.test(basename(argv[0]))) return undefined;
  const sub = argv.slice(1).find((a) => !a.startsWith('-'));
  if (sub === 'status') return 'status';
  if (sub === 'agent') return 'agent';
  return 'check';
}

/**
 * The value of an option on a hacheck command line (`--name V` or `--name=V`), as hacheck reads it: the last
 * one when repeated (commander and src/fast-path.ts both keep the last value of a single-value option).
 */
export function flagValue(argv: string[], names: string[]): string | undefined {
  let value: string | undefined;
  for (let i = 1; i < argv.length; i++) {
    for (const n of names) {
      if (argv[i] === n) value = argv[i + 1];
      else if (argv[i].startsWith(`${n}=`)) value = argv[i].slice(n.length + 1);
    }
  }
  return value;
}

/** VRRPv2 carries whole seconds (keepalived rounds a fraction), so a fractional advert_int can only be VRRPv3. */
const versionOf = (advertInt: number): 2 | 3 => (Number.isInteger(advertInt) ? 2 : 3);

/**
 * keepalived's skew time (s) of a BACKUP at `prio` (vrrp.h VRRP_TIMER_SKEW_CALC):
 * VRRPv3 (256 − prio)/256 × advert_int; VRRPv2 (256 − prio)/256 s, whatever the advert_int.
 * `version` defaults to 3 for a fractional advert_int, else 2.
 */
export const skewTime = (prio: number, advertInt = 1, version: 2 | 3 = versionOf(advertInt)) => ((256 - prio) / 256) * (version === 3 ? advertInt : 1);
/** the master down interval (s) of a BACKUP at `prio`: down_timer_adverts × advert_int + skew time (VRRP_MS_DOWN_TIMER) */
export const masterDownInterval = (prio: number, advertInt = 1, adverts = 3, version: 2 | 3 = versionOf(advertInt)) => adverts * advertInt + skewTime(prio, advertInt, version);

/**
 * The adverts a BACKUP instance misses before its master down timer expires: its own down_timer_adverts, else
 * the global vrrp_down_timer_adverts, else 3; strict mode resets it to 3 (vrrp.c vrrp_complete_instance:
 * "down_timer_adverts is incompatible with strict mode - resetting"). `set`: written (not the default).
 */
export function downAdverts(inst: Instance, m: KeepalivedModel): { n: number; set: boolean } {
  const strict = inst.strictMode ?? !!m.strict;
  const dta = strict ? undefined : inst.downTimerAdverts ?? m.downTimerAdverts;
  return { n: dta ?? 3, set: dta !== undefined };
}

export type Arithmetic = ReturnType<typeof arithmetic>;

/** keepalived's priority arithmetic over a model. `values`: what a failing track_file holds (default: hacheck's unhealthy value, or 1). */
export function arithmetic(facts: { stateFile: string; healthyValue: number; unhealthyValue: number }, values?: Map<string, number>) {
  /** the effective weight of one track line (0 when keepalived zeroed it) */
  const weightOf = (model: KeepalivedModel, t: TrackRef): (Weighted & { at: Loc }) | undefined => {
    const def = t.kind === 'script' ? model.scripts.get(t.name) : t.kind === 'file' ? model.files.get(t.name) : t.kind === 'process' ? model.processes.get(t.name) : undefined;
    if (t.kind !== 'interface' && !def) return undefined;
    const w: Weighted = t.override ?? (def ? { weight: def.weight, reverse: t.reverseOverride ?? def.reverse, weightLoc: def.weightLoc } : { weight: 0, reverse: false });
    const at = t.override?.weightLoc ?? w.weightLoc ?? (def ? { file: def.file, line: def.line } : t);
    return { ...w, ...(t.weight0 && { weight: 0 }), at };
  };

  const fileValues = (model: KeepalivedModel, name: string) => {
    const f = model.files.get(name);
    const ours = !!f?.path && (f.path === facts.stateFile || /hacheck/.test(f.path));
    return { ours, healthy: ours ? facts.healthyValue : 0, unhealthy: values?.get(name) ?? (ours ? facts.unhealthyValue : 1) };
  };

  /** what one line adds healthy and failed; undefined: keepalived ignores it */
  const contribution = (model: KeepalivedModel, t: TrackRef): Contribution | undefined => {
    if (t.off) return undefined;
    const w = weightOf(model, t);
    if (!w) return undefined;
    const sign = w.reverse ? -1 : 1;
    if (t.kind === 'file') {
      const v = fileValues(model, t.name);
      const value = (x: number): Outcome => {
        // track_file.c update_track_file_status: weight 0 → `!new_status != (weight_multiplier == 1) ? INT_MIN : 0`
        if (w.weight === 0) return (x !== 0) !== w.reverse ? 'FAULT' : 0;
        // track_file.c process_update_vrrp_track_file_status: value × weight, clamped to -254..253; -254 is FAULT
        const r = x * w.weight * sign;
        return r < -253 ? 'FAULT' : Math.min(253, r);
      };
      const h = value(v.healthy);
      return { healthy: h === 'FAULT' ? 0 : h, healthyFault: h === 'FAULT', failed: value(v.unhealthy) };
    }
    if (w.weight === 0) return w.reverse ? { healthy: 0, healthyFault: true, failed: 0 } : { healthy: 0, failed: 'FAULT' };
    if (w.weight > 0) return { healthy: w.weight * sign, failed: 0 };
    return { healthy: 0, failed: w.weight * sign };
  };

  const owner = (inst: Instance) => inst.priority === OWNER;

  /** the instance's priority with the tracks in `failing` failed and the rest healthy (`others`: FAULT from another member of its sync group) */
  const priorityWith = (model: KeepalivedModel, inst: Instance, failing: Set<TrackRef>): Outcome => {
    let p = inst.priority;
    for (const t of inst.tracks) {
      const c = contribution(model, t);
      if (!c) continue;
      const v = failing.has(t) ? c.failed : c.healthyFault ? 'FAULT' : c.healthy;
      if (v === 'FAULT') return 'FAULT';
      p += v;
    }
    return owner(inst) ? OWNER : clamp(p);
  };

  /** the healthy priority of an instance, FAULT when a member of its sync group is in FAULT while healthy */
  const healthyOf = (model: KeepalivedModel, inst: Instance): Outcome => {
    const mine = priorityWith(model, inst, new Set());
    if (mine === 'FAULT' || !inst.syncGroup) return mine;
    const g = model.syncGroups.find((x) => x.name === inst.syncGroup!.name);
    for (const mem of g?.members ?? []) {
      const other = model.instances.find((i) => i.name === mem.name && i !== inst);
      if (other && priorityWith(model, other, new Set()) === 'FAULT') return 'FAULT';
    }
    return mine;
  };
  return { weightOf, fileValues, contribution, owner, priorityWith, healthyOf };
}

export interface ArithmeticInput {
  /** this node's config as keepalived loaded it */
  model: KeepalivedModel;
  /** the peer's, when --peer-conf was given */
  peerModel?: KeepalivedModel;
  arith: Arithmetic;
}

const LABEL: Record<TrackKind, string> = { script: 'track_script', file: 'track_file', process: 'track_process', interface: 'track_interface' };

/**
 * The peer's instance for ours. keepalived's VRID space is per interface and address family (vrrp.c
 * check_vrid_conflicts: IPv4 and IPv6 instances may share VRID 51), so: the same virtual_router_id and family;
 * among several, the same interface (the two nodes may name theirs differently, so only to break a tie), then
 * the same name; else the same name alone.
 */
export function matchPeer(inst: Instance, peerModel: KeepalivedModel | undefined): Instance | undefined {
  if (!peerModel) return undefined;
  const same = inst.vrid === undefined ? [] : peerModel.instances.filter((p) => p.vrid === inst.vrid && familyOf(p) === familyOf(inst));
  if (same.length > 1) {
    const byIf = same.filter((p) => p.interface === inst.interface);
    return (byIf.length === 1 ? byIf[0] : undefined) ?? same.find((p) => p.name === inst.name) ?? byIf[0] ?? same[0];
  }
  return same[0] ?? peerModel.instances.find((p) => p.name === inst.name);
}

/** One report per vrrp_instance: its priority healthy, and what each of its checks (and its group's) does when it fails. */
export function instanceReports({ model: m, peerModel, arith }: ArithmeticInput): InstanceReport[] {
  const { weightOf, fileValues, contribution, priorityWith, healthyOf } = arith;
  // a config keepalived refuses to run (stops.ts): no verdict moves anything
  const stopped = stops(m)[0];
  const peerStopped = peerModel && stops(peerModel)[0];
  const reps = m.instances.map((inst) => {
    const healthy = healthyOf(m, inst);
    const peer = matchPeer(inst, peerModel);
    const peerHealthy = peer && peerModel ? healthyOf(peerModel, peer) : undefined;
    const rep: InstanceReport = {
      name: inst.name, file: inst.file, line: inst.line, state: inst.state ?? 'BACKUP', priority: inst.priority, healthy, vrid: inst.vrid, checks: [],
      version: inst.version, advertInt: inst.advertInt,
      ...(inst.syncGroup && { syncGroup: inst.syncGroup.name }),
      ...(peer && peerHealthy !== undefined && { peer: { name: peer.name, file: peer.file, line: peer.line, state: peer.state ?? 'BACKUP', healthy: peerHealthy, nopreempt: !!peer.nopreemptLoc } }),
    };
    if (!peer) {
      rep.assumption = peerModel
        ? `no vrrp_instance with virtual_router_id ${inst.vrid ?? '?'} (IPv${familyOf(inst)}) or name ${inst.name} in the peer config: the peer's priority is unknown`
        : 'no --peer-conf: the peer is assumed healthy with an unknown priority';
    }
    const check = (t: TrackRef, owner: Instance, via?: string): CheckReport | undefined => {
      const w = weightOf(m, t);
      const label = `${LABEL[t.kind]} ${t.name}`;
      const role: 'check' | 'status' | 'agent' | 'agent-file' | undefined = t.kind === 'script' ? hacheckRole(m.scripts.get(t.name)?.argv ?? []) : t.kind === 'file' && fileValues(m, t.name).ours ? 'agent-file' : undefined;
      const who = role === 'check' || role === 'agent-file' ? 'hacheck' : role === 'status' ? 'the agent (hacheck status)' : t.name;
      const from = healthy === 'FAULT' ? 'FAULT' : `priority ${healthy}`;
      const base = { kind: t.kind, name: t.name, file: t.file, line: t.line, weight: w?.weight ?? 0, reverse: w?.reverse ?? false, weightAt: w?.at ?? t, ...(role && role !== 'agent' && { hacheck: role as CheckReport['hacheck'] }), ...(via && { via }) };
      const lead = `${via ? `${via}: ` : ''}${label}`;
      if (t.off) {
        return { ...base, failed: healthy, moves: false, off: t.off, text: `${lead}: ${t.off}: if ${who} fails on this node, ${from} stays → the VIP STAYS` };
      }
      const c = contribution(m, t);
      if (!c) return undefined; // an undefined name: the tracking family reports it
      if (stopped) return { ...base, failed: healthy, moves: false, text: `${lead}: keepalived will not run this config (${stopped.why}): no VRRP on this node, so nothing moves` };
      if (peerStopped && rep.peer) return { ...base, failed: healthy, moves: false, text: `${lead}: the peer's keepalived will not run its config (${peerStopped.why}): nothing takes the VIP over` };
      if (c.healthyFault) {
        // weight 0 reverse: FAULT while the check succeeds, out of FAULT while it fails: backwards
        const failedNow = priorityWith(m, owner, new Set([t]));
        const r = reverseWords(m, t, who);
        return {
          ...base, failed: failedNow, moves: false,
          text: `${lead}: weight 0 reverse: this node is in FAULT while ${r.healthy} and leaves FAULT ${r.failed} (${failedNow === 'FAULT' ? 'FAULT still, from another line' : `priority ${failedNow}`}): it can hold the VIP only while ${r.down} → backwards`,
        };
      }
      let failed = priorityWith(m, owner, new Set([t]));
      // a member's FAULT is the group's FAULT; a weighted change of another member moves the group with it
      if (owner !== inst && failed !== 'FAULT') failed = healthy;
      const verdict = judge(rep, healthy, failed);
      const tk = verdict.moves === false ? undefined : takeover(inst, rep, failed);
      const r: CheckReport = {
        ...base, failed, moves: verdict.moves,
        text: `${lead}: if ${who} fails on this node, ${verdict.text}${verdict.moves === false ? '' : detection(t)}${tk ? `; ${takeoverText(tk, verdict.moves)}` : ''}`,
        ...(tk && { takeover: tk }),
        ...(verdict.code && { problem: { code: verdict.code, fix: verdict.fix, at: w!.at } }),
      };
      return r;
    };
    for (const t of inst.tracks) {
      // an ignored line for a name another line tracks: keepalived tracks it once, by that line (the finding is track-line-ignored)
      if (t.bad && (t.bad.why === 'duplicate' || inst.tracks.some((o) => o !== t && !o.bad && o.kind === t.kind && o.name === t.name))) continue;
      const r = check(t, inst, t.group ? `vrrp_sync_group ${t.group}` : undefined);
      if (r) rep.checks.push(r);
    }
    const counted = inst.tracks.filter((t) => t.kind !== 'interface' && contribution(m, t));
    if (counted.length > 1 && !stopped && !(peerStopped && rep.peer)) {
      const failed = priorityWith(m, inst, new Set(counted));
      const v = judge(rep, healthy, failed);
      rep.allFail = { failed, moves: v.moves, text: `if all ${counted.length} checks fail: ${v.text}` };
    }
    return rep;
  });

  // a vrrp_sync_group moves as one (vrrp_sync.c: "Syncing instances to FAULT/BACKUP state"): a check that moves
  // another member's VIP moves this one's too (FAULT of a member is FAULT of all; a weighted drop, kept only
  // with sync_group_tracking_weight, makes that member BACKUP and the group follows)
  reps.forEach((rep, i) => {
    const inst = m.instances[i];
    if (!inst.syncGroup) return;
    const g = m.syncGroups.find((x) => x.name === inst.syncGroup!.name);
    for (const mem of g?.members ?? []) {
      const j = m.instances.findIndex((x) => x.name === mem.name);
      if (j < 0 || j === i) continue;
      for (const c of reps[j].checks) {
        if (c.via || c.off || c.moves !== true || c.kind === 'interface') continue;
        const fault = c.failed === 'FAULT';
        const via = `via ${mem.name} in vrrp_sync_group ${g!.name}`;
        const head = `${via}: ${LABEL[c.kind]} ${c.name}: if it fails on this node, `;
        if (fault) {
          const v = judge(rep, rep.healthy, 'FAULT');
          const tk = takeover(inst, rep, 'FAULT');
          rep.checks.push({ ...c, via, failed: 'FAULT', moves: v.moves, takeover: tk,
            text: `${head}${mem.name} goes to FAULT and keepalived syncs ${rep.name} to FAULT with it: ${v.text}${detection(c)}; ${takeoverText(tk, v.moves)}` });
        } else {
          rep.checks.push({ ...c, via, failed: rep.healthy, moves: true,
            text: `${head}${mem.name}'s VIP moves (${c.text.slice(c.text.indexOf('on this node, ') + 'on this node, '.length)}) and keepalived syncs ${rep.name} to BACKUP with it → the VIP MOVES` });
        }
      }
    }
  });
  return reps;

  /** the words of a weight 0 reverse line: healthy (FAULT), failed (out of FAULT), what must be down for the node to hold the VIP */
  function reverseWords(model: KeepalivedModel, t: TrackRef, who: string): { healthy: string; failed: string; down: string } {
    if (t.kind === 'file') {
      const v = fileValues(model, t.name);
      const file = model.files.get(t.name)?.path ?? t.name;
      return { healthy: `${file} holds 0${v.ours && v.healthy === 0 ? " (hacheck's healthy value)" : ''}`, failed: 'when it holds anything else', down: v.ours ? 'nginx is DOWN' : `${file} holds anything but 0` };
    }
    if (t.kind === 'process') return { healthy: `${t.name} runs (its quorum is met)`, failed: 'when it stops', down: `${t.name} is not running` };
    if (t.kind === 'interface') return { healthy: `${t.name} is up`, failed: 'when it goes down', down: `${t.name} is down` };
    return { healthy: `${who} succeeds`, failed: 'when it fails', down: `${who} is failing${who === 'hacheck' ? ' (nginx is DOWN)' : ''}` };
  }

  /** how long keepalived takes to see the failure */
  function detection(t: { kind: TrackKind; name: string }): string {
    if (t.kind === 'script') {
      const sc = m.scripts.get(t.name)!;
      return ` (after fall ${sc.fall} × interval ${sec(sc.interval)} ≈ ${sec(sc.fall * sc.interval)})`;
    }
    if (t.kind === 'file') return ' (as soon as the file changes)';
    return '';
  }

  /**
   * the peer's takeover once keepalived here has seen the failure (FAULT: skew time; a priority drop: master
   * down timer). The timer is the BACKUP's, the peer's: VRRP_MS_DOWN_TIMER(vrrp) (vrrp.h) is its own
   * down_timer_adverts × master_adver_int + its own skew. master_adver_int is this node's advert_int: VRRPv3
   * adopts the master's (vrrp.c, RFC 5798), VRRPv2 drops adverts of another interval (advert-int-mismatch).
   * Without --peer-conf the peer is assumed to set down_timer_adverts and strict mode as this node does.
   */
  function takeover(inst: Instance, rep: InstanceReport, failed: Outcome): Takeover {
    const adv = inst.advertInt;
    const backup = peerModel ? matchPeer(inst, peerModel) : undefined;
    const v = backup?.version ?? inst.version;
    const { n, set } = backup ? downAdverts(backup, peerModel!) : downAdverts(inst, m);
    const nText = `${n}${backup ? (set ? " (the peer's down_timer_adverts)" : '') : ` (${set ? 'down_timer_adverts as on this node' : "keepalived's default down_timer_adverts"}, assumed on the peer: no --peer-conf)`}`;
    const peer = rep.peer && typeof rep.peer.healthy === 'number' ? rep.peer.healthy : undefined;
    // unknown peer: the highest skew it can have (FAULT: priority 1; a drop to P: priority P + 1)
    const prio = peer ?? (failed === 'FAULT' ? 1 : Math.min(MAX_PRIO, failed + 1));
    const skew = skewTime(prio, adv, v);
    const skewF = v === 3 ? `(256 − ${peer ?? 'its priority'})/256 × advert_int ${sec(adv)}` : `(256 − ${peer ?? 'its priority'})/256 × 1s (VRRPv2)`;
    // the peer's preempt_delay (vrrp.c vrrp_state_backup; reset for state MASTER, vrrp_strict, nopreempt: model.ts);
    // without --peer-conf assumed as on this node
    const delay = backup ? backup.preemptDelay : inst.preemptDelay;
    const delayText = `preempt_delay ${sec(delay)}${backup ? " (the peer's)" : ' (as on this node, assumed on the peer: no --peer-conf)'}`;
    if (failed === 'FAULT') {
      return { by: 'skew', ms: Math.round(skew * 1000), exact: peer !== undefined, formula: `skew time ${skewF}${delay ? `; its ${delayText} does not delay a priority-0 advert` : ''}` };
    }
    return {
      by: 'master-down', ms: Math.round((delay + masterDownInterval(prio, adv, n, v)) * 1000), exact: peer !== undefined,
      formula: `${delay ? `${delayText} + ` : ''}${nText} × advert_int ${sec(adv)} + skew ${peer !== undefined ? sec(skew) : `${skewF} < ${sec(v === 3 ? adv : 1)}`}`,
      ...(delay && { preemptDelayMs: Math.round(delay * 1000) }),
    };
  }
}

export function takeoverText(tk: Takeover, moves: boolean | undefined): string {
  const lead = moves === undefined ? 'if it does, the peer' : 'the peer';
  if (tk.by === 'master-down' && tk.preemptDelayMs) {
    return `${lead} keeps accepting the lower-priority adverts for its preempt_delay ${sec(tk.preemptDelayMs / 1000)} ("start preempt delay"), then discards them and takes over when its master down timer expires, up to ${sec(tk.ms / 1000)} after the first lower-priority advert (${tk.formula})`;
  }
  return tk.by === 'skew'
    ? `${lead} takes over ${tk.exact ? '' : 'within '}${sec(tk.ms / 1000)} after the priority-0 advert (${tk.formula})`
    : `${lead} discards the lower-priority adverts and takes over when its master down timer expires, ${tk.exact ? '' : 'up to '}${sec(tk.ms / 1000)} after the last advert it accepted (${tk.formula})`;
}

export function judge(rep: InstanceReport, healthy: Outcome, failed: Outcome): { moves?: boolean; text: string; code: string; fix: string } {
  // FAULT with every check healthy (a weight 0 reverse line, or a sync group member's): the VIP is not here to move
  if (healthy === 'FAULT') return { moves: false, text: 'this node is in FAULT even with every check healthy, so it holds no VIP to move', code: '', fix: '' };
  const from = `priority ${healthy}`;
  if (failed === 'FAULT') {
    const peer = rep.peer ? `; peer ${rep.peer.state} ${rep.peer.name} (priority ${rep.peer.healthy}) takes over` : '';
    return { moves: rep.peer ? rep.peer.healthy !== 'FAULT' : true, text: `${from} → FAULT (advertises priority 0)${peer} → the VIP MOVES`, code: '', fix: '' };
  }
  const arrow = `${from} → ${failed}`;
  if (typeof healthy === 'number' && failed >= healthy) {
    return { moves: false, code: 'weight-cannot-move', text: `${arrow} → the VIP STAYS: the failure does not lower the priority`, fix: 'a negative weight (e.g. weight -50), or weight 0 to go to FAULT' };
  }
  if (!rep.peer) return { text: `${arrow}: the VIP moves only if the peer's priority is above ${failed} (pass --peer-conf to check)`, code: '', fix: '' };
  const p = rep.peer;
  if (p.healthy === 'FAULT') return { text: `${arrow}; peer ${p.name} is in FAULT even when healthy → nothing to move to`, code: '', fix: '' };
  if (p.nopreempt) {
    return { moves: false, code: 'peer-nopreempt', text: `${arrow}; peer ${p.state} has ${p.healthy} but nopreempt (${where(p)}) → the VIP STAYS: a nopreempt backup never takes over from a live master`, fix: 'weight 0 (FAULT moves the VIP even to a nopreempt peer), or drop nopreempt on the peer' };
  }
  if (failed < p.healthy) return { moves: true, text: `${arrow}; peer ${p.state} has ${p.healthy} → the VIP MOVES`, code: '', fix: '' };
  const drop = (healthy as number) - p.healthy + 1;
  return {
    moves: false, code: 'weight-cannot-move',
    text: `${arrow}; peer ${p.state} has ${p.healthy} → the VIP STAYS: weight too small (needs a drop of ${drop} or more, e.g. weight -${drop})`,
    fix: `weight -${drop} or lower (priority must fall below the peer's ${p.healthy}), or weight 0 to go to FAULT`,
  };
}
