// `hacheck doctor`: reads keepalived.conf (+ includes), the hacheck config and
// optionally the peer's keepalived.conf, and explains what a failing check does
// to each vrrp_instance. This file gathers the facts from disk (script files,
// their owners and modes) and prints; src/keepalived/analyze.ts decides.
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ConfigError, loadFile, validate } from '../config/load.js';
import { fmtMs } from '../config/units.js';
import { KeepalivedParseError, parseKeepalivedConf, type Parsed } from '../keepalived/parse.js';
import { analyze, scriptConfigPaths, scriptPrograms, type DoctorReport, type HacheckFacts, type Outcome, type ScriptFacts } from '../keepalived/analyze.js';
import { VERSION } from '../version.js';

export const DEFAULT_KEEPALIVED_CONF = '/etc/keepalived/keepalived.conf';

export interface DoctorFlags {
  keepalivedConf?: string;
  config?: string;
  peerConf?: string;
  json?: boolean;
}

/** doctor's exit codes: 0 no findings (info lines do not count), 1 warnings, 2 errors; 78 unreadable/unparsable config. */
export const DOCTOR_EXIT = { CLEAN: 0, WARNINGS: 1, ERRORS: 2 } as const;

function parse(path: string, what: string): Parsed {
  try {
    const parsed = parseKeepalivedConf(path);
    // empty is never absent: an empty or comments-only file is a mistake (a wrong path, a template that rendered nothing), not "no findings"
    if (parsed.nodes.length === 0) throw new ConfigError(`${path}:1: empty keepalived config: no statements${what ? ` (${what})` : ''}`);
    return parsed;
  } catch (e) {
    if (e instanceof KeepalivedParseError) {
      throw new ConfigError(e.line ? e.message : `${e.file}: ${e.reason}${what ? ` (${what})` : ''}`);
    }
    throw e;
  }
}

function hacheckFacts(configPath: string | undefined): HacheckFacts {
  const loaded = loadFile(configPath);
  const cfg = validate(loaded, 'config');
  const a = cfg.agent;
  return {
    deadlineMs: cfg.timeout,
    deadlineFrom: loaded.path && loaded.raw.timeout !== undefined ? `timeout in ${loaded.path}` : "hacheck's default timeout",
    stateFile: a.state_file ?? join(cfg.state_dir, 'state'),
    healthyValue: a.values.healthy,
    unhealthyValue: a.values.unhealthy,
    agentIntervalMs: (loaded.raw.agent as { interval?: unknown } | undefined)?.interval !== undefined ? a.interval : undefined,
  };
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
  const path = locate(program);
  if (!path || !existsSync(path)) return { exists: false };
  const facts: ScriptFacts = { exists: true };
  try {
    facts.unsafe = unsafeReason(path);
    const st = statSync(path);
    if (st.isFile() && st.size < 256 * 1024) {
      const buf = readFileSync(path);
      if (!buf.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46])) && !buf.includes(0)) facts.text = buf.toString('utf8');
    }
  } catch {
    // unreadable: nothing more to say about it
  }
  return facts;
}

export function runDoctor(flags: DoctorFlags): { report: DoctorReport; local: Parsed; peer?: Parsed; hacheck: HacheckFacts; conf: string } {
  const conf = flags.keepalivedConf ?? DEFAULT_KEEPALIVED_CONF;
  const local = parse(conf, '--keepalived-conf');
  const peer = flags.peerConf ? parse(flags.peerConf, '--peer-conf') : undefined;
  const hacheck = hacheckFacts(flags.config);
  const scripts = new Map(scriptPrograms(local).map((p) => [p, scriptFacts(p)] as const));
  const scriptConfigs = new Map<string, Pick<HacheckFacts, 'deadlineMs' | 'agentIntervalMs'>>();
  for (const c of scriptConfigPaths(local)) {
    try {
      scriptConfigs.set(c, hacheckFacts(c));
    } catch {
      // a config the doctor cannot read: `hacheck validate -c` says why; nothing to compare with
    }
  }
  const report = analyze({ local, peer, hacheck, scripts, scriptConfigs });
  return { report, local, peer, hacheck, conf };
}

export function doctorExitCode(report: DoctorReport): number {
  if (report.findings.some((f) => f.severity === 'error')) return DOCTOR_EXIT.ERRORS;
  if (report.findings.some((f) => f.severity === 'warning')) return DOCTOR_EXIT.WARNINGS;
  return DOCTOR_EXIT.CLEAN;
}

const prio = (o: Outcome) => (o === 'FAULT' ? 'FAULT' : String(o));

export function renderDoctor(r: ReturnType<typeof runDoctor>): string {
  const out: string[] = [];
  const extra = r.local.files.length - 1;
  out.push(`keepalived config: ${r.conf}${extra ? ` (+${extra} included file${extra > 1 ? 's' : ''})` : ''}`);
  if (r.peer) out.push(`peer config: ${r.peer.files[0]}`);
  out.push(`hacheck deadline: ${fmtMs(r.hacheck.deadlineMs)} (${r.hacheck.deadlineFrom})`);
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
      out.push(`        fix: ${f.fix}`);
    }
  }
  return out.join('\n') + '\n';
}

export function doctorJson(r: ReturnType<typeof runDoctor>, code: number): string {
  const count = (s: string) => r.report.findings.filter((f) => f.severity === s).length;
  return JSON.stringify({
    version: VERSION,
    keepalived_conf: r.conf,
    files: r.local.files,
    peer_conf: r.peer?.files[0] ?? null,
    hacheck: { deadline_ms: r.hacheck.deadlineMs, deadline_from: r.hacheck.deadlineFrom, state_file: r.hacheck.stateFile },
    instances: r.report.instances,
    findings: r.report.findings,
    summary: { errors: count('error'), warnings: count('warning'), info: count('info') },
    exit_code: code,
  }) + '\n';
}

export async function doctorCommand(flags: DoctorFlags): Promise<number> {
  const r = runDoctor(flags);
  const code = doctorExitCode(r.report);
  process.stdout.write(flags.json ? doctorJson(r, code) : renderDoctor(r));
  return code;
}
