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

test('durations: a decimal number and its unit written together; anything else refused, never read as another time', async () => {
  const { parseDuration } = await import('../../src/config/units.ts');
  const { ConfigError, parseConfigText, validate } = await import('../../src/config/load.ts');
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('2m'), 120_000);
  for (const bad of ['100 ms', '-1s', '1e3ms', '.5s', '1h30m', '1.5S', '1.5', '+1s', '0x10s', '1,5s', 'Infinitys']) assert.equal(parseDuration(bad), undefined, bad);
  const err = (yaml: string) => {
    try { validate(parseConfigText(yaml, 'c.yaml'), 'config'); return 'ok'; } catch (e) { assert.ok(e instanceof ConfigError); return e.message; }
  };
  assert.match(err('timeout: 100 ms\n'), /^c\.yaml:1: timeout: bad duration "100 ms"/);
  assert.match(err('timeout: 0s\n'), /^c\.yaml:1: timeout: duration 0s out of range \(50ms\.\.10m\)$/);
  assert.match(err('timeout: 1.5\n'), /^c\.yaml:1: timeout: expected a duration such as "500ms" or "1\.5s"$/);
  assert.match(err('timeout: 1e3\n'), /^c\.yaml:1: timeout: 1e3 is not written as a plain decimal number/);
  assert.equal(err('restart:\n  grace: 0s\n'), 'ok', 'a key that allows none');
});
