// Per-instance settings keepalived rewrites or that split the pair: priority out
// of range, authentication under vrrp_strict, nopreempt cleared with state MASTER,
// preempt_delay cleared (state MASTER, vrrp_strict, nopreempt),
// a VRRPv2 advert_int keepalived rounds (or clamps), virtual_router_id, VRRP version or
// (VRRPv2) advert_int differing from the peer.
import { matchPeer } from '../arithmetic.js';
import { stops } from '../stops.js';
import type { Loc } from '../parse.js';
import { finding, sec, where, type Family, type Finding, type Severity } from './types.js';

/**
 * An advert_int above what the advert's field holds (vrrp.c vrrp_complete_instance: "is out of range …
 * Setting to 40.95s" for VRRPv3's 12 bits of 10 ms, 255 s for VRRPv2's 8 bits of seconds); shared with messages.ts.
 */
export function advertClamped(instance: string, written: number, to: number, version: 2 | 3): { severity: Severity; message: string; fix: string } {
  return {
    severity: 'warning',
    message: `vrrp_instance ${instance}: advert_int ${+written.toFixed(3)} is above VRRPv${version}'s largest, ${sec(to)}: keepalived clamps it to ${sec(to)} ("out of range")`,
    fix: `advert_int ${to} or less`,
  };
}

/**
 * A preempt_delay keepalived resets while loading (vrrp.c vrrp_complete_instance: "preempt delay will not work
 * with initial state MASTER - clearing", "preempt_delay is incompatible with strict mode / nopreempt mode -
 * resetting"); shared with messages.ts.
 */
export function preemptDelayCleared(instance: string, c: { at: Loc; why: string }): Finding {
  return finding('warning', 'preempt-delay-cleared', c.at, `vrrp_instance ${instance}: preempt_delay with ${c.why}: it does nothing`,
    'remove preempt_delay (it only acts on a BACKUP that preempts: state BACKUP, no nopreempt, no vrrp_strict)', `instance:${instance}:preempt_delay`);
}

export const instances: Family = (ctx) => {
  const out: Finding[] = [];
  const m = ctx.local.model;
  // an empty file (or one of virtual_servers only) moves no VIP: "no findings" would read as healthy
  if (!m.instances.length) {
    out.push(finding('warning', 'no-instance', { file: ctx.local.parsed.files[0], line: 1 }, 'no vrrp_instance in this keepalived.conf (or its includes): keepalived moves no VIP, so no check of hacheck can move one',
      'point --keepalived-conf at the file keepalived runs with (keepalived -f, default /etc/keepalived/keepalived.conf), or add a vrrp_instance (see `hacheck init`)', 'global:no-instance'));
  }
  // vrrp.c vrrp_complete_init fails: the VRRP child exits "with permanent error CONFIG", keepalived terminates
  for (const [side, st] of [['', stops(m)], ["the peer's ", ctx.peer ? stops(ctx.peer.model) : []]] as const) {
    for (const x of st) {
      out.push(finding('error', 'keepalived-stops', x, `${side}keepalived will not run this config: ${x.why} ("${x.said}"): its VRRP process exits "with permanent error CONFIG" and keepalived terminates, so no instance runs and no VIP is held${side ? ' on the peer' : ' on this node'}`,
        /both use|duplicate VRID/.test(x.said) ? 'give each vrrp_instance on one interface and address family its own virtual_router_id (the same pair on both nodes)' : /virtual router id/.test(x.said) ? 'virtual_router_id 1..255, the same on both nodes' : 'add a virtual_ipaddress block', x.subject));
    }
  }
  for (const inst of m.instances) {
    const sub = (k: string) => `instance:${inst.name}:${k}`;
    if (inst.badPriority !== undefined) {
      out.push(finding('error', 'priority-range', inst.priorityLoc ?? inst, `vrrp_instance ${inst.name}: priority ${inst.badPriority} is ${/^\d+$/.test(inst.badPriority) ? 'outside 1..255' : 'not a whole number 1..255'}: keepalived ignores it and uses 100`, 'priority 1..254 (255 only for the address owner)', sub('priority')));
    }
    if (inst.preemptDelayJunk !== undefined && inst.preemptDelayLoc) {
      out.push(finding('error', 'preempt-delay-unit', inst.preemptDelayLoc, `vrrp_instance ${inst.name}: preempt_delay ${inst.preemptDelayJunk}: keepalived reads seconds with 6 decimal places and appends them after the whole text ("invalid number"), so it keeps ${inst.preemptDelay ? `${+(inst.preemptDelay * 1e6).toFixed(0)} µs` : '0'}: in effect no preempt delay`,
        `preempt_delay ${/^\d+(\.\d+)?/.exec(inst.preemptDelayJunk)?.[0] ?? 'N'} (seconds, no unit)`, sub('preempt_delay')));
    }
    if (inst.badState) {
      const b = inst.badState;
      out.push(b.why === 'unknown'
        ? finding('warning', 'state-unknown', b, `vrrp_instance ${inst.name}: state ${b.written}: keepalived knows only MASTER and BACKUP, in capitals: it says "unknown state" and starts the instance as BACKUP`, `state ${b.written.toUpperCase() === 'MASTER' ? 'MASTER' : 'BACKUP'}`, sub('state'))
        : finding('warning', 'state-unknown', b, `vrrp_instance ${inst.name}: state BACKUP after state MASTER: keepalived keeps MASTER ("state previously set as MASTER - ignoring BACKUP")`, 'one state line per instance', sub('state')));
    }
    if (inst.authLoc && (inst.strictMode ?? !!m.strict)) {
      out.push(finding('warning', 'strict-auth', inst.authLoc, `vrrp_instance ${inst.name}: vrrp_strict${m.strict && inst.strictMode === undefined ? ` (${where(m.strict)})` : ''} drops authentication ("Strict mode does not support authentication"): a peer that keeps auth_type rejects this node's adverts and both become MASTER`,
        'remove the authentication block on both nodes, or drop vrrp_strict', sub('auth')));
    }
    if (inst.nopreemptCleared) {
      out.push(finding('warning', 'nopreempt-master', inst.nopreemptCleared, `vrrp_instance ${inst.name}: nopreempt with state MASTER: keepalived clears nopreempt ("will not work with initial state MASTER")`,
        'state BACKUP on both nodes (priority still decides who starts as master)', sub('nopreempt')));
    }
    if (inst.preemptDelayCleared) out.push(preemptDelayCleared(inst.name, inst.preemptDelayCleared));
    if (inst.advertIntWritten !== undefined && inst.version === 3 && inst.advertIntWritten > 40.95 && inst.advertInt === 40.95) {
      const c = advertClamped(inst.name, inst.advertIntWritten, 40.95, 3);
      out.push(finding(c.severity, 'advert-int-clamped', inst.advertIntLoc ?? inst, c.message, c.fix, sub('advert_int')));
    } else if (inst.advertIntWritten !== undefined) {
      const v2 = inst.version === 2;
      out.push(finding(v2 ? 'error' : 'warning', 'advert-int-rounded', inst.advertIntLoc ?? inst,
        `vrrp_instance ${inst.name}: advert_int ${inst.advertIntWritten}: keepalived rounds it to ${sec(inst.advertInt)}${v2 ? ' (VRRPv2 adverts carry whole seconds): the takeover times you planned are off by that much' : ' (VRRPv3: 10 ms steps)'}`,
        v2 ? '`version 3` in this vrrp_instance on both nodes (or `vrrp_version 3` in global_defs, for every instance) for sub-second adverts, or a whole advert_int' : 'a multiple of 0.01', sub('advert_int')));
    }
    const peerInst = matchPeer(inst, ctx.peer?.model);
    if (peerInst && inst.vrid !== undefined && peerInst.vrid !== undefined && peerInst.vrid !== inst.vrid) {
      out.push(finding('error', 'vrid-mismatch', inst.vridLoc ?? inst, `vrrp_instance ${inst.name}: virtual_router_id ${inst.vrid} here but ${peerInst.vrid} on the peer (${where(peerInst)}): they are two separate VRRP routers, both become MASTER and both hold the VIP`,
        `the same virtual_router_id on both nodes (e.g. ${peerInst.vrid})`));
    }
    if (peerInst && peerInst.version !== inst.version) {
      out.push(finding('error', 'vrrp-version-mismatch', inst, `vrrp_instance ${inst.name}: VRRPv${inst.version} here but VRRPv${peerInst.version} on the peer (${where(peerInst)}): each drops the other's adverts ("wrong version") and both become MASTER`,
        // name what sets each side's version: an instance's own `version` line wins over global vrrp_version
        `the same VRRP version on both nodes: ${[inst, peerInst].map((x, i) => `${i ? 'the peer' : 'here'} ${x.versionWritten !== undefined ? `\`version ${x.versionWritten}\` in vrrp_instance ${x.name}` : `no \`version\` line in vrrp_instance ${x.name} (VRRPv${x.version}: global_defs' vrrp_version, the default 2, or 3 for IPv6)`}`).join(', ')}`));
    } else if (peerInst && inst.version === 2 && peerInst.advertInt !== inst.advertInt) {
      // vrrp.c vrrp_check_packet: a VRRPv2 advert whose interval is not the local one is dropped
      // ("advertisement interval mismatch"); VRRPv3 adopts the master's (RFC 5798), so only v2
      out.push(finding('error', 'advert-int-mismatch', inst.advertIntLoc ?? inst, `vrrp_instance ${inst.name}: advert_int ${sec(inst.advertInt)} here but ${sec(peerInst.advertInt)} on the peer (${where(peerInst.advertIntLoc ?? peerInst)}): VRRPv2 drops adverts whose interval differs ("advertisement interval mismatch"), so each ignores the other and both become MASTER`,
        `the same advert_int on both nodes (e.g. advert_int ${peerInst.advertInt})`));
    }
  }
  return out;
};
