// The seed blog posts' keepalived.conf files (transcribed verbatim into
// test/fixtures/keepalived/seeds/) and what the doctor says about each pair.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { scriptPrograms } from '../../src/keepalived/analyze.ts';
import { fixture, parse, runFixture } from './helpers.ts';

/** The post's script stands in for the program its config names. */
function withScript(conf: string, script: string) {
  const programs = scriptPrograms(parse(fixture(conf)));
  return new Map(programs.map((p) => [p, { exists: true, text: readFileSync(fixture(script), 'utf8') }] as const));
}
const codes = (fs: { code: string; severity: string; line: number }[]) => fs.map((f) => `${f.severity} ${f.code} :${f.line}`);

test('000 (nmap, weight 2 on both nodes): a failure on the master moves the VIP (102 → 100 < 101); pkill keepalived and sleep 5 flagged', () => {
  const { report } = runFixture(fixture('seeds/000-master.conf'), { peer: '000-backup.conf', scripts: withScript('seeds/000-master.conf', 'seeds/000-check_nginx.sh') });
  const [vi] = report.instances;
  assert.equal(vi.healthy, 102);
  assert.equal(vi.peer?.healthy, 101);
  assert.equal(vi.checks[0].failed, 100);
  assert.equal(vi.checks[0].moves, true);
  assert.match(vi.checks[0].text, /priority 102 → 100; peer BACKUP has 101 → the VIP MOVES/);
  assert.deepEqual(codes(report.findings), ['warning no-script-security :4', 'warning no-script-user :4', 'warning kills-keepalived :22', 'warning script-killed :24', 'info slow-takeover :26']);
  // a priority drop, not FAULT: the backup (101) waits for its master down timer
  assert.deepEqual(vi.checks[0].takeover, { by: 'master-down', ms: 3605, exact: true, formula: '3 × advert_int 1s + skew 0.605s' });
  const kill = report.findings.find((f) => f.code === 'kills-keepalived')!;
  assert.match(kill.message, /check_nginx\.sh:\d+ stops keepalived \(`.*pkill keepalived`\)/);
  const slept = report.findings.find((f) => f.code === 'script-killed')!;
  assert.match(slept.message, /sleeps 5s but keepalived kills it after 2s \(no timeout: the interval\)/);
});

test('002 (weight 2 on the master only): the VIP stays — weight too small; // is not a comment', () => {
  const { report } = runFixture(fixture('seeds/002-master.conf'), { peer: '002-backup.conf', scripts: withScript('seeds/002-master.conf', '../../../bench/seeds/nginx_status-002.sh') });
  const [vi] = report.instances;
  assert.equal(vi.checks[0].failed, 101);
  assert.equal(vi.checks[0].moves, false);
  assert.match(vi.checks[0].text, /priority 103 → 101; peer BACKUP has 99 → the VIP STAYS: weight too small \(needs a drop of 5 or more, e.g. weight -5\)/);
  const weight = report.findings.find((f) => f.code === 'weight-cannot-move')!;
  assert.equal(weight.severity, 'error');
  assert.equal(readFileSync(fixture('seeds/002-master.conf'), 'utf8').split('\n')[weight.line - 1].trim(), 'weight 2');
  const slashes = report.findings.filter((f) => f.code === 'slash-comment').map((f) => f.line);
  assert.ok(slashes.length >= 8, `every // line is flagged: ${slashes}`);
  assert.ok(report.findings.some((f) => f.code === 'kills-keepalived' && /init\.d\/keepalived stop/.test(f.message)));
  assert.ok(report.findings.some((f) => f.code === 'script-killed' && /sleeps 3s/.test(f.message)));
});

test('003 (no weight: FAULT): the VIP moves; systemctl stop keepalived flagged', () => {
  const { report } = runFixture(fixture('seeds/003-lb1.conf'), { peer: '003-lb2.conf', scripts: withScript('seeds/003-lb1.conf', 'seeds/003-check_nginx.sh') });
  const [vi] = report.instances;
  assert.equal(vi.checks[0].failed, 'FAULT');
  assert.equal(vi.checks[0].moves, true);
  assert.match(vi.checks[0].text, /priority 100 → FAULT \(advertises priority 0\); peer BACKUP VI_1 \(priority 90\) takes over → the VIP MOVES/);
  assert.ok(report.findings.some((f) => f.code === 'kills-keepalived' && /systemctl stop keepalived/.test(f.message)));
  assert.ok(!report.findings.some((f) => f.severity === 'error'), JSON.stringify(report.findings));
});

test('004 (weight -20, 100 vs 90): moves, but server A and B have different virtual_router_ids; killall keepalived flagged', () => {
  const { report } = runFixture(fixture('seeds/004-a.conf'), { peer: '004-b.conf', scripts: withScript('seeds/004-a.conf', '../../../bench/seeds/ck_nginx-004.sh') });
  const [vi] = report.instances;
  assert.equal(vi.checks[0].failed, 80);
  assert.equal(vi.checks[0].moves, true);
  const vrid = report.findings.find((f) => f.code === 'vrid-mismatch')!;
  assert.equal(vrid.severity, 'error');
  assert.match(vrid.message, /virtual_router_id 10 here but 51 on the peer/);
  assert.ok(report.findings.some((f) => f.code === 'kills-keepalived' && /killall keepalived/.test(f.message)));
  // server B tracks nothing at all, and its vrrp_strict drops the authentication A still sends
  const b = runFixture(fixture('seeds/004-b.conf'), { peer: '004-a.conf' }).report;
  assert.deepEqual(b.findings.map((f) => `${f.severity} ${f.code} :${f.line}`), ['error vrid-mismatch :22', 'warning no-tracking :19', 'warning strict-auth :25']);
});
