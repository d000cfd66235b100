// The doctor's priority arithmetic checked against a live keepalived (Debian 12's
// 2.2.7) in a private network namespace: each config runs with /bin/false as the
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
import { scriptDir } from './helpers.ts';

const KEEPALIVED = ['/usr/sbin/keepalived', '/sbin/keepalived'].find((p) => existsSync(p));
const ns = `hkdoc${process.pid}`;
let dir: string;
let skip: string | undefined;

const ip = (...args: string[]) => spawnSync('ip', args, { encoding: 'utf8', timeout: 5000 });

before(() => {
  if (!KEEPALIVED) return void (skip = 'keepalived is not installed');
  if (process.getuid?.() !== 0) return void (skip = 'needs root for a network namespace');
  if (ip('netns', 'add', ns).status !== 0) return void (skip = 'ip netns add failed');
  for (const args of [['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1'], ['link', 'set', 'lo', 'up'], ['link', 'set', 'eth0', 'up'], ['link', 'set', 'eth1', 'up'], ['addr', 'add', '10.254.0.1/24', 'dev', 'eth0']]) {
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
        10.254.0.100
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
add('address owner: weighted tracking is ignored', head + script('bad', false, '    weight -20\n') + inst(255, '    track_script {\n        bad\n    }'), ['bad'], []);

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
