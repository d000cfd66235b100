// One fixture per finding: each `# expect:` line must be reported at exactly that
// file:line with that severity and code, and nothing else may be reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultFacts, expectations, fixture, parse, reported, runFixture } from './helpers.ts';
import { analyze, masterDownInterval, scriptPrograms, skewTime } from '../../src/keepalived/analyze.ts';
import { parseKeepalivedConf } from '../../src/keepalived/parse.ts';

const files = readdirSync(fixture('findings')).filter((f) => f.endsWith('.conf') && !f.endsWith('.peer.conf')).sort();

for (const name of [...files.map((f) => `findings/${f}`), 'include/main.conf']) {
  test(`doctor finds what ${name} expects`, () => {
    const { report, local, peer } = runFixture(fixture(name));
    // a finding about the peer's config is expected in the peer's file
    assert.deepEqual(reported(report.findings), [...expectations(local), ...(peer ? expectations(peer) : [])].sort(), JSON.stringify(report.findings, null, 1));
  });
}

test('every finding code has a fixture', () => {
  const codes = new Set<string>();
  for (const f of files) for (const e of expectations(runFixture(fixture(`findings/${f}`)).local)) codes.add(e.split(' ')[2]);
  for (const c of ['weight-cannot-move', 'peer-nopreempt', 'nopreempt-master', 'script-timeout', 'script-interval', 'track-file-unguarded',
    'no-script-security', 'no-script-user', 'one-line-block', 'unused-script', 'unknown-track', 'address-owner', 'priority-range',
    'no-tracking', 'failure-raises', 'status-max-age', 'agent-in-script', 'semicolon', 'slash-comment', 'sync-group-weights', 'strict-auth',
    'slow-takeover', 'unknown-keyword', 'sync-group-single', 'sync-group-member', 'script-user', 'advert-int-rounded', 'advert-int-fast',
    'agent-fall-fast', 'probe-targets-vip', 'script-value', 'weight-range', 'advert-int-mismatch', 'advert-int-clamped', 'status-max-age-bad', 'agent-deadline-short', 'vrrp-version-mismatch',
    'config-test-differs', 'script-unquoted', 'keepalived-stops', 'reverse-fault', 'preempt-delay-slow', 'preempt-delay-cleared']) {
    assert.ok(codes.has(c), `no fixture expects ${c}`);
  }
});

test('clean.conf: the arithmetic in plain words', () => {
  const { report } = runFixture(fixture('findings/clean.conf'));
  const [vi] = report.instances;
  assert.equal(vi.priority, 100);
  assert.equal(vi.peer?.healthy, 90);
  assert.equal(vi.checks[0].failed, 80);
  assert.equal(vi.checks[0].moves, true);
  assert.match(vi.checks[0].text, /if hacheck fails on this node, priority 100 → 80; peer BACKUP has 90 → the VIP MOVES \(after fall 2 × interval 2s ≈ 4s\); the peer discards the lower-priority adverts and takes over when its master down timer expires, 3\.648s after the last advert it accepted \(3 × advert_int 1s \+ skew 0\.648s\)$/);
  assert.deepEqual(vi.checks[0].takeover, { by: 'master-down', ms: 3648, exact: true, formula: '3 × advert_int 1s + skew 0.648s' });
});

test('weight too small says what weight would do', () => {
  const { report } = runFixture(fixture('findings/weight-too-small.conf'));
  const f = report.findings.find((x) => x.code === 'weight-cannot-move')!;
  assert.match(f.message, /priority 100 → 95; peer BACKUP has 90 → the VIP STAYS: weight too small \(needs a drop of 11 or more, e.g. weight -11\)/);
  assert.match(f.fix, /weight -11 or lower/);
});

test('without a peer config the needed peer priority is stated, and nothing is guessed into a finding', () => {
  const { report } = runFixture(fixture('findings/weight-too-small.conf'), { peer: '' });
  // only the takeover note, which holds whatever the peer's priority: an upper bound
  assert.deepEqual(report.findings.map((f) => `${f.severity} ${f.code}`), ['info slow-takeover']);
  assert.match(report.findings[0].message, /up to 3\.625s after the last advert it accepted \(3 \(keepalived's default down_timer_adverts, assumed on the peer: no --peer-conf\) × advert_int 1s \+ skew \(256 − its priority\)\/256 × 1s \(VRRPv2\) < 1s\)/);
  assert.equal(report.instances[0].checks[0].takeover?.exact, false);
  assert.match(report.instances[0].checks[0].text, /priority 100 → 95: the VIP moves only if the peer's priority is above 95/);
  assert.match(report.instances[0].assumption!, /no --peer-conf/);
});

test('weight 0 is FAULT and moves the VIP; the one-line block lost its weight', () => {
  const fault = runFixture(fixture('findings/weight-zero-fault.conf')).report.instances[0].checks[0];
  assert.equal(fault.failed, 'FAULT');
  assert.equal(fault.moves, true);
  const one = runFixture(fixture('findings/one-line-block.conf')).report;
  assert.equal(one.instances[0].checks[0].failed, 'FAULT', 'weight -20 after the first keyword is dropped: weight 0');
  assert.match(one.findings[0].message, /`interval 2`, `weight -20 }`? are silently dropped|`interval 2`, `weight -20` are silently dropped/);
});

test('takeover: FAULT waits for the skew time, a priority drop for the master down timer (advert_int, version 3, down_timer_adverts)', () => {
  const fault = runFixture(fixture('findings/weight-zero-fault.conf')).report.instances[0].checks[0];
  assert.deepEqual(fault.takeover, { by: 'skew', ms: 648, exact: true, formula: 'skew time (256 − 90)/256 × 1s (VRRPv2)' });
  assert.match(fault.text, /the peer takes over 0\.648s after the priority-0 advert \(skew time \(256 − 90\)\/256 × 1s \(VRRPv2\)\)$/);
  const { report } = runFixture(fixture('findings/slow-takeover.conf'));
  const tk = Object.fromEntries(report.instances.flatMap((i) => i.checks.map((c) => [`${i.name} ${c.name}`, c.takeover])));
  assert.deepEqual(tk, {
    // VRRPv2: the skew time is (256 − priority)/256 s whatever the advert_int (vrrp.h VRRP_TIMER_SKEW_CALC)
    'VI_1 chk_hacheck': { by: 'master-down', ms: 6648, exact: true, formula: '3 × advert_int 2s + skew 0.648s' },
    'VI_1 chk_fault': { by: 'skew', ms: 648, exact: true, formula: 'skew time (256 − 90)/256 × 1s (VRRPv2)' },
    'VI_2 chk_fast': { by: 'master-down', ms: 730, exact: true, formula: '3 × advert_int 0.2s + skew 0.13s' },
    'VI_3 chk_fast': { by: 'master-down', ms: 1648, exact: true, formula: "1 (the peer's down_timer_adverts) × advert_int 1s + skew 0.648s" },
  });
  const note = report.findings.find((f) => f.line === 12)!;
  assert.equal(note.severity, 'info');
  assert.match(note.message, /weight -20 lowers the priority \(100 → 80\) instead of FAULT: the peer discards the lower-priority adverts and takes over only when its master down timer expires, 6\.648s after the last advert it accepted \(3 × advert_int 2s \+ skew 0\.648s\), on top of the detection; with weight 0 \(FAULT\) it takes over 0\.648s after the priority-0 advert/);
  assert.match(note.fix, /^weight 0 \(FAULT\).*both nodes.*higher node/);
  // vrrp_strict on the peer (the BACKUP whose timer it is): keepalived resets its down_timer_adverts to 3; on this node it changes nothing
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-doctor-'));
  try {
    writeFileSync(join(dir, 'strict.peer.conf'), 'global_defs {\n    vrrp_strict\n}\n' + readFileSync(fixture('findings/slow-takeover.peer.conf'), 'utf8'));
    const strict = runFixture(fixture('findings/slow-takeover.conf'), { peer: join(dir, 'strict.peer.conf') }).report;
    assert.equal(strict.instances.find((i) => i.name === 'VI_3')!.checks[0].takeover?.ms, 3648);
    writeFileSync(join(dir, 'strict.conf'), readFileSync(fixture('findings/slow-takeover.conf'), 'utf8').replace('global_defs {', 'global_defs {\n    vrrp_strict'));
    const here = runFixture(join(dir, 'strict.conf'), { peer: fixture('findings/slow-takeover.peer.conf') }).report;
    assert.equal(here.instances.find((i) => i.name === 'VI_3')!.checks[0].takeover?.ms, 1648);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('agent mode: track_file × weight and the guard, and all checks failing together', () => {
  const { report } = runFixture(fixture('findings/agent-clean.conf'));
  const [vi] = report.instances;
  assert.deepEqual(vi.checks.map((c) => [c.kind, c.hacheck, c.failed, c.moves]), [['file', 'agent-file', 80, true], ['script', 'status', 80, true]]);
  assert.equal(vi.allFail?.failed, 60);
});

test('sync group without sync_group_tracking_weight: keepalived ignores the weighted check, the VIP stays', () => {
  const { report } = runFixture(fixture('findings/sync-group.conf'));
  assert.equal(report.instances[0].checks[0].failed, 100);
  assert.equal(report.instances[0].checks[0].moves, false);
  assert.match(report.instances[0].checks[0].text, /ignores weighted tracking on a member of vrrp_sync_group G1 without sync_group_tracking_weight/);
});

test('VRRPv3: the skew time and master down timer scale with advert_int; VRRPv2: the skew time does not', () => {
  assert.equal(skewTime(250, 0.1, 3), (6 / 256) * 0.1);
  assert.equal(skewTime(250, 0.1, 2), 6 / 256);
  assert.equal(skewTime(90, 2, 2), 166 / 256);
  assert.equal(skewTime(90, 2, 3), (166 / 256) * 2);
  // a fractional advert_int can only be VRRPv3 (VRRPv2 rounds it): the default follows
  assert.equal(skewTime(250, 0.1), (6 / 256) * 0.1);
  assert.equal(skewTime(90, 1), 166 / 256);
  assert.equal(masterDownInterval(90, 2, 3, 2), 6 + 166 / 256);
  assert.ok(Math.abs(masterDownInterval(250, 0.1, 3, 3) - (0.3 + (6 / 256) * 0.1)) < 1e-12);
});

test('the init --fast pair (VRRPv3, advert_int 0.1, 254/250, weight 0, agent 100 ms / 300 ms / fall 2): no findings, takeover in the skew time', () => {
  const { report } = runFixture(fixture('findings/fast-pair.conf'));
  assert.deepEqual(report.findings, []);
  const [vi] = report.instances;
  assert.equal(vi.version, 3);
  assert.equal(vi.advertInt, 0.1);
  assert.deepEqual(vi.checks.map((c) => [c.name, c.failed, c.moves, c.takeover?.ms]), [['hacheck_state', 'FAULT', true, 2], ['chk_agent', 'FAULT', true, 2]]);
  assert.match(vi.checks[0].takeover!.formula, /skew time \(256 − 250\)\/256 × advert_int 0\.1s/);
});

test('two-member sync group, FAULT tracking on one member: the other moves with it (no "tracks nothing")', () => {
  const { report } = runFixture(fixture('findings/sync-group-fault.conf'));
  const back = report.instances.find((i) => i.name === 'VI_BACK')!;
  assert.equal(back.syncGroup, 'G1');
  assert.deepEqual(back.checks.map((c) => [c.via, c.name, c.failed, c.moves]), [['via VI_FRONT in vrrp_sync_group G1', 'chk_nginx', 'FAULT', true]]);
  assert.match(back.checks[0].text, /VI_FRONT goes to FAULT and keepalived syncs VI_BACK to FAULT with it: priority 100 → FAULT .* → the VIP MOVES/);
  // a sync group's own track_script is every member's
  const m = runFixture(fixture('findings/sync-group-member.conf')).report;
  assert.deepEqual(m.instances[0].checks.map((c) => [c.via, c.name, c.failed]), [['vrrp_sync_group G1', 'chk_nginx', 'FAULT']]);
});

test('unknown keywords: the arithmetic uses what keepalived uses instead (priority 100, weight 0)', () => {
  const { report } = runFixture(fixture('findings/unknown-keyword.conf'));
  assert.equal(report.instances.length, 1, 'the misspelt vrrp_instnace block is no instance');
  assert.equal(report.instances[0].priority, 100);
  assert.equal(report.instances[0].checks[0].failed, 'FAULT');
  const byLine = Object.fromEntries(report.findings.map((f) => [f.line, f.message]));
  assert.match(byLine[12], /unknown keyword `wieght` in vrrp_script: keepalived ignores the line \(did you mean `weight`\? as written, keepalived uses weight 0: a failure is FAULT\)/);
  assert.match(byLine[13], /did you mean `rise`\? as written, keepalived uses rise 1\)/);
  assert.match(byLine[20], /did you mean `priority`\? as written, keepalived uses priority 100\)/);
  assert.match(byLine[30], /`vrrp_instnace`: keepalived ignores the whole block \(did you mean `vrrp_instance`\?\)/);
});

test("a missing script user: keepalived removes the script, the check cannot move the VIP", () => {
  const { report } = runFixture(fixture('findings/script-user.conf'));
  const [a, b] = report.instances[0].checks;
  assert.equal(a.moves, false);
  assert.match(a.text, /user hacheck-nobody \(its `user` line\) does not exist on this host: keepalived removes the script/);
  assert.equal(b.failed, 'FAULT');
});

test("keepalived's config test is the ground truth: a load-time finding it does not confirm is dropped; its effects drive the arithmetic", () => {
  const local = parse(fixture('findings/unknown-keyword.conf'));
  const base = { local, hacheck: defaultFacts(), scripts: new Map([['/usr/bin/hacheck', { exists: true }]]), scriptConfigs: new Map() };
  // keepalived ran to the end and said nothing: the doctor's own keyword list is not the judge
  const quiet = analyze({ ...base, configTest: { local: { status: 'ran', version: '2.2.7', exitCode: 0, lines: [], ms: 1, deadlineMs: 3000 } } });
  assert.deepEqual(quiet.findings.filter((f) => f.code === 'unknown-keyword'), []);
  // a crashed keepalived is no ground truth: the model decides
  const crashed = analyze({ ...base, configTest: { local: { status: 'failed', version: '2.2.7', reason: 'keepalived 2.2.7 --config-test crashed (SIGSEGV)', lines: [], deadlineMs: 3000 } } });
  assert.equal(crashed.findings.filter((f) => f.code === 'unknown-keyword').length, 5);
  assert.match(crashed.keepalived.local!, /crashed \(SIGSEGV\): the doctor's own model only/);
});

test('failure-raises: the fix scales the example weight to what the track_file holds when unhealthy', () => {
  const local = parse(fixture('findings/failure-raises.conf'));
  const run = (unhealthyValue: number) => analyze({ local, hacheck: defaultFacts({ unhealthyValue }), scripts: new Map(scriptPrograms(local).map((p) => [p, { exists: true }])), scriptConfigs: new Map() })
    .findings.find((f) => f.code === 'failure-raises')!;
  assert.match(run(1).fix, /e\.g\. weight -50 \(1 × -50 = -50\)/);
  assert.match(run(10).fix, /e\.g\. weight -5 \(10 × -5 = -50\)/);
  assert.match(run(100).fix, /e\.g\. weight -1 \(100 × -1 = -100\)/);
  assert.match(run(10).message, /the file holds 10 when unhealthy, × weight 1 \(the default\) = \+10/);
});

test('sync_group_tracking_weight: the weight is kept, and a drop that moves VI_FRONT moves VI_BACK with it', () => {
  const { report } = runFixture(fixture('findings/sync-group-tracking-weight.conf'));
  const [front, back] = report.instances;
  assert.deepEqual([front.checks[0].failed, front.checks[0].moves], [80, true]);
  assert.deepEqual(back.checks.map((c) => [c.via, c.failed, c.moves]), [['via VI_FRONT in vrrp_sync_group G1', 100, true]]);
  assert.match(back.checks[0].text, /VI_FRONT's VIP moves \(priority 100 → 80; peer BACKUP has 90 → the VIP MOVES.*\) and keepalived syncs VI_BACK to BACKUP with it → the VIP MOVES/);
});

test('probe targets vs VIP: one finding per moving address, naming the probes aimed at it', () => {
  const { report } = runFixture(fixture('findings/targets-vip.conf'));
  assert.deepEqual(report.findings.map((f) => f.message.replace(/ \(\/[^()]*?:\d+\)/, '').split(/: (on the BACKUP|it measures)/)[0]), [
    "/etc/hacheck/hacheck.yaml: the port probe of 192.0.2.2:8080 aims at the peer's own address (unicast_peer of VI_1)",
    "/etc/hacheck/hacheck.yaml: the port probe of 192.0.2.10:80 aims at vrrp_instance VI_1's VIP",
    "/etc/hacheck/hacheck.yaml: the http probe of http://192.0.2.11/health aims at vrrp_instance VI_1's VIP",
    "/etc/hacheck/hacheck.yaml: the port probe of [2001:0DB8::0010]:80 aims at vrrp_instance VI_1's VIP",
    "/etc/hacheck/hacheck.yaml: the stub_status probe of http://192.0.2.12/nginx_status aims at vrrp_instance VI_2's VIP",
    "vrrp_script chk_flags's command line: the http probe of http://192.0.2.13/ aims at vrrp_instance VI_2's VIP",
  ]);
});

test("a sync group's own weighted track_script keeps its weight on every member (vrrp.c), sync_group_tracking_weight or not", () => {
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-doctor-'));
  try {
    const text = readFileSync(fixture('findings/sync-group-member.conf'), 'utf8')
      .replace('    timeout 2\n}', '    timeout 2\n    weight -20\n}')
      .replace('        VI_2   # expect: warning sync-group-member\n', '        VI_2\n')
      + readFileSync(fixture('findings/sync-group-member.conf'), 'utf8').slice(readFileSync(fixture('findings/sync-group-member.conf'), 'utf8').indexOf('vrrp_instance')).replace('VI_1', 'VI_2').replace('virtual_router_id 51', 'virtual_router_id 52');
    writeFileSync(join(dir, 'g.conf'), text);
    const { report } = runFixture(join(dir, 'g.conf'));
    assert.deepEqual(report.instances.map((i) => [i.name, i.checks.map((c) => [c.via, c.failed, !!c.off])]), [
      ['VI_1', [['vrrp_sync_group G1', 80, false]]],
      ['VI_2', [['vrrp_sync_group G1', 80, false]]],
    ]);
    assert.deepEqual(report.findings.filter((f) => f.code === 'sync-group-weights'), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A pair written to a temp dir: this node's config and the peer's, run through the doctor. */
function pair(local: string, peer: string) {
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-doctor-'));
  try {
    writeFileSync(join(dir, 'a.conf'), local);
    writeFileSync(join(dir, 'b.conf'), peer);
    return runFixture(join(dir, 'a.conf'), { peer: join(dir, 'b.conf') }).report;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const vi = (priority: number, body = '') => `vrrp_instance VI_1 {\n    state BACKUP\n    interface eth0\n    virtual_router_id 51\n    priority ${priority}\n${body}    virtual_ipaddress {\n        192.0.2.10\n    }\n}\n`;
const tracked = 'global_defs {\n    enable_script_security\n    script_user root\n}\ntrack_file tf {\n    file "/run/x/state"\n    weight -20\n}\n';

test("the master down timer is the BACKUP's: the peer's down_timer_adverts and strict mode, not this node's", () => {
  // peer down_timer_adverts 10, advert_int 1, peer priority 90: 10 × 1 s + (256 − 90)/256 s
  let r = pair(tracked + vi(100, '    track_file {\n        tf\n    }\n'), vi(90, '    down_timer_adverts 10\n'));
  assert.deepEqual(r.instances[0].checks[0].takeover, { by: 'master-down', ms: 10648, exact: true, formula: "10 (the peer's down_timer_adverts) × advert_int 1s + skew 0.648s" });
  // this node's down_timer_adverts 1 is not the peer's timer: the peer's default 3
  r = pair(tracked + vi(100, '    down_timer_adverts 1\n    track_file {\n        tf\n    }\n'), vi(90));
  assert.deepEqual(r.instances[0].checks[0].takeover, { by: 'master-down', ms: 3648, exact: true, formula: '3 × advert_int 1s + skew 0.648s' });
  // no peer config: this node's setting is assumed on the peer, and said so
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-doctor-'));
  try {
    writeFileSync(join(dir, 'a.conf'), tracked + vi(100, '    down_timer_adverts 1\n    track_file {\n        tf\n    }\n'));
    const tk = runFixture(join(dir, 'a.conf'), { peer: '' }).report.instances[0].checks[0].takeover!;
    assert.match(tk.formula, /^1 \(down_timer_adverts as on this node, assumed on the peer: no --peer-conf\) × advert_int 1s/);
    assert.equal(tk.exact, false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('VRRPv2 advert_int differing from the peer is an error; VRRPv3 (the backup adopts the master\'s) is not', () => {
  const r = pair(tracked + vi(100, '    track_file {\n        tf\n    }\n'), vi(90, '    advert_int 2\n'));
  const f = r.findings.find((x) => x.code === 'advert-int-mismatch')!;
  assert.match(f.message, /advert_int 1s here but 2s on the peer .*advertisement interval mismatch.*both become MASTER/);
  assert.equal(f.fix, 'the same advert_int on both nodes (e.g. advert_int 2)');
  // rounded values compare: 1.4 is 1 s in VRRPv2
  assert.ok(!pair(vi(100, '    advert_int 1.4\n'), vi(90)).findings.some((x) => x.code === 'advert-int-mismatch'));
  assert.ok(!pair(vi(100, '    version 3\n    advert_int 0.5\n'), vi(90, '    version 3\n')).findings.some((x) => x.code === 'advert-int-mismatch'));
});

test("the peer's fast advert_int is checked too (per-instance `version 3`, as init --fast writes it)", () => {
  const r = pair(vi(100, '    version 3\n    advert_int 0.1\n'), vi(90, '    version 3\n    advert_int 0.05\n'));
  const f = r.findings.filter((x) => x.code === 'advert-int-fast');
  assert.equal(f.length, 1);
  assert.match(f[0].file, /b\.conf$/);
  assert.match(f[0].message, /^the peer's vrrp_instance VI_1: advert_int 0\.05s/);
});

test('`hacheck status --max-age` as status reads it: refused values are an error, the last of a repeated flag counts', () => {
  const guard = (args: string) => `global_defs {\n    enable_script_security\n    script_user root\n}\nvrrp_script g {\n    script "/usr/bin/hacheck status ${args}"\n    interval 1\n    timeout 2\n}\n`
    + vi(100, '    track_script {\n        g\n    }\n');
  for (const [args, fix] of [['--max-age 1', '--max-age 1s'], ['--max-age 0.5', '--max-age 0.5s'], ['--max-age abc', '--max-age 3s'], ['--max-age 0', '--max-age 3s'], ['--max-age 0s', '--max-age 3s'],
    ['--max-age 5s --max-age 100', '--max-age 100s'], ['--max-age=1', '--max-age 1s']]) {
    const f = pair(guard(args), vi(90)).findings.filter((x) => x.code === 'status-max-age-bad');
    assert.equal(f.length, 1, args);
    assert.equal(f[0].fix, fix, args);
    assert.match(f[0].message, /exits 64 on every run.*priority 100 → FAULT/, args);
  }
  for (const args of ['--max-age 100 --max-age 5s', '--max-age=2s', '']) {
    assert.ok(!pair(guard(args), vi(90)).findings.some((x) => x.code === 'status-max-age-bad'), args);
  }
});

test('failure-raises with a negative weight and reverse says the sign once', () => {
  const r = pair('track_file tf {\n    file "/run/x/state"\n    weight -10 reverse\n}\n' + vi(100, '    track_file {\n        tf\n    }\n'), vi(90));
  const f = r.findings.find((x) => x.code === 'failure-raises')!;
  assert.match(f.message, /the file holds 1 when unhealthy, × weight -10 reverse \(× -1\) = \+10\)$/);
  assert.doesNotMatch(f.message, /--/);
});

test('a track_file weight keepalived rejects: it uses 1, so the failure raises the priority (the VIP STAYS)', () => {
  const r = pair('track_file tf {\n    file "/run/x/state"\n    weight -300\n}\n' + vi(100, '    track_file {\n        tf\n    }\n'), vi(90));
  assert.deepEqual([r.instances[0].checks[0].weight, r.instances[0].checks[0].failed, r.instances[0].checks[0].moves], [1, 101, false]);
  const f = r.findings.find((x) => x.code === 'weight-range')!;
  assert.equal(f.severity, 'error');
  assert.match(f.message, /^track_file tf: weight -300 is outside -254\.\.254: keepalived ignores it .* uses weight 1; on VI_1, if it fails: priority 100 → 101 → the VIP STAYS/);
});

test('display paths: relative under cwd, absolute from / (never a path missing its leading slash)', () => {
  const path = fixture('findings/clean.conf');
  const cwd = process.cwd();
  try {
    process.chdir('/');
    assert.equal(parseKeepalivedConf(path).files[0], path);
    process.chdir(fixture('findings'));
    assert.equal(parseKeepalivedConf(path).files[0], 'clean.conf');
    // a directory beside the checkout, never above it (CI clones under /tmp, tmpdir() itself)
    const elsewhere = mkdtempSync(join(tmpdir(), 'hacheck-cwd-'));
    process.chdir(elsewhere);
    assert.equal(parseKeepalivedConf(path).files[0], path);
    rmSync(elsewhere, { recursive: true });
  } finally {
    process.chdir(cwd);
  }
});

test('vrrp-version-mismatch: the fix names what sets each side\'s version (an instance\'s own `version` line, else the global one)', () => {
  const { report } = runFixture(fixture('findings/vrrp-version-mismatch.conf'));
  const f = report.findings.find((x) => x.code === 'vrrp-version-mismatch')!;
  assert.equal(f.fix, "the same VRRP version on both nodes: here `version 3` in vrrp_instance VI_1, the peer no `version` line in vrrp_instance VI_1 (VRRPv2: global_defs' vrrp_version, the default 2, or 3 for IPv6)");
});

test("numbers as keepalived's running daemon reads them (lib/parser.c): a fraction's whole part where --config-test rejects it; advert_int `5.` and `.5`", () => {
  const G = 'global_defs {\n    enable_script_security\n    script_user root\n}\n';
  const chk = 'vrrp_script chk {\n    script "/usr/bin/hacheck"\n    interval 3.5\n    timeout 2s\n    fall 3.7\n    rise 0.5\n    weight \\-30\n}\n';
  const r = pair(G + chk + vi(100, '    advert_int 5.\n    track_script {\n        chk weight -30.5\n    }\n'), G + vi(90, '    advert_int 5\n'));
  const c = r.instances[0].checks[0];
  // interval 3, fall 3 (detection 9 s), the track line's -30.5 is -30: 100 → 70 < 90, the VIP moves
  assert.match(c.text, /after fall 3 × interval 3s ≈ 9s/);
  assert.deepEqual([c.weight, c.failed, c.moves], [-30, 70, true]);
  assert.equal(r.instances[0].advertInt, 5);
  assert.ok(!r.findings.some((f) => f.code === 'advert-int-mismatch'), 'advert_int 5. is 5 s, as the peer\'s 5');
  const split = r.findings.filter((f) => f.code === 'config-test-differs').map((f) => f.message.replace(/: keepalived --config-test.*uses /, ' → '));
  assert.deepEqual(split, [
    'vrrp_script chk: interval 3.5 → interval 3: the doctor counts with interval 3, what will run',
    'vrrp_script chk: timeout 2s → timeout 2: the doctor counts with timeout 2, what will run',
    'vrrp_script chk: fall 3.7 → fall 3: the doctor counts with fall 3, what will run',
    'vrrp_instance VI_1: track_script chk: weight -30.5 → weight -30: the doctor counts with weight -30, what will run',
  ]);
  // rise 0.5: 0 either way, outside 1.. → rise 1 in both: the plain script-value error
  assert.ok(r.findings.some((f) => f.code === 'script-value' && /rise 0\.5/.test(f.message)));
  const half = pair(G + vi(100, '    version 3\n    advert_int .5\n'), G + vi(90, '    version 3\n    advert_int 0.5\n'));
  assert.equal(half.instances[0].advertInt, 0.5);
});

test('the script-timeout finding counts with the timeout the daemon uses: interval 2, timeout 1.5 is killed after 1 s, before the 1.5 s deadline', () => {
  const { report } = runFixture(fixture('findings/config-test-differs.conf'));
  const f = report.findings.find((x) => x.code === 'script-timeout')!;
  assert.match(f.message, /keepalived kills the script after 1s, but hacheck may run for up to 1\.5s/);
  const tf = report.instances[0].checks.find((c) => c.kind === 'file')!;
  assert.deepEqual([tf.weight, tf.failed, tf.moves], [-60, 40, true]);
});

test('an unquoted script line: keepalived runs its first word only, so a `hacheck status` guard runs as a plain check', () => {
  const { report } = runFixture(fixture('findings/script-unquoted.conf'));
  const f = report.findings.find((x) => x.code === 'script-unquoted')!;
  assert.match(f.message, /keepalived runs only `\/usr\/bin\/hacheck` and drops `status --max-age 3s`: it runs a plain `hacheck` check/);
  assert.equal(f.fix, 'quote the whole command: script "/usr/bin/hacheck status --max-age 3s"');
  assert.match(report.instances[0].checks[0].text, /if hacheck fails on this node/);
});

test('a config keepalived refuses to run (duplicate VRID on one interface and family, a VRRPv3 instance without VIP): an error, and no verdict says the VIP moves', () => {
  const { report } = runFixture(fixture('findings/keepalived-stops.conf'));
  assert.match(report.findings[0].message, /^keepalived will not run this config: vrrp_instance VI_1 and VI_2 both use virtual_router_id 51 with IPv4 on interface eth0/);
  assert.ok(report.instances.flatMap((r) => r.checks).every((c) => c.moves === false && !/MOVES/.test(c.text)));
  const G = 'global_defs {\n    enable_script_security\n    script_user root\n}\n';
  const v3 = pair(G + 'vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n    version 3\n    track_interface {\n        eth1\n    }\n}\n', G + vi(90));
  assert.ok(v3.findings.some((f) => f.code === 'keepalived-stops' && /has no virtual_ipaddress \(VRRPv3 requires one\)/.test(f.message)));
  // IPv4 and IPv6 may share a VRID: no conflict
  const mixed = pair(G + vi(100) + vi(100).replace('VI_1', 'VI_6').replace('192.0.2.10', '2001:db8::10'), G + vi(90));
  assert.ok(!mixed.findings.some((f) => f.code === 'keepalived-stops'));
});

test('the peer instance is matched by virtual_router_id and address family (IPv4 and IPv6 instances share VRID 51), the interface breaking a tie', () => {
  const G = 'global_defs {\n    enable_script_security\n    script_user root\n}\nvrrp_script chk {\n    script "/usr/bin/hacheck"\n    interval 2\n    timeout 2\n    weight -20\n}\n';
  const inst = (name: string, prio: number, vip: string, iface = 'eth0') => `vrrp_instance ${name} {\n    state BACKUP\n    interface ${iface}\n    virtual_router_id 51\n    priority ${prio}\n    virtual_ipaddress {\n        ${vip}\n    }\n    track_script {\n        chk\n    }\n}\n`;
  const r = pair(G + inst('VI_4', 100, '198.51.100.10/24') + inst('VI_6', 100, '2001:db8::10/64'), G + inst('V6', 50, '2001:db8::10/64') + inst('V4', 90, '198.51.100.10/24'));
  assert.deepEqual(r.instances.map((i) => [i.name, i.peer?.name]), [['VI_4', 'V4'], ['VI_6', 'V6']]);
  assert.equal(r.instances[0].checks[0].moves, true);
  // two IPv4 instances with one VRID on different interfaces: the interface decides (names may differ across nodes, so only then)
  const t = pair(G + inst('A', 100, '198.51.100.10', 'eth0') + inst('B', 100, '198.51.100.11', 'eth1'), G + inst('B2', 60, '198.51.100.11', 'eth1') + inst('A2', 90, '198.51.100.10', 'eth0'));
  assert.deepEqual(t.instances.map((i) => i.peer?.name), ['A2', 'B2']);
});

/** a keepalived.conf in a fresh temp dir (removed at exit) */
function writeTemp(text: string): string {
  const d = mkdtempSync(join(tmpdir(), 'hacheck-doctor-'));
  process.on('exit', () => rmSync(d, { recursive: true, force: true }));
  writeFileSync(join(d, 'keepalived.conf'), text);
  return join(d, 'keepalived.conf');
}

test("the peer's preempt_delay delays a weighted takeover (vrrp.c vrrp_state_backup), not a FAULT's; keepalived clears it with state MASTER, vrrp_strict, nopreempt", () => {
  const { report } = runFixture(fixture('findings/preempt-delay.conf'));
  const [weighted, fault] = report.instances[0].checks;
  assert.deepEqual(weighted.takeover, { by: 'master-down', ms: 303_648, exact: true, preemptDelayMs: 300_000, formula: "preempt_delay 300s (the peer's) + 3 × advert_int 1s + skew 0.648s" });
  assert.match(weighted.text, /the peer keeps accepting the lower-priority adverts for its preempt_delay 300s \("start preempt delay"\), then discards them and takes over when its master down timer expires, up to 303\.648s after the first lower-priority advert/);
  assert.equal(fault.takeover?.by, 'skew');
  assert.equal(fault.takeover?.ms, 648);
  assert.match(fault.text, /0\.648s after the priority-0 advert \(skew time .*; its preempt_delay 300s \(the peer's\) does not delay a priority-0 advert\)/);
  const slow = report.findings.find((f) => f.code === 'preempt-delay-slow')!;
  assert.match(slow.message, /peer VI_1 \(.*preempt-delay\.peer\.conf:2\) has preempt_delay 300s/);
  assert.match(slow.fix, /^weight 0/);
  // this node's own preempt_delay (state MASTER) is cleared: it does not count when the peer fails
  assert.match(report.findings.find((f) => f.code === 'preempt-delay-cleared')!.message, /preempt_delay with state MASTER: keepalived clears it/);
  const vi = (head: string, body: string) => `${head}vrrp_instance VI_1 {\n    state BACKUP\n    interface eth0\n    virtual_router_id 51\n    priority 90\n${body}    virtual_ipaddress {\n        192.0.2.10\n    }\n}\n`;
  for (const [head, body, why] of [['', '    nopreempt\n    preempt_delay 10\n', /nopreempt: keepalived resets it/], ['global_defs {\n    vrrp_strict\n}\n', '    preempt_delay 10\n', /vrrp_strict: keepalived resets it/],
    ['', '    preempt_delay 10\n    strict_mode on\n', /vrrp_strict/]] as const) {
    const r = runFixture(writeTemp(vi(head, body)), { peer: '' }).report;
    assert.deepEqual(r.findings.filter((f) => f.code === 'preempt-delay-cleared').length, 1, JSON.stringify(r.findings));
    assert.match(r.findings.find((f) => f.code === 'preempt-delay-cleared')!.message, why);
  }
  // without --peer-conf the peer is assumed to have this node's (BACKUP) preempt_delay: the note says so
  const alone = runFixture(writeTemp(vi('vrrp_script chk {\n    script "/usr/bin/hacheck"\n    interval 2\n    timeout 2\n    weight -30\n}\n', '    preempt_delay 20\n    track_script {\n        chk\n    }\n')), { peer: '' }).report;
  assert.equal(alone.instances[0].checks[0].takeover?.preemptDelayMs, 20_000);
  assert.match(alone.findings.find((f) => f.code === 'slow-takeover')!.message, /preempt_delay 20s \(as on this node, assumed on the peer: no --peer-conf\)/);
});

test('weight 0 reverse is FAULT while the check succeeds, for every tracker kind (vrrp_script, track_file, vrrp_track_process): no "FAULT → 100", no "?"', () => {
  const { report } = runFixture(fixture('findings/reverse-fault.conf'));
  const texts = report.instances.map((i) => i.checks[0].text);
  assert.deepEqual(report.instances.map((i) => [i.healthy, i.checks[0].failed, i.checks[0].moves]), [['FAULT', 100, false], ['FAULT', 100, false], ['FAULT', 100, false]]);
  assert.match(texts[0], /track_script chk_hacheck: weight 0 reverse: this node is in FAULT while hacheck succeeds and leaves FAULT when it fails \(priority 100\): it can hold the VIP only while hacheck is failing \(nginx is DOWN\) → backwards$/);
  assert.match(texts[1], /track_file tf: weight 0 reverse: this node is in FAULT while \/run\/x\/state holds 0 and leaves FAULT when it holds anything else/);
  assert.match(texts[2], /track_process nginx: weight 0 reverse: this node is in FAULT while nginx runs \(its quorum is met\) and leaves FAULT when it stops/);
  for (const f of report.findings) assert.doesNotMatch(f.message, /FAULT → \d|\?|NaN/, f.message);
  for (const t of texts) assert.doesNotMatch(t, /FAULT → \d|\?|NaN/, t);
  // hacheck's own file: a file holding 0 is hacheck's healthy value
  const agent = runFixture(writeTemp('track_file tf {\n    file "/run/hacheck/state"\n    weight 0 reverse\n}\nvrrp_instance VI_1 {\n    state BACKUP\n    interface eth0\n    virtual_router_id 51\n    priority 100\n    virtual_ipaddress {\n        192.0.2.10\n    }\n    track_file {\n        tf\n    }\n}\n'), { peer: '' }).report;
  assert.match(agent.instances[0].checks[0].text, /FAULT while \/run\/hacheck\/state holds 0 \(hacheck's healthy value\) .* only while nginx is DOWN → backwards$/);
  assert.ok(agent.findings.some((f) => f.code === 'reverse-fault' && f.line === 3));
});
