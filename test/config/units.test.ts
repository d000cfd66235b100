// Durations as the doctor and the agent show them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fmtMs, fmtSec } from '../../src/config/units.ts';

test('fmtSec: keepalived seconds to the millisecond; below one, in ms (the skew of priority 254 at advert_int 0.05 is 0.39 ms, not "0s")', () => {
  assert.equal(fmtSec(0.6484375), '0.648s');
  assert.equal(fmtSec(3), '3s');
  assert.equal(fmtSec(0), '0s');
  assert.equal(fmtSec((256 - 254) / 256 * 0.05), '0.39ms');
  assert.equal(fmtSec((256 - 254) / 256 * 0.01), '0.078ms');
  assert.equal(fmtSec(0.001), '0.001s');
});

test('fmtMs: ms below a second, seconds below a minute, minutes above', () => {
  assert.equal(fmtMs(300), '300ms');
  assert.equal(fmtMs(1500), '1.5s');
  assert.equal(fmtMs(1_200_000), '20m');
});
