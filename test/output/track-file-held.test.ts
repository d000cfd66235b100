// Review of TrackFileWatch holding the descriptor: in-place rewrites, chmod/chown, a second name, swaps, the agent's own rewrites.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, renameSync, symlinkSync, unlinkSync, mkdirSync, rmSync, readdirSync, chmodSync, chownSync, linkSync, openSync, writeSync, closeSync, rmdirSync, truncateSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { TrackFileWatch } from '../../src/output/track-file-watch.ts';
import { writeTrackFile } from '../../src/output/state-file.ts';

const dir = mkdtempSync('/tmp/hc-review-track-');
after(() => rmSync(dir, { recursive: true, force: true }));
const tf = `${dir}/track`;
const fds = () => readdirSync('/proc/self/fd').length;

test('held track_file descriptor: every change between checks is seen', () => {
  const w = new TrackFileWatch();
  writeTrackFile(tf, 0);
  assert.equal(w.check(tf, 0), undefined);
  const base = fds();
  assert.equal(w.check(tf, 0), undefined);
  const fix = () => { writeTrackFile(tf, 0); assert.equal(w.check(tf, 0), undefined); };
  // in place
  let fd = openSync(tf, 'r+'); writeSync(fd, '1\n', 0); closeSync(fd);
  assert.match(w.check(tf, 0)!.why, /holds "1"/); fix();
  truncateSync(tf, 0); assert.match(w.check(tf, 0)!.why, /empty/); fix();
  fd = openSync(tf, 'r+'); writeSync(fd, '0\n0\n', 0); closeSync(fd);
  assert.match(w.check(tf, 0)!.why, /holds/); fix();
  chmodSync(tf, 0o666); assert.match(w.check(tf, 0)!.why, /writable/); fix();
  chownSync(tf, 65534, 65534); assert.match(w.check(tf, 0)!.why, /owned by uid 65534/); fix();
  // a second name: written through it
  linkSync(tf, `${dir}/alias`); assert.equal(w.check(tf, 0), undefined);
  writeFileSync(`${dir}/alias`, '254\n'); assert.match(w.check(tf, 0)!.why, /holds "254"/); fix();
  unlinkSync(`${dir}/alias`);
  // replaced
  writeFileSync(`${dir}/x`, '0\n', { mode: 0o644 }); renameSync(`${dir}/x`, tf); assert.equal(w.check(tf, 0), undefined);
  writeFileSync(`${dir}/x`, '1\n', { mode: 0o644 }); renameSync(`${dir}/x`, tf); assert.match(w.check(tf, 0)!.why, /holds "1"/); fix();
  writeFileSync(`${dir}/x`, '0\n', { mode: 0o644 }); unlinkSync(tf); symlinkSync(`${dir}/x`, tf); assert.match(w.check(tf, 0)!.why, /symlink/); unlinkSync(tf); fix();
  unlinkSync(tf); execFileSync('mkfifo', [tf]); assert.match(w.check(tf, 0)!.why, /not a regular/); unlinkSync(tf); fix();
  unlinkSync(tf); mkdirSync(tf); assert.match(w.check(tf, 0)!.why, /not a regular|cannot/); rmdirSync(tf); fix();
  unlinkSync(tf); assert.match(w.check(tf, 0)!.why, /missing/); fix();
  // value changes (the agent's own rewrite), then back
  for (let i = 0; i < 300; i++) { const val = i % 3 === 0 ? 0 : 254; writeTrackFile(tf, val); assert.equal(w.check(tf, val), undefined); assert.match(w.check(tf, val ? 0 : 254)!.why, /holds/); }
  // another path (reload), then back
  writeTrackFile(`${dir}/t2`, 0); assert.equal(w.check(`${dir}/t2`, 0), undefined); assert.equal(w.check(tf, 254), undefined); assert.equal(w.check(`${dir}/t2`, 0), undefined);
  assert.ok(fds() <= base);
});
