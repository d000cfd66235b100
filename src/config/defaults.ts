// Paths the config's loaders and its cache agree on; no parser or schema here
// (the one-shot check imports this on every run).
export const DEFAULT_CONFIG_PATH = '/etc/hacheck/hacheck.yaml';
export const DEFAULT_STATE_DIR = '/run/hacheck';

/** The agent's cycle deadline when none is set: the interval, but at least this (ms; see src/commands/agent.ts). */
export const MIN_DEFAULT_CYCLE_TIMEOUT_MS = 300;

/** The agent rewrites an unchanged status file at least this often (ms; see src/commands/agent.ts). */
export const STATUS_EVERY_MS = 500;
