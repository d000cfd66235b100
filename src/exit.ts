// How every run ends: the exit code after stdout is flushed, and any error but
// commander's as one line and its documented code. Commander-free, so the
// fast path of the hot commands (src/fast-path.ts) needs no commander.
import { EXIT } from './verdict/exit-codes.js';

/** How long exit waits for stdout/stderr when the command set no deadline (validate, doctor, init, status, a stopped agent). */
export const DEFAULT_FLUSH_MS = 10_000;
/** Even a run whose deadline is spent gives its output this long (the old fixed bound). */
const MIN_FLUSH_MS = 50;

let runDeadline: number | undefined;

/**
 * The run's deadline, in performance.now() ms (0 = process start): exit waits
 * for stdout/stderr at most until then. The one-shot check sets its --timeout;
 * undefined: DEFAULT_FLUSH_MS from when exit is called.
 */
export function setExitDeadline(at: number | undefined): void {
  runDeadline = at;
}

/** Exit with `code` once stdout and stderr are written, within the run's deadline (setExitDeadline). */
export function exit(code: number): never {
  return exitAfterFlush(code, runDeadline ?? performance.now() + DEFAULT_FLUSH_MS);
}

/**
 * Exit with `code` once everything written to stdout and stderr has reached
 * the kernel, or at `deadline` (performance.now() ms, at least 50 ms from now),
 * whichever comes first. A pipe holds 64 KiB: a longer report (--json with many
 * targets) is still queued in Node when the command returns, and process.exit()
 * would drop it, cutting the document for a reader that is slow to start. A
 * reader that never reads cannot hold the process past the deadline; one that
 * went away (EPIPE) ends the wait at once. Also exits when some socket a hung
 * server holds open would keep the event loop alive.
 */
export function exitAfterFlush(code: number, deadline: number): never {
  process.exitCode = code;
  const pending = [process.stdout, process.stderr].filter((s) => s.writableLength > 0 && !s.destroyed && !s.writableFinished);
  if (pending.length === 0) process.exit(code);
  let left = pending.length;
  for (const s of pending) {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      if (--left === 0) process.exit(code);
    };
    // EPIPE (the reader left) or a closed stream: nothing more can be written
    s.on('error', finish);
    s.once('close', finish);
    // Writes complete in order: this callback runs once everything queued before it is written.
    s.write('', finish);
  }
  setTimeout(() => process.exit(code), Math.max(MIN_FLUSH_MS, deadline - performance.now()));
  return undefined as never;
}

/** commands other than the check (whose output is never a Nagios plugin's) */
const OTHER_COMMANDS = new Set(['agent', 'status', 'doctor', 'init', 'validate']);

export function nagiosRequested(argv: string[]): boolean {
  // only the check speaks the plugin convention: `hacheck agent --format nagios` is a usage error (64), not UNKNOWN
  if (OTHER_COMMANDS.has(argv[2])) return false;
  return argv.some((a, i) => a === '--format=nagios' || (a === '--format' && argv[i + 1] === 'nagios'));
}

/** Nagios' UNKNOWN (plugin code 3): one line on stdout, the first line of `message`, no `|` (it would start perfdata). */
export function nagiosUnknown(message: string): void {
  process.stdout.write(`HACHECK UNKNOWN - ${message.split('\n')[0].replace(/\|/g, '/')}\n`);
  exit(3);
}

/** A command's error (not a usage error of commander's): one line, 64/78/70, or Nagios UNKNOWN (3) on stdout. */
export async function exitOnError(e: unknown, argv: string[]): Promise<void> {
  const { ConfigError } = await import('./config/load.js');
  // A Nagios plugin reports its own trouble as UNKNOWN (3) on stdout.
  if (nagiosRequested(argv)) return nagiosUnknown(String((e as Error)?.message ?? e));
  const { TrackFileClaimed } = await import('./actions/agent-lock.js');
  if (e instanceof TrackFileClaimed) {
    process.stderr.write(`hacheck: ${e.message}\n`);
    return exit(EXIT.BUSY);
  }
  if (e instanceof ConfigError) {
    process.stderr.write(`hacheck: ${e.message}\n`);
    return exit(e.kind === 'usage' ? EXIT.USAGE : EXIT.CONFIG);
  }
  process.stderr.write(`hacheck: internal error (a bug, please report it): ${(e as Error)?.stack?.split('\n').slice(0, 2).join(' ') ?? e}\n`);
  return exit(EXIT.INTERNAL);
}
