// One schema for the whole config file; probe entries come from the registry,
// so each prober owns its keys. Everything is strict: unknown keys are errors.
import * as v from 'valibot';
import { probers } from '../probes/index.js';
import { didYouMean, duration, intRange, numericHostProblem, path, portNumber, relativeProblem } from './units.js';
import { restartSchema } from '../actions/restart.js';
import { DEFAULT_STATE_DIR } from './defaults.js';

const probeEntry = v.variant(
  'type',
  Object.values(probers).map((p) => p.schema) as unknown as v.VariantOptions<'type'>,
  (i) => {
    // the entry itself is not a map (- port): valibot's variant says so with its own message
    // for a map or a list, valibot gives the type's value as input and the entry in path[0]
    const entry = i.path?.[0]?.input;
    if (i.expected === 'Object' || Array.isArray(entry)) return `each probe is a map with its type, e.g. {type: port, targets: ["80"]}, got ${Array.isArray(entry) ? 'a list' : JSON.stringify(i.input) ?? String(i.input)}`;
    const type = i.input;
    // a list or a map (maybe circular through an alias: never JSON.stringify it)
    if (type !== null && typeof type === 'object') return `the type is ${Array.isArray(type) ? 'a list' : 'a map'}: write one of ${Object.keys(probers).join(', ')}, e.g. {type: port, targets: ["80"]}`;
    if (type === undefined) return `no type: each probe names one, e.g. {type: port, targets: ["80"]}; one of ${Object.keys(probers).join(', ')}`;
    const meant = typeof type === 'string' ? didYouMean(type, Object.keys(probers)) : undefined;
    return `unknown probe type ${JSON.stringify(type) ?? '(none)'}: ${meant ? `did you mean "${meant}"? ` : ''}expected one of ${Object.keys(probers).join(', ')}`;
  },
);

export const logSchema = v.strictObject({
  level: v.optional(v.picklist(['debug', 'info', 'warn', 'error', 'silent'], 'log level must be debug, info, warn, error or silent'), 'info'),
  /** log file; default stderr */
  file: v.optional(path('file path')),
});

/** A track_file value: keepalived reads one integer (weight × value when weighted). */
const trackValue = (what: string) => intRange(-254, 254, what);

/** `hacheck agent`: track_file, status file, metrics, hysteresis (see src/commands/agent.ts). */
export const agentSchema = v.pipe(v.strictObject({
  /** keepalived track_file; default <state_dir>/state */
  state_file: v.optional(path('file path')),
  /** status JSON read by `hacheck status`; default <state_dir>/status.json */
  status_file: v.optional(path('file path')),
  /** time between cycle starts (sub-second allowed) */
  interval: v.optional(duration(10, 3_600_000), '1s'),
  /** deadline of one cycle (probes + restart wait); default: the interval, at least 300ms (MIN_DEFAULT_CYCLE_TIMEOUT_MS) */
  timeout: v.optional(duration(10, 3_600_000)),
  /** consecutive healthy cycles before unhealthy -> healthy */
  rise: v.optional(intRange(1, 1000, 'rise'), 2),
  /** consecutive unhealthy cycles with ambiguous evidence (timeouts, resets, slow answers, thresholds) before healthy -> unhealthy */
  fall: v.optional(intRange(1, 1000, 'fall'), 2),
  /** the same with definitive evidence (master gone/zombie/stopped, no live worker, local port refused): 1 = the first such cycle */
  definitive_fall: v.optional(intRange(1, 1000, 'definitive_fall'), 1),
  values: v.optional(v.strictObject({
    healthy: v.optional(trackValue('values.healthy'), 0),
    unhealthy: v.optional(trackValue('values.unhealthy'), 1),
    /** a warning-only verdict; default: the healthy value */
    warning: v.optional(trackValue('values.warning')),
    /** maintenance file present; default: the unhealthy value */
    forced_down: v.optional(trackValue('values.forced_down')),
  }), {}),
  /** what the track_file holds after SIGTERM/SIGINT: "unhealthy", "healthy", "keep" or a number */
  on_exit: v.optional(v.union([v.picklist(['unhealthy', 'healthy', 'keep']), trackValue('on_exit')], 'on_exit must be "unhealthy", "healthy", "keep" or an integer'), 'unhealthy'),
  metrics: v.optional(v.strictObject({
    /** node_exporter textfile collector directory: hacheck.prom is written there every cycle */
    textfile_dir: v.optional(path('directory')),
    /** serve /metrics over HTTP on host:port (e.g. 127.0.0.1:9464) */
    listen: v.optional(v.pipe(v.string(), v.check((s) => listenProblem(s) === undefined, (i) => listenProblem(String(i.input))!))),
  }), {}),
}),
// Definitive evidence is the surer kind: needing more of it than of ambiguous evidence would let a
// run of definitive cycles flip at `fall`, logged as ambiguous (a definitive cycle counts toward fall too).
v.forward(v.check((a) => a.definitive_fall <= a.fall, (i) => {
  const a = i.input as { fall: number; definitive_fall: number };
  return `definitive_fall ${a.definitive_fall} is more than fall ${a.fall}: definitive evidence (a dead or stopped master, a refused local port) is the surer kind and counts toward fall too; use definitive_fall ${a.fall} or less`;
}), ['definitive_fall']));

/** metrics.listen: host:port or [v6]:port, the port in plain decimal (0: any free one), a numeric host a dotted quad. */
function listenProblem(text: string): string | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d{1,5})$/.exec(text);
  if (!m || portNumber(m[2], 0) === undefined) return 'metrics.listen must be host:port, e.g. 127.0.0.1:9464 (the port in decimal, without a sign or leading zero)';
  return m[1].startsWith('[') ? undefined : numericHostProblem(m[1]);
}

const fileSchema = v.strictObject({
  /** hard deadline for a whole one-shot run, restart wait included */
  timeout: v.optional(duration(50, 600_000), '1500ms'),
  state_dir: v.optional(path('directory'), DEFAULT_STATE_DIR),
  log: v.optional(logSchema, {}),
  /** absent: the default nginx process probe; an empty list is an error, never that default (filled in below) */
  probes: v.optional(v.pipe(v.array(v.pipe(probeEntry, v.transform((p) => p as ProbeConfig))), v.minLength(1, 'empty list: list probes, or leave the key out for the default (a live nginx process)'))),
  /** restart nginx when process/port/http probes fail (off unless enabled) */
  restart: v.optional(restartSchema, {}),
  /** stop waiting for the other probes once a critical one has failed (a stopped nginx: exit now, not at the deadline) */
  fail_fast: v.optional(v.boolean('fail_fast must be true or false'), false),
  /** while this file exists the check exits 3 (forced down) whatever the probes say; "" turns it off (documented; blanks are an error) */
  maintenance_file: v.optional(v.pipe(
    v.string('expected a file path, or "" to turn it off'),
    v.check((s) => s === '' || s.trim() !== '', (i) => `blank file path (${JSON.stringify(i.input)}): give one, or "" to turn the maintenance file off`),
    v.check((s) => !s.includes('\0'), 'file path contains a NUL byte'),
    v.check((s) => s === '' || relativeProblem(s) === undefined, (i) => relativeProblem(String(i.input), 'file path')!),
  ), '/etc/hacheck/maintenance'),
  /** long-running mode (`hacheck agent`); ignored by one-shot runs */
  agent: v.optional(agentSchema, {}),
});

// A default of [] would itself be checked against minLength(1), so an absent list is filled in after the object.
export const configSchema = v.pipe(fileSchema, v.transform((c) => ({ ...c, probes: c.probes ?? [] })));

export type Config = v.InferOutput<typeof configSchema>;
/** A validated probe entry; each prober narrows it to its own config type. */
export type ProbeConfig = import('../probes/types.js').ProbeBase & Record<string, unknown>;
