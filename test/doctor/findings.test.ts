// One fixture per finding: each `# expect:` line must be reported at exactly that
// file:line with that severity and code, and nothing else may be reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectations, fixture, reported, runFixture } from './helpers.ts';

const files = readdirSync(fixture('findings')).filter((f) => f.endsWith('.conf') && !f.endsWith('.peer.conf')).sort();

for (const name of [...files.map((f) => `findings/${f}`), 'include/main.conf']) {
  test(`doctor finds what ${name} expects`, () => {
    const { report, local } = runFixture(fixture(name));
    assert.deepEqual(reported(report.findings), expectations(local), JSON.stringify(report.findings, null, 1));
  });
}

test('every finding code has a fixture', () => {
  const codes = new Set<string>();
  for (const f of files) for (const e of expectations(runFixture(fixture(`findings/${f}`)).local)) codes.add(e.split(' ')[2]);
  for (const c of ['weight-cannot-move', 'peer-nopreempt', 'nopreempt-master', 'script-timeout', 'script-interval', 'track-file-unguarded',
    'no-script-security', 'no-script-user', 'one-line-block', 'unused-script', 'unknown-track', 'address-owner', 'priority-range',
    'no-tracking', 'failure-raises', 'status-max-age', 'agent-in-script', 'semicolon', 'slash-comment', 'sync-group-weights', 'strict-auth',
    'slow-takeover']) {
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
  assert.match(report.findings[0].message, /up to 3\.625s after the last advert it accepted \(3 × advert_int 1s \+ skew \(256 − its priority\)\/256 × 1s \(VRRPv2\) < 1s\)/);
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
    'VI_3 chk_fast': { by: 'master-down', ms: 1648, exact: true, formula: '1 (down_timer_adverts) × advert_int 1s + skew 0.648s' },
  });
  const note = report.findings.find((f) => f.line === 12)!;
  assert.equal(note.severity, 'info');
  assert.match(note.message, /weight -20 lowers the priority \(100 → 80\) instead of FAULT: the peer discards the lower-priority adverts and takes over only when its master down timer expires, 6\.648s after the last advert it accepted \(3 × advert_int 2s \+ skew 0\.648s\), on top of the detection; with weight 0 \(FAULT\) it takes over 0\.648s after the priority-0 advert/);
  assert.match(note.fix, /^weight 0 \(FAULT\).*both nodes.*higher node/);
  // vrrp_strict: keepalived resets down_timer_adverts to 3
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-doctor-'));
  try {
    writeFileSync(join(dir, 'strict.conf'), readFileSync(fixture('findings/slow-takeover.conf'), 'utf8').replace('global_defs {', 'global_defs {\n    vrrp_strict'));
    const strict = runFixture(join(dir, 'strict.conf'), { peer: fixture('findings/slow-takeover.peer.conf') }).report;
    assert.equal(strict.instances.find((i) => i.name === 'VI_3')!.checks[0].takeover?.ms, 3648);
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
