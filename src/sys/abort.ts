// Many waits on one run's AbortSignal (a request per URL, a connect per port,
// every cycle of the agent) behind a single 'abort' listener. Node's EventTarget
// add/removeEventListener validate their options and build a listener record on
// every call: ~5 % of a kept-alive request's CPU in the interpreter (the binary
// runs --jitless; docs/performance.md "Agent CPU").

const waiting = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Calls `fn` once when `signal` aborts (never when it already has: check
 * `signal.aborted` first, as with addEventListener). Returns the function that
 * drops `fn` (call it when the wait ends another way). Callbacks run in the
 * order they were added; one that throws does not stop the others (the error
 * goes to the next tick, as an EventTarget listener's would).
 */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  let set = waiting.get(signal);
  if (!set) {
    const s = new Set<() => void>();
    waiting.set(signal, (set = s));
    signal.addEventListener('abort', () => {
      const all = [...s];
      s.clear();
      for (const f of all) {
        try {
          f();
        } catch (e) {
          process.nextTick(() => { throw e; });
        }
      }
    }, { once: true });
  }
  const mine = set;
  mine.add(fn);
  return () => { mine.delete(fn); };
}

/**
 * A deadline timer: `fn` runs `ms` after now, but only after that event-loop
 * turn's poll phase (an immediate runs after it), so a reply already in a
 * socket is read before the deadline is declared. After a stall of this
 * process (starved of CPU, SIGSTOPped) Node runs the timers phase before the
 * poll phase, and an answer that came in time was called a timeout. Returns
 * the function that cancels it (timer and immediate alike).
 */
export function deadlineTimer(ms: number, fn: () => void): () => void {
  let afterPoll: NodeJS.Immediate | undefined;
  const timer = setTimeout(() => { afterPoll = setImmediate(fn); }, ms);
  return () => {
    clearTimeout(timer);
    if (afterPoll) clearImmediate(afterPoll);
  };
}
