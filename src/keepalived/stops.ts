// Configs keepalived 2.2.7 loads and then refuses to run at all: vrrp.c
// vrrp_complete_init returns false, the VRRP child exits "with permanent error
// CONFIG" and keepalived terminates ("Stopped Keepalived"). No instance of the
// file runs, so no check of it moves a VIP; the doctor says so instead of
// verdicts. Only what the model knows from the file is judged here (an interface
// missing on this host is the config test's "interface" finding).
import type { Instance, KeepalivedModel } from './model.js';
import type { Loc } from './parse.js';
import { isIPv6 } from 'node:net';

export interface Stop extends Loc {
  /** keepalived's own words (its config test prints them) */
  said: string;
  /** the reason in plain words */
  why: string;
  /** the finding's subject: keepalived's line about it joins it */
  subject: string;
}

/** An instance's address family: its first VIP's, else its unicast addresses', else IPv4 (vrrp_parser.c sets vrrp->family from them). */
export const familyOf = (inst: Instance): 4 | 6 => {
  const a = inst.vips[0]?.addr ?? inst.unicastSrc?.addr ?? inst.unicastPeers[0]?.addr;
  return a && isIPv6(a) ? 6 : 4;
};

/** Why keepalived will not run this config (empty: it runs). */
export function stops(m: KeepalivedModel): Stop[] {
  const out: Stop[] = [];
  // lib/parser.c null_strvec: exit(KEEPALIVED_EXIT_CONFIG) at the first keyword without its value
  for (const x of m.missingValue) {
    out.push({ ...at(x), said: `*** Configuration line starting \`${x.keyword}\` is missing a parameter after keyword \`${x.keyword}\` at word position 2`, why: `\`${x.keyword}\`${x.block ? ` in ${x.block}` : ''} has no value (lib/parser.c null_strvec exits as it reads the line)`, subject: `missing:${x.file}:${x.line}` });
  }
  for (const inst of m.instances) {
    // vrrp.c chk_min_cfg: "the virtual router id must be set"
    if (inst.vrid === undefined) {
      // a virtual_router_id line keepalived rejected ('51x', 0, 256, '0x34': "VRID '…' not valid"): said at that line
      out.push({ ...at(inst.vridLoc ?? inst), said: `(${inst.name}) the virtual router id must be set`, why: `vrrp_instance ${inst.name} has no (valid) virtual_router_id`, subject: `instance:${inst.name}:stops` });
    }
    // vrrp.c vrrp_complete_instance: no VIP is an error for VRRPv3, IPv6 or strict mode ("at least one is required")
    const strict = inst.strictMode ?? !!m.strict;
    if (!inst.vips.length && (inst.version === 3 || familyOf(inst) === 6 || strict)) {
      out.push({ ...at(inst), said: `(${inst.name}) No VIP specified; at least one is required`, why: `vrrp_instance ${inst.name} has no virtual_ipaddress (${inst.version === 3 ? 'VRRPv3' : strict ? 'strict mode' : 'IPv6'} requires one)`, subject: `instance:${inst.name}:stops` });
    }
  }
  // vrrp.c check_vrid_conflicts: two multicast instances with one VRID, family and interface (and multicast group,
  // not modelled: the default); unicast ones only when they also share a source address and a peer
  const seen = new Set<Instance>();
  for (const a of m.instances) {
    for (const b of m.instances) {
      if (a === b || seen.has(b) || a.vrid === undefined || a.vrid !== b.vrid || familyOf(a) !== familyOf(b) || a.interface !== b.interface) continue;
      const uni = (i: Instance) => i.unicastPeers.length > 0;
      if (uni(a) !== uni(b)) continue;
      if (uni(a) && ((a.unicastSrc?.addr ?? '') !== (b.unicastSrc?.addr ?? '') || !a.unicastPeers.some((p) => b.unicastPeers.some((q) => q.addr === p.addr)))) continue;
      const said = uni(a) ? `(${a.name}) duplicate VRID conflict with ${b.name} VRID ${a.vrid}` : `${a.name} and ${b.name} both use VRID ${a.vrid} with IPv${familyOf(a)} on interface ${a.interface ?? '?'}`;
      out.push({ ...at(b.vridLoc ?? b), said, why: `vrrp_instance ${a.name} and ${b.name} both use virtual_router_id ${a.vrid} with IPv${familyOf(a)} on interface ${a.interface ?? '(none)'}`, subject: `says:${said}` });
    }
    seen.add(a);
  }
  return out;
}

const at = (l: Loc): Loc => ({ file: l.file, line: l.line });
