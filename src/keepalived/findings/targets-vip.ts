// hacheck's probe targets against the addresses that move: a port/URL/
// stub_status aimed at a VIP (or at the peer's own address) measures whichever
// node holds it. On the BACKUP that is the MASTER's nginx (or nothing until the
// VIP arrives), never this node's: a node with no nginx at all passes its check.
import type { Address } from '../model.js';
import { flagValue, hacheckRole } from '../arithmetic.js';
import { finding, where, type Family, type Finding, type ProbeTarget } from './types.js';

/** 198.51.100.7, [2001:db8::1], ::1 → a comparable address string (lower case, no brackets). */
const norm = (h: string) => h.replace(/^\[|\]$/g, '').toLowerCase();

export const targetsVip: Family = (ctx) => {
  const out: Finding[] = [];
  // the configs hacheck runs with: the doctor's -c, and every -c on a hacheck script line
  const configs: { path: string; probes: ProbeTarget[] }[] = [];
  if (ctx.hacheck.path && ctx.hacheck.probes) configs.push({ path: ctx.hacheck.path, probes: ctx.hacheck.probes });
  for (const s of ctx.local.model.scripts.values()) {
    const cfg = hacheckRole(s.argv) === 'check' ? flagValue(s.argv, ['-c', '--config']) : undefined;
    const f = cfg !== undefined ? ctx.scriptConfigs.get(cfg) : undefined;
    if (cfg && f?.probes && !configs.some((c) => c.path === (f.path ?? cfg))) configs.push({ path: f.path ?? cfg, probes: f.probes });
  }
  if (!configs.length) return out;
  const moving: { addr: Address; what: string }[] = [];
  for (const [side, label] of [[ctx.local, ''], [ctx.peer, "the peer's "]] as const) {
    if (!side) continue;
    for (const inst of side.model.instances) {
      for (const v of inst.vips) moving.push({ addr: v, what: `${label}vrrp_instance ${inst.name}'s VIP` });
      if (side === ctx.peer && inst.unicastSrc) moving.push({ addr: inst.unicastSrc, what: "the peer's own address (its unicast_src_ip)" });
      if (side === ctx.local) for (const p of inst.unicastPeers) moving.push({ addr: p, what: `the peer's own address (unicast_peer of ${inst.name})` });
    }
  }
  const seen = new Set<string>();
  for (const c of configs) {
    for (const t of c.probes) {
      const hit = moving.find((mv) => norm(mv.addr.addr) === norm(t.host));
      if (!hit || seen.has(`${c.path}\0${t.text}`)) continue;
      seen.add(`${c.path}\0${t.text}`);
      const vip = /VIP/.test(hit.what);
      out.push(finding('warning', 'probe-targets-vip', hit.addr,
        `${c.path}: the ${t.probe} probe of ${t.text} aims at ${hit.what} (${where(hit.addr)}): ${vip ? "on the BACKUP this measures the MASTER's nginx (or fails until the VIP arrives), never this node's" : "it measures the peer's nginx, never this node's"}: a node with no nginx at all passes its check`,
        `probe this node's own nginx: 127.0.0.1 (or this node's own address) instead of ${t.host}, with a Host header for the site if needed`));
    }
  }
  return out;
};
