// One agent per track_file. keepalived acts on every change of the file it
// tracks (vrrp_track_file, keepalived.conf(5)): a second agent on the same file
// (the service's, and the same command run by hand to watch it) would fight the
// first one, and its stop would write agent.on_exit there — with weight 0 a
// FAULT of a healthy node, a VIP moved and moved back. The claim is the
// cross-process lock of src/sys/lock.ts, held for as long as the agent runs: a
// holder that died (pid and start time) frees it, as after kill -9. The status
// file is claimed the same way: the guard (`hacheck status`) of one agent must
// never read another's verdicts.
import { createHash } from 'node:crypto';
import { lstatSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError } from '../config/load.js';
import { acquireLock, type Lock, type LockHolder } from '../sys/lock.js';
import { stateDir } from '../sys/state-dir.js';
import { dirPathProblem } from '../sys/trusted-file.js';

/** How long a claim stays valid while its holder lives: for ever, in practice (a dead holder frees it at once). */
const HOLD_MS = 10 * 365 * 24 * 3600 * 1000;
/** How long a starting agent waits for the claim: one restarted by systemd may start while the old one still leaves. */
export const START_WAIT_MS = 1000;

/** lstat, undefined for any error (a missing name, or ENOTDIR: the directory replaced by a file). */
function lstatQuiet(path: string) {
  try {
    return lstatSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/** Which of the agent's files a claim is for, as messages name it. */
export type ClaimedFile = 'track_file' | 'status file';

/**
 * Where the claim of `file` lives: `.<name>.agent` beside it (mode 0700)
 * when its directory is one only root or this user can change (or is still to
 * be made); else, where another user could swap that name for a symbolic link
 * between our check and our use, in the agent's state dir, named by the
 * file's absolute path. Throws ConfigError when neither is usable.
 */
export function claimDir(file: string, stateDirPath: string, what: ClaimedFile = 'track_file'): string {
  const dir = dirname(file);
  const p = dirPathProblem(dir, 'refuse');
  if (!p || p.missing) return join(dir, `.${basename(file)}.agent`);
  const s = stateDir(stateDirPath, { create: true });
  if (!s.ok) throw new ConfigError(`${what} ${file}: cannot claim it for this agent: its directory ${p.at} is ${p.why}, and state_dir ${stateDirPath} ${s.why}`);
  return join(s.real, `agent-claim.${createHash('sha256').update(resolve(file)).digest('hex').slice(0, 16)}`);
}

/** Another live agent keeps this track_file (or status file): this one does not start (exit 75), or does not move to it (SIGHUP). */
export class TrackFileClaimed extends Error {
  constructor(readonly stateFile: string, readonly holder: LockHolder, readonly what: ClaimedFile = 'track_file') {
    super(`${what} ${stateFile} is kept by another hacheck agent (pid ${holder.pid}): one agent per ${what}; stop that one first (\`hacheck status\` shows it), or give this one its own agent.state_file, status_file and metrics`);
  }
}

/** A held claim, and where it lives: `intact()` says whether its directory is still the one claimed (an `rm -rf` of the track_file's directory takes it away). */
export interface Claim extends Lock {
  file: string;
  what: ClaimedFile;
  dir: string;
  intact(): boolean;
}

/**
 * Claims `file` for this agent, waiting up to `waitMs` for a claim that is
 * being released. Resolves to the claim (release() it on the way out); rejects
 * with TrackFileClaimed when another live agent holds it, with ConfigError when
 * the claim cannot be made (its directory another user's, not creatable).
 */
export async function claimFile(file: string, stateDirPath: string, what: ClaimedFile = 'track_file', waitMs = START_WAIT_MS): Promise<Claim> {
  const dir = claimDir(file, stateDirPath, what);
  const r = await acquireLock(dir, { deadline: performance.now() + waitMs, holdMs: HOLD_MS, purpose: `agent for ${file}` });
  if (r.ok) {
    const id = lstatQuiet(dir);
    const lock = r.lock;
    return {
      ...lock, file, what, dir,
      intact: () => {
        // one lstat a cycle: the same directory (device and inode); the generations are read only when it is not
        const now = lstatQuiet(dir);
        return !!now && !!id && now.ino === id.ino && now.dev === id.dev;
      },
    };
  }
  if (r.holder) throw new TrackFileClaimed(file, r.holder, what);
  // the hint fits what is there: a claim directory someone made, or none that could be made (read-only, no such parent)
  const hint = lstatQuiet(dir)
    ? `remove ${dir} if no hacheck agent runs, or run the agent as the user that made it`
    : `${dir} could not be made: the directory above it must exist and be writable (under systemd, listed in ReadWritePaths=)`;
  throw new ConfigError(`${what} ${file}: cannot claim it for this agent: ${r.error ?? 'unknown reason'} (${hint})`);
}

/** claimFile for the track_file (its historical name). */
export function claimTrackFile(stateFile: string, stateDirPath: string, waitMs = START_WAIT_MS): Promise<Claim> {
  return claimFile(stateFile, stateDirPath, 'track_file', waitMs);
}

/** The same track_file under two spellings (/var/run/hacheck/state and /run/hacheck/state): its directory's identity and its name. */
export { samePath as sameTrackFile } from '../config/write-paths.js';
