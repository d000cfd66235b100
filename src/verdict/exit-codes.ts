// The contract's exit codes (../shared/design/contract.md). Stable: users' keepalived.conf depends on them.
export const EXIT = {
  HEALTHY: 0,
  UNHEALTHY: 1,
  FORCED_DOWN: 3,
  USAGE: 64,
  INTERNAL: 70,
  /** agent: another agent keeps the track_file (sysexits EX_TEMPFAIL: it can start once that one stops) */
  BUSY: 75,
  CONFIG: 78,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
