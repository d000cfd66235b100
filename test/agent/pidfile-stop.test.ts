// `hacheck agent --pidfile` (no port, no URL) when nginx is stopped cleanly:
// nginx deletes its pid file on exit, and no pid file with no nginx master in
// /proc is definitive evidence: the agent flips on the first failing cycle,
// not after `fall` (here 1000), and the log says so. Real nginx under its own
// comm name (no other nginx on the machine can be mistaken for it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onCleanup } from '../fixtures/cleanup.ts';
import { startHacheck, waitFor } from '../fixtures/hacheck.ts';
import { sleep } from '../fixtures/nginx-lab.ts';
import { startNginx } from '../fixtures/nginx-server.ts';

const COMM = 'hc-stop-agent';

const read = (f: string) => {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return undefined;
  }
};

for (const signal of ['stop', 'quit'] as const) {
  test(`nginx -s ${signal} with a pidfile-only process probe: definitive, the first failing cycle flips (fall 1000)`, async (t) => {
    const ng = await startNginx(t, { comm: COMM, workers: 1 });
    const dir = mkdtempSync(join(tmpdir(), 'hacheck-agent-stop-'));
    onCleanup(t, () => rmSync(dir, { recursive: true, force: true, maxRetries: 3 }));
    const stateFile = join(dir, 'state');
    const statusFile = join(dir, 'status.json');
    const a = startHacheck(['agent', '--state-file', stateFile, '--status-file', statusFile, '--state-dir', join(dir, 'st'), '--maintenance-file', '', '--no-restart',
      '--process', COMM, '--pidfile', ng.pidfile, '--interval', '100ms', '--rise', '1', '--fall', '1000']);
    let err = '';
    a.child.stderr!.on('data', (b) => (err += b));
    onCleanup(t, async () => {
      try { process.kill(-a.child.pid!, 'SIGKILL'); } catch { /* gone */ }
      await Promise.race([a.done, sleep(5000)]);
    });
    await waitFor('healthy track_file', 10_000, () => read(stateFile) === '0\n');
    const r = spawnSync(join(ng.dir, COMM), ['-p', ng.dir, '-c', join(ng.dir, 'nginx.conf'), '-s', signal], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    await waitFor('unhealthy track_file', 5_000, () => read(stateFile) === '1\n');
    const doc = await waitFor('status unhealthy', 2_000, () => {
      const d = JSON.parse(read(statusFile) ?? '{}');
      return d.verdict === 'unhealthy' ? d : undefined;
    });
    assert.equal(doc.decided_by, 'definitive');
    const lines = err.trim().split('\n').map((s) => JSON.parse(s) as { msg: string });
    const flip = lines.find((x) => /healthy → unhealthy/.test(x.msg));
    assert.ok(flip, err);
    assert.match(flip.msg, /definitive evidence: definitive_fall 1/);
  });
}
