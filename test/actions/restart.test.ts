// Restart against a real nginx (test/fixtures/nginx-lab.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hacheck, startHacheck } from '../fixtures/hacheck.ts';
import { killNginx, lab, nginxUp, restartCount, sleep } from '../fixtures/nginx-lab.ts';

test('killed nginx is restarted and the run exits 0: "recovered after restart"', async (t) => {
  const l = await lab(t);
  const cfg = l.config();
  assert.equal((await hacheck('-c', cfg)).code, 0, 'healthy before');
  killNginx(l);
  const r = await hacheck('-c', cfg, '--json');
  const rep = JSON.parse(r.stdout);
  assert.equal(r.code, 0, JSON.stringify(rep.reasons));
  assert.equal(restartCount(l), 1);
  assert.equal(rep.restart.action, 'restart');
  assert.equal(rep.restart.recovered, true);
  assert.match(rep.notes.join('\n'), /recovered after restart in \d+/);
  assert.ok(nginxUp(l));
});

test('killed again inside the grace period after a recovered restart: fails now, no second restart, no waiting', async (t) => {
  const l = await lab(t);
  const cfg = l.config();
  killNginx(l);
  assert.equal((await hacheck('-c', cfg)).code, 0, 'first failure: restarted and recovered');
  killNginx(l);
  const r = await hacheck('-c', cfg, '--json', '--timeout', '5s');
  const rep = JSON.parse(r.stdout);
  assert.equal(r.code, 1);
  assert.equal(restartCount(l), 1);
  assert.match(rep.reasons[0], /no new restart within the grace period/);
  assert.doesNotMatch(rep.notes.join('\n'), /not healthy within the deadline/, 'did not sit out the deadline waiting for a restart that already finished');
});

test('a broken nginx.conf is not restarted: exit 1 with nginx\'s error', async (t) => {
  const l = await lab(t);
  killNginx(l);
  writeFileSync(l.conf, readFileSync(l.conf, 'utf8').replace('worker_processes 2;', 'worker_processes 2;\nbogus_directive on;'));
  const r = await hacheck('-c', l.config(), '--json');
  assert.equal(r.code, 1);
  const rep = JSON.parse(r.stdout);
  assert.match(rep.reasons[0], /^config test failed: \[emerg\] unknown directive "bogus_directive" in .*nginx\.conf:2$/);
  assert.equal(restartCount(l), 0, 'the restart command never ran');
  assert.equal(rep.restart.configTest.ok, false);
  // the cause in the reason, nginx's whole output in restart.log
  assert.equal(rep.restart.log, join(l.dir, 'state', 'restart.log'));
  assert.match(rep.notes.join('\n'), /nginx not restarted; full output in .*restart\.log/);
  assert.match(readFileSync(rep.restart.log, 'utf8'), /config test failed: nginx -t .*\n.*unknown directive "bogus_directive"[^]*test failed/);
});

test('10 overlapping runs start exactly one restart, and all see nginx recover', async (t) => {
  const l = await lab(t);
  const cfg = l.config();
  killNginx(l);
  // a generous deadline: ten Node start-ups at once on two cores is slow under load
  const runs = await Promise.all(Array.from({ length: 10 }, () => hacheck('-c', cfg, '--json', '--timeout', '20s')));
  assert.equal(restartCount(l), 1);
  const reps = runs.map((r) => JSON.parse(r.stdout));
  assert.equal(reps.filter((r) => r.restart?.action === 'restart').length, 1);
  assert.deepEqual(runs.map((r) => r.code), Array(10).fill(0), reps.map((r) => r.notes.join(' | ')).join('\n'));
});

test('budget spent: the run says so and fails fast, no restart', async (t) => {
  const l = await lab(t);
  const cfg = l.config('  grace: 0s\n  budget: { max: 2, window: 10m }\n');
  for (let i = 1; i <= 2; i++) {
    killNginx(l);
    const r = await hacheck('-c', cfg, '--json');
    assert.equal(r.code, 0, r.stdout);
    assert.equal(restartCount(l), i);
  }
  killNginx(l);
  const r = await hacheck('-c', cfg, '--json');
  assert.equal(r.code, 1);
  assert.equal(restartCount(l), 2);
  const rep = JSON.parse(r.stdout);
  assert.match(rep.reasons[0], /^restart budget spent: 2 restarts in the last 10m \(max 2\); next restart allowed in \d+m\d*s?$/);
  assert.ok(rep.elapsed_ms < 1000, `failed fast: ${rep.elapsed_ms} ms (deadline 5 s)`);
});

test('hacheck SIGKILLed mid-restart (keepalived script timeout): nginx still comes up', async (t) => {
  const l = await lab(t);
  const cfg = l.config();
  killNginx(l);
  writeFileSync(join(l.dir, 'slow'), '');
  const run = startHacheck(['-c', cfg]);
  while (restartCount(l) === 0) await sleep(10);
  process.kill(-run.child.pid!, 'SIGKILL'); // the whole process group, as keepalived does
  const r = await run.done;
  assert.equal(r.signal, 'SIGKILL');
  const t0 = performance.now();
  while (!nginxUp(l) && performance.now() - t0 < 5000) await sleep(20);
  assert.ok(nginxUp(l), 'nginx came up after hacheck died');
  // the next run finds it healthy, and the killed run's restart still counts
  const next = await hacheck('-c', cfg);
  assert.equal(next.code, 0);
  assert.equal(restartCount(l), 1);
  assert.equal(JSON.parse(readFileSync(join(l.dir, 'state', 'restart-budget.json'), 'utf8')).restarts.length, 1);
});

test('a restart command that hangs is not started a second time while it runs', async (t) => {
  const l = await lab(t);
  const cfg = l.config('  grace: 0s\n  settle: 0s\n');
  killNginx(l);
  writeFileSync(join(l.dir, 'hang'), '');
  const first = await hacheck('-c', cfg, '--timeout', '1s', '--json');
  assert.equal(first.code, 1);
  const pid = JSON.parse(first.stdout).restart.pid as number;
  t.after(() => { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } });
  assert.match(JSON.parse(first.stdout).restart.reason, /not healthy within the deadline/);
  const second = await hacheck('-c', cfg, '--timeout', '1s', '--json');
  assert.equal(second.code, 1);
  assert.match(JSON.parse(second.stdout).reasons[0], new RegExp(`^the restart command started [\\d.]+m?s ago \\(pid ${pid}: .*restart\\.sh\\) is still running$`));
  assert.equal(restartCount(l), 1);
});

test('an unusable state dir means no restart: the budget could not be kept', async (t) => {
  const l = await lab(t);
  writeFileSync(join(l.dir, 'not-a-dir'), '');
  killNginx(l);
  const r = await hacheck('-c', l.config(), '--state-dir', join(l.dir, 'not-a-dir', 'state'), '--json');
  assert.equal(r.code, 1);
  assert.match(JSON.parse(r.stdout).reasons[0], /^not restarting: the restart budget cannot be kept \(cannot create lock directory .*: ENOTDIR\)$/);
  assert.equal(restartCount(l), 0);
});

test("under keepalived's script umask (0177) the restart still runs: the state and lock directories get their modes whatever the umask", async (t) => {
  const { spawnSync } = await import('node:child_process');
  const { statSync } = await import('node:fs');
  const { HACHECK, cleanEnv } = await import('../fixtures/hacheck.ts');
  const l = await lab(t);
  const cfg = l.config();
  killNginx(l);
  // keepalived (scripts run with umask 0177): mkdir(0700) alone made restart.lock 0600, refused as unsafe
  const r = spawnSync('/bin/sh', ['-c', 'umask 0177; exec "$0" "$@"', process.execPath, HACHECK, '-c', cfg, '--json'], { env: cleanEnv(), encoding: 'utf8', timeout: 30_000 });
  const rep = JSON.parse(r.stdout);
  assert.equal(r.status, 0, JSON.stringify(rep.reasons));
  assert.equal(restartCount(l), 1);
  assert.equal(statSync(join(l.dir, 'state', 'restart.lock')).mode & 0o7777, 0o700);
});
