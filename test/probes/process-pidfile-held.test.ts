// Review of the held-descriptor change (readPid): a pid file swapped every way between runs is read as the path names it now; no descriptor leaks.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, renameSync, symlinkSync, unlinkSync, mkdirSync, rmSync, readdirSync, truncateSync, openSync, writeSync, closeSync, chmodSync, rmdirSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import * as v from 'valibot';
import { prober, schema } from '../../src/probes/process.ts';

const dir = mkdtempSync('/tmp/hc-review-pid-');
after(() => rmSync(dir, { recursive: true, force: true }));
const pf = `${dir}/nginx.pid`;
async function probe() {
  const cfg = v.parse(schema, { type: 'process', pidfile: pf });
  const r = await prober.run(cfg, { signal: AbortSignal.timeout(2000), deadline: performance.now() + 2000, stateDir: '/nonexistent' });
  return r.checks[0];
}
import { readlinkSync } from 'node:fs';
const fds = () => readdirSync('/proc/self/fd').length;
const fdList = () => readdirSync('/proc/self/fd').map((f) => { try { return `${f}:${readlinkSync(`/proc/self/fd/${f}`)}`; } catch { return f; } });

test('pidfile swapped every way between runs: each run reads what the path names now', async () => {
  const kids = [spawn('sleep', ['30']), spawn('sleep', ['30'])];
  after(() => kids.forEach((k) => k.kill()));
  const [a, b] = kids.map((k) => k.pid!);
  writeFileSync(pf, `${a}\n`, { mode: 0o644 });
  let c = await probe();
  assert.match(c.value, new RegExp(`pid ${a} is sleep`));
  const base = fds(); const baseList = fdList();
  // in place, same inode
  const fd = openSync(pf, 'r+'); writeSync(fd, `${b}\n`, 0); closeSync(fd);
  assert.match((await probe()).value, new RegExp(`pid ${b} is`));
  truncateSync(pf, 0);
  c = await probe(); assert.equal(c.ok, false); assert.match(c.reason!, /^(\S+ is not running: )?empty pidfile|^pidfile is empty/);
  writeFileSync(pf, `${a}\n`);
  assert.match((await probe()).value, new RegExp(`pid ${a} is`));
  // rename swap
  writeFileSync(`${pf}.new`, `${b}\n`); renameSync(`${pf}.new`, pf);
  assert.match((await probe()).value, new RegExp(`pid ${b} is`));
  // symlink
  writeFileSync(`${dir}/other`, `${a}\n`); unlinkSync(pf); symlinkSync(`${dir}/other`, pf);
  c = await probe(); assert.equal(c.ok, false); assert.match(c.reason!, /symbolic link/); assert.doesNotMatch(c.value, new RegExp(`${a}`));
  unlinkSync(pf); execFileSync('mkfifo', [pf]);
  c = await probe(); assert.equal(c.ok, false); assert.match(c.reason!, /a FIFO/);
  unlinkSync(pf); mkdirSync(pf);
  c = await probe(); assert.equal(c.ok, false); assert.match(c.reason!, /a directory/);
  rmdirSync(pf); writeFileSync(pf, `${b}\n`);
  assert.match((await probe()).value, new RegExp(`pid ${b} is`));
  // delete
  unlinkSync(pf);
  c = await probe(); assert.equal(c.ok, false); assert.match(c.reason!, /ENOENT|no pidfile and no nginx master/);
  writeFileSync(pf, `${a}\n`);
  // mode change in place: group-writable
  assert.match((await probe()).value, new RegExp(`pid ${a} is`));
  chmodSync(pf, 0o666);
  assert.match((await probe()).value, new RegExp(`pid ${a} is`)); // a root-run pid: believed (masterDistrust)
  chmodSync(pf, 0o644);
  // many runs alternating
  for (let i = 0; i < 500; i++) {
    if (i % 2) { writeFileSync(`${pf}.new`, `${i % 4 === 1 ? a : b}\n`); renameSync(`${pf}.new`, pf); }
    else writeFileSync(pf, `${i % 4 === 0 ? a : b}\n`);
    c = await probe();
    const want = (i % 2 ? (i % 4 === 1 ? a : b) : (i % 4 === 0 ? a : b));
    assert.match(c.value, new RegExp(`pid ${want} is`), `${i}`);
  }
  assert.ok(fdList().filter((x) => !baseList.includes(x) && !x.includes(':/proc/') && x.includes(':')).length === 0);
});
