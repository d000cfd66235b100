// How every run ends: the exit code after stdout is flushed, and any error but
// commander's as one line and its documented code. Commander-free, so the
// fast path of the hot commands (src/fast-path.ts) needs no commander.
import { EXIT } from './verdict/exit-codes.js';

/** Flush stdout/stderr, then exit, even with sockets a hung server still holds open. */
export function exit(code: number): never {
  process.exitCode = code;
  process.stdout.write('', () => process.exit(code));
  // If stdout never drains (a closed pipe), do not hang past the deadline.
  setTimeout(() => process.exit(code), 50).unref();
  return undefined as never;
}

export function nagiosRequested(argv: string[]): boolean {
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
  if (e instanceof ConfigError) {
    process.stderr.write(`hacheck: ${e.message}\n`);
    return exit(e.kind === 'usage' ? EXIT.USAGE : EXIT.CONFIG);
  }
  process.stderr.write(`hacheck: internal error (a bug, please report it): ${(e as Error)?.stack?.split('\n').slice(0, 2).join(' ') ?? e}\n`);
  return exit(EXIT.INTERNAL);
}
