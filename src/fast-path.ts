// The hot commands without commander: keepalived runs `hacheck [check] …` (the
// one-shot vrrp_script) or `hacheck status …` (the agent-mode guard) every 1-2 s.
// Their plain option forms are parsed here into the same flags object commander
// would give the action; anything else (help, --version, other commands, an
// unknown or malformed option, a value starting with "-", an empty value, a bad --format)
// returns undefined and the caller hands argv to commander (src/cli.ts), which
// is then loaded, so usage errors and their exit code 64 stay commander's.
// Not loading commander at all saves ~12M instructions (~8%) per run of the
// binary (its start-up snapshot no longer holds commander and the program).
// Both read the option table in src/options.ts; test/cli/fast-path.test.ts checks they agree.
import { exit, exitOnError } from './exit.js';
import { CHECK_OPTIONS, STATUS_OPTIONS, isBlank, parseOption, type OptionSpec } from './options.js';

type Kind = 'value' | 'list' | 'true' | 'false';
type Spec = Record<string, readonly [key: string, kind: Kind, allowEmpty?: true]>;

/** "-c, --config <path>" → {-c, --config} → ['config', 'value'], as commander names and types them. */
function table(specs: readonly OptionSpec[]): Spec {
  const spec: Spec = {};
  for (const o of specs) {
    const { short, long, key, value, negated } = parseOption(o.flags);
    const kind: Kind = value ? (o.list ? 'list' : 'value') : negated ? 'false' : 'true';
    for (const name of [short, long]) if (name) spec[name] = [key, kind, o.allowEmpty];
  }
  return spec;
}
const COMMANDS: Record<string, Spec> = { check: table(CHECK_OPTIONS), status: table(STATUS_OPTIONS) };
const FORMATS = CHECK_OPTIONS.find((o) => o.choices)!.choices!;

export interface FastArgs {
  command: 'check' | 'status';
  flags: Record<string, unknown>;
}

/** argv after the executable and script; undefined: not a plain check/status invocation, ask commander. */
export function fastParse(args: string[]): FastArgs | undefined {
  let i = 0;
  let command: FastArgs['command'] = 'check';
  if (args[0] === 'check' || args[0] === 'status') command = args[i++] as FastArgs['command'];
  const spec = COMMANDS[command];
  const flags: Record<string, unknown> = {};
  for (; i < args.length; i++) {
    const arg = args[i];
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (!Object.hasOwn(spec, name)) return undefined;
    const [key, kind, allowEmpty] = spec[name];
    if (kind === 'true' || kind === 'false') {
      if (eq > 0) return undefined;
      flags[key] = kind === 'true';
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined || (eq < 0 && value.startsWith('-'))) return undefined;
    // --pidfile '' is commander's usage error (64), never "no pidfile"
    if (isBlank(value) && !allowEmpty) return undefined;
    if (kind === 'list') ((flags[key] as string[] | undefined) ?? (flags[key] = [])).push(value);
    else flags[key] = value;
  }
  if (flags.format !== undefined && !FORMATS.includes(flags.format as string)) return undefined;
  return { command, flags };
}

/** Runs a plain check/status as its commander action would, then exits; false: argv is commander's. */
export function fastPath(argv: string[]): boolean {
  const parsed = fastParse(argv.slice(2));
  if (!parsed) return false;
  void run(parsed, argv);
  return true;
}

async function run({ command, flags }: FastArgs, argv: string[]): Promise<void> {
  try {
    if (command === 'status') {
      const { statusCommand } = await import('./commands/status.js');
      return exit(await statusCommand(flags));
    }
    const { checkCommand } = await import('./commands/check.js');
    if (flags.format === 'json') flags.json = true;
    return exit(await checkCommand(flags));
  } catch (e) {
    return exitOnError(e, argv);
  }
}
