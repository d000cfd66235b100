// The shapes every finding family shares: a family is a pure function of the
// context (parsed configs as keepalived loaded them, host facts gathered once by
// doctor.ts, the instance reports of the arithmetic) returning findings.
import type { ConfigTest } from '../config-test.js';
import type { Effect } from '../load.js';
import type { KeepalivedModel } from '../model.js';
import type { Loc, Parsed } from '../parse.js';
import type { Arithmetic, InstanceReport } from '../arithmetic.js';

export type Severity = 'error' | 'warning' | 'info';

export interface Finding extends Loc {
  severity: Severity;
  code: string;
  message: string;
  fix: string;
  /** what keepalived's own config test printed about the same thing, verbatim */
  keepalived?: string[];
  /** what the finding is about (`script:chk`, `track:VI_1:script:chk`, `instance:VI_1`): the doctor's finding and keepalived's message about one subject merge */
  subject?: string;
  /** a keepalived line that only explains another finding of the same subject (merged into it, or shown alone when there is none) */
  merge?: boolean;
}

/** What doctor.ts found on disk about a script's program (the pure part never touches the disk). */
export interface ScriptFacts {
  exists: boolean;
  /** why keepalived's script security would call it unsafe (not root-owned, group/other-writable, …) */
  unsafe?: string;
  /** text of a readable shell script */
  text?: string;
  /** false: no execute bit (keepalived disables it when it first runs it; its --config-test does not say) */
  executable?: boolean;
  /**
   * a script line starting `</…` (a file-openable test): keepalived runs it with system(), that is
   * `/bin/sh -c`, and this is the program /bin/sh resolves to here (notify.c check_script_secure, SC_SYSTEM)
   */
  shell?: string;
}

/** A probe target of a hacheck config, as its host and what it is. */
export interface ProbeTarget {
  probe: 'port' | 'http' | 'stub_status';
  /** host part (IP or name), without brackets */
  host: string;
  /** as written, for the message */
  text: string;
}

export interface HacheckFacts {
  /** the one-shot deadline (config `timeout`) in ms, and where it came from */
  deadlineMs: number;
  deadlineFrom: string;
  /** the agent's track_file and its values */
  stateFile: string;
  healthyValue: number;
  unhealthyValue: number;
  /** agent.interval when the hacheck config sets it (an agent started with --interval is invisible here) */
  agentIntervalMs?: number;
  /** agent.timeout (the cycle deadline; default the interval) when the config sets the agent up */
  agentCycleMs?: number;
  /** agent.fall (consecutive unhealthy cycles before unhealthy) */
  agentFall?: number;
  /** the config file, when one was read (as named) */
  path?: string;
  /** the same, absolute: one file named two ways (`-c hacheck.yaml`, a script's `-c /etc/…`) is one config */
  absPath?: string;
  /** restart enabled in it (root runs its commands) */
  restart?: boolean;
  /** why a non-root user could change it (the file or a directory above it writable, not root-owned) */
  writable?: string;
  probes?: ProbeTarget[];
}

/** One keepalived.conf (this node's, or the peer's) as keepalived loaded it. */
export interface Side {
  role: 'local' | 'peer';
  parsed: Parsed;
  /** the model with keepalived's load-time effects applied (scripts and track lines it turned off) */
  model: KeepalivedModel;
  /** keepalived's own config test of this file, when it could run */
  test?: ConfigTest;
  /** true when keepalived's config test ran to the end: its word is the ground truth for load-time findings */
  complete: boolean;
  effects: Effect[];
  /** keepalived's messages mapped (empty when it did not run) */
  messages: SideMessages;
}

export interface SideMessages {
  findings: Finding[];
  /** keepalived stopped before the end */
  aborted: boolean;
  /** peer config only: lines about this host's interfaces, users, files (not the peer's) */
  hostNotes: string[];
}

/** What doctor.ts gathers from this host once, up front (the families do no I/O). */
export interface HostFacts {
  hacheck: HacheckFacts;
  /** keyed by the script's program path (argv[0]) */
  scripts: Map<string, ScriptFacts>;
  /** hacheck configs named with -c on script command lines, keyed by that path */
  scriptConfigs: Map<string, Partial<HacheckFacts> & Pick<HacheckFacts, 'deadlineMs'>>;
  /** users of those the config names (and keepalived_script) that exist on this host (getent passwd); undefined: not checked */
  users?: Set<string>;
}

export interface DoctorContext extends HostFacts {
  local: Side;
  peer?: Side;
  reports: InstanceReport[];
  arith: Arithmetic;
}

export type Family = (ctx: DoctorContext) => Finding[];

export const where = (l: Loc) => `${l.file}:${l.line}`;
export { fmtSec as sec } from '../../config/units.js';

export function finding(severity: Severity, code: string, at: Loc, message: string, fix: string, subject?: string): Finding {
  return { severity, code, file: at.file, line: at.line, message, fix, ...(subject && { subject }) };
}
