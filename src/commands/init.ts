// `hacheck init`: writes a starter hacheck.yaml and prints the matching
// keepalived.conf snippet (`hacheck doctor` on the result: no findings).
// A failure is FAULT (weight 0) by default: the peer takes over after its skew
// time, (256 − its priority)/256 × advert_int (0.65 s at 90). With
// `--on-failure weight` it is a negative weight computed from the two
// priorities instead: the VIP stays on the higher node when both fail, but the
// peer discards the lower-priority adverts and takes over only when its master
// down timer expires, 3 × advert_int + skew (3.65 s): measured in the lab of
// test/e2e (bench/failover.mjs), kill -9 of nginx, agent: 0.80 s vs 3.07 s outage.
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, parseConfigText, validate } from '../config/load.js';
import { writeFileAtomic } from '../sys/atomic-write.js';
import { fmtMs, parseDuration } from '../config/units.js';
import { masterDownInterval, skewTime } from '../keepalived/analyze.js';
import { VERSION } from '../version.js';

export interface InitFlags {
  mode?: string;
  vip?: string;
  interface?: string;
  priority?: string;
  peerPriority?: string;
  vrid?: string;
  output?: string;
  force?: boolean;
  hacheckPath?: string;
  timeout?: string;
  onFailure?: string;
}

export interface InitPlan {
  mode: 'oneshot' | 'agent';
  vip: string;
  iface: string;
  priority: number;
  peerPriority: number;
  vrid: number;
  state: 'MASTER' | 'BACKUP';
  /** fault: weight 0 (a failure is FAULT); weight: a negative weight */
  onFailure: 'fault' | 'weight';
  /** 0 with --on-failure fault */
  weight: number;
  /** the one computed from the priorities (what --on-failure weight writes) */
  dropWeight: number;
  deadlineMs: number;
  /** vrrp_script interval/timeout in whole seconds */
  interval: number;
  scriptTimeout: number;
  configPath: string;
  hacheck: string;
  stateFile: string;
  statusFile: string;
}

const usage = (msg: string) => new ConfigError(msg, 'usage');

function int(text: string | undefined, flag: string, min: number, max: number, dflt: number): number {
  if (text === undefined) return dflt;
  if (!/^\d+$/.test(text.trim())) throw usage(`${flag}: expected an integer ${min}..${max}, got "${text}"`);
  const n = Number(text);
  if (n < min || n > max) throw usage(`${flag}: ${n} is outside ${min}..${max}`);
  return n;
}

function defaultInterface(): string {
  try {
    const names = readdirSync('/sys/class/net').filter((n) => n !== 'lo').sort();
    return names.find((n) => /^(eth|en)/.test(n)) ?? names[0] ?? 'eth0';
  } catch {
    return 'eth0';
  }
}

/** advert_int of the snippet (seconds) */
const ADVERT_INT = 1;
const s3 = (x: number) => `${+x.toFixed(3)}s`;

/** Pure: the numbers. The weight (--on-failure weight) drops this node below the peer (and the peer below this one). */
export function planInit(f: InitFlags, iface = f.interface ?? 'eth0'): InitPlan {
  const mode = (f.mode ?? 'oneshot') as InitPlan['mode'];
  if (mode !== 'oneshot' && mode !== 'agent') throw usage(`--mode: expected oneshot or agent, got "${f.mode}"`);
  const onFailure = (f.onFailure ?? 'fault') as InitPlan['onFailure'];
  if (onFailure !== 'fault' && onFailure !== 'weight') throw usage(`--on-failure: expected fault or weight, got "${f.onFailure}"`);
  // 255 is the address owner: keepalived ignores weights there
  const priority = int(f.priority, '--priority', 1, 254, 100);
  const peerPriority = int(f.peerPriority, '--peer-priority', 1, 254, priority > 1 ? Math.max(1, priority - 10) : 2);
  if (priority === peerPriority) throw usage('--priority and --peer-priority must differ: with equal priorities the VIP never moves on a priority drop');
  const vrid = int(f.vrid, '--vrid', 1, 255, 51);
  const deadlineMs = f.timeout === undefined ? 1500 : parseDuration(f.timeout) ?? NaN;
  if (!Number.isFinite(deadlineMs) || deadlineMs < 50 || deadlineMs > 60_000) throw usage(`--timeout: expected a duration 50ms..60s such as 1500ms, got "${f.timeout}"`);
  const dropWeight = -Math.min(253, Math.abs(priority - peerPriority) + 10);
  const higher = Math.max(priority, peerPriority);
  const lower = Math.min(priority, peerPriority);
  if (onFailure === 'weight' && Math.max(1, higher + dropWeight) >= lower) throw usage(`--peer-priority: no weight can drop priority ${higher} below ${lower}; use priorities of 2 or more`);
  if (!/^[0-9a-fA-F.:]+(\/\d{1,3})?$/.test(f.vip ?? '192.0.2.10')) throw usage(`--vip: expected an address such as 192.0.2.10 or 192.0.2.10/24, got "${f.vip}"`);
  if (!/^[\w.:@-]{1,15}$/.test(iface)) throw usage(`--interface: bad interface name "${iface}"`);
  // keepalived kills the script after `timeout` seconds: keep it above hacheck's deadline
  const scriptTimeout = Math.max(2, Math.ceil(deadlineMs / 1000 + 0.25));
  const dir = resolve(f.output ?? '/etc/hacheck');
  return {
    mode, vip: f.vip ?? '192.0.2.10', iface, priority, peerPriority, vrid, deadlineMs,
    onFailure, weight: onFailure === 'fault' ? 0 : dropWeight, dropWeight,
    state: priority > peerPriority ? 'MASTER' : 'BACKUP',
    interval: scriptTimeout, scriptTimeout,
    configPath: join(dir, 'hacheck.yaml'),
    hacheck: f.hacheckPath ?? '/usr/bin/hacheck',
    stateFile: '/run/hacheck/state',
    statusFile: '/run/hacheck/status.json',
  };
}

export function renderYaml(p: InitPlan): string {
  const lines = [
    `# hacheck config written by \`hacheck init --mode ${p.mode}\` (hacheck ${VERSION}).`,
    '# Check it with `hacheck validate -c FILE`, and keepalived.conf with `hacheck doctor`.',
    `timeout: ${fmtMs(p.deadlineMs)}            # hard deadline for one check, restart wait included (keepalived's script timeout is ${p.scriptTimeout}s)`,
    'probes:',
    '  - type: process',
    '    process: nginx            # the master must be alive, not a zombie, not stopped',
    '    min_workers: 1',
    '  - type: port',
    '    targets: ["80"]',
    '  # - type: http             # a URL that must answer 200-399 (add your Host header), one nginx answers',
    '  #   urls:                  # itself (location = /healthz { return 200; }), not one proxied to an upstream',
    `  #     - http://127.0.0.1/healthz   # both nodes share: ${p.weight === 0 ? 'down, it puts both in FAULT (no VIP anywhere)' : 'down, it lowers both (the VIP stays)'}`,
    '# restart:',
    '#   enabled: true            # restart nginx (config test first, within a budget) before giving up the VIP',
  ];
  if (p.mode === 'agent') {
    lines.push(
      'agent:',
      '  interval: 1s               # one probe cycle per second',
      '  rise: 2',
      '  fall: 2',
      `  state_file: ${p.stateFile}    # keepalived track_file: 0 healthy, 1 unhealthy`,
      `  status_file: ${p.statusFile}   # read by \`hacheck status --max-age 3s\``,
    );
  }
  return lines.join('\n') + '\n';
}

export function renderSnippet(p: InitPlan): string {
  const cfg = `-c ${p.configPath}`;
  const moved = Math.max(1, p.priority + p.weight);
  const flags = `--mode ${p.mode}${p.onFailure === 'weight' ? ' --on-failure weight' : ''}`;
  // the takeover once keepalived here has seen the failure (the peer is healthy at its own priority)
  const takeover = p.onFailure === 'fault'
    ? [
      `# Priority ${p.priority} here, ${p.peerPriority} on the peer; weight 0: a failure here is FAULT (this node advertises priority 0)`,
      `# and the peer takes over ${s3(skewTime(p.peerPriority, ADVERT_INT))} later (skew time (256 − ${p.peerPriority})/256 × advert_int ${ADVERT_INT}). If both nodes fail, neither`,
      `# holds the VIP; --on-failure weight keeps it on the higher node, but the peer then takes over only when its`,
      `# master down timer expires, up to ${s3(masterDownInterval(p.peerPriority, ADVERT_INT))} (3 × advert_int + skew): it discards lower-priority adverts.`,
    ]
    : [
      `# Priority ${p.priority} here, ${p.peerPriority} on the peer; weight ${p.weight}: a failure here means ${p.priority} → ${moved}, ${moved < p.peerPriority ? `below the peer's ${p.peerPriority}: the VIP moves` : 'this node stays below the peer'},`,
      `# but the peer discards lower-priority adverts and takes over only when its master down timer expires, up to`,
      `# ${s3(masterDownInterval(p.peerPriority, ADVERT_INT))} (3 × advert_int + skew) after this node's last advert at ${p.priority}; with weight 0 (FAULT, the default) ${s3(skewTime(p.peerPriority, ADVERT_INT))}.`,
    ];
  const L: string[] = [
    `# keepalived.conf for this node, written by \`hacheck init ${flags}\` (hacheck ${VERSION}).`,
    ...takeover,
    `# On the peer run: hacheck init ${flags} --priority ${p.peerPriority} --peer-priority ${p.priority}`,
    '# Merge global_defs into yours; one keyword per line (keepalived reads only the first keyword of a one-line { } block).',
    'global_defs {',
    '    enable_script_security',
    '    script_user root',
    '}',
    '',
  ];
  const track: string[] = [];
  if (p.mode === 'oneshot') {
    L.push(
      'vrrp_script chk_hacheck {',
      `    script "${p.hacheck} ${cfg}"`,
      `    interval ${p.interval}`,
      `    timeout ${p.scriptTimeout}`,
      `    weight ${p.weight}`,
      '    fall 2',
      '    rise 2',
      '}',
      '',
    );
    track.push('    track_script {', '        chk_hacheck', '    }');
  } else {
    L.push(
      `# hacheck agent (hacheck-agent.service) keeps this file current: 0 healthy, 1 unhealthy${p.weight === 0 ? ' (non-zero with weight 0: FAULT)' : ''}`,
      'track_file hacheck_state {',
      `    file "${p.stateFile}"`,
      `    weight ${p.weight}`,
      '    init_file 1',
      '}',
      '',
      '# the guard: a dead or hung agent leaves a stale file that would fail open',
      'vrrp_script chk_hacheck_agent {',
      `    script "${p.hacheck} status ${cfg} --max-age 3s"`,
      '    interval 2',
      '    timeout 2',
      `    weight ${p.weight}`,
      '    fall 2',
      '    rise 2',
      '}',
      '',
    );
    track.push('    track_file {', '        hacheck_state', '    }', '    track_script {', '        chk_hacheck_agent', '    }');
  }
  L.push(
    'vrrp_instance VI_1 {',
    `    state ${p.state}`,
    `    interface ${p.iface}`,
    `    virtual_router_id ${p.vrid}`,
    `    priority ${p.priority}`,
    '    advert_int 1',
    '    virtual_ipaddress {',
    `        ${p.vip}`,
    '    }',
    ...track,
    '}',
  );
  return L.join('\n') + '\n';
}

export async function initCommand(f: InitFlags): Promise<number> {
  const plan = planInit(f, f.interface ?? defaultInterface());
  const target = plan.configPath;
  if (existsSync(target) && !f.force) throw usage(`${target} exists: not overwriting it (use --force to replace it)`);
  const yaml = renderYaml(plan);
  try {
    // the starter must be valid per the schema the check itself uses
    validate(parseConfigText(yaml, target), 'config');
  } catch (e) {
    throw new Error(`generated config does not validate: ${(e as Error).message}`);
  }
  try {
    writeFileAtomic(target, yaml, { mkdir: true, mode: 0o644 });
  } catch (e) {
    throw new ConfigError(`${target}: cannot write: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  process.stderr.write(`hacheck: wrote ${target}\n`);
  process.stdout.write(renderSnippet(plan));
  return 0;
}
