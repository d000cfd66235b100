// src/sys/abort.ts: many waits on one AbortSignal behind one listener.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { onAbort } from '../../src/sys/abort.ts';

test('every waiter still registered runs once, in order; a dropped one never', () => {
  const ac = new AbortController();
  const seen: string[] = [];
  onAbort(ac.signal, () => seen.push('a'));
  const drop = onAbort(ac.signal, () => seen.push('b'));
  onAbort(ac.signal, () => seen.push('c'));
  drop();
  ac.abort();
  ac.abort();
  assert.deepEqual(seen, ['a', 'c']);
});

test('one listener on the signal whatever the number of waiters; signals do not share waiters', () => {
  const ac = new AbortController();
  const other = new AbortController();
  let added = 0;
  const add = ac.signal.addEventListener.bind(ac.signal);
  ac.signal.addEventListener = ((...a: Parameters<typeof add>) => { added++; return add(...a); }) as typeof add;
  let mine = 0;
  let theirs = 0;
  for (let i = 0; i < 100; i++) onAbort(ac.signal, () => mine++)();
  onAbort(ac.signal, () => mine++);
  onAbort(other.signal, () => theirs++);
  ac.abort();
  assert.equal(added, 1);
  assert.equal(mine, 1);
  assert.equal(theirs, 0);
});

test('a waiter that throws does not stop the others, nor the abort', () => {
  const ac = new AbortController();
  let ran = false;
  const saved = process.nextTick;
  const deferred: unknown[] = [];
  // the error goes to the next tick (uncaught there, as an EventTarget listener's would be): caught here
  process.nextTick = ((fn: () => void) => { try { fn(); } catch (e) { deferred.push(e); } }) as typeof process.nextTick;
  try {
    onAbort(ac.signal, () => { throw new Error('boom'); });
    onAbort(ac.signal, () => (ran = true));
    assert.doesNotThrow(() => ac.abort());
  } finally {
    process.nextTick = saved;
  }
  assert.equal(ran, true);
  assert.equal((deferred[0] as Error)?.message, 'boom');
});
