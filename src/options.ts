// The options of `check`, `agent`'s probe flags and `status`, as data: src/cli.ts
// turns them into commander options, src/fast-path.ts parses the same table
// without loading commander. One table, so the two parsers cannot drift apart.

export interface OptionSpec {
  /** commander's syntax: "-c, --config <path>", "--restart", "--no-restart" */
  flags: string;
  help: string;
  /** repeatable: values collect into an array */
  list?: true;
  choices?: readonly string[];
  /** "" is a value of its own (--maintenance-file '' turns the file off); for every other option "" or blanks are a usage error */
  allowEmpty?: true;
}

export interface ParsedOption {
  /** "-c", when the option has a short name */
  short?: string;
  /** "--config", "--no-restart" */
  long: string;
  /** the flags object's key, as commander names it: "config", "stateDir", "restart" for --no-restart */
  key: string;
  /** takes a value (<…>); else a switch, `negated` for --no-… */
  value: boolean;
  negated: boolean;
}

/** "-c, --config <path>" → { short: "-c", long: "--config", key: "config", value: true, negated: false } */
export function parseOption(flags: string): ParsedOption {
  const m = /^(?:(-\w), )?--([\w-]+)( <[^>]+>)?$/.exec(flags)!;
  const negated = !m[3] && m[2].startsWith('no-');
  const key = (negated ? m[2].slice(3) : m[2]).replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
  return { short: m[1], long: `--${m[2]}`, key, value: Boolean(m[3]), negated };
}

/** Probe flags shared by `check` and `agent`. */
export const PROBE_OPTIONS: readonly OptionSpec[] = [
  { flags: '-c, --config <path>', help: 'config file (default /etc/hacheck/hacheck.yaml when it exists)' },
  { flags: '--process <name>', help: 'process name (kernel comm) to require; default nginx when no other probe is given' },
  { flags: '--pidfile <path>', help: 'master pid file: pid alive, not a zombie, comm matches' },
  { flags: '--port <[host:]port>', help: 'TCP connect probe; repeatable; IPv6 as [::1]:80', list: true },
  { flags: '--url <url>', help: 'HTTP(S) probe; repeatable; expects status 200-399', list: true },
  { flags: '--header <"Name: value">', help: 'extra request header for every --url; repeatable', list: true },
  { flags: '--timeout <duration>', help: 'hard deadline for the whole run, restart wait included (500ms, 1.5s)' },
  { flags: '--state-dir <dir>', help: 'where counters, samples and the restart budget persist (default /run/hacheck)' },
  { flags: '--cpu-max <pct>', help: 'fail when system CPU busy % exceeds it' },
  { flags: '--iowait-max <pct>', help: 'fail when CPU iowait % exceeds it' },
  { flags: '--restart', help: 'restart nginx (config test first, within the restart budget) when process/port/URL probes fail' },
  { flags: '--no-restart', help: 'never restart nginx (overrides the config file)' },
  { flags: '--restart-cmd <cmd>', help: 'restart command, split into argv, run without a shell' },
  { flags: '--maintenance-file <path>', help: "while this file exists, exit 3 (forced down); default /etc/hacheck/maintenance; '' turns it off", allowEmpty: true },
];

export const CHECK_OPTIONS: readonly OptionSpec[] = [
  ...PROBE_OPTIONS,
  { flags: '-v, --verbose', help: 'human table on stdout: every probe, its value, expectation, verdict, duration' },
  { flags: '--json', help: 'one JSON document on stdout with the same facts' },
  { flags: '--format <format>', help: 'output format', choices: ['text', 'json', 'nagios'] },
];

export const STATUS_OPTIONS: readonly OptionSpec[] = [
  { flags: '-c, --config <path>', help: 'config file naming agent.status_file (default /etc/hacheck/hacheck.yaml when it exists)' },
  { flags: '--status-file <path>', help: 'status file to read (default <state-dir>/status.json)' },
  { flags: '--state-dir <dir>', help: 'state dir holding status.json (default /run/hacheck)' },
  { flags: '--max-age <duration>', help: 'older than this = stale: the agent is dead or hung (default 3s)' },
  { flags: '--json', help: 'one JSON document on stdout: the judgement and the status file' },
  { flags: '-v, --verbose', help: 'one line on stdout with the judgement, then each probe' },
];

/** Options whose "" means something (see OptionSpec.allowEmpty); every other option refuses an empty value. */
export const EMPTY_ALLOWED: ReadonlySet<string> = new Set(
  [...PROBE_OPTIONS, ...CHECK_OPTIONS, ...STATUS_OPTIONS].filter((o) => o.allowEmpty).map((o) => parseOption(o.flags).long),
);

/** An option value that is empty or blanks: a template or variable that expanded to nothing, never "not given". */
export const isBlank = (value: string): boolean => value.trim() === '';
