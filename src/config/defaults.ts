// Paths the config's loaders and its cache agree on; no parser or schema here
// (the one-shot check imports this on every run).
export const DEFAULT_CONFIG_PATH = '/etc/hacheck/hacheck.yaml';
export const DEFAULT_STATE_DIR = '/run/hacheck';

/** The agent's cycle deadline when none is set: the interval, but at least this (ms; see src/commands/agent.ts). */
export const MIN_DEFAULT_CYCLE_TIMEOUT_MS = 300;

/** The agent rewrites an unchanged status file at least this often (ms; see src/commands/agent.ts). */
export const STATUS_EVERY_MS = 500;

/**
 * The longest two status-file writes of a running agent can be apart, in ms,
 * for its interval and cycle deadline (ms): an unchanged status is rewritten at
 * the end of the first cycle ending STATUS_EVERY_MS − interval/2 after the last
 * write (src/commands/agent.ts), every cycle from a 1 s interval on; cycles start
 * on the interval's ticks, never overlap and end by their deadline. What a
 * guard's `hacheck status --max-age` must cover (init writes it, doctor checks it).
 */
export const statusWriteGapMs = (intervalMs: number, cycleMs: number): number => Math.max(STATUS_EVERY_MS + intervalMs / 2, intervalMs) + cycleMs;
