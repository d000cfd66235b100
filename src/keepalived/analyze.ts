// Pure: what a failing check does to each vrrp_instance, and what is wrong.
// keepalived 2.x semantics (keepalived.conf(5), vrrp.c):
// - weight 0 on a failing script/process/interface → FAULT (advertises priority 0:
//   the peer takes over at once); otherwise priority = base + weights, clamped to
//   1..254. A positive weight is added while the check succeeds, a negative one is
//   subtracted while it fails; `reverse` flips the direction.
// - track_file: value × weight is added; with weight 0 a non-zero value is FAULT;
//   a result below -253 is FAULT.
// - priority 255 (address owner): weighted tracking is ignored altogether.
// - a BACKUP takes over only from a master with a lower priority (equal: no), and
//   never while it has `nopreempt`, unless the master goes to FAULT.
// - the script is killed after `timeout` seconds, or after `interval` without one.
// - takeover (RFC 3768/5798, vrrp.c vrrp_state_backup): a BACKUP that gets the
//   priority-0 advert of a FAULTed master takes over after its skew time,
//   (256 − its priority)/256 × advert_int; a lower-priority advert it discards
//   ("received lower priority (80) advert … - discarding") and takes over only
//   when its master down timer expires, down_timer_adverts (3) × advert_int +
//   skew after the last advert it accepted. Measured in the lab of test/e2e
//   (bench/failover.mjs, advert_int 1, 100/90): ~0.65 s vs ~3.5 s.
import { basename } from 'node:path';
import { buildModel, type Instance, type KeepalivedModel, type TrackKind, type TrackRef, type Weighted } from './model.js';
import type { Loc, Parsed } from './parse.js';
import { fmtMs, parseDuration } from '../config/units.js';

export type Severity = 'error' | 'warning' | 'info';

export interface Finding extends Loc {
  severity: Severity;
  code: string;
  message: string;
  fix: string;
}

/** What doctor.ts found on disk about a script's program (the pure part never touches the disk). */
export interface ScriptFacts {
  exists: boolean;
  /** why keepalived's script security would call it unsafe (not root-owned, group/other-writable, …) */
  unsafe?: string;
  /** text of a readable shell script */
  text?: string;
}

export interface HacheckFacts {
  /** the one-shot deadline (config `timeout`) in ms, and where it came from */
  deadlineMs: number;
  deadlineFrom: string;
  /** the agent's track_file and its values */
  stateFile: string;
  healthyValue: number;
  unhealthyValue: number;
  /** agent.interval when the hacheck config sets it (an agent started with --interval is invisible here) */
  agentIntervalMs?: number;
}

export interface DoctorInput {
  local: Parsed;
  peer?: Parsed;
  hacheck: HacheckFacts;
  /** keyed by the script's program path (argv[0]) */
  scripts: Map<string, ScriptFacts>;
  /** hacheck configs named with -c on script command lines, keyed by that path */
  scriptConfigs: Map<string, Pick<HacheckFacts, 'deadlineMs' | 'agentIntervalMs'>>;
}

export type Outcome = number | 'FAULT';

/** How long the peer takes to take the VIP over once keepalived here has seen the failure. */
export interface Takeover {
  /** skew: the peer got the priority-0 advert (FAULT); master-down: it discards the lower-priority adverts and waits for its master down timer */
  by: 'skew' | 'master-down';
  /** ms; master-down: counted from the last advert the peer accepted (0..advert_int before the failure), so at most this long */
  ms: number;
  /** false: the peer's priority is unknown (no --peer-conf): an upper bound */
  exact: boolean;
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
}

export interface InstanceReport extends Loc {
  name: string;
  state: string;
  priority: number;
  healthy: Outcome;
  vrid?: number;
  peer?: { name: string; file: string; line: number; state: string; healthy: Outcome; nopreempt: boolean };
  checks: CheckReport[];
  allFail?: { failed: Outcome; moves?: boolean; text: string };
  assumption?: string;
}

export interface DoctorReport {
  instances: InstanceReport[];
  findings: Finding[];
}

const MIN_PRIO = 1;
const MAX_PRIO = 254;
const OWNER = 255;
const clamp = (p: number) => Math.max(MIN_PRIO, Math.min(MAX_PRIO, p));

const where = (l: Loc) => `${l.file}:${l.line}`;
const sec = (s: number) => `${+s.toFixed(3)}s`;

/** The hacheck subcommand a vrrp_script runs, if it runs hacheck. */
export function hacheckRole(argv: string[]): 'check' | 'status' | 'agent' | undefined {
  if (!argv.length || !/^hacheck/.test(basename(argv[0]))) return undefined;
  const sub = argv.slice(1).find((a) => !a.startsWith('-'));
  if (sub === 'status') return 'status';
  if (sub === 'agent') return 'agent';
  return 'check';
}

function flagValue(argv: string[], names: string[]): string | undefined {
  for (let i = 1; i < argv.length; i++) {
    for (const n of names) {
      if (argv[i] === n) return argv[i + 1];
      if (argv[i].startsWith(`${n}=`)) return argv[i].slice(n.length + 1);
    }
  }
  return undefined;
}

/** Program paths of every vrrp_script, for doctor.ts to stat. */
export function scriptPrograms(parsed: Parsed): string[] {
  return [...new Set([...buildModel(parsed.nodes).scripts.values()].map((s) => s.argv[0]).filter((p): p is string => !!p))];
}

/** hacheck configs named with -c/--config on script command lines. */
export function scriptConfigPaths(parsed: Parsed): string[] {
  const out = new Set<string>();
  for (const s of buildModel(parsed.nodes).scripts.values()) {
    if (!hacheckRole(s.argv)) continue;
    const c = flagValue(s.argv, ['-c', '--config']);
    if (c) out.add(c);
  }
  return [...out];
}

interface Contribution {
  healthy: number;
  failed: Outcome;
  /** FAULT while healthy (weight 0 reverse) */
  healthyFault?: boolean;
}

export function analyze(input: DoctorInput): DoctorReport {
  const findings: Finding[] = [];
  const add = (severity: Severity, code: string, at: Loc, message: string, fix: string) =>
    findings.push({ severity, code, file: at.file, line: at.line, message, fix });
  const m = buildModel(input.local.nodes);
  const peerModel = input.peer ? buildModel(input.peer.nodes) : undefined;

  parseNotes(input.local, add);

  const { weightOf, fileValues, contribution, owner, weightsIgnored, priorityWith } = arithmetic(input.hacheck);

  const matchPeer = (inst: Instance): Instance | undefined => {
    if (!peerModel) return undefined;
    return (inst.vrid !== undefined && peerModel.instances.find((p) => p.vrid === inst.vrid)) || peerModel.instances.find((p) => p.name === inst.name);
  };

  // --- global script security
  const anyScripts = m.instances.some((i) => i.tracks.some((t) => t.kind === 'script' && m.scripts.has(t.name)));
  if (anyScripts && !m.scriptSecurity) {
    add('warning', 'no-script-security', m.global ?? m.top, 'enable_script_security is not set: keepalived runs the check scripts as root even if a non-root user can replace them',
      'add `enable_script_security` to global_defs (and keep the script and its directories root-owned, not group/other-writable)');
  }
  if (anyScripts && !m.scriptUser) {
    add('warning', 'no-script-user', m.global ?? m.top, "script_user is not set: keepalived looks for a 'keepalived_script' user and falls back to root with a warning (Debian creates no such user)",
      'add `script_user root` to global_defs (hacheck needs root to restart nginx and read its /proc entries)');
  }

  // --- scripts: definitions, timing, files on disk
  const tracked = new Set<string>([...m.groupTracked]);
  for (const inst of m.instances) for (const t of inst.tracks) if (t.kind === 'script') tracked.add(t.name);
  for (const s of m.scripts.values()) {
    if (!tracked.has(s.name)) {
      add('warning', 'unused-script', s, `vrrp_script ${s.name} is defined but no vrrp_instance tracks it: keepalived never runs it`,
        `add \`${s.name}\` to the track_script block of the vrrp_instance it should protect, or delete it`);
      continue;
    }
    const program = s.argv[0];
    if (!program) {
      add('error', 'script-missing', s, `vrrp_script ${s.name} has no script line: keepalived disables it`, 'add `script "/usr/bin/hacheck"`');
      continue;
    }
    const facts = input.scripts.get(program);
    const at = s.scriptLoc ?? s;
    if (facts && !facts.exists) {
      add('error', 'script-missing', at, `vrrp_script ${s.name}: ${program} does not exist: keepalived disables the script, so a failure never changes anything`,
        hacheckRole(s.argv) ? 'install hacheck (the deb/rpm put it in /usr/bin/hacheck) or fix the path' : `install it, or replace it with hacheck (\`script "/usr/bin/hacheck"\`)`);
    } else if (facts?.unsafe) {
      if (m.scriptSecurity) {
        add('error', 'script-unsafe', at, `vrrp_script ${s.name}: ${facts.unsafe}: with enable_script_security keepalived refuses to run it, so the check does nothing`,
          `chown root:root and chmod go-w ${program} and every directory above it`);
      } else {
        add('warning', 'script-unsafe', at, `vrrp_script ${s.name}: ${facts.unsafe}: keepalived runs it as root, so whoever can write it owns the node`,
          `chown root:root and chmod go-w ${program} and every directory above it`);
      }
    }
    const role = hacheckRole(s.argv);
    const killAfter = s.timeout || s.interval; // timeout 0 is no timeout, as in keepalived
    const killLoc = s.timeoutLoc ?? s.intervalLoc ?? s;
    if (facts?.text) {
      killsKeepalived(s.name, program, at, facts.text, add);
      const slept = sleeps(facts.text);
      if (slept >= killAfter) {
        add('warning', 'script-killed', killLoc, `vrrp_script ${s.name}: ${program} sleeps ${sec(slept)} but keepalived kills it after ${sec(killAfter)}${!s.timeout ? ' (no timeout: the interval)' : ''}: its restart-and-recheck branch never finishes and counts as a failure`,
          'replace the script with `/usr/bin/hacheck --restart` (bounded by its --timeout), with keepalived `timeout` above that deadline');
      }
    }

    if (role === 'agent') {
      add('error', 'agent-in-script', at, `vrrp_script ${s.name} runs \`hacheck agent\`, which never exits: keepalived kills it every ${sec(killAfter)} and counts a failure`,
        'run the agent as a service (hacheck-agent.service) and track its file with track_file plus a `hacheck status --max-age 3s` script');
    } else if (role === 'check') {
      const flag = flagValue(s.argv, ['--timeout']);
      const cfg = flagValue(s.argv, ['-c', '--config']);
      const deadline = flag !== undefined ? parseDuration(flag) : cfg !== undefined ? input.scriptConfigs.get(cfg)?.deadlineMs : input.hacheck.deadlineMs;
      const from = flag !== undefined ? `--timeout ${flag} on its command line` : cfg !== undefined ? `timeout of ${cfg}` : input.hacheck.deadlineFrom;
      if (deadline !== undefined) {
        const need = Math.ceil(deadline / 1000 + 0.25);
        if (killAfter * 1000 <= deadline) {
          add('error', 'script-timeout', killLoc,
            `vrrp_script ${s.name}: keepalived kills the script after ${sec(killAfter)}${!s.timeout ? ' (no timeout: the interval)' : ''}, but hacheck may run for up to ${fmtMs(deadline)} (${from}): a restart in progress is cut off and counted as a failure`,
            `timeout ${need} (longer than hacheck's deadline), or a shorter hacheck --timeout`);
        }
        if (s.interval * 1000 < deadline) {
          add('warning', 'script-interval', s.intervalLoc ?? s,
            `vrrp_script ${s.name}: interval ${sec(s.interval)} is shorter than hacheck's deadline ${fmtMs(deadline)} (${from}): keepalived skips runs while the previous one is still going`,
            `interval ${need} or more`);
        }
      }
    } else if (role === 'status') {
      const maxAge = parseDuration(flagValue(s.argv, ['--max-age']) ?? '3s');
      const cfg = flagValue(s.argv, ['-c', '--config']);
      const every = cfg !== undefined ? input.scriptConfigs.get(cfg)?.agentIntervalMs : input.hacheck.agentIntervalMs;
      if (maxAge !== undefined && every !== undefined && maxAge < 2 * every) {
        add('warning', 'status-max-age', at, `vrrp_script ${s.name}: --max-age ${fmtMs(maxAge)} is less than two agent intervals (${fmtMs(every)}): one slow cycle reads as a dead agent`,
          `--max-age ${fmtMs(Math.max(3000, 3 * every))}`);
      }
    }
  }

  // --- instances
  const instances: InstanceReport[] = [];
  for (const inst of m.instances) {
    if (inst.badPriority !== undefined) {
      add('error', 'priority-range', inst.priorityLoc ?? inst, `vrrp_instance ${inst.name}: priority ${inst.badPriority} is outside 1..255: keepalived ignores it and uses 100`, 'priority 1..254 (255 only for the address owner)');
    }
    if (inst.authLoc && (inst.strictMode ?? !!m.strict)) {
      add('warning', 'strict-auth', inst.authLoc, `vrrp_instance ${inst.name}: vrrp_strict${m.strict && inst.strictMode === undefined ? ` (${where(m.strict)})` : ''} drops authentication ("Strict mode does not support authentication"): a peer that keeps auth_type rejects this node's adverts and both become MASTER`,
        'remove the authentication block on both nodes, or drop vrrp_strict');
    }
    if (inst.nopreemptLoc && inst.state === 'MASTER') {
      add('warning', 'nopreempt-master', inst.nopreemptLoc, `vrrp_instance ${inst.name}: nopreempt with state MASTER: keepalived clears nopreempt ("will not work with initial state MASTER")`,
        'state BACKUP on both nodes (priority still decides who starts as master)');
    }
    const peerInst = matchPeer(inst);
    if (peerInst && inst.vrid !== undefined && peerInst.vrid !== undefined && peerInst.vrid !== inst.vrid) {
      add('error', 'vrid-mismatch', inst.vridLoc ?? inst, `vrrp_instance ${inst.name}: virtual_router_id ${inst.vrid} here but ${peerInst.vrid} on the peer (${where(peerInst)}): they are two separate VRRP routers, both become MASTER and both hold the VIP`,
        `the same virtual_router_id on both nodes (e.g. ${peerInst.vrid})`);
    }
    for (const t of inst.tracks) {
      if (t.kind === 'interface') continue;
      const defined = t.kind === 'script' ? m.scripts.has(t.name) : t.kind === 'file' ? m.files.has(t.name) : m.processes.has(t.name);
      if (!defined) {
        const kw = t.kind === 'script' ? 'vrrp_script' : t.kind === 'file' ? 'track_file' : 'vrrp_track_process';
        add('error', 'unknown-track', t, `vrrp_instance ${inst.name} tracks ${kw} ${t.name}, which is not defined: keepalived ignores the line, so this check does nothing`,
          `define \`${kw} ${t.name} { … }\` or fix the name`);
      }
    }
    const live = inst.tracks.filter((t) => contribution(m, inst, t));
    if (!live.some((t) => t.kind !== 'interface')) {
      add('warning', 'no-tracking', inst, `vrrp_instance ${inst.name} tracks no script, file or process: a dead nginx never moves the VIP (only a dead keepalived or host does)`,
        'track hacheck: a vrrp_script running `/usr/bin/hacheck` with weight 0 (FAULT) or a negative weight (see `hacheck init`)');
    }
    instances.push(instanceReport(inst));
  }

  function instanceReport(inst: Instance): InstanceReport {
    const healthy = priorityWith(m, inst, new Set());
    const peer = matchPeer(inst);
    const peerHealthy = peer && peerModel ? priorityWith(peerModel, peer, new Set()) : undefined;
    const rep: InstanceReport = {
      name: inst.name, file: inst.file, line: inst.line, state: inst.state ?? 'BACKUP', priority: inst.priority, healthy, vrid: inst.vrid, checks: [],
      ...(peer && peerHealthy !== undefined && { peer: { name: peer.name, file: peer.file, line: peer.line, state: peer.state ?? 'BACKUP', healthy: peerHealthy, nopreempt: !!peer.nopreemptLoc } }),
    };
    if (!peer) {
      rep.assumption = peerModel
        ? `no vrrp_instance with virtual_router_id ${inst.vrid ?? '?'} or name ${inst.name} in the peer config: the peer's priority is unknown`
        : 'no --peer-conf: the peer is assumed healthy with an unknown priority';
    }
    for (const t of inst.tracks) {
      const c = contribution(m, inst, t);
      if (!c) continue;
      const w = weightOf(m, inst, t)!;
      const role = t.kind === 'script' ? hacheckRole(m.scripts.get(t.name)!.argv) : t.kind === 'file' && fileValues(m, t.name).ours ? 'agent-file' : undefined;
      const ignored = w.weight !== 0 ? weightsIgnored(inst) : undefined;
      const failed = ignored ? healthy : priorityWith(m, inst, new Set([t]));
      const verdict = ignored ? ignoredVerdict(inst, healthy, ignored) : judge(inst, rep, healthy, failed);
      const label = `${t.kind === 'script' ? 'track_script' : t.kind === 'file' ? 'track_file' : t.kind === 'process' ? 'track_process' : 'track_interface'} ${t.name}`;
      const who = role === 'check' || role === 'agent-file' ? 'hacheck' : role === 'status' ? 'the agent (hacheck status)' : t.name;
      const tk = verdict.moves === false ? undefined : takeover(inst, rep, failed);
      const check: CheckReport = {
        kind: t.kind, name: t.name, file: t.file, line: t.line, weight: w.weight, reverse: w.reverse,
        ...(role && role !== 'agent' && { hacheck: role }), failed, moves: verdict.moves,
        text: `${label}: if ${who} fails on this node, ${verdict.text}${verdict.moves === false ? '' : detection(t)}${tk ? `; ${takeoverText(tk, verdict.moves)}` : ''}`,
        ...(tk && { takeover: tk }),
      };
      rep.checks.push(check);
      if (tk?.by === 'master-down' && tk.ms >= 1000 && t.kind !== 'interface') {
        const fault = takeover(inst, rep, 'FAULT');
        add('info', 'slow-takeover', w.at,
          `vrrp_instance ${inst.name}: ${label}: weight ${w.weight}${w.reverse ? ' reverse' : ''}${w.weight > 0 && !w.reverse ? ' (a bonus lost on failure)' : ''} lowers the priority (${typeof healthy === 'number' ? healthy : '?'} → ${failed}) instead of FAULT: the peer discards the lower-priority adverts and takes over only when its master down timer expires, ${tk.exact ? '' : 'up to '}${sec(tk.ms / 1000)} after the last advert it accepted (${tk.formula}), on top of the detection; with weight 0 (FAULT) it takes over ${fault.exact ? '' : 'within '}${sec(fault.ms / 1000)} after the priority-0 advert`,
          'weight 0 (FAULT) for the fast takeover, if a failure on both nodes may leave the VIP on neither (with a weight it stays on the higher node: keep the weight for a check of something both nodes share, such as an upstream); or keep the weight and shorten the master down interval: a smaller advert_int (fractions need vrrp_version 3), or down_timer_adverts (fewer lost adverts then make both nodes MASTER)');
      }
      if (c.healthyFault && !ignored) {
        add('error', 'reverse-fault', w.at, `vrrp_instance ${inst.name}: ${label} has weight 0 reverse: the instance is in FAULT while the check succeeds`, 'drop `reverse`');
      } else if (typeof c.failed === 'number' && c.failed > 0 && !ignored) {
        const why = t.kind === 'file'
          ? `the file holds ${fileValues(m, t.name).unhealthy} when unhealthy, × weight ${w.reverse ? '-' : ''}${w.weight}${w.weightLoc ? '' : ' (the default)'} = +${c.failed}`
          : 'negative weight with reverse';
        add('error', 'failure-raises', w.at, `vrrp_instance ${inst.name}: ${label}: a failure raises the priority by ${c.failed} (${why})`,
          t.kind === 'file' ? 'a negative weight (value × weight is added), e.g. weight -50, or weight 0 to go to FAULT' : 'drop `reverse`');
      } else if (t.kind !== 'interface' && verdict.moves === false) {
        add('error', verdict.code, verdict.at ?? w.at, `vrrp_instance ${inst.name}: ${check.text}`, verdict.fix);
      }
    }
    const counted = inst.tracks.filter((t) => t.kind !== 'interface' && contribution(m, inst, t));
    if (counted.length > 1) {
      const failed = priorityWith(m, inst, new Set(counted));
      const v = judge(inst, rep, healthy, failed);
      rep.allFail = { failed, moves: v.moves, text: `if all ${counted.length} checks fail: ${v.text}` };
    }
    // agent mode: a track_file without a guard fails open when the agent dies
    const files = inst.tracks.filter((t) => t.kind === 'file' && fileValues(m, t.name).ours);
    const guarded = inst.tracks.some((t) => t.kind === 'script' && hacheckRole(m.scripts.get(t.name)?.argv ?? []) === 'status');
    for (const t of files) {
      if (!guarded) {
        add('warning', 'track-file-unguarded', t, `vrrp_instance ${inst.name} tracks hacheck's file ${m.files.get(t.name)?.path} without a \`hacheck status\` script: if the agent dies or hangs the file keeps its last value (fails open)`,
          'add a vrrp_script running `/usr/bin/hacheck status --max-age 3s` to this track_script block, weighted like the file');
      }
    }
    return rep;
  }

  /** the peer's takeover once keepalived here has seen the failure (FAULT: skew time; a priority drop: master down timer) */
  function takeover(inst: Instance, rep: InstanceReport, failed: Outcome): Takeover {
    const adv = inst.advertInt;
    // keepalived resets down_timer_adverts to 3 in strict mode ("incompatible with strict mode")
    const strict = inst.strictMode ?? !!m.strict;
    const dta = strict ? undefined : inst.downTimerAdverts ?? m.downTimerAdverts;
    const n = dta ?? 3;
    const peer = rep.peer && typeof rep.peer.healthy === 'number' ? rep.peer.healthy : undefined;
    // unknown peer: the highest skew it can have (FAULT: priority 1; a drop to P: priority P + 1)
    const prio = peer ?? (failed === 'FAULT' ? 1 : Math.min(MAX_PRIO, failed + 1));
    const skew = skewTime(prio, adv);
    const skewF = `(256 − ${peer ?? 'its priority'})/256 × advert_int ${sec(adv)}`;
    if (failed === 'FAULT') return { by: 'skew', ms: Math.round(skew * 1000), exact: peer !== undefined, formula: `skew time ${skewF}` };
    return {
      by: 'master-down', ms: Math.round(masterDownInterval(prio, adv, n) * 1000), exact: peer !== undefined,
      formula: `${n}${dta ? ' (down_timer_adverts)' : ''} × advert_int ${sec(adv)} + skew ${peer !== undefined ? sec(skew) : `${skewF} < ${sec(adv)}`}`,
    };
  }

  function takeoverText(tk: Takeover, moves: boolean | undefined): string {
    const lead = moves === undefined ? 'if it does, the peer' : 'the peer';
    return tk.by === 'skew'
      ? `${lead} takes over ${tk.exact ? '' : 'within '}${sec(tk.ms / 1000)} after the priority-0 advert (${tk.formula})`
      : `${lead} discards the lower-priority adverts and takes over when its master down timer expires, ${tk.exact ? '' : 'up to '}${sec(tk.ms / 1000)} after the last advert it accepted (${tk.formula})`;
  }

  /** how long keepalived takes to see the failure */
  function detection(t: TrackRef): string {
    if (t.kind === 'script') {
      const s = m.scripts.get(t.name)!;
      return ` (after fall ${s.fall} × interval ${sec(s.interval)} ≈ ${sec(s.fall * s.interval)})`;
    }
    if (t.kind === 'file') return ' (as soon as the file changes)';
    return '';
  }

  function ignoredVerdict(inst: Instance, healthy: Outcome, why: string) {
    const from = healthy === 'FAULT' ? 'FAULT' : `priority ${healthy}`;
    return owner(inst)
      ? { moves: false, code: 'address-owner', at: inst.priorityLoc, text: `${from} stays: keepalived ignores weighted tracking on ${why} and does not even run the check → the VIP STAYS`, fix: 'priority 254 or lower (or weight 0 to go to FAULT)' }
      : { moves: false, code: 'sync-group-weights', at: undefined, text: `${from} stays: keepalived ignores weighted tracking on ${why} and does not even run the check → the VIP STAYS`, fix: 'weight 0 (FAULT; the whole group fails over), or add sync_group_tracking_weight to the group' };
  }

  function judge(inst: Instance, rep: InstanceReport, healthy: Outcome, failed: Outcome): { moves?: boolean; text: string; code: string; fix: string; at?: Loc } {
    const from = healthy === 'FAULT' ? 'FAULT' : `priority ${healthy}`;
    if (failed === 'FAULT') {
      const peer = rep.peer ? `; peer ${rep.peer.state} ${rep.peer.name} (priority ${rep.peer.healthy}) takes over` : '';
      return { moves: rep.peer ? rep.peer.healthy !== 'FAULT' : true, text: `${from} → FAULT (advertises priority 0)${peer} → the VIP MOVES`, code: '', fix: '' };
    }
    const arrow = `${from} → ${failed}`;
    if (typeof healthy === 'number' && failed >= healthy) {
      return { moves: false, code: 'weight-cannot-move', text: `${arrow} → the VIP STAYS: the failure does not lower the priority`, fix: 'a negative weight (e.g. weight -50), or weight 0 to go to FAULT' };
    }
    if (!rep.peer) {
      return { text: `${arrow}: the VIP moves only if the peer's priority is above ${failed} (pass --peer-conf to check)`, code: '', fix: '' };
    }
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

  findings.sort((a, b) => rank(a.severity) - rank(b.severity) || a.file.localeCompare(b.file) || a.line - b.line);
  return { instances, findings };
}

/** keepalived's priority arithmetic over a model. `values`: what a failing track_file holds (default: hacheck's unhealthy value, or 1). */
function arithmetic(facts: Pick<HacheckFacts, 'stateFile' | 'healthyValue' | 'unhealthyValue'>, values?: Map<string, number>) {
  // --- weights: the effective weight of one track line
  const weightOf = (model: KeepalivedModel, inst: Instance, t: TrackRef): (Weighted & { at: Loc }) | undefined => {
    const def = t.kind === 'script' ? model.scripts.get(t.name) : t.kind === 'file' ? model.files.get(t.name) : t.kind === 'process' ? model.processes.get(t.name) : undefined;
    if (t.kind !== 'interface' && !def) return undefined;
    const w: Weighted = t.override ?? (def ? { weight: def.weight, reverse: def.reverse, weightLoc: def.weightLoc } : { weight: 0, reverse: false });
    const at = t.override?.weightLoc ?? w.weightLoc ?? (def ? { file: def.file, line: def.line } : t);
    return { ...w, at };
  };

  const fileValues = (model: KeepalivedModel, name: string) => {
    const f = model.files.get(name);
    const ours = !!f?.path && (f.path === facts.stateFile || /hacheck/.test(f.path));
    return { ours, healthy: ours ? facts.healthyValue : 0, unhealthy: values?.get(name) ?? (ours ? facts.unhealthyValue : 1) };
  };

  const contribution = (model: KeepalivedModel, inst: Instance, t: TrackRef): Contribution | undefined => {
    const w = weightOf(model, inst, t);
    if (!w) return undefined;
    const sign = w.reverse ? -1 : 1;
    if (t.kind === 'file') {
      const v = fileValues(model, t.name);
      const value = (x: number): Outcome => {
        if (w.weight === 0) return x !== 0 ? 'FAULT' : 0;
        const r = x * w.weight * sign;
        return r < -253 ? 'FAULT' : r;
      };
      const h = value(v.healthy);
      return { healthy: h === 'FAULT' ? 0 : h, healthyFault: h === 'FAULT', failed: value(v.unhealthy) };
    }
    if (w.weight === 0) return w.reverse ? { healthy: 0, healthyFault: true, failed: 0 } : { healthy: 0, failed: 'FAULT' };
    if (w.weight > 0) return { healthy: w.weight * sign, failed: 0 };
    return { healthy: 0, failed: w.weight * sign };
  };

  const owner = (inst: Instance) => inst.priority === OWNER;
  /** why keepalived ignores weighted tracking on this instance (keepalived 2.2.7 logs "ignoring tracked script … with weights due to …") */
  const weightsIgnored = (inst: Instance): string | undefined =>
    owner(inst) ? 'the address owner (priority 255)' : inst.syncGroup && !inst.syncGroup.trackingWeight ? `a member of vrrp_sync_group ${inst.syncGroup.name} without sync_group_tracking_weight` : undefined;

  /** priority with the tracks in `failing` failed and the rest healthy */
  const priorityWith = (model: KeepalivedModel, inst: Instance, failing: Set<TrackRef>): Outcome => {
    let p = inst.priority;
    for (const t of inst.tracks) {
      const c = contribution(model, inst, t);
      if (!c) continue; // unknown name: keepalived ignores the line
      const w = weightOf(model, inst, t)!;
      if (weightsIgnored(inst) && w.weight !== 0) continue; // keepalived drops weighted tracking there
      const v = failing.has(t) ? c.failed : c.healthyFault ? 'FAULT' : c.healthy;
      if (v === 'FAULT') return 'FAULT';
      p += v;
    }
    return owner(inst) ? OWNER : clamp(p);
  };
  return { weightOf, fileValues, contribution, owner, weightsIgnored, priorityWith };
}

/**
 * The effective priority keepalived computes for instance `name` when the
 * scripts/processes/interfaces named in `failing` fail and the track_files in
 * `fileValues` hold those values (everything else healthy). Used to check this
 * model against a live keepalived.
 */
export function effectivePriority(parsed: Parsed, name: string, failing: string[], fileValues: Record<string, number> = {}): Outcome {
  const model = buildModel(parsed.nodes);
  const inst = model.instances.find((i) => i.name === name);
  if (!inst) throw new Error(`no vrrp_instance ${name}`);
  const values = new Map(Object.entries(fileValues));
  const { priorityWith } = arithmetic({ stateFile: '', healthyValue: 0, unhealthyValue: 1 }, values);
  return priorityWith(model, inst, new Set(inst.tracks.filter((t) => (t.kind === 'file' ? values.has(t.name) : failing.includes(t.name)))));
}

/** keepalived's skew time (s) of a BACKUP at `prio`: how long it waits after a priority-0 advert */
export const skewTime = (prio: number, advertInt = 1) => ((256 - prio) / 256) * advertInt;
/** the master down interval (s) of a BACKUP at `prio`: how long it waits after the last advert it accepted */
export const masterDownInterval = (prio: number, advertInt = 1, adverts = 3) => adverts * advertInt + skewTime(prio, advertInt);

const rank = (s: Severity) => (s === 'error' ? 0 : s === 'warning' ? 1 : 2);

type Add = (severity: Severity, code: string, at: Loc, message: string, fix: string) => void;

function parseNotes(parsed: Parsed, add: Add) {
  const oneLine = new Set(parsed.notes.filter((n) => n.kind === 'one-line-block').map((n) => where(n)));
  for (const n of parsed.notes) {
    if (n.kind === 'one-line-block') {
      add('error', 'one-line-block', n, `one-line block \`${n.text}\`: keepalived reads only the first keyword inside { }; ${n.lost?.map((l) => `\`${l}\``).join(', ')} ${n.lost && n.lost.length > 1 ? 'are' : 'is'} silently dropped`,
        `write the block over several lines, one keyword per line`);
    } else if (n.kind === 'semicolon' && !oneLine.has(where(n))) {
      add('warning', 'semicolon', n, `\`${n.text}\`: keepalived has no ';' separator: the ';' becomes part of the value`, "remove the ';' and put one keyword per line");
    } else if (n.kind === 'slash-comment') {
      add('warning', 'slash-comment', n, `\`${n.text}\`: '//' is not a comment in keepalived.conf: the words after it are read as values`, "use '#' or '!' for comments");
    } else if (n.kind === 'include-empty') {
      add('warning', 'include-empty', n, `${n.keyword} ${n.text} matches no file: nothing is included`, 'fix the path (relative paths are relative to the including file)');
    }
  }
}

const KILLS_KEEPALIVED = /\b(?:killall|pkill)(?:\s+-\S+)*\s+keepalived\b|\bsystemctl\s+stop\s+keepalived\b|\bservice\s+keepalived\s+stop\b|\/init\.d\/keepalived\s+stop\b/;

function killsKeepalived(name: string, program: string, at: Loc, text: string, add: Add) {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => !/^\s*#/.test(l) && KILLS_KEEPALIVED.test(l));
  if (i < 0) return;
  add('warning', 'kills-keepalived', at, `vrrp_script ${name}: ${program}:${i + 1} stops keepalived (\`${lines[i].trim()}\`): that drops VRRP for every instance on this node and nothing restarts it when nginx recovers`,
    'let the exit code do it: replace the script with `/usr/bin/hacheck --restart` and a negative weight (or weight 0 for FAULT)');
}

/** Seconds a shell script sleeps in total (`sleep 5`), comments aside. */
function sleeps(text: string): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const code = line.replace(/(^|\s)#.*$/, '');
    for (const m of code.matchAll(/\bsleep\s+(\d+(?:\.\d+)?)\b/g)) total += Number(m[1]);
  }
  return total;
}
