// Command-line wiring. The only place that calls process.exit; every command
// returns an exit code, every error becomes one line on stderr and a documented code.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { EXIT } from './verdict/exit-codes.js';
import { exit, exitOnError, nagiosRequested, nagiosUnknown } from './exit.js';
import { VERSION } from './version.js';
import { CHECK_OPTIONS, EMPTY_ALLOWED, PROBE_OPTIONS, STATUS_OPTIONS, isBlank, type OptionSpec } from './options.js';

const collect = (value: string, prev: string[] = []) => [...prev, value];

function addOptions(cmd: Command, specs: readonly OptionSpec[]): Command {
  for (const o of specs) {
    const opt = new Option(o.flags, o.help);
    if (o.list) opt.argParser(collect);
    if (o.choices) opt.choices(o.choices);
    cmd.addOption(opt);
  }
  return cmd;
}

const COMMANDS = ['check', 'agent', 'status', 'validate', 'doctor', 'init'];

/** Levenshtein distance, for "did you mean" (short words only: command names). */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/**
 * commander's error as one line. A first word that is no command lands on the default `check`
 * as an argument, and commander then complained about whatever came first: "too many arguments
 * for 'check'. Expected 0 arguments but got 1: stauts.", or for `hacheck stauts --max-age 3s`
 * "unknown option '--max-age'". Both are named as the unknown command it most likely is.
 */
export function usageLine(str: string, argv: readonly string[] = process.argv): string {
  const line = str.split('\n')[0].replace(/^error: /, '');
  const first = argv[2];
  if (first !== undefined && first !== '' && !first.startsWith('-') && !COMMANDS.includes(first)) {
    const word = first.slice(0, 64);
    const near = word.length <= 16 ? COMMANDS.find((c) => distance(word.toLowerCase(), c) <= 2) : undefined;
    return `unknown command "${word}"${near ? ` (did you mean ${near}?)` : ''}: the commands are ${COMMANDS.join(', ')}`;
  }
  const m = /^too many arguments for '(\w+)'\. Expected 0 arguments but got \d+: (.*)\.$/.exec(line);
  if (m) return `${m[1]}: unexpected argument "${m[2].split(', ')[0].slice(0, 64)}": it takes options only`;
  // "option '-c, --config <path>' argument '' is invalid. empty value: …" as the other flag errors say it: "--config: empty value: …"
  const bad = /^option '(?:-\w, )?(--[\w-]+)[^']*' argument '(.*)' is invalid\. (.*)$/.exec(line);
  if (!bad) return line;
  const choices = /^Allowed choices are (.*)\.$/.exec(bad[3]);
  return `${bad[1]}: ${choices ? `"${bad[2]}" is not one of ${choices[1]}` : bad[3]}`;
}

/** Probe flags shared by `check` and `agent` (`help` replaces a flag's text where the agent means something else by it). */
export const addProbeFlags = (cmd: Command, help: Record<string, string> = {}): Command =>
  addOptions(cmd, PROBE_OPTIONS.map((o) => (help[o.flags] ? { ...o, help: help[o.flags] } : o)));

export function buildProgram(): Command {
  const program = new Command('hacheck')
    .description('Health check for nginx behind keepalived: may this node hold the VIP?')
    .version(VERSION, '-V, --version')
    .showSuggestionAfterError(true)
    .configureOutput({ outputError: (str, write) => write(`hacheck: ${usageLine(str)} (see hacheck --help)\n`) })
    .exitOverride();

  addOptions(
    program
      .command('check', { isDefault: true })
      .description('one-shot check for vrrp_script; the exit code is the verdict (0 healthy, 1 unhealthy, 3 forced down)'),
    CHECK_OPTIONS,
  )
    .action(async (opts) => {
      const { checkCommand } = await import('./commands/check.js');
      if (opts.format === 'json') opts.json = true;
      return finish(await checkCommand(opts));
    });

  addProbeFlags(
    program
      .command('agent')
      .description('long-running mode: probe every interval, keep a keepalived track_file, a status file and metrics current; exit 75 when another agent keeps the track_file or the status file'),
    // the agent's --timeout is one cycle's deadline; a config file's top-level timeout: is the one-shot run's
    { '--timeout <duration>': 'deadline of one cycle, restart wait included (default: the interval, at least 300ms); the same as --cycle-timeout' },
  )
    .option('--state-file <path>', 'keepalived track_file: one integer + newline, replaced atomically (default <state-dir>/state)')
    .option('--status-file <path>', 'status JSON, rewritten when what it says changes and at least every 500ms, read by `hacheck status` (default <state-dir>/status.json)')
    .option('--interval <duration>', 'time between cycle starts, sub-second allowed (default 1s)')
    .option('--cycle-timeout <duration>', 'deadline of one cycle (default: the interval, at least 300ms); --timeout means the same here')
    .option('--rise <n>', 'consecutive healthy cycles before unhealthy → healthy (default 2)')
    .option('--fall <n>', 'consecutive unhealthy cycles before healthy → unhealthy, ambiguous evidence: timeouts, resets, slow answers (default 2)')
    .option('--definitive-fall <n>', 'the same with definitive evidence: master gone/zombie/stopped, no live worker, local port refused (default 1)')
    .option('--on-exit <value>', 'track_file value left on SIGTERM/SIGINT: unhealthy (default), healthy, keep, or an integer')
    .option('--metrics-dir <dir>', 'node_exporter textfile directory: hacheck.prom written there every cycle')
    .option('--metrics-listen <host:port>', 'serve Prometheus metrics over HTTP, e.g. 127.0.0.1:9464')
    .action(async (opts) => {
      const { agentCommand } = await import('./commands/agent.js');
      return finish(await agentCommand(opts));
    });

  addOptions(
    program
      .command('status')
      .description("reads the agent's status file: exit 0 only when fresh and healthy; 1 missing, stale, garbage, agent gone or unhealthy; 3 forced down"),
    STATUS_OPTIONS,
  )
    .action(async (opts) => {
      const { statusCommand } = await import('./commands/status.js');
      return finish(await statusCommand(opts));
    });

  program
    .command('doctor')
    .description("explain what a failing check does to each vrrp_instance, on the config as keepalived's own --config-test says it loads it (priority arithmetic, timeouts, script security, sync groups); exit 0 no findings, 1 warnings, 2 errors")
    .option('--keepalived-conf <path>', 'keepalived config, includes followed', '/etc/keepalived/keepalived.conf')
    .option('-c, --config <path>', 'hacheck config: its timeout is the deadline the script timeout must exceed; its agent settings, probe targets and restart are checked too (default /etc/hacheck/hacheck.yaml when it exists)')
    .option('--peer-conf <path>', "the peer's keepalived.conf: its priority decides whether the VIP moves")
    .option('--json', 'one JSON document on stdout: instances, checks, findings')
    .option('--keepalived <path>', "keepalived binary whose --config-test is the ground truth (default /usr/sbin/keepalived when installed)")
    .option('--no-keepalived', "don't run keepalived's config test: the doctor's own model only")
    .option('--config-id <id>', "keepalived's -i on this node: which @id lines it reads (default: the node name up to its first dot, as keepalived)")
    .option('--peer-config-id <id>', "keepalived's -i on the peer (its node name): which @id lines of --peer-conf it reads")
    .action(async (opts) => {
      const { doctorCommand } = await import('./commands/doctor.js');
      return finish(await doctorCommand(opts));
    });

  program
    .command('init')
    .description('write a starter hacheck.yaml and print the matching keepalived.conf snippet (FAULT on failure, or weights that do move the VIP)')
    .addOption(new Option('--mode <mode>', 'oneshot: keepalived runs hacheck from vrrp_script; agent: track_file kept by hacheck agent (default oneshot; agent with --fast)').choices(['oneshot', 'agent']))
    .option('--vip <addr>', 'virtual IP address (default 192.0.2.10, a documentation address: change it)')
    .option('--interface <if>', 'VRRP interface (default: the one the default route leaves by, else the first eth*/en* one; never a bond or bridge member port: check it)')
    .option('--priority <n>', "this node's priority, 1..254 (default 100; 254 with --fast)")
    .option('--peer-priority <n>', "the peer's priority (default: priority - 10; priority - 4 with --fast)")
    .option('--vrid <n>', 'virtual_router_id (default 51)')
    .addOption(new Option('--on-failure <how>', 'fault: weight 0, a failure is FAULT and the peer takes over after its skew time (0.65s at priority 90); weight: a negative weight, the VIP stays on the higher node when both fail, but the peer takes over only after its master down timer (3.65s)').choices(['fault', 'weight']).default('fault'))
    .option('--fast', 'fast failover (agent mode): VRRPv3, advert_int 0.1, agent every 100ms with the evidence-graded fall, priorities 254/250 (takeover ~50 ms after nginx dies)')
    .option('--timeout <duration>', "hacheck's deadline written to the config (default 1500ms)")
    .option('--hacheck-path <path>', 'hacheck binary in the vrrp_script line (default /usr/bin/hacheck)')
    .option('--output <dir>', 'directory for hacheck.yaml', '/etc/hacheck')
    .option('--force', 'replace an existing hacheck.yaml')
    .action(async (opts) => {
      const { initCommand } = await import('./commands/init.js');
      return finish(await initCommand(opts));
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

  for (const cmd of program.commands) for (const o of cmd.options) refuseEmpty(o);
  return program;
}

/**
 * Every option that takes a value refuses "" and blanks (usage error, 64):
 * `--pidfile ''` or `--state-dir "$UNSET"` is a slip, and read as "not given"
 * it would drop a check or move state. Exception: EMPTY_ALLOWED (--maintenance-file '').
 */
function refuseEmpty(o: Option): void {
  if (!(o.required || o.optional) || EMPTY_ALLOWED.has(o.long ?? '')) return;
  const parse = o.parseArg;
  o.argParser((value: string, prev: unknown) => {
    if (isBlank(value)) throw new InvalidArgumentError(`empty value: give one, or leave ${o.long} out`);
    return parse ? parse(value, prev) : value;
  });
}

let exitCode: number = EXIT.HEALTHY;
function finish(code: number) {
  exitCode = code;
}

/** `program` may be built ahead (the binary builds it into its start-up snapshot). */
export async function main(argv: string[], program: Command = buildProgram()): Promise<void> {
  try {
    await program.parseAsync(argv);
    exit(exitCode);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return exit(0);
      // A Nagios plugin's usage error is UNKNOWN with its line on stdout (Nagios shows stdout only); the stderr line stays.
      if (nagiosRequested(argv)) return nagiosUnknown(`usage: ${usageLine(e.message, argv)} (see hacheck --help)`);
      return exit(EXIT.USAGE);
    }
    return exitOnError(e, argv);
  }
}

