// Pure: the doctor's verdict on a keepalived.conf (and the peer's), from the
// parsed configs and the facts doctor.ts gathered once up front (script files,
// users, hacheck configs, keepalived's own config test). The steps:
// 1. what keepalived kept: its config test's messages (messages.ts) give the
//    load-time effects; where it did not run (or stopped early) the doctor
//    predicts them (load.ts); the model is rebuilt with them applied;
// 2. the priority arithmetic on that model (arithmetic.ts);
// 3. every finding family (findings/index.ts), then keepalived's lines merged
//    into the doctor's finding about the same subject.
import { arithmetic, hacheckRole, instanceReports, type InstanceReport, type Outcome } from './arithmetic.js';
import type { ConfigTest } from './config-test.js';
import { families, KEEPALIVED_DECIDES } from './findings/index.js';
import { scriptDeadline } from './findings/hacheck-scripts.js';
import type { DoctorContext, Finding, HostFacts, Side } from './findings/types.js';
import { applyEffects, dropLines, predictEffects, why, type Effect } from './load.js';
import { mapMessages } from './messages.js';
import { buildModel } from './model.js';
import type { Parsed } from './parse.js';
import { flagValue } from './arithmetic.js';

export type { Finding, Severity, ScriptFacts, HacheckFacts, HostFacts, ProbeTarget } from './findings/types.js';
export type { Outcome, Takeover, CheckReport, InstanceReport } from './arithmetic.js';
export { skewTime, masterDownInterval, hacheckRole } from './arithmetic.js';

export interface DoctorInput extends HostFacts {
  local: Parsed;
  peer?: Parsed;
  /** keepalived's own config test of each file; undefined: not run (the doctor's model alone) */
  configTest?: { local?: ConfigTest; peer?: ConfigTest };
}

/** The deadline a hacheck script runs with, for the report's header. */
export interface ScriptDeadline {
  script: string;
  ms?: number;
  from: string;
}

export interface DoctorReport {
  instances: InstanceReport[];
  findings: Finding[];
  /** per vrrp_script running `hacheck` (check): the deadline it actually runs with */
  deadlines: ScriptDeadline[];
  /** what keepalived's own config test said, in one line per file */
  keepalived: { local?: string; peer?: string };
}

function side(role: 'local' | 'peer', parsed: Parsed, input: DoctorInput): Side {
  const raw = buildModel(parsed.nodes);
  const test = input.configTest?.[role];
  const host = role === 'local' && input.users ? { users: input.users, scripts: input.scripts } : undefined;
  let effects: Effect[];
  let messages: { findings: Finding[]; aborted: boolean; effects: Effect[]; hostNotes: string[] } = { findings: [], aborted: false, effects: [], hostNotes: [] };
  let complete = false;
  if (test?.status === 'ran') {
    messages = mapMessages(test.lines, { parsed, model: raw, role });
    complete = !messages.aborted;
    // keepalived says "insecure" without why: this host's facts name the file or directory
    if (host) messages.effects = messages.effects.map((e) => (e.kind === 'script-off' && /insecure/.test(e.why) ? { ...e, why: unsafeWhy(raw, e.script, input) ?? e.why } : e));
    // keepalived's word where it spoke to the end; where it stopped early, the doctor's prediction fills in
    // its --config-test does not look at execute bits (it disables such a script when it first runs it): that prediction stays
    const noexec = predictEffects(raw, host).filter((e) => e.kind === 'script-off' && e.why === why.noexec(raw.scripts.get(e.script)?.argv[0] ?? ''));
    effects = complete ? [...messages.effects, ...noexec] : [...messages.effects, ...predictEffects(raw, host)];
  } else {
    // a crashed or hung keepalived still printed lines: they are shown (nothing is dropped)
    if (test && test.lines.length) messages = { ...mapMessages(test.lines, { parsed, model: raw, role }), aborted: true };
    effects = [...messages.effects, ...predictEffects(raw, host)];
  }
  const model = applyEffects(buildModel(parsed.nodes, dropLines(effects)), effects);
  return { role, parsed, model, test, complete, effects, messages: { findings: messages.findings, aborted: messages.aborted, hostNotes: messages.hostNotes } };
}

export function analyze(input: DoctorInput): DoctorReport {
  const local = side('local', input.local, input);
  const peer = input.peer ? side('peer', input.peer, input) : undefined;
  const arith = arithmetic(input.hacheck);
  const reports = instanceReports({ model: local.model, peerModel: peer?.model, arith });
  const ctx: DoctorContext = { local, peer, hacheck: input.hacheck, scripts: input.scripts, scriptConfigs: input.scriptConfigs, users: input.users, reports, arith };
  const all = Object.values(families).flatMap((family) => family(ctx));
  const peerFile = (f: Finding) => (peer?.parsed.files.includes(f.file) && !local.parsed.files.includes(f.file) ? 'peer' : 'local');
  const findings = groundTruth(merge(all, peerFile), ctx);
  findings.sort((a, b) => rank(a.severity) - rank(b.severity) || a.file.localeCompare(b.file) || a.line - b.line);
  const deadlines: ScriptDeadline[] = [];
  for (const s of local.model.scripts.values()) {
    if (hacheckRole(s.argv) === 'check') deadlines.push({ script: s.name, ...scriptDeadline(ctx, s) });
  }
  return { instances: reports, findings, deadlines, keepalived: { local: testLine(local), ...(peer && { peer: testLine(peer) }) } };
}

function unsafeWhy(m: ReturnType<typeof buildModel>, script: string, input: DoctorInput): string | undefined {
  const program = m.scripts.get(script)?.argv[0];
  const reason = program ? input.scripts.get(program)?.unsafe : undefined;
  return reason ? why.unsafe(reason) : undefined;
}

/** One line on what keepalived's own check said (or why it did not run). */
function testLine(s: Side): string | undefined {
  const t = s.test;
  if (!t) return undefined;
  if (t.status !== 'ran') return `${t.reason}: the doctor's own model only${t.lines.length ? ` (its ${t.lines.length} line${t.lines.length > 1 ? 's' : ''} before that are shown)` : ''}`;
  const n = t.lines.length;
  const host = s.messages.hostNotes;
  return `keepalived ${t.version} --config-test: ${n ? `${n} message${n > 1 ? 's' : ''}` : 'clean'} (exit ${t.exitCode}, ${t.ms} ms, deadline ${t.deadlineMs} ms)${s.messages.aborted ? ', stopped early: the rest is the doctor\'s model' : ''}${
    host.length ? `; about this host's interfaces, users or files, not the peer's: ${host.map((h) => `"${h}"`).join(', ')}` : ''}`;
}

const rank = (s: Finding['severity']) => (s === 'error' ? 0 : s === 'warning' ? 1 : 2);

/** Findings about one subject become one: the doctor's words first, keepalived's lines quoted under them. */
function merge(list: Finding[], sideOf: (f: Finding) => string): Finding[] {
  const out: Finding[] = [];
  const bySubject = new Map<string, Finding>();
  const key = (f: Finding) => `${sideOf(f)}\0${f.subject ?? `${f.code}\0${f.file}\0${f.line}`}`;
  // explanations (merge: true) go last so that the finding they explain is already there
  for (const f of [...list.filter((x) => !x.merge), ...list.filter((x) => x.merge)]) {
    const k = key(f);
    // an explanation without a subject (a generic "number outside range") joins whatever is said at its line
    const prev = bySubject.get(k) ?? (f.merge && !f.subject ? out.find((o) => o.file === f.file && o.line === f.line && sideOf(o) === sideOf(f)) : undefined);
    if (!prev) {
      const copy = { ...f, ...(f.keepalived && { keepalived: [...f.keepalived] }) };
      delete copy.merge;
      bySubject.set(k, copy);
      out.push(copy);
      continue;
    }
    if (f.keepalived) prev.keepalived = [...(prev.keepalived ?? []), ...f.keepalived.filter((l) => !prev.keepalived?.includes(l))];
  }
  return out;
}

/** Where keepalived's own check ran to the end, a load-time finding it did not confirm is the model's mistake. */
function groundTruth(list: Finding[], ctx: DoctorContext): Finding[] {
  const sideOf = (f: Finding) => (ctx.local.parsed.files.includes(f.file) ? ctx.local : ctx.peer?.parsed.files.includes(f.file) ? ctx.peer : undefined);
  return list.filter((f) => !(KEEPALIVED_DECIDES.has(f.code) && f.subject && !f.keepalived && sideOf(f)?.complete));
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

/** The users a config makes keepalived run scripts as (script_user, each script's `user`, the keepalived_script default), for doctor.ts to look up. */
export function scriptUsers(parsed: Parsed): string[] {
  const m = buildModel(parsed.nodes);
  return [...new Set(['keepalived_script', ...(m.scriptUser ? [m.scriptUser.user] : []), ...[...m.scripts.values()].flatMap((s) => (s.user ? [s.user.user] : []))])];
}

/**
 * The effective priority keepalived computes for instance `name` when the
 * scripts/processes/interfaces named in `failing` fail and the track_files in
 * `fileValues` hold those values (everything else healthy), with keepalived's
 * load-time effects predicted from the config alone. Used to check this model
 * against a live keepalived.
 */
export function effectivePriority(parsed: Parsed, name: string, failing: string[], fileValues: Record<string, number> = {}): Outcome {
  const raw = buildModel(parsed.nodes);
  const effects = predictEffects(raw);
  const model = applyEffects(buildModel(parsed.nodes, dropLines(effects)), effects);
  const inst = model.instances.find((i) => i.name === name);
  if (!inst) throw new Error(`no vrrp_instance ${name}`);
  const values = new Map(Object.entries(fileValues));
  const { priorityWith } = arithmetic({ stateFile: '', healthyValue: 0, unhealthyValue: 1 }, values);
  return priorityWith(model, inst, new Set(inst.tracks.filter((t) => (t.kind === 'file' ? values.has(t.name) : failing.includes(t.name)))));
}
