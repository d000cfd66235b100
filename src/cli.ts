// Command-line wiring. The only place that calls process.exit; every command
// returns an exit code, every error becomes one line on stderr and a documented code.
import { Command, CommanderError, Option } from 'commander';
import { EXIT } from './verdict/exit-codes.js';
import { VERSION } from './version.js';

const collect = (value: string, prev: string[] = []) => [...prev, value];

/** Probe flags shared by `check` and `agent`. */
export function addProbeFlags(cmd: Command): Command {
  return cmd
    .option('-c, --config <path>', 'config file (default /etc/hacheck/hacheck.yaml when it exists)')
    .option('--process <name>', 'process name (kernel comm) to require; default nginx when no other probe is given')
    .option('--pidfile <path>', 'master pid file: pid alive, not a zombie, comm matches')
    .option('--port <[host:]port>', 'TCP connect probe; repeatable; IPv6 as [::1]:80', collect)
    .option('--url <url>', 'HTTP(S) probe; repeatable; expects status 200-399', collect)
    .option('--header <"Name: value">', 'extra request header for every --url; repeatable', collect)
    .option('--timeout <duration>', 'hard deadline for the whole run, restart wait included (500ms, 1.5s)')
    .option('--state-dir <dir>', 'where counters, samples and the restart budget persist (default /run/hacheck)')
    .option('--cpu-max <pct>', 'fail when system CPU busy % exceeds it')
    .option('--iowait-max <pct>', 'fail when CPU iowait % exceeds it')
    .option('--restart', 'restart nginx (config test first, within the restart budget) when process/port/URL probes fail')
    .option('--no-restart', 'never restart nginx (overrides the config file)')
    .option('--restart-cmd <cmd>', 'restart command, split into argv, run without a shell')
    .option('--maintenance-file <path>', 'while this file exists, exit 3 (forced down); default /etc/hacheck/maintenance');
}

export function buildProgram(): Command {
  const program = new Command('hacheck')
    .description('Health check for nginx behind keepalived: may this node hold the VIP?')
    .version(VERSION, '-V, --version')
    .showSuggestionAfterError(true)
    .configureOutput({ outputError: (str, write) => write(str.split('\n')[0] + '\n') })
    .exitOverride();

  addProbeFlags(
    program
      .command('check', { isDefault: true })
      .description('one-shot check for vrrp_script; the exit code is the verdict (0 healthy, 1 unhealthy, 3 forced down)'),
  )
    .option('-v, --verbose', 'human table on stdout: every probe, its value, expectation, verdict, duration')
    .option('--json', 'one JSON document on stdout with the same facts')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'nagios']))
    .action(async (opts) => {
      const { checkCommand } = await import('./commands/check.js');
      if (opts.format === 'json') opts.json = true;
      return finish(await checkCommand(opts));
    });

  program
    .command('validate')
    .description('validate a config file without probing; --print shows the effective config')
    .option('-c, --config <path>', 'config file (default /etc/hacheck/hacheck.yaml)')
    .option('--print', 'print the effective config')
    .action(async (opts) => {
      const { validateCommand } = await import('./commands/validate.js');
      return finish(await validateCommand(opts));
    });

  return program;
}

let exitCode: number = EXIT.HEALTHY;
function finish(code: number) {
  exitCode = code;
}

/** Flush stdout/stderr, then exit, even with sockets a hung server still holds open. */
function exit(code: number): never {
  process.exitCode = code;
  process.stdout.write('', () => process.exit(code));
  // If stdout never drains (a closed pipe), do not hang past the deadline.
  setTimeout(() => process.exit(code), 50).unref();
  return undefined as never;
}

function nagiosRequested(argv: string[]): boolean {
  return argv.some((a, i) => a === '--format=nagios' || (a === '--format' && argv[i + 1] === 'nagios'));
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    exit(exitCode);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return exit(0);
      return exit(nagiosRequested(argv) ? 3 : EXIT.USAGE);
    }
    const { ConfigError } = await import('./config/load.js');
    // A Nagios plugin reports its own trouble as UNKNOWN (3) on stdout.
    if (nagiosRequested(argv) && (e instanceof ConfigError || !(e instanceof CommanderError))) {
      process.stdout.write(`HACHECK UNKNOWN - ${(e as Error)?.message?.split('\n')[0] ?? e}\n`);
      return exit(3);
    }
    if (e instanceof ConfigError) {
      process.stderr.write(`hacheck: ${e.message}\n`);
      return exit(e.kind === 'usage' ? EXIT.USAGE : EXIT.CONFIG);
    }
    process.stderr.write(`hacheck: internal error (a bug, please report it): ${(e as Error)?.stack?.split('\n').slice(0, 2).join(' ') ?? e}\n`);
    return exit(EXIT.INTERNAL);
  }
}

void main(process.argv);
