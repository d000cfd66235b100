// One schema for the whole config file; probe entries come from the registry,
// so each prober owns its keys. Everything is strict: unknown keys are errors.
import * as v from 'valibot';
import { probers } from '../probes/index.js';
import { duration, intRange } from './units.js';
import { restartSchema } from '../actions/restart.js';
import { DEFAULT_STATE_DIR } from './defaults.js';

const probeEntry = v.variant(
  'type',
  Object.values(probers).map((p) => p.schema) as unknown as v.VariantOptions<'type'>,
  (i) => `unknown probe type ${JSON.stringify(i.input !== null && typeof i.input === 'object' ? (i.input as { type?: unknown }).type : i.input) ?? '(none)'}: expected one of ${Object.keys(probers).join(', ')}`,
);

export const logSchema = v.strictObject({
  level: v.optional(v.picklist(['debug', 'info', 'warn', 'error', 'silent'], 'log level must be debug, info, warn, error or silent'), 'info'),
  /** log file; default stderr */
  file: v.optional(v.string()),
});

/** A track_file value: keepalived reads one integer (weight × value when weighted). */
const trackValue = (what: string) => intRange(-254, 254, what);

/** `hacheck agent`: track_file, status file, metrics, hysteresis (see src/commands/agent.ts). */
export const agentSchema = v.strictObject({
  /** keepalived track_file; default <state_dir>/state */
  state_file: v.optional(v.string()),
  /** status JSON read by `hacheck status`; default <state_dir>/status.json */
  status_file: v.optional(v.string()),
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
    textfile_dir: v.optional(v.string()),
    /** serve /metrics over HTTP on host:port (e.g. 127.0.0.1:9464) */
    listen: v.optional(v.pipe(v.string(), v.regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, 'metrics.listen must be host:port, e.g. 127.0.0.1:9464'))),
  }), {}),
});

export const configSchema = v.strictObject({
  /** hard deadline for a whole one-shot run, restart wait included */
  timeout: v.optional(duration(50, 600_000), '1500ms'),
  state_dir: v.optional(v.string(), DEFAULT_STATE_DIR),
  log: v.optional(logSchema, {}),
  probes: v.optional(v.array(v.pipe(probeEntry, v.transform((p) => p as ProbeConfig))), []),
  /** restart nginx when process/port/http probes fail (off unless enabled) */
  restart: v.optional(restartSchema, {}),
  /** stop waiting for the other probes once a critical one has failed (a stopped nginx: exit now, not at the deadline) */
  fail_fast: v.optional(v.boolean('fail_fast must be true or false'), false),
  /** while this file exists the check exits 3 (forced down) whatever the probes say; "" turns it off */
  maintenance_file: v.optional(v.string(), '/etc/hacheck/maintenance'),
  /** long-running mode (`hacheck agent`); ignored by one-shot runs */
  agent: v.optional(agentSchema, {}),
});

export type Config = v.InferOutput<typeof configSchema>;
/** A validated probe entry; each prober narrows it to its own config type. */
export type ProbeConfig = import('../probes/types.js').ProbeBase & Record<string, unknown>;
