// The parts of a parsed keepalived.conf that decide failover, with keepalived
// 2.x defaults filled in (keepalived.conf(5); checked against `keepalived -d` on
// Debian 12's 2.2.7): vrrp_script weight 0, interval 1s, rise/fall 1;
// track_file weight 1; vrrp_track_process weight 0; priority 100.
import { isIPv6 } from 'node:net';
import type { KNode, Loc } from './parse.js';
import { quotedWords } from './lines.js';
import { readDecimal, readInt, readUnsigned, type NumberRead, type NumberSplit } from './numbers.js';

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
  /**
   * words after the script's first (unquoted) word: keepalived keeps only that word (vrrp_parser.c
   * vrrp_vscript_script_handler → notify.c set_script_params_array splits strvec slot 1 alone), so these are not run
   */
  scriptDropped?: string[];
  /** the script line cannot be split (an unterminated ' or ", a backslash at its end): keepalived 2.2.7 crashes reading it */
  scriptUnsplittable?: Loc;
  /** `user USER [GROUP]`: who keepalived runs this script as (default: global script_user, else keepalived_script) */
  user?: Loc & { user: string };
  /** keepalived removed or disabled it while loading: why (load.ts) */
  off?: string;
  /** values keepalived rejects ("must be between", "invalid"): it keeps its default */
  badValues: (Loc & { keyword: string; value: string })[];
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
  /** a `reverse`/`noreverse` of a line whose weight keepalived rejected (it keeps the definition's weight) */
  reverseOverride?: boolean;
  /** tracked by the instance's vrrp_sync_group, not the instance itself */
  group?: string;
  /** keepalived ignores this line while loading: why (load.ts) */
  off?: string;
  /** the line is ignored as written (vrrp_track.c alloc_track_*): an option other than `weight`, `weight` without a value, a name listed twice */
  bad?: { why: 'option' | 'no-value' | 'duplicate'; text: string };
  /** keepalived keeps the line but with weight 0: why (load.ts) */
  weight0?: string;
  /**
   * the vrrp_script / track_file / vrrp_track_process it names is defined only below the block
   * holding this line: keepalived looks the name up while reading the line ("track script chk
   * not found, ignoring...", vrrp_track.c alloc_track_script) and ignores it
   */
  later?: Loc;
}

/** An address of virtual_ipaddress (or _excluded) or a unicast line, without its /prefix. */
export interface Address extends Loc {
  addr: string;
}

export interface SyncGroup extends Loc {
  name: string;
  members: (Loc & { name: string })[];
  trackingWeight: boolean;
  tracks: TrackRef[];
}

export interface Instance extends Loc {
  name: string;
  state?: string;
  stateLoc?: Loc;
  /** a state line keepalived did not take as written: not MASTER/BACKUP in capitals (it uses BACKUP), or BACKUP after MASTER (ignored) */
  badState?: Loc & { written: string; why: 'unknown' | 'after-master' };
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
  /** seconds between adverts as keepalived uses them (default 1; VRRPv2 rounds to whole seconds, VRRPv3 to 10 ms) */
  advertInt: number;
  /** advert_int as written, when keepalived changes it (VRRPv2 fraction, VRRPv3 not a multiple of 10 ms) */
  advertIntWritten?: number;
  advertIntLoc?: Loc;
  /** preempt_delay (s): a BACKUP waits this long before it preempts a lower-priority master (0: none) */
  preemptDelay: number;
  preemptDelayLoc?: Loc;
  /** preempt_delay as written when it is not a plain decimal (`5s`): keepalived keeps what it read, in µs */
  preemptDelayJunk?: string;
  /** preempt_delay written but reset by keepalived (vrrp.c vrrp_complete_instance): why */
  preemptDelayCleared?: { at: Loc; why: string };
  /** VRRP version: the instance's `version`, else 3 for an IPv6 instance (its first VIP), else global vrrp_version, else 2 */
  version: 2 | 3;
  /** the instance's own `version` line */
  versionWritten?: 2 | 3;
  interface?: string;
  interfaceLoc?: Loc;
  vips: Address[];
  unicastSrc?: Address;
  unicastPeers: Address[];
  /** nopreempt written but cleared by keepalived (state MASTER) */
  nopreemptCleared?: Loc;
  /** adverts a BACKUP misses before its master down timer expires (down_timer_adverts; default: global vrrp_down_timer_adverts, else 3) */
  downTimerAdverts?: number;
  /** the vrrp_sync_group it belongs to (keepalived: tracking weights are dropped without sync_group_tracking_weight) */
  syncGroup?: { name: string; trackingWeight: boolean } & Loc;
}

/**
 * A weight keepalived rejects while loading, and the weight it uses instead (2.2.7; each kind has its own
 * range and fallback: vrrp_parser.c vrrp_vscript_weight_handler / vrrp_tprocess_weight_handler,
 * trackers/track_file.c track_file_weight_handler / alloc_track_file, vrrp_track.c alloc_track_script /
 * alloc_track_process / alloc_track_if).
 */
export interface BadWeight extends Loc {
  kind: TrackKind;
  name: string;
  /** the vrrp_instance or vrrp_sync_group of the track line; undefined: the definition's own `weight` */
  owner?: string;
  block?: 'vrrp_instance' | 'vrrp_sync_group';
  written: string;
  /** what keepalived accepts, as it says it */
  range: string;
  /** the weight keepalived uses; undefined: the definition's (a track line's override it ignores) */
  uses?: number;
  /** how keepalived comes to `uses`, in plain words */
  why: string;
}

export interface KeepalivedModel {
  /** weights keepalived rejects (and what it does instead) */
  badWeights: BadWeight[];
  scripts: Map<string, VrrpScript>;
  files: Map<string, TrackFile>;
  processes: Map<string, TrackProcess>;
  instances: Instance[];
  /** names tracked by sync groups (they count as used) */
  groupTracked: Set<string>;
  /**
   * a second definition of a name keepalived already has: it keeps the first (its lookups take the
   * first of the list; measured live with 2.2.7: a second `vrrp_script chk` is "not used"), and skips a
   * second vrrp_instance or vrrp_sync_group ("already defined")
   */
  duplicates: { keyword: string; name: string; at: Loc; first: Loc }[];
  syncGroups: SyncGroup[];
  /** global vrrp_version (2 unless set) */
  vrrpVersion: 2 | 3;
  global?: Loc;
  scriptSecurity?: Loc;
  scriptUser?: Loc & { user: string };
  /** global vrrp_strict */
  strict?: Loc;
  /** global vrrp_down_timer_adverts */
  downTimerAdverts?: number;
  /** the first keyword of the main file: where a finding about a missing keyword points */
  top: Loc;
  /** numbers the running daemon reads other than its --config-test says (numbers.ts): the model holds the daemon's */
  numberSplits: NumberSplit[];
  /** keywords written without the value they need: keepalived's VRRP process exits reading the first (lib/parser.c null_strvec) */
  missingValue: (Loc & { keyword: string; block: string })[];
}

const loc = (n: KNode): Loc => ({ file: n.file, line: n.line });

/**
 * Records a value the running daemon reads other than --config-test (numbers.ts) when what each then uses
 * differs (`uses`: the daemon's value and the test's fallback); `daemon`/`test`: the same in words. True when noted.
 */
function noteSplit(m: KeepalivedModel, k: KNode, owner: string, r: NumberRead, uses: [number | undefined, number | undefined], daemon: string, test: string, written = k.args[0] ?? '', keyword = k.keyword): boolean {
  if (r.daemon === undefined || r.test || uses[0] === uses[1]) return false;
  m.numberSplits.push({ ...loc(k), owner, keyword, written, daemon, test });
  return true;
}

/**
 * The argv keepalived runs for a `script` line (vrrp_parser.c vrrp_vscript_script_handler → notify.c
 * set_script_params_array): the line is split once with quotes and escapes (parse.ts did that: `args`), then ONLY
 * its first word (strvec slot 1) is split again the same way (lib/parser.c alloc_strvec_quoted_escaped: white
 * space separates, "…" and '…' group, \ escapes). Words after the first are dropped: an unquoted
 * `script /usr/bin/hacheck status --max-age 3s` runs `/usr/bin/hacheck` alone.
 */
export function scriptArgv(args: string[]): string[] {
  const text = args[0] ?? '';
  const out: string[] = [];
  let cur: string | undefined;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\' && i + 1 < text.length) {
      cur = (cur ?? '') + text[++i];
    } else if (quote) {
      if (ch === quote) quote = undefined;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      cur ??= '';
    } else if (/\s/.test(ch)) {
      if (cur !== undefined) out.push(cur);
      cur = undefined;
    } else cur = (cur ?? '') + ch;
  }
  if (cur !== undefined) out.push(cur);
  return out;
}

/** `file:line` of a keyword keepalived ignored while loading (drop it from the model) */
export const lineKey = (l: Loc) => `${l.file}:${l.line}`;

function without(nodes: KNode[], drop: Set<string>): KNode[] {
  return nodes.filter((n) => !drop.has(lineKey(n))).map((n) => (n.children ? { ...n, children: without(n.children, drop) } : n));
}

/**
 * The config as keepalived 2.2.7 loads it: its defaults filled in, and its own
 * load-time rewrites applied (VRRPv2 rounds a fractional advert_int, nopreempt is
 * cleared with state MASTER, an out-of-range priority is 100, vrrp_strict resets
 * down_timer_adverts). `drop`: keywords (file:line) keepalived said it ignored.
 */
/**
 * Keywords whose handler reads its value with strvec_slot(…, 1), which exits keepalived's VRRP process when the
 * line has none ("*** Configuration line starting `priority` is missing a parameter …"); each measured with
 * 2.2.7's --config-test (not every keyword: a track_file's `weight`, global `router_id` only say "missing").
 */
const NEEDS_VALUE: Record<string, Set<string>> = {
  vrrp_instance: new Set(['priority', 'state', 'interface', 'virtual_router_id', 'advert_int', 'preempt_delay', 'version', 'unicast_src_ip', 'mcast_src_ip',
    'down_timer_adverts', 'garp_master_delay', 'notify_master', 'notify_backup', 'notify_fault', 'notify_stop', 'notify']),
  vrrp_script: new Set(['weight', 'interval', 'timeout', 'rise', 'fall', 'user']),
};

export function buildModel(allNodes: KNode[], drop: Set<string> = new Set()): KeepalivedModel {
  const nodes = drop.size ? without(allNodes, drop) : allNodes;
  const m: KeepalivedModel = {
    badWeights: [],
    scripts: new Map(),
    files: new Map(),
    processes: new Map(),
    instances: [],
    groupTracked: new Set(),
    duplicates: [],
    syncGroups: [],
    vrrpVersion: 2,
    numberSplits: [],
    missingValue: [],
    top: nodes[0] ? loc(nodes[0]) : { file: '', line: 1 },
  };
  // lib/parser.c null_strvec: a handler asking for a word the line lacks exits the process (KEEPALIVED_EXIT_CONFIG)
  for (const n of nodes) {
    if (n.keyword === 'vrrp_script' && !n.args.length) m.missingValue.push({ ...loc(n), keyword: n.keyword, block: '' });
    const needs = NEEDS_VALUE[n.keyword];
    if (!needs) continue;
    for (const k of n.children ?? []) if (needs.has(k.keyword) && !k.args.length) m.missingValue.push({ ...loc(k), keyword: k.keyword, block: n.keyword });
  }

  /** true (and noted) when `first` already holds the name: keepalived keeps the first definition */
  const keepFirst = (n: KNode, first: Loc | undefined): boolean => {
    if (!first) return false;
    m.duplicates.push({ keyword: n.keyword, name: n.args[0] ?? '', at: loc(n), first: { file: first.file, line: first.line } });
    return true;
  };
  // track lines naming something not (yet) defined where they stand: keepalived resolves names as it reads
  const pending: TrackRef[] = [];
  const notYet = (tracks: TrackRef[]) => {
    for (const t of tracks) {
      const known = t.kind === 'script' ? m.scripts.has(t.name) : t.kind === 'file' ? m.files.has(t.name) : t.kind === 'process' ? m.processes.has(t.name) : true;
      if (!known) pending.push(t);
    }
  };

  for (const n of nodes) {
    const kids = n.children ?? [];
    switch (n.keyword) {
      case 'global_defs':
        m.global = loc(n);
        for (const k of kids) {
          if (k.keyword === 'enable_script_security') m.scriptSecurity = loc(k);
          if (k.keyword === 'script_user' && k.args[0]) m.scriptUser = { ...loc(k), user: k.args[0] };
          if (k.keyword === 'vrrp_strict') m.strict = loc(k);
          if (k.keyword === 'vrrp_down_timer_adverts') {
            // global_parser.c: read_unsigned_strvec(1..100, ignore_error): the daemon keeps `2.5` as 2
            const r = readUnsigned(k.args[0], 1, 100);
            m.downTimerAdverts = r.daemon;
            noteSplit(m, k, 'global_defs', r, [r.daemon, undefined], `${r.daemon}`, 'ignores it: 3, or the instance\'s own');
          }
          if (k.keyword === 'vrrp_version') {
            // global_parser.c: read_int_strvec(2..3, ignore_error)
            const r = readInt(k.args[0], 2, 3);
            if (r.daemon !== undefined) m.vrrpVersion = r.daemon as 2 | 3;
            noteSplit(m, k, 'global_defs', r, [r.daemon, 2], `VRRPv${r.daemon}`, 'ignores it: VRRPv2');
          }
        }
        break;
      case 'vrrp_script': {
        const s: VrrpScript = { name: n.args[0] ?? '', ...loc(n), argv: [], interval: 1, rise: 1, fall: 1, weight: 0, reverse: false, badValues: [] };
        const owner = `vrrp_script ${s.name}`;
        /**
         * vrrp_parser.c vrrp_vscript_{interval,timeout,rise,fall}_handler: read_unsigned_strvec(…, ignore_error): the
         * daemon keeps a fraction's whole part (`3.5` is 3), --config-test ignores it; what neither accepts is
         * ignored (the default stays). `zeroIsOne`: interval and timeout 0 are raised to 1 ("setting to 1").
         */
        const whole = (k: KNode, min: number, testUses: [number, string], zeroIsOne = false): number | undefined => {
          const r = readUnsigned(k.args[0], min, min === 0 ? 4294 : 2147483647);
          const v = r.daemon === 0 && zeroIsOne ? 1 : r.daemon;
          const split = noteSplit(m, k, owner, r, [v, testUses[0]], `${k.keyword} ${v}${r.daemon === 0 ? ' (0 is raised to 1)' : ''}`, testUses[1]);
          // rejected, or read other than written the same way by both (`interval 0.5`: 1 either way)
          if (v === undefined || (!r.test && !split)) s.badValues.push({ ...loc(k), keyword: k.keyword, value: k.args.join(' ') });
          return v;
        };
        for (const k of kids) {
          if (k.keyword === 'script') {
            // vrrp_vscript_script_handler splits the whole line (buf_extern) with quotes and escapes, single
            // quotes too; set_script_params_array then splits its word 1 again and drops the rest
            const line = k.raw !== undefined ? quotedWords(k.raw) : ['script', ...k.args];
            s.scriptLoc = loc(k);
            if (!line) {
              s.argv = [];
              s.scriptUnsplittable = loc(k);
            } else {
              s.argv = line[1] !== undefined ? quotedWords(line[1]) ?? [] : [];
              s.scriptDropped = line.length > 2 ? line.slice(2) : undefined;
            }
          } else if (k.keyword === 'interval') {
            s.interval = whole(k, 0, [s.interval, `ignores it: interval ${s.interval}`], true) ?? s.interval;
            s.intervalLoc = loc(k);
          } else if (k.keyword === 'timeout') {
            s.timeout = whole(k, 0, [s.interval, 'ignores it: the interval as timeout'], true);
            if (s.timeout !== undefined) s.timeoutLoc = loc(k);
          } else if (k.keyword === 'weight') {
            // vrrp_parser.c vrrp_vscript_weight_handler: "must be in [-253, 253]" is said, but the value
            // read_int_strvec stored (strtol's) is kept all the same (measured: weight 300 adds 300, -300 clamps at 1)
            const text = k.args[0] ?? '';
            const r = readInt(text, -253, 253);
            Object.assign(s, { weight: r.raw, reverse: k.args[1] === 'reverse', weightLoc: loc(k) });
            if (!r.test) {
              m.badWeights.push({ ...loc(k), kind: 'script', name: s.name, written: text, range: '-253..253', uses: s.weight, why: `keepalived says so ("must be in [-253, 253]") but uses ${s.weight} all the same` });
            }
          } else if (k.keyword === 'rise') s.rise = whole(k, 1, [1, 'defaults to rise 1']) ?? 1;
          else if (k.keyword === 'fall') s.fall = whole(k, 1, [1, 'defaults to fall 1']) ?? 1;
          else if (k.keyword === 'user' && k.args[0]) s.user = { ...loc(k), user: k.args[0] };
        }
        if (!keepFirst(n, m.scripts.get(s.name))) m.scripts.set(s.name, s);
        break;
      }
      case 'track_file':
      case 'vrrp_track_file': {
        const f: TrackFile = { name: n.args[0] ?? '', ...loc(n), weight: 1, reverse: false };
        for (const k of kids) {
          if (k.keyword === 'file') f.path = k.args[0];
          else if (k.keyword === 'weight') {
            // track_file.c track_file_weight_handler: a second weight line is ignored once one set a weight
            // other than 1 ("Weight already set"); outside -254..254 the weight is 1 ("Ignoring..."), reverse still
            // read; read_int_strvec(ignore_error): the daemon keeps `-60.5` as -60 where --config-test uses 1
            if (f.weight !== 1) continue;
            const text = k.args[0];
            const r = readInt(text, -254, 254);
            Object.assign(f, { weight: r.daemon ?? 1, weightLoc: loc(k) }, k.args[1] === 'reverse' && { reverse: true });
            if (r.daemon === undefined) m.badWeights.push({ ...loc(k), kind: 'file', name: f.name, written: text ?? '', range: '-254..254', uses: 1, why: 'keepalived ignores it ("Ignoring...") and uses weight 1' });
            noteSplit(m, k, `track_file ${f.name}`, r, [r.daemon, 1], `weight ${r.daemon}`, 'ignores it: weight 1');
          }
        }
        if (!keepFirst(n, m.files.get(f.name))) m.files.set(f.name, f);
        break;
      }
      case 'vrrp_track_process': {
        const p: TrackProcess = { name: n.args[0] ?? '', ...loc(n), weight: 0, reverse: false };
        for (const k of kids) {
          if (k.keyword === 'process') p.process = k.args.join(' ');
          else if (k.keyword === 'weight') {
            // vrrp_parser.c vrrp_tprocess_weight_handler: once a weight is set a second line is ignored; outside
            // -254..254 the line is ignored whole (the weight stays 0: FAULT, reverse not read)
            if (p.weight) continue;
            const r = readInt(k.args[0], -254, 254);
            if (r.daemon !== undefined) Object.assign(p, { weight: r.daemon, reverse: k.args[1] === 'reverse', weightLoc: loc(k) });
            else m.badWeights.push({ ...loc(k), kind: 'process', name: p.name, written: k.args[0] ?? '', range: '-254..254', uses: 0, why: 'keepalived ignores the line ("Ignoring...") and keeps weight 0 (FAULT)' });
            noteSplit(m, k, `vrrp_track_process ${p.name}`, r, [r.daemon, 0], `weight ${r.daemon}`, 'ignores the line: weight 0 (FAULT)');
          }
        }
        if (!keepFirst(n, m.processes.get(p.name))) m.processes.set(p.name, p);
        break;
      }
      case 'vrrp_sync_group': {
        if (keepFirst(n, m.syncGroups.find((x) => x.name === (n.args[0] ?? '')))) break;
        const g: SyncGroup = { name: n.args[0] ?? '', ...loc(n), members: [], trackingWeight: false, tracks: [] };
        for (const k of kids) {
          // vrrp_group_handler: read_value_block takes every word of every line (`group { VI_1 VI_2 }` names both)
          if (k.keyword === 'group') g.members.push(...(k.children ?? []).flatMap((c) => [c.keyword, ...c.args].map((name) => ({ name, ...loc(c) }))));
          // vrrp_parser.c: global_tracking (deprecated) sets the same flag as sync_group_tracking_weight
          else if (k.keyword === 'sync_group_tracking_weight' || k.keyword === 'global_tracking') g.trackingWeight = true;
          else if (TRACK_BLOCKS[k.keyword]) {
            g.tracks.push(...trackRefs(k, TRACK_BLOCKS[k.keyword], g.name, m, 'vrrp_sync_group').map((t) => ({ ...t, group: g.name })));
            for (const c of k.children ?? []) m.groupTracked.add(c.keyword);
          }
        }
        // keepalived: a router in more than one group stays in the first ("cannot exist in more than one sync group")
        g.members = g.members.filter((x) => !m.syncGroups.some((o) => o.members.some((y) => y.name === x.name)));
        notYet(g.tracks);
        m.syncGroups.push(g);
        break;
      }
      case 'vrrp_instance': {
        if (keepFirst(n, m.instances.find((x) => x.name === (n.args[0] ?? '')))) break;
        const inst = instanceOf(n, m);
        notYet(inst.tracks);
        m.instances.push(inst);
        break;
      }
    }
  }
  for (const t of pending) {
    const def = t.kind === 'script' ? m.scripts.get(t.name) : t.kind === 'file' ? m.files.get(t.name) : m.processes.get(t.name);
    if (def) t.later = { file: def.file, line: def.line };
  }
  for (const inst of m.instances) {
    // vrrp.c vrrp_complete_instance: an IPv6 instance (its first VIP) without a `version` line of its
    // own runs VRRPv3 whatever vrrp_version says (VRRPv2 is IPv4 only); `version 2` stays, except under vrrp_strict
    const v6 = !!inst.vips[0] && isIPv6(inst.vips[0].addr);
    inst.version = v6 && (inst.versionWritten === undefined || (inst.versionWritten === 2 && (inst.strictMode ?? !!m.strict))) ? 3 : inst.versionWritten ?? m.vrrpVersion;
    loadRules(inst, inst.strictMode ?? !!m.strict);
  }
  // keepalived drops members that are no instance, then groups left empty ("has no virtual router(s). removing")
  for (const g of m.syncGroups) g.members = g.members.filter((x) => m.instances.some((i) => i.name === x.name));
  m.syncGroups = m.syncGroups.filter((g) => g.members.length);
  for (const g of m.syncGroups) {
    for (const inst of m.instances) {
      if (g.members.some((x) => x.name === inst.name)) {
        inst.syncGroup = { name: g.name, trackingWeight: g.trackingWeight, file: g.file, line: g.line };
        // the group's track_* lines apply to every member (vrrp.c: sync group tracking is added to each instance)
        inst.tracks.push(...g.tracks.map((t) => ({ ...t })));
      }
    }
  }
  return m;
}

/** keepalived's own rewrites in vrrp_complete_instance (vrrp.c, 2.2.7). */
function loadRules(inst: Instance, strict: boolean) {
  if (inst.advertIntWritten !== undefined) {
    const w = inst.advertIntWritten;
    if (inst.version === 2) {
      // "VRRPv2 advertisement interval %fs must be an integer. rounding": half up, at least 1 s
      inst.advertInt = Math.max(1, Math.floor(w + 0.5));
    } else {
      // "must be in units of 10ms - rounding" (half up); above 40.95 s "out of range"
      inst.advertInt = w >= 40.96 ? 40.95 : Math.max(0.01, Math.floor(w * 100 + 0.5) / 100);
    }
    if (inst.advertInt === w) inst.advertIntWritten = undefined;
  }
  if (inst.nopreemptLoc && inst.state === 'MASTER') {
    // "nopreempt will not work with initial state MASTER - clearing"
    inst.nopreemptCleared = inst.nopreemptLoc;
    inst.nopreemptLoc = undefined;
  }
  if (inst.preemptDelay && inst.preemptDelayLoc) {
    // the state keepalived starts in: `state MASTER`, else (no state line) MASTER for the address owner; under
    // vrrp_strict only the address owner ("State MASTER must match being address owner")
    const master = strict ? inst.priority === 255 : inst.state === 'MASTER' || (inst.state === undefined && inst.priority === 255);
    // "preempt delay will not work with initial state MASTER - clearing", then "preempt_delay is incompatible
    // with strict mode - resetting" and "... with nopreempt mode - resetting"
    const why = master ? 'state MASTER: keepalived clears it ("preempt delay will not work with initial state MASTER")'
      : strict ? 'vrrp_strict: keepalived resets it ("preempt_delay is incompatible with strict mode")'
        : inst.nopreemptLoc ? 'nopreempt: keepalived resets it ("preempt_delay is incompatible with nopreempt mode"); a nopreempt backup never preempts anyway'
          : undefined;
    if (why) {
      inst.preemptDelayCleared = { at: inst.preemptDelayLoc, why };
      inst.preemptDelay = 0;
    }
  }
}

const TRACK_BLOCKS: Record<string, TrackKind> = { track_script: 'script', track_file: 'file', track_process: 'process', track_interface: 'interface' };

/**
 * The lines of a track_* block. A `weight` outside -254..254 keepalived rejects ("Ignoring..."): a script,
 * file or process line keeps the definition's weight (reverse/noreverse still read), an interface line gets
 * weight 0; +/-254 becomes +/-253 for a script or an interface ("cannot be +/-254. Setting to +/-253").
 * vrrp_track.c alloc_track_script / alloc_track_process / alloc_track_if, track_file.c alloc_track_file.
 */
function trackRefs(k: KNode, kind: TrackKind, owner: string, m: KeepalivedModel, block: BadWeight['block'] = 'vrrp_instance'): TrackRef[] {
  const bad = m.badWeights;
  const seen = new Set<string>();
  return (k.children ?? []).map((c) => {
    const ref: TrackRef = { kind, name: c.keyword, ...loc(c) };
    // vrrp_track.c alloc_track_script (…_file, _process, _if): a name already tracked, then any word but `weight`
    // after the name, or `weight` alone: "… - ignoring", the whole line (its check does nothing)
    const line = [c.keyword, ...c.args].join(' ');
    if (seen.has(c.keyword)) ref.bad = { why: 'duplicate', text: line };
    else if (c.args.length && c.args[0] !== 'weight') ref.bad = { why: 'option', text: line };
    else if (c.args[0] === 'weight' && c.args.length === 1) ref.bad = { why: 'no-value', text: line };
    // track_file.c alloc_track_file (2.2.7): a word after the weight other than reverse/noreverse returns before the
    // line is added ("unknown track file … weight option … - ignoring"); track_script/_interface keep the weight
    else if (kind === 'file' && c.args[0] === 'weight' && c.args.length > 2 && c.args[2] !== 'reverse' && c.args[2] !== 'noreverse') ref.bad = { why: 'option', text: line };
    // only a line keepalived kept counts for "duplicate"
    else seen.add(c.keyword);
    if (ref.bad) {
      ref.off = ref.bad.why === 'duplicate' ? `${c.keyword} is listed twice in this ${k.keyword} block: keepalived ignores the second line ("duplicate ${k.keyword} ${c.keyword} - ignoring")`
        : ref.bad.why === 'option' && c.args[0] === 'weight' ? `keepalived reads only reverse or noreverse after a track_file's weight: it ignores the whole line ("unknown track file ${c.keyword} weight option ${c.args[2]} - ignoring")`
        : ref.bad.why === 'option' ? `keepalived reads only \`weight N\` after the name: it ignores the whole line ("unknown … option ${c.args[0]} - ignoring")`
          : 'keepalived ignores the whole line: `weight` without a value';
      return ref;
    }
    if (c.args[0] !== 'weight') return ref;
    const text = c.args[1];
    const rev = c.args[2] === 'reverse' ? true : c.args[2] === 'noreverse' && kind !== 'interface' ? false : undefined;
    // read_int_strvec(…, -254, 254, ignore_error): the daemon keeps `-30.5` as -30, --config-test ignores it
    const r = readInt(text, -254, 254);
    const fallback = kind === 'interface' ? 'weight 0' : `the ${kind === 'script' ? 'vrrp_script' : kind === 'file' ? 'track_file' : 'vrrp_track_process'}'s own weight`;
    noteSplit(m, c, `${block} ${owner}: ${k.keyword} ${c.keyword}`, r, [r.daemon, undefined], `weight ${r.daemon}`, `ignores it: ${fallback}`, text ?? '', 'weight');
    if (r.daemon !== undefined) {
      let weight = r.daemon;
      if (Math.abs(weight) === 254 && (kind === 'script' || kind === 'interface')) {
        weight = Math.sign(weight) * 253;
        bad.push({ ...loc(c), kind, name: c.keyword, owner, block, written: text!, range: '-253..253', uses: weight, why: `keepalived uses ${weight} ("cannot be +/-254. Setting to +/-253")` });
      }
      ref.override = { weight, reverse: rev ?? false, weightLoc: loc(c) };
      return ref;
    }
    if (kind === 'interface') {
      ref.override = { weight: 0, reverse: rev ?? false, weightLoc: loc(c) };
      bad.push({ ...loc(c), kind, name: c.keyword, owner, block, written: text ?? '', range: '-253..253', uses: 0, why: 'keepalived ignores it ("Ignoring...") and uses weight 0: the interface going down is FAULT' });
      return ref;
    }
    if (rev !== undefined) ref.reverseOverride = rev;
    bad.push({ ...loc(c), kind, name: c.keyword, owner, block, written: text ?? '', range: kind === 'script' ? '-253..253' : '-254..254', why: `keepalived ignores it ("Ignoring...") and uses the ${kind === 'script' ? 'vrrp_script' : kind === 'file' ? 'track_file' : 'vrrp_track_process'}'s own weight` });
    return ref;
  });
}

const address = (c: KNode): Address => ({ addr: c.keyword.replace(/\/\d+$/, ''), ...loc(c) });

function instanceOf(n: KNode, m: KeepalivedModel): Instance {
  const inst: Instance = { name: n.args[0] ?? '', ...loc(n), priority: 100, advertInt: 1, preemptDelay: 0, version: 2, tracks: [], vips: [], unicastPeers: [] };
  const owner = `vrrp_instance ${inst.name}`;
  for (const k of n.children ?? []) {
    switch (k.keyword) {
      case 'state': {
        // vrrp_parser.c vrrp_state_handler: strcmp with "MASTER" and "BACKUP" (case matters); anything else is
        // "unknown state '…', defaulting to BACKUP"; BACKUP once MASTER was set is "ignoring BACKUP"
        const w = k.args[0] ?? '';
        if (w === 'BACKUP' && inst.state === 'MASTER') inst.badState = { ...loc(k), written: w, why: 'after-master' };
        else {
          inst.state = w === 'MASTER' ? 'MASTER' : 'BACKUP';
          inst.stateLoc = loc(k);
          if (w !== 'MASTER' && w !== 'BACKUP') inst.badState = { ...loc(k), written: w, why: 'unknown' };
        }
        break;
      }
      case 'priority': {
        // vrrp_parser.c vrrp_prio_handler: read_unsigned_strvec(1..255) without ignore_error: daemon and test reject alike
        const p = readUnsigned(k.args[0], 1, 255, false).daemon;
        inst.priorityLoc = loc(k);
        if (p !== undefined) inst.priority = p;
        // no value at all: keepalived exits there (missingValue), no "Priority not valid"
        else if (k.args[0] !== undefined) inst.badPriority = k.args[0];
        break;
      }
      case 'virtual_router_id':
        // vrrp_vrid_handler: read_unsigned_strvec(1..255) without ignore_error ("VRID '…' not valid")
        inst.vrid = readUnsigned(k.args[0], 1, 255, false).daemon;
        inst.vridLoc = loc(k);
        break;
      case 'advert_int': {
        // vrrp_adv_handler: read_decimal_unsigned_strvec (`5.` is 5 s, `.5` 0.5 s), 0.01..255 s, else "not
        // valid! ... ignoring" (the default stays)
        const a = readDecimal(k.args[0], 0.01, 255);
        inst.advertIntLoc = loc(k);
        if (a !== undefined) {
          inst.advertInt = a;
          inst.advertIntWritten = a;
        }
        break;
      }
      case 'version': {
        // vrrp_version_handler: read_int_strvec(2..3, ignore_error): the daemon reads `3.0` as 3
        const r = readInt(k.args[0], 2, 3);
        if (r.daemon !== undefined) inst.versionWritten = r.daemon as 2 | 3;
        noteSplit(m, k, owner, r, [r.daemon, undefined], `VRRPv${r.daemon}`, 'ignores it: the global vrrp_version');
        break;
      }
      case 'preempt_delay': {
        // vrrp_preempt_delay_handler: read_decimal_unsigned_strvec, 0..TIMER_MAX_SEC (1000 s: keepalived.conf(5)
        // "0 to 1000"), else 0 ("Preempt_delay not valid!")
        inst.preemptDelay = readDecimal(k.args[0], 0, 1000) ?? 0;
        inst.preemptDelayLoc = loc(k);
        // read_decimal_unsigned_long_func appends its 6 decimal places after the whole text: `5s` is 5 µs, not 5 s
        if (!/^(\d+\.?\d*|\.\d+)$/.test(k.args[0] ?? '')) inst.preemptDelayJunk = k.args[0] ?? '';
        break;
      }
      case 'interface':
        inst.interface = k.args[0];
        inst.interfaceLoc = loc(k);
        break;
      case 'virtual_ipaddress':
      case 'virtual_ipaddress_excluded':
        for (const c of k.children ?? []) inst.vips.push(address(c));
        break;
      case 'unicast_src_ip':
        if (k.args[0]) inst.unicastSrc = { addr: k.args[0].replace(/\/\d+$/, ''), ...loc(k) };
        break;
      case 'unicast_peer':
        for (const c of k.children ?? []) inst.unicastPeers.push(address(c));
        break;
      case 'down_timer_adverts': {
        // vrrp_down_timer_adverts_handler: read_unsigned_strvec(1..100, ignore_error): the daemon reads `1.5` as 1
        const r = readUnsigned(k.args[0], 1, 100);
        if (r.daemon !== undefined) inst.downTimerAdverts = r.daemon;
        noteSplit(m, k, owner, r, [r.daemon, undefined], `down_timer_adverts ${r.daemon}`, 'ignores it: 3, or the global vrrp_down_timer_adverts');
        break;
      }
      case 'nopreempt':
        inst.nopreemptLoc = loc(k);
        break;
      case 'preempt':
        inst.nopreemptLoc = undefined;
        break;
      case 'strict_mode':
        // vrrp_strict_mode_handler: check_true_false (exact words); anything else is "invalid strict_mode" and leaves it as it was
        if (k.args[0] === undefined || ['on', 'true', 'yes'].includes(k.args[0])) inst.strictMode = true;
        else if (['off', 'false', 'no'].includes(k.args[0])) inst.strictMode = false;
        break;
      case 'authentication':
        inst.authLoc = loc(k);
        break;
      default: {
        const kind = TRACK_BLOCKS[k.keyword];
        if (kind) inst.tracks.push(...trackRefs(k, kind, inst.name, m));
      }
    }
  }
  return inst;
}
