// The pid file of an nginx in its own PID namespace (a container, `unshare
// --pid`), read from outside: it holds the master's pid there (3, 1), which out
// here is another process or none. Judged as the master whose innermost pid
// ("NSpid:" in /proc/<pid>/status) it is, when exactly one master has it;
// several (containers' masters alike): ambiguous, never "stale" while they serve.
// The resource probes count that master's processes too.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as v from 'valibot';
import { prober, schema } from '../../src/probes/process.ts';
import { prober as memory, schema as memorySchema } from '../../src/probes/memory.ts';
import { isDead, readStat, readTitle, snapshot } from '../../src/sys/proc.ts';
import { freePort, sleep } from '../fixtures/nginx-lab.ts';
import { NGINX } from '../fixtures/nginx-server.ts';

const COMM = 'hc-pidns-ngx';
const canUnshare = spawnSync('unshare', ['--pid', '--fork', 'true']).status === 0;

async function probe(pidfile: string) {
  const cfg = v.parse(schema, { type: 'process', process: COMM, pidfile });
  return (await prober.run(cfg, { signal: new AbortController().signal, deadline: performance.now() + 2000, stateDir: '/nonexistent' })).checks[0];
}

const live = () => snapshot().filter((p) => p.comm === COMM && !isDead(p));
after(async () => {
  for (const p of live()) try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
});

/** nginx (daemon on) inside a new PID namespace whose init is a shell; resolves with its dir once the pid file is written. */
async function nginxInNamespace(): Promise<{ dir: string; pidfile: string; inner: number; master: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'hc-pidns-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'logs'));
  const bin = join(dir, COMM);
  copyFileSync(NGINX, bin);
  const port = await freePort();
  const pidfile = join(dir, 'nginx.pid');
  writeFileSync(join(dir, 'nginx.conf'), `worker_processes 1; pid ${pidfile}; error_log ${dir}/logs/e.log;
events { worker_connections 16; }
http { access_log off; client_body_temp_path ${dir}/c; proxy_temp_path ${dir}/p; fastcgi_temp_path ${dir}/f; uwsgi_temp_path ${dir}/u; scgi_temp_path ${dir}/s;
  server { listen 127.0.0.1:${port}; location / { return 200; } } }`);
  // the namespace's init (sh) stays, so nginx's daemonized master lives on; its stdio closed
  const ns = spawn('unshare', ['--pid', '--fork', '--mount-proc', 'sh', '-c', `${bin} -p ${dir} -c ${dir}/nginx.conf && exec sleep 60`], { stdio: 'ignore' });
  after(() => ns.kill('SIGKILL'));
  for (let i = 0; i < 300; i++) {
    const text = (() => { try { return readFileSync(pidfile, 'utf8'); } catch { return ''; } })();
    const inner = Number(text.trim());
    // this namespace's master: titled with its own binary's path
    const master = inner > 0 ? live().find((p) => readTitle(p.pid)?.startsWith(`nginx: master process ${bin} `))?.pid : undefined;
    if (master && live().some((p) => p.ppid === master)) return { dir, pidfile, inner, master };
    await sleep(10);
  }
  throw new Error('nginx did not come up in its PID namespace');
}

test('a pid file written in another PID namespace names the master whose pid it is there', { skip: !canUnshare && 'needs unshare --pid (root)' }, async () => {
  const a = await nginxInNamespace();
  assert.notEqual(a.inner, a.master, 'the pid in the file is not the pid out here');
  const c = await probe(a.pidfile);
  assert.equal(c.ok, true, c.reason);
  assert.equal(c.value, `pid ${a.master} ${COMM} ${readStat(a.master)!.state === 'S' ? 'sleeping' : readStat(a.master)!.state}, 1 worker; pidfile written in another PID namespace: its pid ${a.inner} is pid ${a.master} here`);

  // the resource probes count the same master's processes (its worker), not pid 3 out here
  const m = await memory.run(v.parse(memorySchema, { type: 'memory', process: COMM, nginx_rss_max: '1GiB', pidfile: a.pidfile }) as never, { signal: new AbortController().signal, deadline: performance.now() + 2000, stateDir: join(a.dir, 'state'), name: 'memory' });
  assert.equal(m.metrics!.nginx_processes, 2, m.checks.map((c) => c.value).join('; '));

  // a second container, same pids there: which master wrote which file is not known — ambiguous, not "stale"
  const b = await nginxInNamespace();
  assert.equal(b.inner, a.inner, 'both masters have the same pid in their namespaces');
  for (const f of [a.pidfile, b.pidfile]) {
    const t = await probe(f);
    assert.equal(t.ok, false);
    assert.equal(t.evidence, 'ambiguous');
    assert.equal(t.reason, `pidfile names pid ${a.inner}, which 2 ${COMM} masters have in their own PID namespaces (pids ${[a.master, b.master].sort((x, y) => x - y).join(', ')} here): which one wrote it is not known`);
  }

  // both gone (killed with their workers): the pid out here is what it is, definitive as before
  for (const p of live()) process.kill(p.pid, 'SIGKILL');
  for (let i = 0; i < 200 && live().length; i++) await sleep(10);
  const gone = await probe(a.pidfile);
  assert.equal(gone.ok, false);
  assert.equal(gone.evidence, 'definitive');
  assert.match(gone.reason!, new RegExp(`^stale pidfile: pid ${a.inner} (is not running|now belongs to ".*", not "${COMM}")`));
});
