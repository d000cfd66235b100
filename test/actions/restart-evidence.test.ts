// The restart flow graded by evidence, against a real daemonized nginx: a
// failure only ambiguous evidence backs (here the pid file gone while the master
// serves: nginx answers on its port and URL) restarts nothing on its first run,
// and a run whose probes pass starts the count again; the second failing run in
// a row does restart (restart.ambiguous_runs 2); definitive evidence (the master
// killed -9) restarts on the first run whatever the count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { alive, restartConfig, startDaemonNginx, waitFor } from '../fixtures/nginx-daemon.ts';
import { hacheck } from '../fixtures/hacheck.ts';

const restarts = (dir: string) => (existsSync(join(dir, 'state', 'restart.log')) ? readFileSync(join(dir, 'state', 'restart.log'), 'utf8').split('\n').filter((l) => / restarting nginx: /.test(l)).length : 0);

test('pid file gone under a serving nginx (ambiguous): no restart on the first run, the count ends with a healthy run, the second run in a row restarts; a killed master restarts at once', async (t) => {
  const n = await startDaemonNginx(t, { comm: 'hc-amb-ngx' });
  const cfg = restartConfig(n);
  const master = n.master()!;
  const hide = () => renameSync(n.pidfile, `${n.pidfile}.hidden`);
  const unhide = () => renameSync(`${n.pidfile}.hidden`, n.pidfile);
  const run = async () => {
    const r = await hacheck('-c', cfg, '--json');
    return { code: r.code, rep: JSON.parse(r.stdout) };
  };

  hide();
  let { code, rep } = await run();
  assert.equal(code, 1);
  assert.equal(rep.evidence, 'ambiguous');
  assert.equal(rep.restart.action, 'skip');
  assert.equal(rep.reasons[0], 'not restarting yet: process failing with ambiguous evidence only (a timeout, a status, a reset) in 1 run in a row, 2 needed (restart.ambiguous_runs); definitive evidence restarts at once');
  assert.equal(restarts(n.dir), 0, 'no restart command run');
  assert.equal(rep.restart.configTest, undefined, 'no config test either');

  // nginx's probes pass: the count starts again
  unhide();
  ({ code } = await run());
  assert.equal(code, 0);
  assert.equal(existsSync(join(n.dir, 'state', 'restart-ambiguous.json')), false);
  hide();
  ({ rep } = await run());
  assert.match(rep.reasons[0], /in 1 run in a row, 2 needed/);
  assert.equal(restarts(n.dir), 0);

  // the second failing run in a row: restarted (here it cannot bind: the master still serves, as 0.1.0 did on the first run)
  ({ code, rep } = await run());
  assert.equal(code, 1);
  assert.equal(rep.restart.action, 'restart');
  assert.equal(restarts(n.dir), 1);
  assert.ok(alive(master), 'the serving master was left alone');
  unhide();

  // a count left over, then the master killed -9 with its workers: definitive, restarted on the first run
  hide();
  ({ rep } = await run());
  assert.match(rep.reasons[0], /in 1 run in a row/);
  unhide();
  for (const p of n.procs()) process.kill(p.pid, 'SIGKILL');
  await waitFor(() => n.procs().length === 0, 3000, () => JSON.stringify(n.procs()));
  ({ code, rep } = await run());
  assert.equal(rep.restart.action, 'restart', JSON.stringify(rep.reasons));
  assert.equal(rep.restart.recovered, true, JSON.stringify(rep.reasons));
  assert.equal(code, 0);
  assert.equal(restarts(n.dir), 2);
});
