// One agent per track_file. keepalived acts on every change of the file it
// tracks (vrrp_track_file, keepalived.conf(5)): a second agent on the same file
// (the service's, and the same command run by hand to watch it) would fight the
// first one, and its stop would write agent.on_exit there — with weight 0 a
// FAULT of a healthy node, a VIP moved and moved back. The claim is the
// cross-process lock of src/sys/lock.ts in a private directory beside the
// track_file, held for as long as the agent runs: a holder that died (pid and
// start time) frees it, as after kill -9.
import { basename, dirname, join } from 'node:path';
import { acquireLock, type Lock, type LockHolder } from '../sys/lock.js';

/** How long a claim stays valid while its holder lives: for ever, in practice (a dead holder frees it at once). */
const HOLD_MS = 10 * 365 * 24 * 3600 * 1000;
/** How long a new agent waits for the claim: an agent restarted by systemd may start while the old one still leaves. */
const WAIT_MS = 1000;

/** The lock directory of a track_file: `.<name>.agent` beside it (mode 0700, owned by the agent's user). */
export const claimDir = (stateFile: string): string => join(dirname(stateFile), `.${basename(stateFile)}.agent`);

/** Another agent keeps this track_file (or its claim cannot be made): the agent does not start, or does not move to it. */
export class TrackFileClaimed extends Error {
  constructor(readonly stateFile: string, readonly holder?: LockHolder, why?: string) {
    super(holder
      ? `track_file ${stateFile} is kept by another hacheck agent (pid ${holder.pid}): one agent per track_file; stop that one first, or give this one another agent.state_file`
      : `track_file ${stateFile}: cannot claim it for this agent: ${why ?? 'unknown reason'}`);
  }
}

/**
 * Claims `stateFile` for this agent, waiting up to 1 s for a claim that is
 * being released. Resolves to the lock (release() it on the way out); rejects
 * with TrackFileClaimed when another live agent holds it or the lock directory
 * cannot be used (a symlink, another owner, a mode other than 0700).
 */
export async function claimTrackFile(stateFile: string): Promise<Lock> {
  const r = await acquireLock(claimDir(stateFile), { deadline: performance.now() + WAIT_MS, holdMs: HOLD_MS, purpose: `agent for ${stateFile}` });
  if (r.ok) return r.lock;
  throw new TrackFileClaimed(stateFile, r.holder, r.error);
}
