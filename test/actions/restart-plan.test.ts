// planRestart and the budget arithmetic are pure: results + budget + now in, decision out;
// and recoverIfNeeded's gates before any command runs (inconclusive runs, ambiguous evidence).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as v from 'valibot';
import { planRestart, restartEvidence, restartSchema, configTestMessage, causeLine, restartCause, type RestartConfig } from '../../src/actions/restart.ts';
import { configSchema } from '../../src/config/schema.ts';
import { budgetStatus, readBudget, recordRestart, type BudgetState } from '../../src/actions/budget.ts';
import type { ProbeResult } from '../../src/probes/types.ts';

const cfg = (over: Record<string, unknown> = {}): RestartConfig => v.parse(restartSchema, { enabled: true, ...over });
const res = (kind: string, ok: boolean, severity: 'critical' | 'warning' = 'critical'): ProbeResult =>
  ({ kind, name: kind, severity, ok, summary: ok ? 'ok' : 'down', checks: [], durationMs: 1 });
const NOW = 1_800_000_000_000;
const budget = (...agoMs: number[]): BudgetState => ({ restarts: agoMs.map((a) => ({ at: NOW - a, by: 42, cmd: ['nginx'] })) });

test('defaults: 3 per 10m, grace 30s, nginx -t first', () => {
  const c = cfg();
  assert.deepEqual([c.budget.max, c.budget.window, c.grace, c.config_test], [3, 600_000, 30_000, ['nginx', '-t']]);
  assert.equal(v.parse(restartSchema, {}).enabled, false);
});

test('restart only when process/port/http fail critically', () => {
  assert.equal(planRestart([res('process', false)], budget(), cfg(), NOW).action, 'restart');
  assert.deepEqual(planRestart([res('process', true), res('http', false)], budget(), cfg(), NOW).failing, ['http']);
  const cpuOnly = planRestart([res('process', true), res('cpu', false)], budget(), cfg(), NOW);
  assert.deepEqual([cpuOnly.action, cpuOnly.reason], ['none', 'only resource probes fail: a restart would not help']);
  assert.equal(planRestart([res('port', false, 'warning')], budget(), cfg(), NOW).action, 'none');
  assert.equal(planRestart([res('port', true)], budget(), cfg(), NOW).action, 'none');
  assert.equal(planRestart([res('port', false)], budget(), cfg({ enabled: false }), NOW).reason, 'restart disabled');
});

test('budget spent: skip, say so, and when the next one is allowed', () => {
  const p = planRestart([res('process', false)], budget(60_000, 120_000, 180_000), cfg(), NOW);
  assert.equal(p.action, 'skip');
  assert.equal(p.awaitRecent, undefined, 'fail fast, no waiting');
  assert.match(p.reason, /^restart budget spent: 3 restarts in the last 10m \(max 3\); next restart allowed in 7m$/);
  // the oldest one leaves the window
  assert.equal(planRestart([res('process', false)], budget(60_000, 120_000, 600_001), cfg(), NOW).action, 'restart');
});

test('grace: no second restart soon after one; a very recent one is awaited', () => {
  const recent = planRestart([res('process', false)], budget(2_000), cfg(), NOW);
  assert.equal(recent.action, 'skip');
  assert.equal(recent.awaitRecent, true);
  assert.match(recent.reason, /restarted 2s ago by pid 42; no new restart within the grace period \(30s\)/);
  const older = planRestart([res('process', false)], budget(20_000), cfg(), NOW);
  assert.deepEqual([older.action, older.awaitRecent], ['skip', false]);
  assert.equal(planRestart([res('process', false)], budget(31_000), cfg(), NOW).action, 'restart');
});

test('grace: a restart already seen recovered is not awaited again (nginx failed anew)', () => {
  const b = { ...budget(2_000), recoveredAt: NOW - 1_900 };
  const p = planRestart([res('process', false)], b, cfg(), NOW, NOW - 100);
  assert.deepEqual([p.action, p.awaitRecent], ['skip', false]);
  // probed before that recovery was seen (an overlapping run): still wait for it
  assert.equal(planRestart([res('process', false)], b, cfg(), NOW, NOW - 1_950).awaitRecent, true);
  assert.equal(planRestart([res('process', false)], b, cfg(), NOW).awaitRecent, true, 'probe time unknown');
  // a recovery seen before this restart says nothing about it
  assert.equal(planRestart([res('process', false)], { ...budget(2_000), recoveredAt: NOW - 60_000 }, cfg(), NOW, NOW - 100).awaitRecent, true);
});

test('a restart command still running blocks a second one, even after grace', () => {
  const b: BudgetState = { ...budget(40_000), running: { at: NOW - 40_000, by: 42, cmd: ['systemctl', 'restart', 'nginx'], pid: 77, start: 1 } };
  const p = planRestart([res('process', false)], b, cfg(), NOW);
  assert.equal(p.action, 'skip');
  assert.equal(p.reason, 'the restart command started 40s ago (pid 77: systemctl restart nginx) is still running');
  assert.equal(p.awaitRecent, false);
  assert.equal(planRestart([res('process', false)], { ...b, running: { ...b.running!, at: NOW - 2_000 } }, cfg({ grace: '0s' }), NOW).awaitRecent, true);
});

test('a clock stepped back keeps counting restarts stamped in the future', () => {
  const s = budgetStatus(budget(-5_000, -6_000, -7_000), cfg(), NOW);
  assert.equal(s.used, 3);
  assert.ok(s.spentUntil);
});

test('the budget file keeps only restarts inside the window', (t) => {
  const d = mkdtempSync(join(tmpdir(), 'hacheck-budget-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  assert.deepEqual(readBudget(d), { restarts: [] });
  const c = cfg();
  assert.ok(recordRestart(d, budget(700_000, 5_000), { at: NOW, by: 1, cmd: ['nginx'] }, c));
  assert.deepEqual(readBudget(d).restarts.map((r) => NOW - r.at), [5_000, 0]);
});

test("nginx -t output: the [emerg] line is the message", () => {
  const out = 'nginx: [emerg] unknown directive "bogus" in /tmp/x/nginx.conf:3\nnginx: configuration file /tmp/x/nginx.conf test failed\n';
  assert.equal(configTestMessage(out), '[emerg] unknown directive "bogus" in /tmp/x/nginx.conf:3');
  const logStyle = '2026/11/24 23:39:48 [emerg] 10348#10348: unknown directive "bogus" in /tmp/x/nginx.conf:3\n' + out;
  assert.equal(configTestMessage(logStyle), '[emerg] unknown directive "bogus" in /tmp/x/nginx.conf:3');
  assert.equal(configTestMessage('sh: 1: boom\n'), 'sh: 1: boom');
});

test('the cause of a failed start is nginx\'s first [emerg]/[alert] line, not its last', () => {
  // nginx retries bind() and ends with a consequence, not the cause
  const bind = [
    'nginx: [emerg] bind() to 127.0.0.1:52013 failed (98: Address already in use)',
    'nginx: [emerg] bind() to 127.0.0.1:52013 failed (98: Address already in use)',
    'nginx: [emerg] still could not bind()',
  ];
  assert.equal(causeLine(bind), '[emerg] bind() to 127.0.0.1:52013 failed (98: Address already in use)');
  assert.equal(configTestMessage(bind.join('\n')), '[emerg] bind() to 127.0.0.1:52013 failed (98: Address already in use)');
  // an [alert] before an [emerg] is the first cause too; [warn] lines are not causes
  assert.equal(causeLine(['nginx: [warn] the "user" directive makes sense only if the master process runs with super-user privileges', '2026/11/24 23:39:48 [alert] 12#12: setrlimit(RLIMIT_NOFILE, 99999999) failed (1: Operation not permitted)', 'nginx: [emerg] x']), '[alert] setrlimit(RLIMIT_NOFILE, 99999999) failed (1: Operation not permitted)');
  // no nginx levels (systemctl, a wrapper): the last line
  assert.equal(causeLine(['Job for nginx.service failed.', 'See "systemctl status nginx.service" for details.', '']), 'See "systemctl status nginx.service" for details.');
  assert.equal(causeLine([]), '');
  assert.equal(configTestMessage(''), 'no output');
});

test('restart.kill_orphans: off unless set, and only a boolean', () => {
  assert.equal(v.parse(restartSchema, {}).kill_orphans, false);
  assert.equal(v.parse(restartSchema, { kill_orphans: true }).kill_orphans, true);
  assert.throws(() => v.parse(restartSchema, { kill_orphans: 'yes' }), /restart.kill_orphans must be true or false/);
});

test('restartCause: the first [emerg] of this run\'s part of restart.log, nothing from older runs', (t) => {
  const d = mkdtempSync(join(tmpdir(), 'hacheck-rlog-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  const log = join(d, 'restart.log');
  const older = '2026-12-01T00:00:00.000Z hacheck[1]: restarting nginx: nginx\nnginx: [emerg] open() "/etc/nginx/x.conf" failed (2: No such file or directory)\n';
  writeFileSync(log, older);
  assert.equal(restartCause(log), '', 'an older run\'s cause is not ours');
  writeFileSync(log, `${older}2026-12-01T00:01:00.000Z hacheck[${process.pid}]: restarting nginx: nginx\nnginx: [emerg] bind() to 0.0.0.0:80 failed (98: Address already in use)\nnginx: [emerg] still could not bind()\n`);
  assert.equal(restartCause(log), '[emerg] bind() to 0.0.0.0:80 failed (98: Address already in use)');
  assert.equal(restartCause(join(d, 'missing.log')), '');
});

/** A failing probe whose one failed check carries this evidence (absent: ambiguous). */
const failed = (kind: string, evidence?: 'definitive' | 'ambiguous', extra: Partial<ProbeResult['checks'][0]> = {}): ProbeResult =>
  ({ kind, name: kind, severity: 'critical', ok: false, summary: 'down', durationMs: 1, checks: [{ target: 't', ok: false, value: 'x', expect: 'y', durationMs: 1, ...(evidence && { evidence }), ...extra }] });

test('ambiguous evidence restarts only after restart.ambiguous_runs failing runs in a row; definitive at once', () => {
  assert.equal(cfg().ambiguous_runs, 2);
  assert.throws(() => v.parse(restartSchema, { ambiguous_runs: 0 }), /restart\.ambiguous_runs/);
  const slow = [res('process', true), failed('http', 'ambiguous')];
  const first = planRestart(slow, budget(), cfg(), NOW, undefined, 1);
  assert.equal(first.action, 'skip');
  assert.equal(first.awaitRecent, undefined, 'nothing to wait for: fail now');
  assert.equal(first.reason, 'not restarting yet: http failing with ambiguous evidence only (a timeout, a status, a reset) in 1 run in a row, 2 needed (restart.ambiguous_runs); definitive evidence restarts at once');
  assert.equal(planRestart(slow, budget(), cfg(), NOW, undefined, 2).action, 'restart');
  assert.equal(planRestart(slow, budget(), cfg({ ambiguous_runs: 1 }), NOW, undefined, 1).action, 'restart');
  assert.equal(planRestart(slow, budget(), cfg({ ambiguous_runs: 3 }), NOW, undefined, 2).action, 'skip');
  // one definitive failure among ambiguous ones: at once (a killed master, a refused port)
  for (const kind of ['process', 'port', 'http']) {
    assert.equal(planRestart([failed('http', 'ambiguous'), { ...failed(kind, 'definitive'), name: `${kind}#d` }], budget(), cfg(), NOW, undefined, 1).action, 'restart', kind);
  }
  // a definitive resource-probe failure does not make an ambiguous http one definitive
  assert.equal(planRestart([failed('cpu', 'definitive'), failed('http', 'ambiguous')], budget(), cfg(), NOW, undefined, 1).action, 'skip');
  // the budget still comes first
  assert.match(planRestart(slow, budget(1_000, 2_000, 3_000), cfg(), NOW, undefined, 1).reason, /^restart budget spent/);
});

test('restartEvidence: only the restartable critical probes count', () => {
  assert.equal(restartEvidence([res('process', true)]), undefined);
  assert.equal(restartEvidence([failed('port', 'definitive')]), 'definitive');
  assert.equal(restartEvidence([failed('http')]), 'ambiguous');
  assert.equal(restartEvidence([{ ...failed('process', 'definitive'), severity: 'warning' }, failed('http')]), 'ambiguous');
  assert.equal(restartEvidence([failed('memory', 'definitive')]), undefined);
});

test('recoverIfNeeded: an inconclusive run (checks started too late to finish) neither restarts nor runs the config test nor counts', async (t) => {
  const d = mkdtempSync(join(tmpdir(), 'hacheck-starved-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  const { recoverIfNeeded } = await import('../../src/actions/recover.ts');
  const conf = v.parse(configSchema, { state_dir: join(d, 'state'), maintenance_file: '', probes: [{ type: 'http', urls: ['http://127.0.0.1:1/'] }], restart: { enabled: true, cmd: ['true'], config_test: ['sh', '-c', `touch ${d}/tested`] } });
  // the URL was started with 10 ms of an 800 ms deadline left and timed out: hacheck was not on the CPU
  const starved = [failed('http', undefined, { timedOut: true, startedWithMs: 10 })];
  const r = await recoverIfNeeded(conf, starved, { deadline: performance.now() + 2000, spanMs: 800 });
  assert.equal(r.restart.action, 'skip');
  assert.match(r.restart.reason, /^not restarting: inconclusive run, hacheck did not get the CPU to run its checks in time \(http t started with 10 ms of the 800 ms deadline left\)$/);
  assert.equal(existsSync(join(d, 'tested')), false, 'no config test');
  assert.equal(existsSync(join(d, 'state', 'restart-ambiguous.json')), false, 'not counted');
  // the same timeout started in time is evidence (ambiguous): counted, not yet restarted
  const slow = [failed('http', undefined, { timedOut: true, startedWithMs: 790 })];
  const s = await recoverIfNeeded(conf, slow, { deadline: performance.now() + 2000, spanMs: 800 });
  assert.match(s.restart.reason, /^not restarting yet: http failing with ambiguous evidence only .* in 1 run in a row, 2 needed/);
  assert.equal(existsSync(join(d, 'tested')), false, 'no config test before the gate opens');
});
