// hacheck's probe targets against the addresses that move: a port/URL/
// stub_status aimed at a VIP (or at the peer's own address) measures whichever
// node holds it. On the BACKUP that is the MASTER's nginx (or nothing until the
// VIP arrives), never this node's: a node with no nginx at all passes its check.
import type { Address } from '../model.js';
import { flagValue, hacheckRole } from '../arithmetic.js';
import { parseHostPort } from '../../probes/port.js';
import { finding, where, type Family, type Finding, type ProbeTarget } from './types.js';

/** `--port HOST:PORT` and `--url URL` (also `--flag=value`) of a hacheck command line. */
export function flagTargets(argv: string[]): ProbeTarget[] {
  const out: ProbeTarget[] = [];
  for (let i = 1; i < argv.length; i++) {
    const m = /^--(port|url)(?:=(.*))?$/.exec(argv[i]);
    if (!m) continue;
    const value = m[2] ?? argv[++i];
    if (value === undefined) continue;
    if (m[1] === 'port') {
      const hp = parseHostPort(value);
      if (hp) out.push({ probe: 'port', host: hp.host, text: value });
    } else {
      try {
        out.push({ probe: 'http', host: new URL(value).hostname.replace(/^\[|\]$/g, ''), text: value });
      } catch {
        // not a URL: hacheck itself says so
      }
    }
  }
  return out;
}

/**
 * The hosts another program's command line connects to (`curl -sf http://VIP/`, `nc -z VIP 80`,
 * `sh -c '</dev/tcp/VIP/80'`): URLs, bash's /dev/tcp|udp/HOST/PORT, and IPv4 literals after a
 * network client (curl, nc, …). Every word of
 * every argument is looked at, so a `sh -c "…"` string counts too.
 */
const CLIENTS = /^(curl|wget|nc|ncat|netcat|telnet|socat|nmap|check_http|check_tcp|http|httping)$/;

export function commandTargets(argv: string[]): ProbeTarget[] {
  const out: ProbeTarget[] = [];
  // a bare address counts after a network client only: `check.sh 198.51.100.10` may just name the VIP
  let client = false;
  for (const word of argv.flatMap((a) => a.split(/[\s;|&()<>'"`]+/)).filter(Boolean)) {
    if (CLIENTS.test(word.split('/').pop()!)) client = true;
    const url = /^https?:\/\/[^/?#]+/i.exec(word);
    if (url) {
      try {
        out.push({ probe: 'http', host: new URL(word).hostname.replace(/^\[|\]$/g, ''), text: word });
      } catch {
        // not a URL after all
      }
      continue;
    }
    const dev = /^\/dev\/(?:tcp|udp)\/([^/]+)\/\d+/.exec(word);
    if (dev) {
      out.push({ probe: 'port', host: dev[1], text: word });
      continue;
    }
    const ip = /^(?:[\w-]+@)?((?:\d{1,3}\.){3}\d{1,3})(?::\d+)?$/.exec(word);
    if (ip && client) out.push({ probe: 'port', host: ip[1], text: word });
  }
  return out;
}

/** 198.51.100.7, [2001:db8::1], ::1 → a comparable address string (lower case, no brackets). */
const norm = (h: string) => {
  const bare = h.replace(/^\[|\]$/g, '').toLowerCase();
  if (!bare.includes(':')) return bare;
  // one IPv6 address has many spellings (2001:0db8::0010 = 2001:db8::10): the URL parser writes the canonical one
  try {
    return new URL(`http://[${bare}]/`).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return bare;
  }
};

export const targetsVip: Family = (ctx) => {
  const out: Finding[] = [];
  // the configs hacheck runs with: the doctor's -c, and every -c on a hacheck script line
  const configs: { path: string; id: string; probes: ProbeTarget[] }[] = [];
  if (ctx.hacheck.path && ctx.hacheck.probes) configs.push({ path: ctx.hacheck.path, id: ctx.hacheck.absPath ?? ctx.hacheck.path, probes: ctx.hacheck.probes });
  for (const s of ctx.local.model.scripts.values()) {
    const cfg = hacheckRole(s.argv) === 'check' ? flagValue(s.argv, ['-c', '--config']) : undefined;
    const f = cfg !== undefined ? ctx.scriptConfigs.get(cfg) : undefined;
    const id = f?.absPath ?? f?.path ?? cfg;
    if (cfg && id && f?.probes && !configs.some((c) => c.id === id)) configs.push({ path: f.path ?? cfg, id, probes: f.probes });
  }
  // and the probes given as flags on a hacheck script's own command line
  for (const s of ctx.local.model.scripts.values()) {
    if (hacheckRole(s.argv) !== 'check') continue;
    const probes = flagTargets(s.argv);
    if (probes.length) configs.push({ path: `vrrp_script ${s.name}'s command line`, id: `script:${s.name}`, probes });
  }
  // and any other check program aimed at an address (curl, nc, a /dev/tcp redirect)
  for (const s of ctx.local.model.scripts.values()) {
    if (hacheckRole(s.argv)) continue;
    const probes = commandTargets(s.argv);
    if (probes.length) configs.push({ path: `vrrp_script ${s.name}'s command line`, id: `script:${s.name}`, probes });
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
  // one finding per config and moving address, naming every probe aimed at it
  const hits = new Map<string, { path: string; hit: (typeof moving)[number]; probes: ProbeTarget[] }>();
  for (const c of configs) {
    for (const t of c.probes) {
      const hit = moving.find((mv) => norm(mv.addr.addr) === norm(t.host));
      if (!hit) continue;
      const k = `${c.path}\0${where(hit.addr)}`;
      const h = hits.get(k) ?? { path: c.path, hit, probes: [] };
      if (!h.probes.some((p) => p.text === t.text && p.probe === t.probe)) h.probes.push(t);
      hits.set(k, h);
    }
  }
  for (const { path, hit, probes } of hits.values()) {
    const vip = /VIP/.test(hit.what);
    const list = probes.map((t) => `the ${t.probe} probe of ${t.text}`).join(', ');
    out.push(finding('warning', 'probe-targets-vip', hit.addr,
      `${path}: ${list} ${probes.length > 1 ? 'aim' : 'aims'} at ${hit.what} (${where(hit.addr)}): ${vip ? "on the BACKUP this measures the MASTER's nginx (or fails until the VIP arrives), never this node's" : "it measures the peer's nginx, never this node's"}: a node with no nginx at all passes its check`,
      `probe this node's own nginx: 127.0.0.1 (or this node's own address) instead of ${hit.addr.addr}, with a Host header for the site if needed`, `probe:${path}:${where(hit.addr)}`));
  }
  return out;
};
