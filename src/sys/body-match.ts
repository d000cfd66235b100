// body_regex against a response body without unbounded work. Two layers:
// 1. V8's linear-time regexp engine (the `l` flag, enabled with
//    --enable-experimental-regexp-engine): no backtracking, time
//    O(body × pattern), so "(a+)+$" on 41 bytes takes microseconds instead of
//    forever. It runs every pattern without backreferences, lookahead or
//    large counted repeats; those keep V8's backtracking engine.
// 2. A watchdog on either engine: the match runs inside vm's `timeout`, which
//    interrupts V8 (TerminateExecution) when the probe's deadline passes, since
//    even linear time over a 256 KiB body and a large pattern can be seconds.
// Measured (Node 24.21, --jitless, 2 shared cores): the flag costs nothing at
// start-up (it is set on first use, ~0.03 ms); the watchdog ~0.3 ms per match;
// a one-shot check of one URL with body_regex, callgrind, the binary: 93.7M
// instructions, against 95.6M for the backtracking-only build before it;
// "(a+)+$" over 256 KiB: linear 48-68 ms vs never; "[a-z]+@x" over 256 KiB:
// linear 36-57 ms vs 150 s backtracking (quadratic, which V8's
// "--enable-experimental-regexp-engine-on-excessive-backtracks" does not catch:
// its backtrack count is per start position).

import { startupSnapshot } from 'node:v8';

let flagSet = false;
const linear = new Map<string, RegExp | null>();

/** The linear-engine twin of `re`, or undefined when V8 cannot run it in linear time. */
export function linearTwin(re: RegExp): RegExp | undefined {
  const key = `${re.flags}/${re.source}`;
  let twin = linear.get(key);
  if (twin === undefined) {
    if (!flagSet) {
      // V8 reads this flag when a RegExp with the `l` flag is created; setting it at run time is enough
      // (and costs nothing for runs without a body_regex), in the binary, the bundle and under tsx alike.
      (process.getBuiltinModule('node:v8') as typeof import('node:v8')).setFlagsFromString('--enable-experimental-regexp-engine');
      flagSet = true;
    }
    try {
      twin = new RegExp(re.source, `${re.flags.replace(/[gyl]/g, '')}l`);
    } catch {
      twin = null;
    }
    linear.set(key, twin);
  }
  return twin ?? undefined;
}

export type MatchResult = { matched: boolean } | { timedOut: true; engine: 'linear' | 'backtracking' };

const SLOT = '__hacheckBodyMatch';
let script: import('node:vm').Script | undefined;

/** Does `body` match `re`? Stops after `budgetMs` (the time left to the deadline), whatever the pattern. */
export function matchBody(re: RegExp, body: string, budgetMs: number): MatchResult {
  const twin = linearTwin(re);
  const engine = twin ? 'linear' : 'backtracking';
  const ms = Math.floor(budgetMs);
  if (ms < 1) return { timedOut: true, engine };
  const run = twin ?? new RegExp(re.source, re.flags.replace(/[gy]/g, ''));
  const g = globalThis as Record<string, unknown>;
  script ??= new (process.getBuiltinModule('node:vm') as typeof import('node:vm')).Script(`${SLOT}()`);
  g[SLOT] = () => run.test(body);
  try {
    return { matched: script.runInThisContext({ timeout: ms }) as boolean };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return { timedOut: true, engine };
    throw e;
  } finally {
    delete g[SLOT];
  }
}

// 3. Off the main thread for the backtracking engine. A pattern V8's linear engine cannot run (a
//    backreference, a lookaround) can backtrack for as long as the deadline allows, and a
//    synchronous match holds the event loop all that time: the agent's SIGTERM handler, its
//    metrics endpoint and its other probes wait behind it (a 10 s cycle deadline kept the agent
//    8-9 s past a SIGTERM). Such a match runs in a worker thread instead, which the deadline or
//    the run's abort signal terminates (Worker.terminate: V8 TerminateExecution, which stops a
//    regexp mid-backtrack): the main thread stays free to stop within a second. One worker is
//    kept for the next match (a thread start is ~10 ms; the agent matches every cycle) and
//    started again after a termination; it does not keep the process alive (unref). A linear
//    match stays on the main thread (microseconds to tens of ms over 256 KiB, under the watchdog).

/**
 * Whether backtracking matches go to the worker thread: the agent turns it on at
 * start. A one-shot check keeps them on the main thread under the watchdog: it
 * has nothing else to answer meanwhile and ends at its deadline anyway, and a
 * thread start cost it 100-170 ms of its deadline on a loaded machine.
 */
let useWorker = false;
export function matchInWorker(on: boolean): void {
  useWorker = on;
}

type Pending = { w: import('node:worker_threads').Worker; resolve: (r: MatchResult | { error: string }) => void };
let worker: import('node:worker_threads').Worker | undefined;
let busy: Promise<unknown> = Promise.resolve();
let pending: Pending | undefined;

const WORKER_CODE = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (m) => {
  let r;
  try { r = { matched: new RegExp(m.source, m.flags).test(m.body) }; } catch (e) { r = { error: String(e && e.message || e) }; }
  parentPort.postMessage(r);
});`;

function startWorker(): import('node:worker_threads').Worker {
  const { Worker } = process.getBuiltinModule('node:worker_threads') as typeof import('node:worker_threads');
  const w = new Worker(WORKER_CODE, { eval: true, stdout: false, stderr: false, resourceLimits: { maxOldGenerationSizeMb: 64 } });
  w.unref();
  // each answer or end is this worker's own match's (a terminated worker's late exit is not the next match's)
  const mine = () => {
    const p = pending?.w === w ? pending : undefined;
    if (p) pending = undefined;
    return p;
  };
  w.on('message', (r: { matched?: boolean; error?: string }) => {
    mine()?.resolve(r.error !== undefined ? { error: r.error } : { matched: !!r.matched });
  });
  const gone = (e?: unknown) => {
    if (worker === w) worker = undefined;
    mine()?.resolve({ error: `body_regex worker ended${e instanceof Error ? `: ${e.message}` : ''}` });
  };
  w.on('error', gone);
  w.on('exit', () => gone());
  return w;
}

/**
 * matchBody without holding the main thread: the backtracking engine runs in a
 * worker thread that `budgetMs` (the time left to the deadline) or `signal`
 * (the run stopped) terminates; the linear engine runs here, as matchBody.
 * Matches queue on the one worker, each within its own budget (waiting included).
 */
export async function matchBodyAsync(re: RegExp, body: string, budgetMs: number, signal?: AbortSignal): Promise<MatchResult> {
  const twin = linearTwin(re);
  // (no thread while a start-up snapshot is built: it could not be kept in it)
  if (twin || !useWorker || startupSnapshot.isBuildingSnapshot()) return matchBody(re, body, budgetMs);
  const until = performance.now() + budgetMs;
  const engine = 'backtracking' as const;
  const prev = busy;
  let release!: () => void;
  busy = new Promise<void>((r) => { release = r; });
  try {
    await prev;
    const ms = Math.floor(until - performance.now());
    if (ms < 1 || signal?.aborted) return { timedOut: true, engine };
    let w: import('node:worker_threads').Worker;
    try {
      w = worker ??= startWorker();
    } catch {
      return matchBody(re, body, ms); // no worker threads here: the watchdog alone
    }
    return await new Promise<MatchResult>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (r: MatchResult) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', stop);
        resolve(r);
      };
      const stop = () => {
        // terminated mid-match: the next match starts a new worker
        pending = undefined;
        if (worker === w) worker = undefined;
        void w.terminate();
        finish({ timedOut: true, engine });
      };
      // an error from the worker (none expected: the pattern compiled at load) falls back to the watchdog here
      pending = { w, resolve: (r) => finish('error' in r ? matchBody(re, body, Math.max(0, until - performance.now())) : r) };
      timer = setTimeout(stop, ms);
      signal?.addEventListener('abort', stop, { once: true });
      w.postMessage({ source: re.source, flags: re.flags.replace(/[gy]/g, ''), body });
    });
  } finally {
    release();
  }
}
