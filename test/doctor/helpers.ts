// Runs the pure analysis on fixture files: every script program is taken to
// exist and be safe (the CLI tests cover real files on disk), hacheck's facts
// come from `# deadline:` / `# agent-interval:` / `# config-timeout:` headers.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dirname, resolve } from 'node:path';
import { parseKeepalivedConf, type Parsed } from '../../src/keepalived/parse.ts';
import { analyze, scriptPrograms, type DoctorReport, type Finding, type HacheckFacts, type ScriptFacts } from '../../src/keepalived/analyze.ts';
import { parseDuration } from '../../src/config/units.ts';

export const FIXTURES = new URL('../fixtures/keepalived/', import.meta.url).pathname;
export const fixture = (rel: string) => resolve(FIXTURES, rel);

export const parse = (path: string): Parsed => parseKeepalivedConf(path, { display: (p) => p });

export function header(path: string, key: string): string | undefined {
  const m = new RegExp(`^# ${key}: (.*)$`, 'm').exec(readFileSync(path, 'utf8'));
  return m?.[1].trim();
}

export function defaultFacts(over: Partial<HacheckFacts> = {}): HacheckFacts {
  return { deadlineMs: 1500, deadlineFrom: "hacheck's default timeout", stateFile: '/run/hacheck/state', healthyValue: 0, unhealthyValue: 1, ...over };
}

export function runFixture(path: string, opts: { scripts?: Map<string, ScriptFacts>; peer?: string } = {}): { report: DoctorReport; local: Parsed; peer?: Parsed } {
  const local = parse(path);
  const peerName = opts.peer ?? header(path, 'peer');
  const peer = peerName ? parse(resolve(dirname(path), peerName)) : undefined;
  const deadline = header(path, 'deadline');
  const agentInterval = header(path, 'agent-interval');
  const scriptConfigs = new Map<string, { deadlineMs: number }>();
  const ct = header(path, 'config-timeout');
  if (ct) scriptConfigs.set(ct.split(' ')[0], { deadlineMs: parseDuration(ct.split(' ')[1])! });
  const scripts = opts.scripts ?? new Map(scriptPrograms(local).map((p) => [p, { exists: true }] as const));
  const users = header(path, 'users');
  // `# probes: port 192.0.2.10:80; http http://…` (the hacheck config's probe targets, config /etc/hacheck/hacheck.yaml)
  const probes = header(path, 'probes')?.split(';').map((p) => {
    const [probe, text] = p.trim().split(/\s+/);
    const host = probe === 'port' ? text.replace(/:\d+$/, '') : new URL(text).hostname;
    return { probe: probe as 'port' | 'http' | 'stub_status', host, text };
  });
  // `# agent: INTERVAL CYCLE FALL` (agent.interval, agent.timeout, agent.fall of the hacheck config)
  const agent = header(path, 'agent')?.split(/\s+/);
  const hacheck = defaultFacts({
    ...(deadline && { deadlineMs: parseDuration(deadline)! }),
    ...(agentInterval && { agentIntervalMs: parseDuration(agentInterval)! }),
    ...(probes && { probes, path: '/etc/hacheck/hacheck.yaml' }),
    ...(agent && { agentIntervalMs: parseDuration(agent[0])!, agentCycleMs: parseDuration(agent[1])!, agentFall: Number(agent[2]) }),
  });
  return { report: analyze({ local, peer, hacheck, scripts, scriptConfigs, ...(users && { users: new Set(users.split(/\s+/)) }) }), local, peer };
}

/** `# expect: error weight-cannot-move; warning x` markers of every file read → "file:line severity code". */
export function expectations(parsed: Parsed): string[] {
  const out: string[] = [];
  for (const file of parsed.files) {
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      const m = /# expect: (.*)$/.exec(line);
      if (m) for (const e of m[1].split(';')) out.push(`${file}:${i + 1} ${e.trim()}`);
    });
  }
  return out.sort();
}

export const reported = (findings: Finding[]) => findings.map((f) => `${f.file}:${f.line} ${f.severity} ${f.code}`).sort();

/** A temp dir keepalived's script security accepts (root-owned parents without group/other write:
 *  /run), holding a stand-in `hacheck` (0755) for vrrp_script lines. Falls back to the temp dir. */
export function scriptDir(prefix: string): string {
  let dir: string;
  try {
    dir = mkdtempSync(`/run/${prefix}`);
  } catch {
    dir = mkdtempSync(join(tmpdir(), prefix));
  }
  writeFileSync(join(dir, 'hacheck'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  return dir;
}

export const KEEPALIVED = ['/usr/sbin/keepalived', '/sbin/keepalived'].find((p) => existsSync(p));

/** This host's first non-loopback ethernet interface (what `hacheck init --interface` needs for keepalived -t), if any. */
export const IFACE = (() => {
  try {
    return readdirSync('/sys/class/net').filter((n) => n !== 'lo').sort().find((n) => /^(eth|en)/.test(n));
  } catch {
    return undefined;
  }
})();

/**
 * A `keepalived` for the doctor's --keepalived that runs the real one in a
 * throw-away network namespace holding eth0 and veth0 (veth pairs made there), so
 * that its interface check passes on any host. Undefined (with why) when
 * keepalived, root or unshare is missing.
 */
export function keepalivedInNetns(dir: string): { bin?: string; skip?: string } {
  if (!KEEPALIVED) return { skip: 'keepalived is not installed' };
  if (process.getuid?.() !== 0) return { skip: 'needs root for a network namespace' };
  if (spawnSync('unshare', ['-n', 'true']).status !== 0) return { skip: 'unshare -n failed' };
  const bin = join(dir, 'keepalived');
  const links = 'ip link add eth0 type veth peer name eth1 && ip link add veth0 type veth peer name veth1 && ip link set eth0 up && ip link set veth0 up';
  writeFileSync(bin, `#!/bin/sh\nexec unshare -n sh -c '${links} && exec ${KEEPALIVED} "$@"' keepalived "$@"\n`, { mode: 0o755 });
  return { bin };
}
