// One fixture per finding: each `# expect:` line must be reported at exactly that
// file:line with that severity and code, and nothing else may be reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
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
    'no-tracking', 'failure-raises', 'status-max-age', 'agent-in-script', 'semicolon', 'slash-comment', 'sync-group-weights', 'strict-auth']) {
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
  assert.match(vi.checks[0].text, /if hacheck fails on this node, priority 100 → 80; peer BACKUP has 90 → the VIP MOVES \(after fall 2 × interval 2s ≈ 4s\)$/);
});

test('weight too small says what weight would do', () => {
  const { report } = runFixture(fixture('findings/weight-too-small.conf'));
  const f = report.findings.find((x) => x.code === 'weight-cannot-move')!;
  assert.match(f.message, /priority 100 → 95; peer BACKUP has 90 → the VIP STAYS: weight too small \(needs a drop of 11 or more, e.g. weight -11\)/);
  assert.match(f.fix, /weight -11 or lower/);
});

test('without a peer config the needed peer priority is stated, and nothing is guessed into a finding', () => {
  const { report } = runFixture(fixture('findings/weight-too-small.conf'), { peer: '' });
  assert.deepEqual(report.findings, []);
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
