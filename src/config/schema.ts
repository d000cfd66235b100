// One schema for the whole config file; probe entries come from the registry,
// so each prober owns its keys. Everything is strict: unknown keys are errors.
import * as v from 'valibot';
import { probers } from '../probes/index.js';
import { duration } from './units.js';
import { restartSchema } from '../actions/restart.js';

const probeEntry = v.variant(
  'type',
  Object.values(probers).map((p) => p.schema) as unknown as v.VariantOptions<'type'>,
  (i) => `unknown probe type ${JSON.stringify((i.input as { type?: unknown })?.type)}: expected one of ${Object.keys(probers).join(', ')}`,
);

export const logSchema = v.strictObject({
  level: v.optional(v.picklist(['debug', 'info', 'warn', 'error', 'silent'], 'log level must be debug, info, warn, error or silent'), 'info'),
  /** log file; default stderr */
  file: v.optional(v.string()),
});

export const configSchema = v.strictObject({
  /** hard deadline for a whole one-shot run, restart wait included */
  timeout: v.optional(duration(50, 600_000), '1500ms'),
  state_dir: v.optional(v.string(), '/run/hacheck'),
  log: v.optional(logSchema, {}),
  probes: v.optional(v.array(v.pipe(probeEntry, v.transform((p) => p as ProbeConfig))), []),
  /** restart nginx when process/port/http probes fail (off unless enabled) */
  restart: v.optional(restartSchema, {}),
  /** while this file exists the check exits 3 (forced down) whatever the probes say; "" turns it off */
  maintenance_file: v.optional(v.string(), '/etc/hacheck/maintenance'),
});

export type Config = v.InferOutput<typeof configSchema>;
/** A validated probe entry; each prober narrows it to its own config type. */
export type ProbeConfig = import('../probes/types.js').ProbeBase & Record<string, unknown>;
