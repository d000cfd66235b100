// process probe, in process, against a real nginx run under its own comm name
// (a copy of the binary) so other nginx instances on the machine do not count:
// by name and by pidfile; dead master, zombie, stale pidfile, too few workers, SIGSTOP.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';
import { prober, schema } from '../../src/probes/process.ts';
import { killNginxAndWait, startNginx, workerPids } from '../fixtures/nginx-server.ts';
import { otherProgram, zombie } from '../fixtures/servers.ts';
import { sleep } from '../fixtures/nginx-lab.ts';

const COMM = 'hc-proc-nginx';
const ng = await startNginx({ after }, { comm: COMM, workers: 2 });

async function probe(raw: Record<string, unknown>) {
  const cfg = v.parse(schema, { type: 'process', ...raw });
  const r = await prober.run(cfg, { signal: new AbortController().signal, deadline: performance.now() + 2000, stateDir: '/nonexistent' });
  assert.equal(r.checks.length, 1);
  return { ...r.checks[0], probeOk: r.ok, summary: r.summary };
}

function pidfileWith(name: string, text: string): string {
  const f = join(ng.dir, name);
  writeFileSync(f, text);
  return f;
}

test('by comm name: the master and its workers', async () => {
  const c = await probe({ process: COMM });
  assert.equal(c.ok, true, c.reason);
  assert.equal(c.target, `comm=${COMM}`);
  assert.match(c.value, new RegExp(`^pid ${ng.pid} ${COMM} \\w+, 2 workers$`));
});

test('by pidfile: alive, comm matches, enough workers', async () => {
  const c = await probe({ process: COMM, pidfile: ng.pidfile });
  assert.equal(c.ok, true, c.reason);
  assert.equal(c.target, ng.pidfile);
  assert.match(c.value, /, 2 workers$/);
});

test('fewer workers than required', async () => {
  const c = await probe({ process: COMM, pidfile: ng.pidfile, min_workers: 3 });
  assert.equal(c.ok, false);
  assert.equal(c.reason, '2 live workers, need >= 3');
  const byName = await probe({ process: COMM, min_workers: 3 });
  assert.equal(byName.ok, false);
  assert.equal(byName.reason, '2 live workers, need >= 3');
});

test('stale pidfile: the pid now belongs to another program (comm mismatch)', async () => {
  const pid = otherProgram({ after });
  const c = await probe({ process: COMM, pidfile: pidfileWith('stale.pid', `${pid}\n`) });
  assert.equal(c.ok, false);
  assert.equal(c.value, `pid ${pid} is sleep`);
  assert.equal(c.reason, `stale pidfile: pid ${pid} now belongs to "sleep", not "${COMM}"`);
});

test('pidfile of a zombie is dead', async () => {
  const pid = await zombie({ after });
  // even when the comm would match: a zombie serves nothing
  const c = await probe({ process: 'perl', pidfile: pidfileWith('zombie.pid', `${pid}\n`) });
  assert.equal(c.ok, false);
  assert.equal(c.value, `pid ${pid} zombie`);
  assert.match(c.reason!, /zombie/);
});

test('pidfile missing, empty, or not a pid', async () => {
  // (a comm nobody runs: the hint naming a running master is tested in test/actions/orphans.test.ts)
  const missing = await probe({ process: 'hc-no-such', pidfile: join(ng.dir, 'no-such.pid') });
  assert.equal(missing.ok, false);
  assert.equal(missing.reason, 'cannot read pidfile: no such file (ENOENT)');
  for (const text of ['', 'nginx\n', '-1\n', '12 34\n']) {
    const c = await probe({ pidfile: pidfileWith('bad.pid', text) });
    assert.equal(c.ok, false, JSON.stringify(text));
    assert.equal(c.reason, 'pidfile does not hold a pid');
  }
});

test('a name nobody runs', async () => {
  const c = await probe({ process: 'hc-no-such' });
  assert.equal(c.ok, false);
  assert.equal(c.value, 'none');
  assert.equal(c.reason, 'no live hc-no-such process');
});

test('SIGSTOPped master is alive but serves nothing', async (t) => {
  process.kill(ng.pid, 'SIGSTOP');
  t.after(() => process.kill(ng.pid, 'SIGCONT'));
  const until = performance.now() + 2000;
  let c = await probe({ process: COMM, pidfile: ng.pidfile });
  while (c.ok && performance.now() < until) {
    await sleep(10);
    c = await probe({ process: COMM, pidfile: ng.pidfile });
  }
  assert.equal(c.ok, false);
  assert.match(c.reason!, /is stopped/);
});

test('nginx killed -9 (master and workers): dead by pidfile and by name', async () => {
  const workers = workerPids(ng);
  assert.equal(workers.length, 2);
  await killNginxAndWait(ng);
  const byPid = await probe({ process: COMM, pidfile: ng.pidfile });
  assert.equal(byPid.ok, false);
  assert.match(byPid.reason!, new RegExp(`^(stale pidfile: pid ${ng.pid} is not running|pid ${ng.pid} is a zombie \\(master died\\))$`));
  const byName = await probe({ process: COMM });
  assert.equal(byName.ok, false);
  assert.match(byName.reason!, new RegExp(`^no live ${COMM} process`));
});

test('schema: comm names are at most 15 characters', () => {
  assert.throws(() => v.parse(schema, { type: 'process', process: 'a-very-long-process-name' }), /at most 15 characters/);
  assert.throws(() => v.parse(schema, { type: 'process', min_workers: -1 }), /min_workers must be >= 0/);
});

test('only the master killed (workers orphaned, still running): dead by pidfile and by name', async () => {
  const comm = 'hc-orphan-ngx';
  const ng2 = await startNginx({ after }, { comm, workers: 2 });
  const workers = workerPids(ng2);
  assert.equal(workers.length, 2);
  process.kill(ng2.pid, 'SIGKILL');
  await new Promise((resolve) => (ng2.child.exitCode !== null || ng2.child.signalCode !== null ? resolve(null) : ng2.child.once('exit', resolve)));
  const byPid = await probe({ process: comm, pidfile: ng2.pidfile });
  assert.equal(byPid.ok, false);
  assert.match(byPid.reason!, new RegExp(`^(stale pidfile: pid ${ng2.pid} is not running|pid ${ng2.pid} is a zombie \\(master died\\)); orphaned ${comm} workers ${workers.sort((a, b) => a - b).join(', ')} hold the listening sockets`));
  const byName = await probe({ process: comm });
  assert.equal(byName.ok, false, 'orphaned workers are not a healthy nginx');
  assert.equal(byName.reason, `no live ${comm} master; orphaned ${comm} workers ${workers.sort((a, b) => a - b).join(', ')} hold the listening sockets (their master is gone)`);
  assert.equal(byName.evidence, 'definitive');
});
