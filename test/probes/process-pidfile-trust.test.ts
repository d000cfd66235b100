// process probe by pidfile: a master another user runs is believed only when no
// one but root, us and that user could have written the pid file. Any local user
// can start a look-alike nginx master (comm "nginx" from a copied binary, titles
// "nginx: master process"/"nginx: worker process" from argv[0]); a pid file in a
// directory that user can write (or one the user owns) must not turn a node whose
// real nginx is down into a healthy one. Real processes, run as nobody.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import * as v from 'valibot';
import { prober, schema } from '../../src/probes/process.ts';
import { readStat } from '../../src/sys/proc.ts';
import { sleep } from '../fixtures/nginx-lab.ts';

const root = (process.getuid?.() ?? 1) === 0;
const NOBODY = Number(spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim() || 65534);
const COMM = 'hc-fake-nginx';

const base = mkdtempSync('/tmp/hc-pidtrust-');
chmodSync(base, 0o755);
after(() => rmSync(base, { recursive: true, force: true }));
const bin = join(base, COMM);
copyFileSync('/bin/sleep', bin);
chmodSync(bin, 0o755);

/** A look-alike master with two workers, run by nobody; killed by its process group at the end. */
async function lookAlike(): Promise<number> {
  const script = `( exec -a "nginx: worker process" ${bin} 60 ) & ( exec -a "nginx: worker process" ${bin} 60 ) & exec -a "nginx: master process /usr/sbin/nginx" ${bin} 60`;
  const c = spawn('setpriv', ['--reuid', 'nobody', '--regid', 'nogroup', '--clear-groups', 'bash', '-c', script], { detached: true, stdio: 'ignore' });
  after(() => { try { process.kill(-c.pid!, 'SIGKILL'); } catch { /* gone */ } });
  for (let i = 0; i < 200 && readStat(c.pid!)?.comm !== COMM; i++) await sleep(10);
  await sleep(50); // the workers
  return c.pid!;
}

async function probe(pidfile: string) {
  const cfg = v.parse(schema, { type: 'process', process: COMM, pidfile });
  const r = await prober.run(cfg, { signal: new AbortController().signal, deadline: performance.now() + 2000, stateDir: '/nonexistent' });
  return r.checks[0];
}

test('a look-alike master named by a pid file that other users can write is not believed', { skip: !root && 'needs root (setpriv)' }, async () => {
  const pid = await lookAlike();
  // the attacker's own pid file in a directory it can write
  const open = join(base, 'open');
  mkdirSync(open, { mode: 0o777 });
  chmodSync(open, 0o777);
  const mine = join(open, 'nginx.pid');
  writeFileSync(mine, `${pid}\n`);
  chownSync(mine, NOBODY, NOBODY);
  let c = await probe(mine);
  assert.equal(c.ok, false, c.value);
  assert.match(c.reason!, new RegExp(`^pidfile not trusted: pid ${pid} runs as uid ${NOBODY}, and any local user could have written the pidfile`));
  // a root-owned pid file, but in a directory nobody can write: replaceable, so the same
  const rootFile = join(open, 'root.pid');
  writeFileSync(rootFile, `${pid}\n`, { mode: 0o644 });
  c = await probe(rootFile);
  assert.equal(c.ok, false, c.value);
  assert.match(c.reason!, /any local user could have written the pidfile/);
  // a directory owned by another user (not the master's): that user could have planted it
  const other = join(base, 'other');
  mkdirSync(other, { mode: 0o755 });
  chownSync(other, 1, 1);
  const planted = join(other, 'nginx.pid');
  writeFileSync(planted, `${pid}\n`, { mode: 0o644 });
  c = await probe(planted);
  assert.equal(c.ok, false, c.value);
  assert.match(c.reason!, /runs as uid \d+, and uid 1 could have written the pidfile/);
});

test("an nginx run by its own user, with a pid file only that user and root can write, is believed", { skip: !root && 'needs root (setpriv)' }, async () => {
  const pid = await lookAlike();
  const own = join(base, 'own');
  mkdirSync(own, { mode: 0o755 });
  chownSync(own, NOBODY, NOBODY);
  const f = join(own, 'nginx.pid');
  writeFileSync(f, `${pid}\n`, { mode: 0o644 });
  chownSync(f, NOBODY, NOBODY);
  const c = await probe(f);
  assert.equal(c.ok, true, c.reason);
  assert.match(c.value, new RegExp(`^pid ${pid} ${COMM} \\w+, 2 workers$`));
});

test('a pid file in a sticky directory anyone can write (/tmp) names a non-root master: not believed, whoever owns the file (repro-4)', { skip: !root && 'needs root (setpriv)' }, async () => {
  const pid = await lookAlike();
  // /tmp's mode: anyone creates names, nobody replaces another's
  const sticky = join(base, 'sticky');
  mkdirSync(sticky);
  chmodSync(sticky, 0o1777);
  // the user creates the name (as nginx would: the file is theirs) while the real nginx is down
  const f = join(sticky, 'nginx.pid');
  spawnSync('setpriv', ['--reuid', 'nobody', '--regid', 'nogroup', '--clear-groups', 'sh', '-c', `echo ${pid} > ${f}`]);
  let c = await probe(f);
  assert.equal(c.ok, false, c.value);
  assert.equal(c.value, `pid ${pid} not trusted`);
  assert.match(c.reason!, new RegExp(`^pidfile not trusted: pid ${pid} runs as uid ${NOBODY}, and the pidfile \\(owned by uid ${NOBODY}\\) is in ${sticky}, a sticky directory any local user can create it in`));
  // a file root made there is root's word: believed (no other user can replace or rewrite it)
  rmSync(f);
  writeFileSync(f, `${pid}\n`, { mode: 0o644 });
  c = await probe(f);
  assert.equal(c.ok, true, c.reason);
  // the way to run it: a directory of nginx's own user inside /tmp (created by that user, so nobody else's)
  const own = join(sticky, 'nginx');
  spawnSync('setpriv', ['--reuid', 'nobody', '--regid', 'nogroup', '--clear-groups', 'sh', '-c', `mkdir -m 755 ${own} && echo ${pid} > ${own}/nginx.pid`]);
  c = await probe(join(own, 'nginx.pid'));
  assert.equal(c.ok, true, c.reason);
});
