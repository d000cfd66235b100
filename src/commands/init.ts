// `hacheck init`: writes a starter hacheck.yaml and prints the matching
// keepalived.conf snippet (`hacheck doctor` on the result: no findings).
// A failure is FAULT (weight 0) by default: the peer takes over after its skew
// time, (256 − its priority)/256 × advert_int (0.65 s at 90). With
// `--on-failure weight` it is a negative weight computed from the two
// priorities instead: the VIP stays on the higher node when both fail, but the
// peer discards the lower-priority adverts and takes over only when its master
// down timer expires, 3 × advert_int + skew (3.65 s): measured in the lab of
// test/e2e (bench/failover.mjs), kill -9 of nginx, agent: 0.80 s vs 3.07 s outage.
// `--fast` (agent mode, issue 17): VRRPv3 adverts every 0.1 s, the agent every
// 100 ms with the evidence-graded fall, priorities near 255 (a skew time of
// ms): the VIP moves about 50 ms after nginx dies (FAST below).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { ConfigError, parseConfigText, validate } from '../config/load.js';
import { writeFileAtomic } from '../sys/atomic-write.js';
import { fmtMs, parseDuration } from '../config/units.js';
import { masterDownInterval, skewTime } from '../keepalived/analyze.js';
import { VERSION } from '../version.js';
import { STATUS_EVERY_MS, statusWriteGapMs } from '../config/defaults.js';

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
  fast?: boolean;
}

/**
 * `init --fast`: every number here was measured in the lab of test/e2e
 * (real keepalived 2.2.7; bench/failover.mjs, bench/safety.mjs).
 */
export const FAST = {
  /** VRRPv3: advert_int 0.01-40.95 s in 10 ms steps; VRRPv2 rounds a fractional advert_int to whole seconds */
  vrrpVersion: 3,
  /** 0.05 and 0.02 let a BACKUP take over a healthy MASTER under CPU load ("Receive advertisement timeout") */
  advertInt: 0.1,
  /** near 255 (the address owner's, not usable with weights): skew time (256 - 250)/256 x 0.1 s = 2.3 ms */
  priority: 254,
  /** the default gap to the peer */
  gap: 4,
  /** agent cycle: detection of definitive evidence within 0-100 ms */
  intervalMs: 100,
  /** cycle deadline: a 100 ms deadline moved a healthy VIP up to 17 times in 30 s of CPU saturation */
  cycleTimeoutMs: 300,
  /** ambiguous evidence (timeouts, slow answers) must repeat: fall 1 moved a healthy VIP up to 3 times per 30 s run under heavy contention */
  fall: 2,
  /** definitive evidence (master gone/zombie/stopped, no live worker, port refused) flips on the first cycle */
  definitiveFall: 1,
  /** 1 s of passing cycles before this node is healthy again (and, with the higher priority, preempts) */
  rise: 10,
  /**
   * keepalived's VRRP process at nice -20 (vrrp_priority): with every CPU
   * saturated a nice-0 keepalived sent or read adverts late, past the 0.3 s
   * master down timer, and the BACKUP took over a healthy MASTER. Not
   * vrrp_rt_priority: real-time scheduling comes with vrrp_rlimit_rttime (10 ms
   * of CPU between blocking calls), and under that load the kernel killed the
   * VRRP process as it became MASTER (lab, keepalived 2.2.7).
   */
  vrrpNice: -20,
  /**
   * the `hacheck status` guard: vrrp_script interval (whole seconds, keepalived's
   * least), timeout (a timed-out script is a failed one: with every CPU saturated
   * a `hacheck status` start took over 2 s), fall, rise, max age of the status file
   */
  guard: { interval: 1, timeout: 5, fall: 2, rise: 2, maxAge: '2s' },
} as const;

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
  /** `--fast`: VRRPv3, advert_int 0.1, agent every 100 ms (FAST) */
  fast: boolean;
  vrrpVersion: 2 | 3;
  /** advert_int (s) */
  advertInt: number;
  /** the flags that make the peer's half of this pair: `hacheck init PEERARGS` on the other node */
  peerArgs: string;
}

const usage = (msg: string) => new ConfigError(msg, 'usage');

function int(text: string | undefined, flag: string, min: number, max: number, dflt: number): number {
  if (text === undefined) return dflt;
  if (!/^\d+$/.test(text.trim())) throw usage(`${flag}: expected an integer ${min}..${max}, got "${text}"`);
  const n = Number(text);
  if (n < min || n > max) throw usage(`${flag}: ${n} is outside ${min}..${max}`);
  return n;
}

/**
 * The interface `init` writes when --interface is not given: the one the IPv4 default route
 * leaves by (/proc/net/route, proc(5): the line whose Destination is 00000000; then
 * /proc/net/ipv6_route's ::/0), as a VRRP pair's service network usually is; else the first
 * eth and en interface by name, else the first non-loopback one. A bond's or bridge's member
 * port (/sys/class/net/<if>/master links to a device with bonding/ or bridge/) is never chosen:
 * keepalived belongs on the bond. A VRF's member (its master has neither) may be.
 * `net` and `proc` are the roots (tests). Best effort: "eth0" when nothing can be read.
 */
export function defaultInterface(net = '/sys/class/net', proc = '/proc/net'): string {
  let names: string[];
  try {
    // a bond's or bridge's port (its master has bonding/ or bridge/); a VRF's member is a real interface
    const port = (n: string) => ['bonding', 'bridge'].some((kind) => existsSync(join(net, n, 'master', kind)));
    names = readdirSync(net).filter((n) => n !== 'lo' && !port(n)).sort();
  } catch {
    return 'eth0';
  }
  const usable = (n: string | undefined) => (n && names.includes(n) ? n : undefined);
  const read = (f: string) => { try { return readFileSync(join(proc, f), 'latin1'); } catch { return ''; } };
  const v4 = read('route').split('\n').slice(1).map((l) => l.trim().split(/\s+/)).find((f) => f[1] === '00000000' && f[7] === '00000000');
  // ipv6_route: destination, its prefix length, ..., the interface last
  const v6 = read('ipv6_route').split('\n').map((l) => l.trim().split(/\s+/)).find((f) => f[0] === '0'.repeat(32) && f[1] === '00' && f[9] !== 'lo');
  return usable(v4?.[0]) ?? usable(v6?.[9]) ?? names.find((n) => /^(eth|en)/.test(n)) ?? names[0] ?? 'eth0';
}

const s3 = (x: number) => `${+x.toFixed(3)}s`;

/**
 * Why keepalived would not take `text` as a virtual_ipaddress of this pair (undefined: fine).
 * keepalived skips an address it cannot parse ("VRRP parsed invalid IP") and then drops an
 * instance left without one; a prefix beyond the family's width it silently takes as a host
 * address. Unspecified, loopback, multicast and broadcast addresses are never a service address.
 */
export function vipProblem(text: string): string | undefined {
  const m = /^([^/\s]+)(?:\/(\d{1,3}))?$/.exec(text);
  const family = m ? isIP(m[1]) : 0;
  if (!m || family === 0) return 'not an IPv4 or IPv6 address';
  if (m[2] !== undefined && Number(m[2]) > (family === 4 ? 32 : 128)) return `its prefix /${m[2]} is longer than ${family === 4 ? 32 : 128} bits`;
  const a = m[1].toLowerCase();
  // /0: the kernel adds the address with a connected route to every destination (ip-address(8) adds the prefix route)
  if (m[2] !== undefined && Number(m[2]) === 0) return 'a /0 prefix: the interface would claim every destination as on-link; give the subnet\'s prefix (/24) or none (/32)';
  if (family === 4) {
    const o = a.split('.').map(Number);
    if (o[0] === 0) return 'an unspecified (0.0.0.0/8) address';
    if (o[0] === 127) return 'a loopback address';
    if (o[0] >= 224 && o[0] <= 239) return 'a multicast address';
    if (o[0] >= 240) return 'a reserved or broadcast address';
    const bits = m[2] === undefined ? 32 : Number(m[2]);
    if (bits <= 30) {
      // /31 (RFC 3021) and /32 have no network or broadcast address
      const host = ((o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3]) & (2 ** (32 - bits) - 1);
      if (host === 2 ** (32 - bits) - 1) return `the broadcast address of its /${bits}`;
      if (host === 0) return `the network address of its /${bits}`;
    }
    return undefined;
  }
  // the WHATWG URL parser writes an IPv6 address in its one short form (RFC 5952)
  const short = new URL(`http://[${a}]/`).hostname.slice(1, -1);
  if (short === '::') return 'the unspecified address';
  if (short === '::1') return 'the loopback address';
  if (short.startsWith('ff')) return 'a multicast address';
  if (/^::ffff:(\d+\.\d+\.\d+\.\d+|[0-9a-f]{1,4}:[0-9a-f]{1,4})$/.test(short)) return 'an IPv4-mapped IPv6 address: give the IPv4 address itself';
  return undefined;
}

/** IFF_LOOPBACK (linux/if.h): keepalived refuses a loopback interface for a VRRP instance */
const IFF_LOOPBACK = 0x8;
function isLoopbackInterface(name: string): boolean {
  // an alias (lo:1) is its device's
  const dev = name.split(':')[0];
  if (dev === 'lo') return true;
  try {
    return (Number(readFileSync(`/sys/class/net/${dev}/flags`, 'latin1').trim()) & IFF_LOOPBACK) !== 0;
  } catch {
    return false; // not on this machine: init may run elsewhere than the node
  }
}

/** A word as the shell reads it back (single quotes when it holds anything else than plain path characters). */
const shellWord = (w: string) => (/^[\w./:@%+=,-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`);

/** Pure: the numbers. The weight (--on-failure weight) drops this node below the peer (and the peer below this one). */
export function planInit(f: InitFlags, iface = f.interface ?? 'eth0'): InitPlan {
  const fast = !!f.fast;
  const mode = (f.mode ?? (fast ? 'agent' : 'oneshot')) as InitPlan['mode'];
  if (mode !== 'oneshot' && mode !== 'agent') throw usage(`--mode: expected oneshot or agent, got "${f.mode}"`);
  // keepalived runs a vrrp_script at most once a second: only the agent can detect in 100 ms
  if (fast && mode !== 'agent') throw usage('--fast needs --mode agent: a vrrp_script interval is a whole number of seconds, only the agent checks every 100 ms');
  const onFailure = (f.onFailure ?? 'fault') as InitPlan['onFailure'];
  if (onFailure !== 'fault' && onFailure !== 'weight') throw usage(`--on-failure: expected fault or weight, got "${f.onFailure}"`);
  // 255 is the address owner: keepalived ignores weights there
  const priority = int(f.priority, '--priority', 1, 254, fast ? FAST.priority : 100);
  const gap = fast ? FAST.gap : 10;
  const peerPriority = int(f.peerPriority, '--peer-priority', 1, 254, priority > 1 ? Math.max(1, priority - gap) : 2);
  if (priority === peerPriority) throw usage('--priority and --peer-priority must differ: with equal priorities the VIP never moves on a priority drop');
  const vrid = int(f.vrid, '--vrid', 1, 255, 51);
  const deadlineMs = f.timeout === undefined ? 1500 : parseDuration(f.timeout) ?? NaN;
  if (!Number.isFinite(deadlineMs) || deadlineMs < 50 || deadlineMs > 60_000) throw usage(`--timeout: expected a duration 50ms..60s such as 1500ms, got "${f.timeout}"`);
  const dropWeight = -Math.min(253, Math.abs(priority - peerPriority) + 10);
  const higher = Math.max(priority, peerPriority);
  const lower = Math.min(priority, peerPriority);
  if (onFailure === 'weight' && Math.max(1, higher + dropWeight) >= lower) throw usage(`--peer-priority: no weight can drop priority ${higher} below ${lower}; use priorities of 2 or more`);
  const vip = f.vip ?? '192.0.2.10';
  const badVip = vipProblem(vip);
  if (badVip) throw usage(`--vip: "${vip}": ${badVip}; expected an address such as 192.0.2.10 or 192.0.2.10/24`);
  if (!/^[\w.:@-]{1,15}$/.test(iface)) throw usage(`--interface: bad interface name "${iface}"`);
  if (isLoopbackInterface(iface)) throw usage(`--interface: ${iface} is a loopback interface: keepalived runs no VRRP instance on one`);
  const hacheck = f.hacheckPath ?? '/usr/bin/hacheck';
  // keepalived splits a script line at white space and runs only an absolute path under enable_script_security
  if (!/^\/[^\s"'\\]+$/.test(hacheck)) throw usage(`--hacheck-path: expected an absolute path without spaces or quotes (keepalived splits the script line at white space), got "${hacheck}"`);
  // keepalived kills the script after `timeout` seconds: keep it above hacheck's deadline
  const scriptTimeout = Math.max(2, Math.ceil(deadlineMs / 1000 + 0.25));
  const dir = resolve(f.output ?? '/etc/hacheck');
  // the config's path is a word of the same script line
  if (/[\s"'\\]/.test(dir)) throw usage(`--output: a directory without spaces or quotes (its hacheck.yaml is named in keepalived's script line, which keepalived splits at white space), got "${dir}"`);
  // The other node's half: the same pair (VIP, router id, check settings), the priorities swapped.
  // An interface or output directory named here is named there too (the defaults are per machine).
  const peerArgs = [
    '--mode', mode, ...(fast ? ['--fast'] : []), ...(onFailure === 'weight' ? ['--on-failure', 'weight'] : []),
    '--priority', String(peerPriority), '--peer-priority', String(priority), '--vrid', String(vrid), '--vip', vip,
    ...(f.interface !== undefined ? ['--interface', iface] : []),
    ...(f.timeout !== undefined ? ['--timeout', f.timeout] : []),
    ...(f.hacheckPath !== undefined ? ['--hacheck-path', hacheck] : []),
    ...(f.output !== undefined ? ['--output', dir] : []),
  ].map(shellWord).join(' ');
  return {
    mode, vip, iface, priority, peerPriority, vrid, deadlineMs,
    onFailure, weight: onFailure === 'fault' ? 0 : dropWeight, dropWeight,
    state: priority > peerPriority ? 'MASTER' : 'BACKUP',
    interval: scriptTimeout, scriptTimeout,
    configPath: join(dir, 'hacheck.yaml'),
    hacheck,
    stateFile: '/run/hacheck/state',
    statusFile: '/run/hacheck/status.json',
    fast,
    vrrpVersion: fast ? FAST.vrrpVersion : 2,
    advertInt: fast ? FAST.advertInt : 1,
    peerArgs,
  };
}

export function renderYaml(p: InitPlan): string {
  const lines = [
    `# hacheck config written by \`hacheck init --mode ${p.mode}${p.fast ? ' --fast' : ''}\` (hacheck ${VERSION}).`,
    '# Check it with `hacheck validate -c FILE`, and keepalived.conf with `hacheck doctor`.',
    p.mode === 'oneshot'
      ? `timeout: ${fmtMs(p.deadlineMs)}            # hard deadline for one check, restart wait included (keepalived's script timeout is ${p.scriptTimeout}s)`
      : `timeout: ${fmtMs(p.deadlineMs)}            # hard deadline of a one-shot \`hacheck -c FILE\` run; the agent's cycles have agent.timeout`,
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
  if (p.mode === 'agent' && p.fast) {
    lines.push(
      'agent:',
      `  interval: ${FAST.intervalMs}ms            # one probe cycle every 100 ms: nginx found dead 0-100 ms after it died`,
      `  timeout: ${FAST.cycleTimeoutMs}ms             # cycle deadline, apart from the interval: under CPU load a healthy nginx can take`,
      '                             # longer than 100 ms to answer (cycles never overlap: a long one skips ticks)',
      `  fall: ${FAST.fall}                    # ambiguous evidence (timeouts, resets, slow answers) must repeat: 2 cycles in a row`,
      `  definitive_fall: ${FAST.definitiveFall}         # definitive evidence (master gone/zombie/stopped, no live worker, port refused):`,
      '                             # the first cycle; CPU contention cannot produce it',
      `  rise: ${FAST.rise}                   # ${FAST.rise} passing cycles (1 s) before healthy again, and this node preempts the VIP back`,
      `  state_file: ${p.stateFile}    # keepalived track_file: 0 healthy, 1 unhealthy`,
      `  status_file: ${p.statusFile}   # read by \`hacheck status --max-age ${FAST.guard.maxAge}\` (rewritten on change, else every ${STATUS_EVERY_MS} ms)`,
    );
  } else if (p.mode === 'agent') {
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

/** The --fast snippet's header: expected takeover = detection + skew, every number explained. */
function fastHeader(p: InitPlan): string[] {
  const skew = skewTime(p.peerPriority, p.advertInt);
  const down = masterDownInterval(p.peerPriority, p.advertInt);
  const iv = FAST.intervalMs;
  const dl = FAST.cycleTimeoutMs;
  const takeover = p.onFailure === 'fault'
    ? [
      `#   takeover: weight 0, a failure here is FAULT; this node sends a priority-0 advert and the peer takes over`,
      `#     after its skew time (256 − ${p.peerPriority})/256 × advert_int ${p.advertInt} = ${s3(skew)} (VRRPv3: the skew scales with advert_int)`,
      `#   expected: definitive 0..${iv} ms + ${s3(skew)} (about ${Math.round(iv / 2 + skew * 1000)} ms on average), ambiguous up to ${s3(((FAST.fall * (dl + iv)) + iv) / 1000 + skew)}`,
      '#   If both nodes fail, neither holds the VIP (--on-failure weight keeps it on the higher node).',
    ]
    : [
      `#   takeover: weight ${p.weight}, the peer discards this node's lower-priority adverts and takes over when its`,
      `#     master down timer expires: 3 × advert_int ${p.advertInt} + skew ${s3(skew)} = up to ${s3(down)} after the last advert at ${p.priority}`,
    ];
  return [
    `# Fast failover (--fast): VRRPv3 adverts every ${p.advertInt}s, hacheck agent every ${iv} ms. Expected takeover = detection + skew:`,
    `#   detection, definitive evidence (nginx master gone, zombie or stopped, no live worker, port refused): the next`,
    `#     agent cycle, 0..${iv} ms (interval ${iv}ms; definitive_fall ${FAST.definitiveFall}); keepalived watches the track_file (inotify)`,
    `#   detection, ambiguous evidence (timeouts, slow answers): fall ${FAST.fall} cycles in a row, each up to the ${dl} ms`,
    `#     cycle deadline and the wait for the next ${iv} ms tick: ${FAST.fall * iv}..${FAST.fall * (dl + iv) + iv} ms`,
    ...takeover,
    `#   This node dead or cut off (no adverts at all): the peer's master down timer, 3 × ${p.advertInt} + ${s3(skew)} = ${s3(down)}.`,
    `# Priority ${p.priority} here, ${p.peerPriority} on the peer: the skew time above; priorities near 255 keep it small (255 is the address owner's).`,
    `# advert_int ${p.advertInt}, not less: at 0.05 and 0.02 a BACKUP took over a healthy MASTER under CPU load (lab, keepalived 2.2.7).`,
    '# version 3 (VRRPv3) in this instance on both nodes: VRRPv2 rounds a fractional advert_int to whole seconds. Set in the',
    '#   instance, not as vrrp_version in global_defs: the other instances of the file you merge this into keep theirs.',
    `# vrrp_priority ${FAST.vrrpNice}: keepalived's VRRP process at nice ${FAST.vrrpNice}; at nice 0, with every CPU saturated, adverts came late`,
    '#   and the BACKUP took over a healthy MASTER. (vrrp_rt_priority instead: the kernel killed it past vrrp_rlimit_rttime under that load.)',
    `# The guard (\`hacheck status\`, every ${FAST.guard.interval}s, keepalived's least script interval) catches a dead or hung agent:`,
    `#   status older than ${FAST.guard.maxAge} (the agent rewrites it on change and else every ${STATUS_EVERY_MS} ms, at a cycle's end: two writes`,
    `#   up to ${STATUS_EVERY_MS} + ${iv / 2} (half the interval) + ${dl} (cycle deadline) = ${statusWriteGapMs(iv, dl)} ms apart; ${FAST.guard.maxAge} leaves room for a CPU-starved cycle), fall ${FAST.guard.fall};`,
    `#   timeout ${FAST.guard.timeout}: keepalived counts a timed-out script as failed, and with every CPU saturated a start took over 2 s.`,
  ];
}

export function renderSnippet(p: InitPlan): string {
  const cfg = `-c ${p.configPath}`;
  const moved = Math.max(1, p.priority + p.weight);
  const flags = `--mode ${p.mode}${p.fast ? ' --fast' : ''}${p.onFailure === 'weight' ? ' --on-failure weight' : ''}`;
  const ADVERT_INT = p.advertInt;
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
    ...(p.fast ? fastHeader(p) : takeover),
    `# On the peer run: hacheck init ${p.peerArgs}`,
    '# Merge global_defs into yours; one keyword per line (keepalived reads only the first keyword of a one-line { } block).',
    'global_defs {',
    '    enable_script_security',
    '    script_user root',
    ...(p.fast ? [`    vrrp_priority ${FAST.vrrpNice}`] : []),
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
      '# init_file 1: keepalived creates a missing file with 1 when it starts (a missing file reads as 0, healthy):',
      '#   a node that boots before its agent has written does not claim the VIP on nothing',
      'track_file hacheck_state {',
      `    file "${p.stateFile}"`,
      `    weight ${p.weight}`,
      '    init_file 1',
      '}',
      '',
      '# the guard: a dead or hung agent leaves a stale file that would fail open',
      `# fall ${p.fast ? FAST.guard.fall : 2}: one late run (a CPU-starved start) is not a FAULT; rise ${p.fast ? FAST.guard.rise : 2}: trusted again after two fresh runs`,
      'vrrp_script chk_hacheck_agent {',
      `    script "${p.hacheck} status ${cfg} --max-age ${p.fast ? FAST.guard.maxAge : '3s'}"`,
      `    interval ${p.fast ? FAST.guard.interval : 2}`,
      `    timeout ${p.fast ? FAST.guard.timeout : 2}`,
      `    weight ${p.weight}`,
      `    fall ${p.fast ? FAST.guard.fall : 2}`,
      `    rise ${p.fast ? FAST.guard.rise : 2}`,
      '}',
      '',
    );
    track.push('    track_file {', '        hacheck_state', '    }', '    track_script {', '        chk_hacheck_agent', '    }');
  }
  L.push(
    'vrrp_instance VI_1 {',
    `    state ${p.state}`,
    `    interface ${p.iface}`,
    ...(p.vrrpVersion === 3 ? ['    version 3'] : []),
    `    virtual_router_id ${p.vrid}`,
    `    priority ${p.priority}`,
    `    advert_int ${p.advertInt}`,
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
