// `--keepalived WRAPPER` (and nginx -t for a restart) run bounded: the deadline and the end of
// the command kill its whole process group, so a wrapper's children are not left to init
// (a forking wrapper once left `sleep` processes behind after every doctor run).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runConfigTest, keepalivedVersion } from '../../src/keepalived/config-test.ts';
import { runConfigTest as nginxConfigTest } from '../../src/actions/restart.ts';
import { runBounded } from '../../src/sys/bounded-run.ts';
import { sleep } from '../fixtures/nginx-lab.ts';

const dir = mkdtempSync(join(tmpdir(), 'hacheck-bounded-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** gone, or a zombie (PID 1 here does not reap orphans): nothing running */
const running = (pid: number) => {
  try { return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; }
};
const pids = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n').filter(Boolean).map(Number) : []);

async function noneRunning(f: string) {
  const all = pids(f);
  assert.ok(all.length > 0, 'the wrapper started its children');
  for (let i = 0; i < 50 && all.some(running); i++) await sleep(20);
  for (const p of all) {
    if (running(p)) process.kill(p, 'SIGKILL');
    assert.equal(running(p), false, `pid ${p} left running`);
  }
}

test('a keepalived wrapper that forks: --version and a hung --config-test end with everything they started', async () => {
  const bg = join(dir, 'bg.pids');
  const wrapper = join(dir, 'keepalived-wrapper');
  // --version answers and exits with a child still running; --config-test never ends
  writeFileSync(wrapper, `#!/bin/sh\nsleep 30 & echo $! >> ${bg}\nif [ "$1" = --version ]; then echo "Keepalived v2.2.7 (01/16,2022)" >&2; exit 0; fi\nsleep 30\n`);
  chmodSync(wrapper, 0o755);
  const conf = join(dir, 'k.conf');
  writeFileSync(conf, 'vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n    priority 100\n    virtual_ipaddress {\n        198.51.100.10/24\n    }\n}\n');

  const t0 = performance.now();
  assert.equal(await keepalivedVersion(wrapper), '2.2.7');
  assert.ok(performance.now() - t0 < 1000, 'the answer does not wait for the child holding the pipe');
  await noneRunning(bg);

  rmSync(bg);
  const t1 = performance.now();
  const ct = await runConfigTest(wrapper, conf, 500, '2.2.7');
  assert.ok(performance.now() - t1 < 500 + 1500, 'bounded by its deadline');
  assert.equal(ct.status, 'failed');
  assert.match(ct.status === 'failed' ? ct.reason : '', /did not finish within 500 ms \(killed\)/);
  await noneRunning(bg);
});

test('runBounded: exit code, signal, spawn error, output cap; the nginx config test keeps its words', async () => {
  assert.deepEqual((({ code, signal, timedOut }) => ({ code, signal, timedOut }))(await runBounded(['sh', '-c', 'echo out; echo err >&2; exit 3'], { timeoutMs: 5000, env: {} })), { code: 3, signal: null, timedOut: false });
  assert.match((await runBounded(['sh', '-c', 'echo out; echo err >&2'], { timeoutMs: 5000, env: {} })).out, /out\n[\s\S]*err|err\n[\s\S]*out/);
  assert.equal((await runBounded(['sh', '-c', 'kill -TERM $$'], { timeoutMs: 5000, env: {} })).signal, 'SIGTERM');
  assert.equal((await runBounded([join(dir, 'nonexistent')], { timeoutMs: 5000, env: {} })).error, 'ENOENT');
  assert.ok((await runBounded(['sh', '-c', 'head -c 300000 /dev/zero'], { timeoutMs: 5000, env: {}, maxOutput: 1000 })).out.length < 70_000, 'capped');

  const bg = join(dir, 'nginx-bg.pids');
  const nginx = join(dir, 'nginx-wrapper');
  writeFileSync(nginx, `#!/bin/sh\nsleep 30 & echo $! >> ${bg}\necho "nginx: configuration file /etc/nginx/nginx.conf test failed" >&2\nsleep 30\n`);
  chmodSync(nginx, 0o755);
  const r = await nginxConfigTest([nginx, '-t'], performance.now() + 300);
  assert.equal(r.ok, false);
  assert.match(r.message, /did not finish within the deadline/);
  await noneRunning(bg);
  const ok = await nginxConfigTest(['sh', '-c', 'echo "nginx: the configuration file /x syntax is ok" >&2'], performance.now() + 5000);
  assert.equal(ok.ok, true);
});
