// The track_file is re-asserted every agent cycle (issue 16, cases
// 14-track-file-fails-open and adv-18). keepalived reads a missing track_file as 0
// (healthy with the default values) and believes whatever integer a file holds:
// a track_file deleted, or replaced by "0", while nginx stays down used to stay
// that way, with status.json saying 1. Now each cycle checks the file (open
// O_NOFOLLOW, fstat, read a few bytes) and rewrites it, logging when a drift starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrackFileWatch, trackFileDrift } from '../../src/output/track-file-watch.ts';
import { writeTrackFile } from '../../src/output/state-file.ts';
import { startHacheck, waitFor, type Run } from '../fixtures/hacheck.ts';

type T = { after: (fn: () => void | Promise<void>) => void };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isRoot = process.geteuid?.() === 0;

function tempDir(t: T, mode = 0o755): string {
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-track-'));
  chmodSync(dir, mode);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const read = (f: string) => {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return undefined;
  }
};

test('trackFileDrift: exactly "<value>\\n" in our own regular file is fine; anything else says why', (t) => {
  const dir = tempDir(t);
  const f = join(dir, 'state');
  assert.equal(trackFileDrift(f, 1), 'is missing');
  writeTrackFile(f, 1);
  assert.equal(trackFileDrift(f, 1), undefined);
  assert.equal(trackFileDrift(f, 0), 'holds "1"');
  writeTrackFile(f, -20);
  assert.equal(trackFileDrift(f, -20), undefined);
  const cases: [content: string, why: string][] = [['0\n', 'holds "0"'], ['', 'is empty'], ['1', 'holds "1"'], ['1\n\n', 'holds "1\\n"'], [' 1\n', 'holds " 1"'], ['x'.repeat(100), `holds "${'x'.repeat(32)}…"`]];
  for (const [content, why] of cases) {
    writeFileSync(f, content);
    assert.equal(trackFileDrift(f, 1), why, JSON.stringify(content));
  }
  writeTrackFile(f, 1);
  chmodSync(f, 0o666);
  assert.equal(trackFileDrift(f, 1), 'is writable by group or others (mode 666)');
  rmSync(f);
  const decoy = join(dir, 'decoy');
  writeFileSync(decoy, '1\n');
  symlinkSync(decoy, f);
  assert.equal(trackFileDrift(f, 1), 'is a symlink', 'not followed, though its target holds the value');
  rmSync(f);
  mkdirSync(f);
  assert.equal(trackFileDrift(f, 1), 'is not a regular file');
  rmSync(f, { recursive: true });
  spawnSync('mkfifo', [f]);
  const t0 = performance.now();
  assert.equal(trackFileDrift(f, 1), 'is not a regular file', 'a FIFO is not waited on');
  assert.ok(performance.now() - t0 < 1000);
  if (isRoot) {
    rmSync(f);
    writeTrackFile(f, 1);
    chownSync(f, 65534, 65534);
    assert.equal(trackFileDrift(f, 1), 'is owned by uid 65534, not 0');
  }
});

test('TrackFileWatch: a drift is reported to log when it starts or its reason changes, not every cycle', (t) => {
  const dir = tempDir(t);
  const f = join(dir, 'state');
  const w = new TrackFileWatch();
  writeTrackFile(f, 1);
  assert.equal(w.check(f, 1), undefined);
  rmSync(f);
  assert.deepEqual(w.check(f, 1), { why: 'is missing', log: true });
  rmSync(f, { force: true });
  assert.deepEqual(w.check(f, 1), { why: 'is missing', log: false }, 'the same drift again: rewritten, not logged again');
  writeFileSync(f, '0\n');
  assert.deepEqual(w.check(f, 1), { why: 'holds "0"', log: true }, 'another reason: logged');
  writeFileSync(f, '0\n');
  assert.deepEqual(w.check(f, 1), { why: 'holds "0"', log: false });
  writeTrackFile(f, 1);
  assert.equal(w.check(f, 1), undefined);
  rmSync(f);
  assert.deepEqual(w.check(f, 1), { why: 'is missing', log: true }, 'a new drift is logged');
});

test('TrackFileWatch keeps the right file open between cycles: a change in place or a swap of the name is still seen', (t) => {
  const dir = tempDir(t);
  const f = join(dir, 'state');
  const w = new TrackFileWatch();
  writeTrackFile(f, 1);
  assert.equal(w.check(f, 1), undefined);
  assert.equal(w.check(f, 1), undefined, 'right again: read through the kept descriptor');
  // the same inode, rewritten in place (content), then made writable by others (mode)
  writeFileSync(f, '0\n');
  assert.equal(w.check(f, 1)?.why, 'holds "0"');
  writeFileSync(f, '1\n');
  assert.equal(w.check(f, 1), undefined);
  chmodSync(f, 0o666);
  assert.equal(w.check(f, 1)?.why, 'is writable by group or others (mode 666)');
  chmodSync(f, 0o644);
  assert.equal(w.check(f, 1), undefined);
  // the name swapped for a symlink to a file that holds the value: not followed
  const decoy = join(dir, 'decoy');
  writeFileSync(decoy, '1\n');
  const link = join(dir, 'link');
  symlinkSync(decoy, link);
  renameSync(link, f);
  assert.equal(w.check(f, 1)?.why, 'is a symlink');
  // another right file put in its place by rename: right, and kept from then on
  writeTrackFile(f, 1);
  assert.equal(w.check(f, 1), undefined);
  writeFileSync(join(dir, 'other'), '1\n');
  renameSync(join(dir, 'other'), f);
  assert.equal(w.check(f, 1), undefined, 'another inode with the right content and mode is right');
  rmSync(f);
  assert.equal(w.check(f, 1)?.why, 'is missing');
  spawnSync('mkfifo', [f]);
  assert.equal(w.check(f, 1)?.why, 'is not a regular file');
  if (isRoot) {
    rmSync(f);
    writeTrackFile(f, 1);
    assert.equal(w.check(f, 1), undefined);
    chownSync(f, 65534, 65534);
    assert.equal(w.check(f, 1)?.why, 'is owned by uid 65534, not 0', 'a change of owner in place');
  }
});

/** An agent whose only probe is refused at once (port 1): unhealthy, track_file 1, at a 100 ms interval. */
function unhealthyAgent(t: T, dir: string, stateFile: string) {
  const a = startHacheck(['agent', '--port', '127.0.0.1:1', '--interval', '100ms', '--fall', '1', '--rise', '1', '--state-dir', join(dir, 'sd'),
    '--state-file', stateFile, '--status-file', join(dir, 'sd', 'status.json'), '--maintenance-file=', '--no-restart']);
  let err = '';
  a.child.stderr!.on('data', (b) => (err += b));
  let done: Run | undefined;
  void a.done.then((r) => (done = r));
  t.after(async () => {
    if (!done) {
      process.kill(-a.child.pid!, 'SIGKILL');
      await a.done;
    }
  });
  const rewrites = () => err.split('\n').filter((l) => l.includes('rewriting it with')).map((l) => JSON.parse(l).found as string);
  return { rewrites, stderr: () => err, status: () => JSON.parse(readFileSync(join(dir, 'sd', 'status.json'), 'utf8')) };
}

test('case 14: the agent puts back a deleted or overwritten track_file within a cycle or two, and logs each drift once', async (t) => {
  const dir = tempDir(t);
  const state = join(dir, 'state');
  const a = unhealthyAgent(t, dir, state);
  await waitFor('track_file 1', 10_000, () => read(state) === '1\n');
  assert.deepEqual(a.rewrites(), []);

  rmSync(state);
  await waitFor('the deleted track_file back', 3000, () => read(state) === '1\n');
  await waitFor('the log line', 3000, () => a.rewrites().length === 1);
  assert.deepEqual(a.rewrites(), ['is missing']);

  // replaced by "0" (keepalived: healthy), as a writer of the directory would: temp file + rename
  writeFileSync(join(dir, 'x'), '0\n');
  renameSync(join(dir, 'x'), state);
  await waitFor('the overwritten track_file back', 3000, () => read(state) === '1\n');
  await waitFor('the log line', 3000, () => a.rewrites().length === 2);
  assert.equal(a.rewrites()[1], 'holds "0"');

  // a symlink to a file that holds the right value: replaced by our own file, its target untouched
  const decoy = join(dir, 'decoy');
  writeFileSync(decoy, '1\n');
  rmSync(state);
  symlinkSync(decoy, state);
  await waitFor('a regular track_file again', 3000, () => !lstatSync(state).isSymbolicLink());
  assert.equal(read(state), '1\n');
  assert.equal(read(decoy), '1\n');

  // someone overwrites it again and again: every cycle puts it back, the log says so once
  const before = a.rewrites().length;
  const cyclesBefore = a.status().cycle;
  const end = performance.now() + 1000;
  while (performance.now() < end) {
    writeFileSync(join(dir, 'y'), '0\n');
    renameSync(join(dir, 'y'), state);
    await sleep(10);
  }
  const cycles = a.status().cycle - cyclesBefore;
  await waitFor('track_file 1 after the storm', 3000, () => read(state) === '1\n');
  const logged = a.rewrites().length - before;
  assert.ok(cycles >= 3, `${cycles} cycles ran meanwhile`);
  assert.ok(logged >= 1 && logged <= 2, `${logged} log lines for ${cycles} cycles of rewrites`);
  assert.equal(a.status().value, 1);
  assert.doesNotMatch(a.stderr(), /"level":50/, 'no errors logged');
});

const hasSetpriv = spawnSync('sh', ['-c', 'command -v setpriv']).status === 0;
test('adv-18: another user (nobody) replaces the track_file in a shared directory: back to 1 within a cycle', { skip: !isRoot || !hasSetpriv ? 'needs root and setpriv' : undefined }, async (t) => {
  const dir = tempDir(t);
  const shared = join(dir, 'shared');
  mkdirSync(shared);
  chmodSync(shared, 0o777);
  const state = join(shared, 'state');
  const a = unhealthyAgent(t, dir, state);
  await waitFor('track_file 1', 10_000, () => read(state) === '1\n');
  const nobody = (script: string) => spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'sh', '-c', script], { encoding: 'utf8' });
  const r = nobody(`printf '0\\n' > '${shared}/x' && mv -f '${shared}/x' '${state}'`);
  assert.equal(r.status, 0, r.stderr);
  await waitFor('track_file back to 1', 3000, () => read(state) === '1\n' && lstatSync(state).uid === 0);
  nobody(`rm -f '${state}'`);
  await waitFor('track_file back after rm', 3000, () => read(state) === '1\n');
  // the same content, but in nobody's file (which nobody could change at any time): replaced by ours
  nobody(`printf '1\\n' > '${shared}/z' && mv -f '${shared}/z' '${state}'`);
  await waitFor("our own file again", 3000, () => lstatSync(state).uid === 0);
  assert.equal(read(state), '1\n');
  assert.equal(a.status().value, 1);
  // nobody's file is not ours whatever it holds: the owner is what the first check names
  assert.deepEqual(a.rewrites().slice(0, 3), ['is owned by uid 65534, not 0', 'is missing', 'is owned by uid 65534, not 0']);
});
