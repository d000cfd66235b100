// rise/fall hysteresis: pure, no timing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extendStreak, fallen, INITIAL, NO_FAILS, observe, pendingFlip, type HysteresisState, type Observed } from '../../src/verdict/hysteresis.ts';
import { decide, evidenceOf } from '../../src/verdict/verdict.ts';

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

// Evidence-graded fall (issue 17): definitive evidence (a fact CPU contention cannot
// produce) flips on the first cycle, ambiguous evidence needs `fall` cycles.
type Obs = 'ok' | 'amb' | 'def';
function graded(obs: Obs[], c: { rise: number; fall: number; definitive_fall?: number } = { rise: 2, fall: 3 }) {
  let s: HysteresisState = INITIAL;
  const out: string[] = [];
  const by: (string | undefined)[] = [];
  for (const o of obs) {
    const st = observe(s, o === 'ok' ? 'healthy' : 'unhealthy', false, c, o === 'def' ? 'definitive' : 'ambiguous');
    s = st.state;
    out.push(st.verdict === 'unhealthy' ? 'U' : 'H');
    by.push(st.state.decidedBy);
  }
  return { out: out.join(''), by, state: s };
}

test('graded: one definitive failure flips at once (default definitive_fall 1); ambiguous needs fall cycles', () => {
  assert.equal(graded(['ok', 'def']).out, 'HU');
  assert.deepEqual(graded(['ok', 'def']).by, [undefined, 'definitive']);
  assert.equal(graded(['ok', 'amb', 'amb', 'amb']).out, 'HHHU');
  assert.equal(graded(['ok', 'amb', 'amb', 'amb']).by.at(-1), 'ambiguous');
});

test('graded: ambiguous cycles then a definitive one: the definitive one decides at once', () => {
  const r = graded(['ok', 'amb', 'def']);
  assert.equal(r.out, 'HHU');
  assert.equal(r.by.at(-1), 'definitive');
});

test('graded: a definitive cycle counts toward fall when evidence turns ambiguous again', () => {
  // definitive_fall 2: def, amb, amb = 3 failing cycles in a row = fall 3
  const r = graded(['ok', 'def', 'amb', 'amb'], { rise: 2, fall: 3, definitive_fall: 2 });
  assert.equal(r.out, 'HHHU');
  assert.equal(r.by.at(-1), 'ambiguous');
  // definitive_fall 2: two definitive cycles in a row
  assert.equal(graded(['ok', 'def', 'def'], { rise: 2, fall: 3, definitive_fall: 2 }).out, 'HHU');
  // ... not interrupted by an ambiguous one
  assert.equal(graded(['ok', 'def', 'amb', 'def'], { rise: 2, fall: 5, definitive_fall: 2 }).out, 'HHHH');
});

test('graded: a pass between ambiguous failures resets the count (no false move from scattered slow answers)', () => {
  assert.equal(graded(['ok', 'amb', 'amb', 'ok', 'amb', 'amb', 'ok', 'amb']).out, 'HHHHHHHH');
});

test('graded: rise is the same whatever turned the node unhealthy; decidedBy is cleared on the way up', () => {
  const r = graded(['ok', 'def', 'ok', 'ok']);
  assert.equal(r.out, 'HUUH');
  assert.equal(r.state.decidedBy, undefined);
  assert.equal(graded(['ok', 'def', 'ok', 'def', 'ok', 'ok']).out, 'HUUUUH');
});

test('graded: while down, a later definitive cycle upgrades the reason', () => {
  assert.deepEqual(graded(['ok', 'amb', 'amb', 'amb', 'def']).by.slice(-2), ['ambiguous', 'definitive']);
});

test('graded: the first cycle decides at once and records its evidence', () => {
  assert.deepEqual(graded(['amb']).by, ['ambiguous']);
  assert.deepEqual(graded(['def']).by, ['definitive']);
});

test('graded: definitive_fall equal to fall is today\'s ungraded behaviour', () => {
  for (const seq of [['ok', 'def', 'def'], ['ok', 'def', 'amb', 'def'], ['ok', 'amb', 'def', 'ok']] as Obs[][]) {
    const ungraded = graded(seq.map((o) => (o === 'def' ? 'amb' : o)), { rise: 2, fall: 3 }).out;
    assert.equal(graded(seq, { rise: 2, fall: 3, definitive_fall: 3 }).out, ungraded, seq.join(','));
  }
});

test('graded: pendingFlip takes the nearer limit', () => {
  const c = { rise: 2, fall: 3, definitive_fall: 2 };
  assert.equal(pendingFlip(graded(['ok', 'amb'], c).state, c), 2);
  assert.equal(pendingFlip(graded(['ok', 'def'], c).state, c), 1);
  assert.equal(pendingFlip(graded(['ok', 'amb', 'def'], c).state, c), 1);
});

test('extendStreak / fallen: the counter the one-shot check\'s `for: N` uses too', () => {
  let s = NO_FAILS;
  s = extendStreak(s, 'ambiguous');
  assert.equal(fallen(s, { fall: 2 }), undefined);
  s = extendStreak(s, 'ambiguous');
  assert.equal(fallen(s, { fall: 2 }), 'ambiguous');
  assert.deepEqual(extendStreak(s, undefined), NO_FAILS);
  assert.equal(fallen(extendStreak(NO_FAILS, 'definitive'), { fall: 5 }), 'definitive');
  assert.equal(fallen(extendStreak(NO_FAILS, 'definitive'), { fall: 5, definitive_fall: 2 }), undefined);
});

test('evidenceOf: definitive only when a failed critical probe has a failed definitive check', () => {
  const chk = (ok: boolean, evidence?: 'definitive' | 'ambiguous') => ({ target: 't', ok, value: '', expect: '', durationMs: 0, ...(evidence && { evidence }) });
  const probe = (ok: boolean, severity: 'critical' | 'warning', checks: ReturnType<typeof chk>[]) => ({ kind: 'port', name: 'port', ok, severity, summary: '', checks, durationMs: 0 });
  assert.equal(evidenceOf([probe(false, 'critical', [chk(false, 'definitive')])]), 'definitive');
  assert.equal(evidenceOf([probe(false, 'critical', [chk(false, 'ambiguous'), chk(true)])]), 'ambiguous');
  assert.equal(evidenceOf([probe(false, 'critical', [chk(false)])]), 'ambiguous', 'unmarked = ambiguous');
  assert.equal(evidenceOf([probe(false, 'warning', [chk(false, 'definitive')]), probe(false, 'critical', [chk(false)])]), 'ambiguous', 'a warning probe never decides');
  assert.equal(decide([probe(false, 'critical', [chk(false, 'definitive')])]).evidence, 'definitive');
  assert.equal(decide([probe(true, 'critical', [chk(true)])]).evidence, undefined);
});
