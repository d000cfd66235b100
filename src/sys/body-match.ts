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
