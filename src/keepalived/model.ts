// The parts of a parsed keepalived.conf that decide failover, with keepalived
// 2.x defaults filled in (keepalived.conf(5); checked against `keepalived -d` on
// Debian 12's 2.2.7): vrrp_script weight 0, interval 1s, rise/fall 1;
// track_file weight 1; vrrp_track_process weight 0; priority 100.
import type { KNode, Loc } from './parse.js';

export interface Weighted {
  weight: number;
  reverse: boolean;
  /** where the weight is written (undefined: the default applies) */
  weightLoc?: Loc;
}

export interface VrrpScript extends Weighted, Loc {
  name: string;
  /** the command as keepalived runs it (argv) */
  argv: string[];
  scriptLoc?: Loc;
  /** seconds */
  interval: number;
  intervalLoc?: Loc;
  /** seconds; undefined: keepalived uses the interval */
  timeout?: number;
  timeoutLoc?: Loc;
  rise: number;
  fall: number;
}

export interface TrackFile extends Weighted, Loc {
  name: string;
  path?: string;
}

export interface TrackProcess extends Weighted, Loc {
  name: string;
  process?: string;
}

export type TrackKind = 'script' | 'file' | 'process' | 'interface';

/** One line of a vrrp_instance's track_* block. */
export interface TrackRef extends Loc {
  kind: TrackKind;
  name: string;
  /** `NAME weight W [reverse]` in the instance overrides the definition's weight */
  override?: Weighted;
}

export interface Instance extends Loc {
  name: string;
  state?: string;
  stateLoc?: Loc;
  priority: number;
  priorityLoc?: Loc;
  /** priority as written when keepalived rejected it (it then uses 100) */
  badPriority?: string;
  vrid?: number;
  vridLoc?: Loc;
  nopreemptLoc?: Loc;
  /** strict_mode on|off in the instance (overrides the global vrrp_strict) */
  strictMode?: boolean;
  authLoc?: Loc;
  tracks: TrackRef[];
  /** seconds between adverts (default 1; fractions with vrrp_version 3) */
  advertInt: number;
  /** adverts a BACKUP misses before its master down timer expires (down_timer_adverts; default: global vrrp_down_timer_adverts, else 3) */
  downTimerAdverts?: number;
  /** member of a vrrp_sync_group without sync_group_tracking_weight: keepalived zeroes the weights */
  syncGroup?: { name: string; trackingWeight: boolean } & Loc;
}

export interface KeepalivedModel {
  scripts: Map<string, VrrpScript>;
  files: Map<string, TrackFile>;
  processes: Map<string, TrackProcess>;
  instances: Instance[];
  /** names tracked by sync groups (they count as used) */
  groupTracked: Set<string>;
  global?: Loc;
  scriptSecurity?: Loc;
  scriptUser?: Loc & { user: string };
  /** global vrrp_strict */
  strict?: Loc;
  /** global vrrp_down_timer_adverts */
  downTimerAdverts?: number;
  /** the first keyword of the main file: where a finding about a missing keyword points */
  top: Loc;
}

const loc = (n: KNode): Loc => ({ file: n.file, line: n.line });

function num(text: string | undefined): number | undefined {
  if (text === undefined || !/^[+-]?\d+(\.\d+)?$/.test(text)) return undefined;
  return Number(text);
}

/** `weight W [reverse|noreverse|no_reverse]` */
function weightOf(n: KNode, argsFrom = 0): Weighted | undefined {
  const w = num(n.args[argsFrom]);
  if (w === undefined) return undefined;
  return { weight: w, reverse: n.args[argsFrom + 1] === 'reverse', weightLoc: loc(n) };
}

/** keepalived splits the script string into argv at unquoted spaces; single quotes group. */
export function scriptArgv(args: string[]): string[] {
  const text = args.join(' ');
  const out: string[] = [];
  let cur: string | undefined;
  let quote = false;
  for (const ch of text) {
    if (ch === "'") {
      quote = !quote;
      cur ??= '';
    } else if (!quote && /\s/.test(ch)) {
      if (cur !== undefined) out.push(cur);
      cur = undefined;
    } else cur = (cur ?? '') + ch;
  }
  if (cur !== undefined) out.push(cur);
  return out;
}

export function buildModel(nodes: KNode[]): KeepalivedModel {
  const m: KeepalivedModel = {
    scripts: new Map(),
    files: new Map(),
    processes: new Map(),
    instances: [],
    groupTracked: new Set(),
    top: nodes[0] ? loc(nodes[0]) : { file: '', line: 1 },
  };
  const groups: { name: string; members: string[]; trackingWeight: boolean; at: Loc }[] = [];

  for (const n of nodes) {
    const kids = n.children ?? [];
    switch (n.keyword) {
      case 'global_defs':
        m.global = loc(n);
        for (const k of kids) {
          if (k.keyword === 'enable_script_security') m.scriptSecurity = loc(k);
          if (k.keyword === 'script_user' && k.args[0]) m.scriptUser = { ...loc(k), user: k.args[0] };
          if (k.keyword === 'vrrp_strict') m.strict = loc(k);
          if (k.keyword === 'vrrp_down_timer_adverts') m.downTimerAdverts = num(k.args[0]);
        }
        break;
      case 'vrrp_script': {
        const s: VrrpScript = { name: n.args[0] ?? '', ...loc(n), argv: [], interval: 1, rise: 1, fall: 1, weight: 0, reverse: false };
        for (const k of kids) {
          if (k.keyword === 'script') {
            s.argv = scriptArgv(k.args);
            s.scriptLoc = loc(k);
          } else if (k.keyword === 'interval') {
            s.interval = num(k.args[0]) ?? s.interval;
            s.intervalLoc = loc(k);
          } else if (k.keyword === 'timeout') {
            s.timeout = num(k.args[0]);
            s.timeoutLoc = loc(k);
          } else if (k.keyword === 'weight') Object.assign(s, weightOf(k) ?? {});
          else if (k.keyword === 'rise') s.rise = num(k.args[0]) ?? 1;
          else if (k.keyword === 'fall') s.fall = num(k.args[0]) ?? 1;
        }
        m.scripts.set(s.name, s);
        break;
      }
      case 'track_file':
      case 'vrrp_track_file': {
        const f: TrackFile = { name: n.args[0] ?? '', ...loc(n), weight: 1, reverse: false };
        for (const k of kids) {
          if (k.keyword === 'file') f.path = k.args[0];
          else if (k.keyword === 'weight') Object.assign(f, weightOf(k) ?? {});
        }
        m.files.set(f.name, f);
        break;
      }
      case 'vrrp_track_process': {
        const p: TrackProcess = { name: n.args[0] ?? '', ...loc(n), weight: 0, reverse: false };
        for (const k of kids) {
          if (k.keyword === 'process') p.process = k.args.join(' ');
          else if (k.keyword === 'weight') Object.assign(p, weightOf(k) ?? {});
        }
        m.processes.set(p.name, p);
        break;
      }
      case 'vrrp_sync_group': {
        const g = { name: n.args[0] ?? '', members: [] as string[], trackingWeight: false, at: loc(n) };
        for (const k of kids) {
          if (k.keyword === 'group') g.members.push(...(k.children ?? []).map((c) => c.keyword));
          else if (k.keyword === 'sync_group_tracking_weight') g.trackingWeight = true;
          else if (k.keyword.startsWith('track_')) for (const c of k.children ?? []) m.groupTracked.add(c.keyword);
        }
        groups.push(g);
        break;
      }
      case 'vrrp_instance':
        m.instances.push(instanceOf(n));
        break;
    }
  }
  for (const g of groups) {
    for (const inst of m.instances) {
      if (g.members.includes(inst.name)) inst.syncGroup = { name: g.name, trackingWeight: g.trackingWeight, ...g.at };
    }
  }
  return m;
}

const TRACK_BLOCKS: Record<string, TrackKind> = { track_script: 'script', track_file: 'file', track_process: 'process', track_interface: 'interface' };

function instanceOf(n: KNode): Instance {
  const inst: Instance = { name: n.args[0] ?? '', ...loc(n), priority: 100, advertInt: 1, tracks: [] };
  for (const k of n.children ?? []) {
    switch (k.keyword) {
      case 'state':
        inst.state = k.args[0]?.toUpperCase();
        inst.stateLoc = loc(k);
        break;
      case 'priority': {
        const p = num(k.args[0]);
        inst.priorityLoc = loc(k);
        if (p !== undefined && Number.isInteger(p) && p >= 1 && p <= 255) inst.priority = p;
        else inst.badPriority = k.args[0] ?? '';
        break;
      }
      case 'virtual_router_id':
        inst.vrid = num(k.args[0]);
        inst.vridLoc = loc(k);
        break;
      case 'advert_int': {
        const a = num(k.args[0]);
        if (a !== undefined && a > 0) inst.advertInt = a;
        break;
      }
      case 'down_timer_adverts': {
        const d = num(k.args[0]);
        if (d !== undefined && Number.isInteger(d) && d >= 1 && d <= 100) inst.downTimerAdverts = d;
        break;
      }
      case 'nopreempt':
      case 'no_preempt':
        inst.nopreemptLoc = loc(k);
        break;
      case 'preempt':
        inst.nopreemptLoc = undefined;
        break;
      case 'strict_mode':
        inst.strictMode = !['off', 'false', 'no'].includes(k.args[0] ?? 'on');
        break;
      case 'authentication':
        inst.authLoc = loc(k);
        break;
      default: {
        const kind = TRACK_BLOCKS[k.keyword];
        if (!kind) break;
        for (const c of k.children ?? []) {
          const w = c.args[0] === 'weight' ? weightOf(c, 1) : undefined;
          inst.tracks.push({ kind, name: c.keyword, ...loc(c), ...(w && { override: w }) });
        }
      }
    }
  }
  return inst;
}
