// `hacheck doctor`: reads keepalived.conf (+ includes), the hacheck config and
// optionally the peer's keepalived.conf, and explains what a failing check does
// to each vrrp_instance. This file gathers the facts once, up front (script
// files, their owners and modes, the users scripts run as, the hacheck configs,
// keepalived's own --config-test of each file) and prints;
// src/keepalived/analyze.ts and its finding families decide, with no I/O.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ConfigError, loadFile, validate } from '../config/load.js';
import { fmtMs } from '../config/units.js';
import { hostname } from 'node:os';
import { MIN_DEFAULT_CYCLE_TIMEOUT_MS } from '../config/defaults.js';
import { configIdOf, KeepalivedParseError, parseKeepalivedConf, type Parsed } from '../keepalived/parse.js';
import { analyze, scriptConfigPaths, scriptPrograms, scriptUsers, type DoctorReport, type HacheckFacts, type Outcome, type ProbeTarget, type ScriptFacts } from '../keepalived/analyze.js';
import { CONFIG_TEST_DEADLINE_MS, findKeepalived, keepalivedVersion, runConfigTest, type ConfigTest } from '../keepalived/config-test.js';
import { fmtHostPort, parseHostPort, type HostPort } from '../probes/port.js';
import { VERSION } from '../version.js';
import { readInputText } from '../sys/trusted-file.js';

export const DEFAULT_KEEPALIVED_CONF = '/etc/keepalived/keepalived.conf';

export interface DoctorFlags {
  keepalivedConf?: string;
  config?: string;
  peerConf?: string;
  json?: boolean;
  /** keepalived binary for its own config test; false: --no-keepalived (the doctor's model only) */
  keepalived?: string | false;
  /** keepalived's `-i` on this node (default: the node name up to its first dot, as keepalived's own) */
  configId?: string;
  /** keepalived's `-i` on the peer (its node name): which `@id` lines of --peer-conf it reads */
  peerConfigId?: string;
}

/** doctor's exit codes: 0 no findings (info lines do not count), 1 warnings, 2 errors; 78 unreadable/unparsable config. */
export const DOCTOR_EXIT = { CLEAN: 0, WARNINGS: 1, ERRORS: 2 } as const;

function parse(path: string, what: string, configId: string | undefined): Parsed {
  try {
    const parsed = parseKeepalivedConf(path, { configId, readFile: (p) => readInputText(p) });
    // empty is never absent: an empty or comments-only file is a mistake (a wrong path, a template that rendered nothing), not "no findings"
    if (parsed.nodes.length === 0) {
      // an include that read nothing is the likelier cause than an empty file: say which
      const inc = parsed.notes.find((n) => n.kind === 'include-empty' || n.kind === 'include-skipped');
      const why = !inc ? '' : inc.kind === 'include-empty'
        ? `: ${inc.file}:${inc.line}: ${inc.keyword} ${inc.text} matches no file${/^["']/.test(inc.text) ? ' (keepalived takes the quotes as part of the file name)' : ''}`
        : `: ${inc.file}:${inc.line}: ${inc.keyword} ${inc.text}: ${inc.skipped?.path} is ${inc.skipped?.what}, which keepalived does not read`;
      throw new ConfigError(`${path}:1: empty keepalived config: no statements${what ? ` (${what})` : ''}${why}`);
    }
    return parsed;
  } catch (e) {
    if (e instanceof KeepalivedParseError) {
      throw new ConfigError(e.line ? e.message : `${e.file}: ${e.reason}${what ? ` (${what})` : ''}`);
    }
    throw e;
  }
}

const hostOf = (url: string): string | undefined => {
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return undefined;
  }
};

/** The hosts a config's port/http/stub_status probes connect to. */
function probeTargets(probes: readonly Record<string, unknown>[]): ProbeTarget[] {
  const out: ProbeTarget[] = [];
  for (const p of probes) {
    if (p.type === 'port') {
      // validated targets are {host, port} already
      for (const t of (p.targets as (HostPort | string | number)[]) ?? []) {
        const hp = typeof t === 'object' ? t : parseHostPort(String(t));
        if (hp) out.push({ probe: 'port', host: hp.host, text: fmtHostPort(hp) });
      }
    } else if (p.type === 'http') {
      for (const u of (p.urls as { url: string }[]) ?? []) {
        const h = hostOf(u.url);
        if (h) out.push({ probe: 'http', host: h, text: u.url });
      }
    } else if (p.type === 'stub_status' && typeof p.url === 'string') {
      const h = hostOf(p.url);
      if (h) out.push({ probe: 'stub_status', host: h, text: p.url });
    }
  }
  return out;
}

function hacheckFacts(configPath: string | undefined): HacheckFacts {
  const loaded = loadFile(configPath);
  const cfg = validate(loaded, 'config');
  const a = cfg.agent;
  const rawAgent = (loaded.raw.agent ?? {}) as Record<string, unknown>;
  const agentSet = rawAgent.interval !== undefined;
  let writable: string | undefined;
  if (loaded.path) {
    try {
      writable = unsafeReason(resolve(loaded.path));
    } catch {
      // vanished since it was read: nothing to say
    }
  }
  return {
    deadlineMs: cfg.timeout,
    deadlineFrom: loaded.path && loaded.raw.timeout !== undefined ? `timeout in ${loaded.path}` : "hacheck's default timeout",
    stateFile: a.state_file ?? join(cfg.state_dir, 'state'),
    healthyValue: a.values.healthy,
    unhealthyValue: a.values.unhealthy,
    agentIntervalMs: agentSet ? a.interval : undefined,
    // the cycle deadline (agent.timeout, default the interval) and fall; a later graded-fall key is read when present
    ...(agentSet && { agentCycleMs: a.timeout ?? Math.max(a.interval, MIN_DEFAULT_CYCLE_TIMEOUT_MS), agentFall: a.fall }),
    ...(loaded.path && { path: loaded.path, absPath: resolve(loaded.path) }),
    restart: !!cfg.restart.enabled,
    ...(writable && { writable }),
    probes: probeTargets(cfg.probes as unknown as Record<string, unknown>[]),
  };
}

/** Which of `names` exist on this host (getent passwd: /etc/passwd, LDAP, sssd as NSS says); undefined when getent cannot run. */
function existingUsers(names: string[]): Set<string> | undefined {
  // root runs this: getent from the system's own directories, not from PATH
  const getent = ['/usr/bin/getent', '/bin/getent'].find((p) => existsSync(p));
  if (!getent) return undefined;
  const r = spawnSync(getent, ['passwd', ...names], { encoding: 'utf8', timeout: 2000, stdio: ['ignore', 'pipe', 'ignore'], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
  // exit 2: one or more names not found; anything else but 0 means getent itself failed
  if (r.error || (r.status !== 0 && r.status !== 2)) return undefined;
  return new Set(r.stdout.split('\n').map((l) => l.split(':')[0]).filter((n) => names.includes(n)));
}

/** keepalived runs scripts with cwd /, and looks a bare name up in PATH. */
function locate(program: string): string | undefined {
  if (program.includes('/')) return isAbsolute(program) ? program : resolve('/', program);
  const dirs = (process.env.PATH || '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':');
  for (const d of dirs) {
    const p = join(d, program);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** keepalived's script security: the file and every directory above it root-owned and not writable by group/other (sticky dirs are fine). */
function unsafeReason(path: string): string | undefined {
  const check = (p: string, isFile: boolean): string | undefined => {
    const st = statSync(p);
    const mode = st.mode & 0o7777;
    if (st.uid !== 0) return `${p} is owned by uid ${st.uid}, not root`;
    if (mode & 0o022 && (isFile || !(mode & 0o1000))) return `${p} is group/other-writable (mode ${mode.toString(8).padStart(4, '0')})`;
    return undefined;
  };
  const real = realpathSync(path);
  for (const p of real === path ? [real] : [path, real]) {
    const r = check(p, true);
    if (r) return r;
  }
  for (let d = dirname(real); ; d = dirname(d)) {
    const r = check(d, false);
    if (r) return r;
    if (d === '/') break;
  }
  return undefined;
}

function scriptFacts(program: string): ScriptFacts {
  // `</dev/tcp/…`, `</path`: keepalived opens no file itself, it hands the line to /bin/sh -c
  if (/^<\s*\//.test(program)) {
    let shell: string;
    try {
      shell = realpathSync('/bin/sh');
    } catch {
      shell = '/bin/sh';
    }
    return { exists: true, shell };
  }
  const path = locate(program);
  if (!path || !existsSync(path)) return { exists: false };
  const facts: ScriptFacts = { exists: true };
  try {
    facts.unsafe = unsafeReason(path);
    const st = statSync(path);
    if (st.isFile() && !(st.mode & 0o111)) facts.executable = false;
    if (st.isFile() && st.size < 256 * 1024) {
      const buf = readFileSync(path);
      if (!buf.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46])) && !buf.includes(0)) facts.text = buf.toString('utf8');
    }
  } catch {
    // unreadable: nothing more to say about it
  }
  return facts;
}

/** The config id keepalived on this node runs with: --config-id, else its default from the node name. */
const localConfigId = (flags: DoctorFlags) => flags.configId ?? configIdOf(hostname());

export type DoctorRun = { report: DoctorReport; local: Parsed; peer?: Parsed; hacheck: HacheckFacts; conf: string; /** --no-keepalived */ modelOnly?: boolean };

/** keepalived's own config test of the local file and the peer's, side by side, each bounded by CONFIG_TEST_DEADLINE_MS. */
async function configTests(flags: DoctorFlags, local: Parsed, peer?: Parsed): Promise<{ local?: ConfigTest; peer?: ConfigTest }> {
  if (flags.keepalived === false) return {};
  const bin = findKeepalived(typeof flags.keepalived === 'string' ? flags.keepalived : undefined);
  const version = bin && existsSync(bin) ? await keepalivedVersion(bin) : undefined;
  const [l, p] = await Promise.all([
    runConfigTest(bin, local.paths[0], CONFIG_TEST_DEADLINE_MS, version, localConfigId(flags)),
    peer ? runConfigTest(bin, peer.paths[0], CONFIG_TEST_DEADLINE_MS, version, flags.peerConfigId) : undefined,
  ]);
  return { local: l, ...(p && { peer: p }) };
}

export async function runDoctor(flags: DoctorFlags): Promise<DoctorRun> {
  const conf = flags.keepalivedConf ?? DEFAULT_KEEPALIVED_CONF;
  const local = parse(conf, '--keepalived-conf', localConfigId(flags));
  const peer = flags.peerConf ? parse(flags.peerConf, '--peer-conf', flags.peerConfigId) : undefined;
  const hacheck = hacheckFacts(flags.config);
  const scripts = new Map(scriptPrograms(local).map((p) => [p, scriptFacts(p)] as const));
  const scriptConfigs = new Map<string, HacheckFacts>();
  for (const c of scriptConfigPaths(local)) {
    try {
      scriptConfigs.set(c, hacheckFacts(c));
    } catch {
      // a config the doctor cannot read: `hacheck validate -c` says why; nothing to compare with
    }
  }
  const users = existingUsers(scriptUsers(local));
  const configTest = await configTests(flags, local, peer);
  const report = analyze({ local, peer, hacheck, scripts, scriptConfigs, users, configTest });
  return { report, local, peer, hacheck, conf, ...(flags.keepalived === false && { modelOnly: true }) };
}

export function doctorExitCode(report: DoctorReport): number {
  if (report.findings.some((f) => f.severity === 'error')) return DOCTOR_EXIT.ERRORS;
  if (report.findings.some((f) => f.severity === 'warning')) return DOCTOR_EXIT.WARNINGS;
  return DOCTOR_EXIT.CLEAN;
}

const prio = (o: Outcome) => (o === 'FAULT' ? 'FAULT' : String(o));

/** The header's deadline line(s): what each hacheck script actually runs with (its own --timeout, its -c config's, else the doctor's config's). */
function deadlineLines(r: DoctorRun): string[] {
  const ds = r.report.deadlines;
  if (!ds.length) return [`hacheck deadline: ${fmtMs(r.hacheck.deadlineMs)} (${r.hacheck.deadlineFrom})`];
  const texts = [...new Set(ds.map((d) => `${d.ms !== undefined ? fmtMs(d.ms) : 'unknown'} (${d.from})`))];
  return texts.length === 1 ? [`hacheck deadline: ${texts[0]}`] : ['hacheck deadlines:', ...texts.map((t) => `  ${t}`)];
}

export function renderDoctor(r: DoctorRun): string {
  const out: string[] = [];
  const extra = r.local.files.length - 1;
  out.push(`keepalived config: ${r.conf}${extra ? ` (+${extra} included file${extra > 1 ? 's' : ''})` : ''}`);
  if (r.report.keepalived.local) out.push(`  ${r.report.keepalived.local}`);
  else if (r.modelOnly) out.push("  keepalived's config test not run (--no-keepalived): the doctor's own model only");
  if (r.peer) out.push(`peer config: ${r.peer.files[0]}`);
  if (r.peer && r.report.keepalived.peer) out.push(`  ${r.report.keepalived.peer}`);
  out.push(...deadlineLines(r));
  if (!r.report.instances.length) out.push('', 'no vrrp_instance found');
  for (const i of r.report.instances) {
    out.push('');
    const healthy = i.healthy !== i.priority ? ` (${prio(i.healthy)} with every check healthy)` : '';
    out.push(`vrrp_instance ${i.name} (${i.file}:${i.line}): ${i.state}, priority ${i.priority}${healthy}${i.vrid !== undefined ? `, virtual_router_id ${i.vrid}` : ''}`);
    if (i.peer) out.push(`  peer: ${i.peer.name} (${i.peer.file}:${i.peer.line}): ${i.peer.state}, priority ${prio(i.peer.healthy)} when healthy${i.peer.nopreempt ? ', nopreempt' : ''}`);
    else if (i.assumption) out.push(`  peer: ${i.assumption}`);
    if (!i.checks.length) out.push('  tracks nothing');
    for (const c of i.checks) out.push(`  - ${c.text}`);
    if (i.allFail) out.push(`  - ${i.allFail.text}`);
  }
  const n = (s: string) => r.report.findings.filter((f) => f.severity === s).length;
  const [e, w, inf] = [n('error'), n('warning'), n('info')];
  out.push('');
  if (!r.report.findings.length) out.push('no findings');
  else {
    const parts = [e && `${e} error${e > 1 ? 's' : ''}`, w && `${w} warning${w > 1 ? 's' : ''}`, inf && `${inf} note${inf > 1 ? 's' : ''}`].filter(Boolean);
    out.push(`${parts.join(', ')}:`);
    for (const f of r.report.findings) {
      out.push(`${f.severity.padEnd(7)} ${f.file}:${f.line}: ${f.message}`);
      for (const k of f.keepalived ?? []) if (f.message !== `keepalived says: ${k}`) out.push(`        keepalived: ${k}`);
      out.push(`        fix: ${f.fix}`);
    }
  }
  return out.join('\n') + '\n';
}

export function doctorJson(r: DoctorRun, code: number): string {
  const count = (s: string) => r.report.findings.filter((f) => f.severity === s).length;
  return JSON.stringify({
    version: VERSION,
    keepalived_conf: r.conf,
    files: r.local.files,
    peer_conf: r.peer?.files[0] ?? null,
    hacheck: { deadline_ms: r.hacheck.deadlineMs, deadline_from: r.hacheck.deadlineFrom, state_file: r.hacheck.stateFile },
    deadlines: r.report.deadlines.map((d) => ({ script: d.script, deadline_ms: d.ms ?? null, from: d.from })),
    keepalived_config_test: r.report.keepalived,
    instances: r.report.instances,
    findings: r.report.findings,
    summary: { errors: count('error'), warnings: count('warning'), info: count('info') },
    exit_code: code,
  }) + '\n';
}

export async function doctorCommand(flags: DoctorFlags): Promise<number> {
  const r = await runDoctor(flags);
  const code = doctorExitCode(r.report);
  process.stdout.write(flags.json ? doctorJson(r, code) : renderDoctor(r));
  return code;
}
