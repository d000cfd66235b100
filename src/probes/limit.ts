// Many targets in one probe (a port list, a URL list of a few thousand) under
// one deadline: at most MAX_IN_FLIGHT sockets at a time, so a big list costs
// bounded memory, file descriptors and CPU per event-loop turn, and a target
// still queued when the deadline passes is reported as not started instead of
// being started late.

import type { ProbeContext } from './types.js';

/** Connections one probe keeps open at once. */
export const MAX_IN_FLIGHT = 256;
/** Less time than this left: a target is not started (timers run on the loop's cached clock, up to a few ms early). */
const MIN_START_MS = 5;

/**
 * Results in input order; `skipped` answers for the items not started before
 * the deadline (`ctx.deadline` reached or `ctx.signal` aborted: a request's own
 * timer can end it a moment before the run's abort fires).
 */
export async function mapLimited<T, R>(items: readonly T[], ctx: Pick<ProbeContext, 'signal' | 'deadline'>, fn: (item: T) => Promise<R>, skipped: (item: T, waitingAhead: number) => R, limit = MAX_IN_FLIGHT): Promise<R[]> {
  // all at once (a probe's usual few targets): no queue of workers to run
  if (items.length <= limit) {
    return Promise.all(items.map((item, i) => (ctx.signal.aborted || ctx.deadline - performance.now() < MIN_START_MS ? skipped(item, i) : fn(item))));
  }
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = ctx.signal.aborted || ctx.deadline - performance.now() < MIN_START_MS ? skipped(items[i], i) : await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** "a, b, c and 97 more": a summary line stays readable (and bounded) whatever the target count. */
export function listSome(names: string[], max = 5, sep = ', '): string {
  return names.length <= max ? names.join(sep) : `${names.slice(0, max).join(sep)} and ${names.length - max} more`;
}
