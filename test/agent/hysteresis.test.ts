// rise/fall hysteresis: pure, no timing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INITIAL, observe, pendingFlip, type HysteresisState, type Observed } from '../../src/verdict/hysteresis.ts';

const cfg = { rise: 3, fall: 2 };

/** Feeds observations, returns the published verdict after each. */
function run(obs: (Observed | 'maint')[], c = cfg, s: HysteresisState = INITIAL) {
  const out: string[] = [];
  for (const o of obs) {
    const st = observe(s, o === 'maint' ? 'healthy' : o, o === 'maint', c);
    s = st.state;
    out.push(st.verdict);
  }
  return { out, state: s };
}

test('first observation decides at once', () => {
  assert.deepEqual(run(['healthy']).out, ['healthy']);
  assert.deepEqual(run(['unhealthy']).out, ['unhealthy']);
  assert.deepEqual(run(['warning']).out, ['warning']);
  const first = observe(INITIAL, 'healthy', false, cfg);
  assert.equal(first.changed, true);
});

test('healthy → unhealthy only after fall consecutive failures', () => {
  const { out } = run(['healthy', 'unhealthy', 'unhealthy', 'unhealthy']);
  assert.deepEqual(out, ['healthy', 'healthy', 'unhealthy', 'unhealthy']);
});

test('a single failure between passes never flips', () => {
  const { out } = run(['healthy', 'unhealthy', 'healthy', 'unhealthy', 'healthy']);
  assert.ok(out.every((v) => v === 'healthy'));
});

test('unhealthy → healthy only after rise consecutive passes; a failure restarts the count', () => {
  const { out } = run(['unhealthy', 'healthy', 'healthy', 'unhealthy', 'healthy', 'healthy', 'healthy']);
  assert.deepEqual(out, ['unhealthy', 'unhealthy', 'unhealthy', 'unhealthy', 'unhealthy', 'unhealthy', 'healthy']);
});

test('warning counts as up: healthy ↔ warning follows the probes at once', () => {
  const { out } = run(['healthy', 'warning', 'healthy', 'warning']);
  assert.deepEqual(out, ['healthy', 'warning', 'healthy', 'warning']);
  // and a warning is a pass for rise
  assert.deepEqual(run(['unhealthy', 'warning', 'warning', 'warning']).out.at(-1), 'warning');
});

test('while failing but not yet fall times, the last up verdict is kept (warning stays warning)', () => {
  const { out } = run(['warning', 'unhealthy', 'unhealthy']);
  assert.deepEqual(out, ['warning', 'warning', 'unhealthy']);
});

test('maintenance (forced down) applies at once and lifts at once; probes keep being tracked', () => {
  const { out } = run(['healthy', 'maint', 'maint', 'healthy']);
  assert.deepEqual(out, ['healthy', 'forced-down', 'forced-down', 'healthy']);
  // failures during maintenance still count toward fall
  const s = { up: true, streak: 0, published: 'healthy' as const };
  let st = observe(s, 'unhealthy', true, cfg);
  assert.equal(st.verdict, 'forced-down');
  st = observe(st.state, 'unhealthy', true, cfg);
  assert.equal(st.state.up, false);
  st = observe(st.state, 'unhealthy', false, cfg);
  assert.equal(st.verdict, 'unhealthy');
});

test('rise 1 / fall 1 follows every observation', () => {
  const obs: Observed[] = ['healthy', 'unhealthy', 'healthy', 'unhealthy'];
  assert.deepEqual(run(obs, { rise: 1, fall: 1 }).out, obs);
});

test('changed is reported exactly on a published change', () => {
  let s: HysteresisState = INITIAL;
  const changes: boolean[] = [];
  for (const o of ['healthy', 'healthy', 'unhealthy', 'unhealthy', 'unhealthy'] as Observed[]) {
    const st = observe(s, o, false, cfg);
    changes.push(st.changed);
    s = st.state;
  }
  assert.deepEqual(changes, [true, false, false, true, false]);
});

test('pendingFlip counts the cycles still needed', () => {
  let s = observe(INITIAL, 'healthy', false, cfg).state;
  assert.equal(pendingFlip(s, cfg), 0);
  s = observe(s, 'unhealthy', false, cfg).state;
  assert.equal(pendingFlip(s, cfg), 1);
  s = observe(s, 'unhealthy', false, cfg).state;
  assert.equal(pendingFlip(s, cfg), 0);
  s = observe(s, 'healthy', false, cfg).state;
  assert.equal(pendingFlip(s, cfg), 2);
});
