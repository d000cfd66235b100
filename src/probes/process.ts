// process: the nginx master by kernel comm name and/or pidfile, judged by the
// roles nginx gives its own processes (src/sys/nginx-procs.ts): dead, zombie,
// stopped (SIGSTOP, a hung node the seed scripts' `ps | wc -l` counts as fine),
// a stale pidfile whose pid now belongs to another program, too few workers that
// can take new connections (shutting-down, stopped, cache processes never count),
// orphaned workers of a killed master; healthy through a binary upgrade
// (USR2/WINCH/QUIT and rollback) and a reload (HUP) while nginx serves.
import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, realpathSync, readvSync, type Stats } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { startupSnapshot } from 'node:v8';
import * as v from 'valibot';
import { severity, intRange, path, probeName } from '../config/units.js';
import { isAsciiDigits, printable } from '../sys/ascii.js';
import { closeQuietly, family, HELD_ROUNDS, heldRound, holding, isDead, isStopped, listeningSockets, polledListening, readExitStatus, readNsPids, readStat, readTitle, readUids, releaseHeld, STATE_NAMES, type Endpoint, type ProcStat } from '../sys/proc.js';
import {
  describeOrphans, describeOrphanSockets, holdVerb, isRootOrSelf, splitOrphans, mastersByOwner, pidfileHint, roleOfTitle, ROLE_NAMES, scanNginx, treeAround,
  type MasterGroup, type NginxProcess, type NginxTree,
} from '../sys/nginx-procs.js';
import type { Check, Prober } from './types.js';

export const schema = v.strictObject({
  type: v.literal('process'),
  name: probeName,
  severity,
  /** kernel comm of the master (15 chars max, as in /proc/<pid>/comm) */
  process: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(15, 'a kernel comm name is at most 15 characters')), 'nginx'),
  pidfile: v.optional(path('file path')),
  min_workers: v.optional(intRange(0, 1024, 'min_workers'), 1),
});
export type ProcessConfig = v.InferOutput<typeof schema>;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "2 workers", "2 workers, 2 shutting down, 2 cache processes" */
function counts(g: MasterGroup): string {
  if (!g.stopped.length && !g.shuttingDown.length && !g.cache.length) return plural(g.workers.length, 'worker'); // every healthy run
  const parts = [plural(g.workers.length, 'worker')];
  if (g.stopped.length) parts.push(`${g.stopped.length} stopped`);
  if (g.shuttingDown.length) parts.push(`${g.shuttingDown.length} shutting down`);
  if (g.cache.length) parts.push(plural(g.cache.length, 'cache process', 'cache processes'));
  return parts.join(', ');
}

function describe(g: MasterGroup): string {
  const m = g.master;
  return `pid ${m.pid} ${m.comm} ${STATE_NAMES[m.state] ?? m.state}, ${counts(g)}`;
}

/** `recheck`: no child at all, which is also the moment between the master reaping a dead worker and forking its replacement: look again. */
interface Failure { reason: string; definitive: boolean; recheck?: boolean }

/** "127.0.0.1:8080", "[::1]:8080" */
const endpoint = (e: Endpoint) => (e.addr.includes(':') ? `[${e.addr}]:${e.port}` : `${e.addr}:${e.port}`);

/**
 * The stopped workers of `g` that alone wait on a listening socket, with where it
 * listens: with `listen … reuseport` each worker polls a socket of its own (nginx
 * clones one per worker: ngx_clone_listening), and the kernel keeps spreading new
 * connections to a stopped worker's, where they wait (measured: 12 of 20 requests
 * timed out with one of 2 workers stopped; none without reuseport, where every
 * worker accepts from the same socket). A stopped worker holding the accept_mutex
 * likewise polls sockets no other worker does (measured: 10 of 10 timed out). [] when none; undefined when a
 * descriptor list cannot be read (not root). Read only while a worker is stopped.
 */
function stoppedAlone(g: MasterGroup): { pid: number; at: string[] }[] | undefined {
  const listening = listeningSockets(g.stopped[0].pid);
  if (!listening) return undefined;
  const stopped: { pid: number; polled: string[] }[] = [];
  const open = new Set<string>();
  for (const w of g.stopped) {
    const polled = polledListening(w.pid, listening);
    if (!polled) return undefined;
    stopped.push({ pid: w.pid, polled });
    for (const i of polled) open.add(i);
  }
  // live workers only until each of those sockets has one (without reuseport the first has them all):
  // each read is a listing of a worker's whole epoll set, thousands of lines on a busy one
  const live = new Set<string>();
  for (const w of g.workers) {
    if (live.size === open.size) break;
    const polled = polledListening(w.pid, open);
    if (!polled) return undefined;
    for (const i of polled) live.add(i);
  }
  const out: { pid: number; at: string[] }[] = [];
  for (const w of stopped) {
    const alone = w.polled.filter((i) => !live.has(i));
    if (alone.length) out.push({ pid: w.pid, at: alone.map((i) => endpoint(listening.get(i)!)) });
  }
  return out;
}

/** "worker 812 stopped (SIGSTOP/traced): it accepts nothing" for a passing master with a stopped worker (a debugger, a forgotten SIGSTOP). */
const stoppedWarning = (g: MasterGroup) => `${g.stopped.length === 1 ? 'worker' : 'workers'} ${g.stopped.map((w) => w.pid).join(', ')} stopped (SIGSTOP/traced): ${g.stopped.length === 1 ? 'it accepts' : 'they accept'} nothing`;

/**
 * Children of `g` caught between a worker's death and its replacement: exited and
 * not yet reaped, or master-titled children that run nothing of their own (a fork
 * not yet titled: nginx titles a worker once it has set it up). `tree`: to tell the
 * latter from a binary upgrade's new master, which runs its own workers.
 */
function respawning(g: MasterGroup, tree?: NginxTree): string | undefined {
  const bare = (pid: number) => {
    const x = tree && groupOf(tree.masters, pid);
    return !!tree && (!x || !(x.workers.length + x.stopped.length + x.shuttingDown.length + x.cache.length + x.newMasters.length + x.exited.length));
  };
  const forked = g.newMasters.filter((n) => bare(n.pid));
  // killed or crashed (ended by a signal: kill -9, SIGSEGV, the OOM killer) is what nginx respawns; a worker
  // that exited was told to (a reload's or a stop's old generation, code 0) or could not start (code 2,
  // "exited with fatal code 2 and cannot be respawned"): ngx_reap_children respawns neither
  const exited = g.exited.filter((p) => {
    const st = readExitStatus(p.pid);
    return st === undefined || (st & 0x7f) !== 0;
  });
  if (!exited.length && !forked.length) return undefined;
  const parts = [
    exited.length && `${exited.length === 1 ? 'worker' : 'workers'} ${exited.map((p) => p.pid).join(', ')} killed, not yet reaped by the master`,
    forked.length && `${forked.map((p) => p.pid).join(', ')} just forked, not yet titled`,
  ].filter(Boolean);
  return `${parts.join('; ')} (nginx respawns a worker killed by a signal, within milliseconds)`;
}

/** One master: alive, not stopped, at least `min` workers that take new connections, none stopped with a socket of its own. */
function judge(g: MasterGroup, min: number, tree?: NginxTree): Failure | undefined {
  const m = g.master;
  if (isStopped(m)) return { reason: `pid ${m.pid} is stopped (SIGSTOP/traced): alive but serving nothing`, definitive: true };
  const n = g.workers.length;
  if (n >= min && g.stopped.length) {
    const alone = stoppedAlone(g);
    if (!alone?.length) return undefined;
    const who = alone.map((a) => `${a.pid} (${a.at.join(', ')})`).join(', ');
    return {
      reason: `stopped (SIGSTOP/traced) worker${alone.length === 1 ? '' : 's'} ${who} alone poll${alone.length === 1 ? 's' : ''} a listening socket: new connections queued there wait (listen … reuseport gives each worker its own socket; with accept_mutex on, a stopped worker holding it keeps every other one from accepting)`,
      definitive: true,
    };
  }
  if (n >= min) return undefined;
  const aside = [g.stopped.length && `${g.stopped.length} stopped`, g.shuttingDown.length && `${g.shuttingDown.length} shutting down`].filter(Boolean);
  let reason = `${plural(n, 'live worker')}${aside.length ? ` (${aside.join(', ')})` : ''}, need >= ${min}`;
  // a worker killed or crashed: for a moment it is a zombie, then its replacement an untitled fork
  // (measured: 1 probe in 7 during 30 kills of the only worker read "0 live workers", definitive)
  const flux = respawning(g, tree);
  if (flux) return { reason: `${reason}: ${flux}`, definitive: false };
  if (n === 0 && g.shuttingDown.length) reason += ': workers are finishing their requests and no new worker runs (nginx stopping gracefully, or a reload whose new workers could not start: see the error_log)';
  else if (n === 0 && m.byShape && !g.stopped.length && !g.newMasters.length && !g.cache.length) {
    // nginx titles its master itself (ngx_master_process_cycle); with master_process off nothing is titled and no child is forked
    reason += `: pid ${m.pid} has no child and no nginx title (${JSON.stringify(m.title.slice(0, 40))}): nginx with master_process off serves from this one process (set min_workers: 0), or not nginx`;
  } else if (n === 0 && !g.stopped.length && !g.newMasters.length && !g.shuttingDown.length) {
    return { reason: `${reason}: the master runs no worker (nginx does not respawn one that failed to start; see the error_log)`, definitive: true, recheck: true };
  }
  return { reason, definitive: n === 0 };
}

/** What is going on around the judged master, for --verbose/--json ("binary upgrade in progress: …", "reload: …"). */
function situation(tree: NginxTree, g: MasterGroup, oldbin?: { pid: number; name: string }): string[] {
  const out: string[] = [];
  // one master, no reload, nginx's titles: nothing to say (every healthy run)
  if (!g.oldMaster && !g.newMasters.length && !g.shuttingDown.length && !tree.byShape) return out;
  const group = (pid: number) => tree.masters.find((x) => x.master.pid === pid);
  const old = g.oldMaster ? group(g.oldMaster.pid) : g.newMasters.length ? g : undefined;
  if (old) {
    const tag = (x: MasterGroup, pf?: string) => `${x.master.pid} (${pf ? `${pf}, ` : ''}${counts(x)})`;
    const news = old.newMasters.map((n) => group(n.pid)).filter((x): x is MasterGroup => !!x);
    out.push(`binary upgrade in progress: old master ${tag(old, oldbin?.pid === old.master.pid ? oldbin.name : undefined)}, new master ${news.map((n) => tag(n)).join(', new master ')}`);
  }
  for (const x of old ? [old, ...old.newMasters.map((n) => group(n.pid)!)] : [g]) {
    if (!x?.shuttingDown.length) continue;
    const of = old ? ` (master ${x.master.pid})` : '';
    // new workers beside finishing ones: a reload; finishing ones only: a graceful stop (or a failed reload)
    out.push(x.workers.length
      ? `reload: ${plural(x.workers.length, 'worker')}, ${x.shuttingDown.length} shutting down${of}`
      : `stopping: ${plural(x.shuttingDown.length, 'worker')} finishing requests, none taking new ones${of}`);
  }
  if (tree.byShape) out.push(`roles from the process tree: titles are not nginx's (${JSON.stringify((tree.foreignTitle ?? '').slice(0, 40))})`);
  return out;
}

/** The roles on the result: --json shows them; metrics and perfdata count them. */
function roles(tree: NginxTree): Check['processes'] {
  return tree.processes.map((p) => ({ pid: p.pid, ppid: p.ppid, role: p.role, state: p.state }));
}

/**
 * The same keys on every path (each is a Prometheus series: a key present only
 * while nginx is down would come and go with it); NaN where it is not known.
 */
function metrics(tree: NginxTree | undefined, g: MasterGroup | undefined, scanned: boolean): Record<string, number> {
  return {
    masters: tree?.masters.length ?? NaN,
    workers: tree ? g?.workers.length ?? 0 : NaN,
    workers_shutting_down: tree ? g?.shuttingDown.length ?? 0 : NaN,
    cache_processes: tree ? g?.cache.length ?? 0 : NaN,
    // orphans are only known when all of /proc was read
    orphans: tree && scanned ? tree.orphans.length : NaN,
  };
}

type Out = { check: Check; metrics: Record<string, number>; recheck?: boolean };

/** Judges every master of a tree: the newest passing one, else the one closest to passing. */
function pick(tree: NginxTree, min: number): { g: MasterGroup; f?: Failure } {
  const all = tree.masters.map((g) => ({ g, f: judge(g, min, tree) }));
  const good = all.filter((x) => !x.f);
  if (good.length) return good[good.length - 1];
  return all.reduce((a, b) => (b.g.workers.length > a.g.workers.length ? b : a));
}

const ERRNO_WORDS: Record<string, string> = {
  ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'is a directory', ENOTDIR: 'a path component is not a directory',
  ELOOP: 'is a symbolic link (not followed)', ENXIO: 'is a socket',
};

/** nginx writes "%P\n" (ngx_create_pidfile); anything longer is not a pid file. */
const PIDFILE_MAX = 64;
/** PID_MAX_LIMIT on 64-bit Linux (include/linux/threads.h): no pid is larger. */
const PID_MAX = 4_194_304;

/** readPid's buffer (its reads are synchronous), allocated on first use, in an array for readvSync (fewer validators than readSync) */
let pidBuf: Buffer | undefined;
let pidBufs: Buffer[] | undefined;

/**
 * The descriptor readPid's last open of each pid file gave, kept for the next
 * run (open and close are most of a read): each run lstat()s the path again and
 * reads the kept descriptor from its start only when the path still names that
 * same regular file (device and inode; an inode someone holds open is never
 * reused, so the same numbers are the same file). Any other answer (gone,
 * another file, a symbolic link, a FIFO, an error) closes it and opens the path
 * afresh as on the first run: what is read and the trust checks (the lstat is
 * of that same inode) are those of a new open. No content is kept. One no run
 * read for HELD_ROUNDS rounds of held reads is closed (releasePidfiles(): a
 * probe dropped from the config, or a pid file path changed; each probe with a
 * pid file reads its own every cycle, so several keep theirs); none while a
 * start-up snapshot is being built (a descriptor number would outlive the process).
 */
const heldPidfiles = new Map<string, { fd: number; dev: number; ino: number; round: number }>();
const NO_THROW = Object.freeze({ throwIfNoEntry: false });

/** After releaseHeld() ended a round: closes the pid files' descriptors no readPid used in the last HELD_ROUNDS rounds (the same clock as the /proc ones). */
function releasePidfiles(): void {
  if (heldPidfiles.size === 0) return;
  const now = heldRound();
  heldPidfiles.forEach((h, path) => {
    if (now - h.round <= HELD_ROUNDS) return;
    heldPidfiles.delete(path);
    closeQuietly(h.fd);
  });
}

/** " to \"/run/real.pid\"" for a symbolic link (its text, at most 200 characters), '' when it cannot be read. */
function linkTarget(path: string): string {
  try {
    return ` to ${JSON.stringify(readlinkSync(path).slice(0, 200))}`;
  } catch {
    return '';
  }
}

/**
 * The pid in a pid file, read with one bounded read of a regular file opened
 * without following a symbolic link and without blocking: a FIFO, /dev/zero or
 * a huge file there must not hold the run past its deadline (a blocking
 * readFileSync would), and a link must not redirect a root process's read.
 * Through the descriptor kept from the last run while the path names its file
 * (heldPidfiles).
 */
function readPid(path: string): { pid: number; st: Stats } | { error: string; code?: string; text?: string } {
  if (!pidBuf) {
    pidBuf = Buffer.alloc(PIDFILE_MAX + 1);
    pidBufs = [pidBuf];
  }
  const h = heldPidfiles.get(path);
  if (h) {
    let st: Stats | undefined;
    try {
      st = lstatSync(path, NO_THROW);
      if (st && st.isFile() && st.ino === h.ino && st.dev === h.dev) {
        const n = readvSync(h.fd, pidBufs!, 0);
        h.round = heldRound();
        return pidIn(n, st);
      }
    } catch { /* opened afresh below, which says why */ }
    heldPidfiles.delete(path);
    closeQuietly(h.fd);
  }
  let fd: number | undefined;
  let st: Stats;
  let n: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
    st = fstatSync(fd);
    if (!st.isFile()) return { error: `is ${st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : 'a device or socket'}, not a regular file` };
    n = readvSync(fd, pidBufs!, 0);
    if (!startupSnapshot.isBuildingSnapshot()) {
      heldPidfiles.set(path, { fd, dev: st.dev, ino: st.ino, round: heldRound() });
      fd = undefined;
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // a link is not followed, but where it points (readlink(2), no open of the target) helps the operator
    if (code === 'ELOOP') return { error: `is a symbolic link${linkTarget(path)} (not followed) (ELOOP)`, code };
    return { error: code ? `${ERRNO_WORDS[code] ?? code.toLowerCase()} (${code})` : String(e), code };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return pidIn(n, st);
}

/** readPid's answer from the `n` bytes read into pidBuf. */
function pidIn(n: number, st: Stats): { pid: number; st: Stats } | { error: string; text?: string } {
  if (n > PIDFILE_MAX) return { error: `pidfile does not hold a pid (more than ${PIDFILE_MAX} bytes)` };
  const text = pidBuf!.toString('utf8', 0, n).trim();
  const pid = Number(text);
  if (isAsciiDigits(text, PIDFILE_MAX) && pid > 0 && pid <= PID_MAX) return { pid, st };
  return { error: notAPid(text), text };
}

/** Why `text` (a pid file's content, trimmed) is no pid: "pidfile is empty", "pidfile holds \"abc\" (not a pid)". */
function notAPid(text: string): string {
  if (text === '') return 'pidfile is empty';
  const quoted = `"${printable(text, 20)}"`;
  if (isAsciiDigits(text, PIDFILE_MAX) && Number(text) > 0) return `pidfile holds ${quoted} (no pid is above PID_MAX_LIMIT ${PID_MAX})`;
  return `pidfile holds ${quoted} (not a pid)`;
}

/**
 * Who could have put this pid file there: root, its owner, the owner of every
 * directory (and symbolic link) on its path; 'anyone' when the file or a
 * non-sticky directory above it is group/other-writable (a sticky one lets
 * others create names, not replace ours: the file's owner says who made it).
 */
function pidfileWriters(path: string, st: Stats): Set<number> | 'anyone' {
  if (st.mode & 0o022) return 'anyone';
  const who = new Set([0, st.uid]);
  const parts = resolve(dirname(path)).split('/').filter(Boolean);
  let p = '';
  for (let i = 0; i <= parts.length; i++) {
    p = i === 0 ? '/' : `${p === '/' ? '' : p}/${parts[i - 1]}`;
    let d: Stats;
    try {
      d = lstatSync(p);
      if (d.isSymbolicLink()) {
        who.add(d.uid);
        // the directories above the link's target (resolved: no link left to follow)
        const sub = pidfileWriters(`${realpathSync(p)}/.`, { mode: 0, uid: 0 } as Stats);
        if (sub === 'anyone') return sub;
        sub.forEach((u) => who.add(u));
        continue;
      }
    } catch {
      return 'anyone';
    }
    who.add(d.uid);
    if (d.mode & 0o022 && !(d.mode & 0o1000)) return 'anyone';
  }
  return who;
}

/** The pid file's own directory (resolved) is sticky and writable by group or others: anyone may create a name there. */
function stickyOpen(path: string): boolean {
  try {
    const d = lstatSync(realpathSync(dirname(resolve(path))));
    return (d.mode & 0o1000) !== 0 && (d.mode & 0o022) !== 0;
  } catch {
    return true;
  }
}

/**
 * Why the master a pid file names is not believed, or undefined: a master run by
 * root or by us always is (as by name); one run by uid U only when nobody but
 * root, us and U could have written the pid file — else any local user could
 * start a look-alike (comm and title are its own) and name it there.
 */
function masterDistrust(path: string, st: Stats, pid: number): string | undefined {
  const u = holding(() => readUids(pid));
  if (!u) return undefined; // gone meanwhile: the caller's checks say so
  if (u.real === 0 && u.effective === 0) return undefined; // root's (isRootOrSelf whoever we are)
  const self = process.getuid?.() ?? 0;
  const ok = (id: number) => isRootOrSelf(id, self);
  if (ok(u.real) && ok(u.effective)) return undefined;
  const runBy = ok(u.real) ? u.effective : u.real;
  if (u.real !== u.effective && !ok(u.real) && !ok(u.effective)) return `pid ${pid} runs as uids ${u.real}/${u.effective}`;
  const writers = pidfileWriters(path, st);
  const others = writers === 'anyone' ? ['any local user'] : [...writers].filter((w) => !ok(w) && w !== runBy).map((w) => `uid ${w}`);
  // In a sticky directory others can write (/tmp, as nginx-unprivileged images use), no one can replace
  // our names, but anyone can create one that is absent: while nginx is down, a local user creates the
  // pid file and starts their own nginx, and the file's owner is then that user — the master's uid. So
  // there the owner proves nothing: only a file root (or this user) made is believed.
  if (!others.length && !ok(st.uid) && stickyOpen(path)) {
    return `pid ${pid} runs as uid ${runBy}, and the pidfile (owned by uid ${st.uid}) is in ${dirname(resolve(path))}, a sticky directory any local user can create it in `
      + `(a look-alike master any user can start; keep the pid file of an nginx not run by root in a directory only root and nginx's own user can write, e.g. one owned by that user)`;
  }
  if (!others.length) return undefined;
  return `pid ${pid} runs as uid ${runBy}, and ${others.join(', ')} could have written the pidfile `
    + `(a look-alike master any user can start; the pidfile and the directories above it must be writable only by root, this user or nginx's own user)`;
}

/**
 * "; orphaned nginx workers 51, 52 hold the listening sockets (their master is gone)" for the orphans
 * the dead master `pid` started (their session or process group is its pid: a daemonized master, or
 * one systemd started, leads both, and its workers inherit them), and apart, by process group, the
 * others — another nginx whose master also died (another instance on other ports): not blamed on
 * this one ("orphaned nginx workers 61, 62 of process group 60 (not pid 49's) hold listening sockets").
 */
function orphansOf(pid: number, orphans: NginxProcess[], zombie?: ProcStat): string {
  if (!orphans.length) return '';
  // a zombie master still shows its own group and session: under `daemon off` they are its
  // supervisor's, which its workers share (they never lead their own), started after it
  const fromZombie = (o: NginxProcess) => !!zombie && o.pgrp === zombie.pgrp && o.session === zombie.session && o.startTicks >= zombie.startTicks;
  const mine = orphans.filter((o) => o.session === pid || o.pgrp === pid || fromZombie(o));
  const groups = new Map<number, NginxProcess[]>();
  for (const o of orphans) if (!mine.includes(o)) groups.set(o.pgrp, [...(groups.get(o.pgrp) ?? []), o]);
  const parts = mine.length ? [describeOrphanSockets(mine)] : [];
  for (const [pgrp, g] of groups) {
    const { holding, idle } = splitOrphans(g);
    const of = `of process group ${pgrp} (not pid ${pid}'s)`;
    if (holding.length) parts.push(`${describeOrphans(holding)} ${of} ${holdVerb(holding)} listening sockets`);
    if (idle.length) parts.push(`${describeOrphans(idle)} ${of} ${holdVerb(idle)} no listening socket`);
  }
  return `; ${parts.join('; ')}`;
}

/** "; an nginx master is running: pid 123, its pid file is …" for a missing/stale pidfile. */
function visibleMasters(comm: string, scan: NginxTree): string {
  // only a master no other user could have started is worth naming
  const { trusted } = mastersByOwner(scan.masters);
  const m = trusted[0]?.master;
  if (!m) return '';
  const more = trusted.length > 1 ? ` (and ${trusted.length - 1} more)` : '';
  return `; a running ${comm} master is visible: pid ${m.pid}${more}, ${pidfileHint(m.title)}`;
}

/**
 * A pid file that cannot be read, and what /proc shows. nginx deletes its pid
 * file when it exits (`nginx -s stop`, `-s quit`, a systemd stop): no file
 * (ENOENT) and no live master of this comm at all, whoever runs it, is nginx
 * not running, as definitive as a dead pid. A master still visible (the file
 * deleted under a running nginx, another `pid` path, a master exiting between
 * its unlink and its exit, a look-alike of another user) or any other error
 * (EACCES, a loop) says nothing sure: ambiguous. A file that names no pid
 * (empty: nginx creates it, then writes it, and `nginx -t` leaves it empty;
 * garbage) is judged as a missing one: no master at all is definitive.
 */
function noPidfile(comm: string, read: { error: string; code?: string; text?: string }, scan: NginxTree): Pick<Check, 'reason' | 'evidence'> {
  // `nginx -t` creates the pid file empty when it is missing (ngx_init_cycle under ngx_test_config:
  // ngx_create_pidfile with NGX_FILE_CREATE_OR_OPEN, nothing written), so a stopped nginx whose
  // config was tested since (Debian's ExecStartPre/ExecReload, the restart flow, an operator)
  // leaves an empty file for good, not only for the moment between a start's create and write
  const names = read.code === 'ENOENT' ? 'no pidfile' : read.text === '' ? 'empty pidfile (nginx -t leaves one where nginx is not running)' : read.text !== undefined ? read.error : undefined;
  if (names && scan.masters.length === 0) {
    const orphans = scan.orphans.length ? `; ${describeOrphanSockets(scan.orphans)}` : '';
    return { reason: `${comm} is not running: ${names} and no ${comm} master${orphans}`, evidence: 'definitive' };
  }
  const seen = visibleMasters(comm, scan);
  // a master only another user could have started is not named (visibleMasters), but it is why this is not definitive
  const other = !seen && scan.masters.length ? `; ${plural(scan.masters.length, `${comm} master`)} not run by ${ROOT_OR_SELF()} visible (pid ${scan.masters[0].master.pid})` : '';
  return { reason: `${read.text !== undefined ? read.error : `cannot read pidfile: ${read.error}`}${seen}${other}`, evidence: 'ambiguous' };
}

/** byPidfile's result: `extra` on the check, the metrics `m` beside it. */
function pidfileOut(cfg: ProcessConfig & { pidfile: string }, t0: number, ok: boolean, value: string, extra: Partial<Check>, m = metrics(undefined, undefined, false)): Out {
  const expect = `pid alive, comm ${cfg.process}, >= ${cfg.min_workers} workers`;
  return { check: { target: cfg.pidfile, ok, value, expect, durationMs: performance.now() - t0, ...(!ok && { evidence: 'ambiguous' as const }), ...extra }, metrics: m };
}

/** The process with this pid (a loop: find() calls a closure per element in the interpreter). */
function withPid(ps: NginxProcess[], pid: number): NginxProcess | undefined {
  for (let i = 0; i < ps.length; i++) if (ps[i].pid === pid) return ps[i];
  return undefined;
}

/** The group of the master with this pid. */
function groupOf(gs: MasterGroup[], pid: number): MasterGroup | undefined {
  for (let i = 0; i < gs.length; i++) if (gs[i].master.pid === pid) return gs[i];
  return undefined;
}

function byPidfile(cfg: ProcessConfig & { pidfile: string }, t0: number): Out {
  const comm = cfg.process;
  const oldbinPath = `${cfg.pidfile}.oldbin`;
  let read = readPid(cfg.pidfile);
  let note: string | undefined;
  if ('error' in read && (read.code === 'ENOENT' || read.text === '')) {
    // USR2: nginx renamed nginx.pid to nginx.pid.oldbin; the new master writes nginx.pid once it is up
    // (ngx_create_pidfile: created with O_TRUNC, then written: empty for a moment)
    const old = readPid(oldbinPath);
    if ('pid' in old && roleOfTitle(readTitle(old.pid) ?? '') === 'master' && readStat(old.pid)?.comm === comm) {
      read = old;
      note = `binary upgrade starting: ${basename(cfg.pidfile)} not yet written by the new master; judging the old master (${basename(oldbinPath)})`;
    }
  }
  if ('error' in read) {
    // the failure path only: a healthy cycle never scans /proc
    const scan = scanNginx(comm);
    // the file's text as \xHH where it is not printable: whoever writes the pid file must not reach the operator's terminal (-v)
    const value = read.text === undefined ? 'no pidfile' : read.text === '' ? 'empty pidfile' : `"${printable(read.text, 20)}"`;
    return pidfileOut(cfg, t0, false, value, { ...noPidfile(comm, read, scan), processes: roles(scan) }, metrics(scan, undefined, true));
  }
  const fileSt = read.st;
  return judgePid(read.pid);

  /** The master the pid file names, judged; `ns`: the pid was mapped from another PID namespace's (nsMasters). */
  function judgePid(pid: number, ns?: { from: number }): Out {
    // a pid that is not our nginx here may be the one the master has in its own PID namespace (a container)
    const mapped = (): Out | undefined => {
      if (ns) return undefined;
      const ms = nsMasters(comm, pid);
      if (ms.length === 1) return judgePid(ms[0], { from: pid });
      if (ms.length === 0) return undefined;
      // several containers' masters have this pid there (pid 1 alike): which one wrote the file is not known
      return pidfileOut(cfg, t0, false, `pid ${pid} in ${ms.length} PID namespaces`, {
        reason: `pidfile names pid ${pid}, which ${ms.length} ${comm} masters have in their own PID namespaces (pids ${ms.join(', ')} here): which one wrote it is not known`,
        evidence: 'ambiguous',
      });
    };
    const distrust = masterDistrust(note ? oldbinPath : cfg.pidfile, fileSt, pid);
    if (distrust) {
      if (readStat(pid)?.comm !== comm) {
        const r = mapped();
        if (r) return r;
      }
      const scan = scanNginx(comm);
      return pidfileOut(cfg, t0, false, `pid ${pid} not trusted`, { reason: `pidfile not trusted: ${distrust}${visibleMasters(comm, scan)}`, processes: roles(scan) }, metrics(scan, undefined, true));
    }
    // the master and its children (one read of each); all of /proc only when the kernel cannot list children
    const fam = holding(() => family(pid));
    const st = fam ? fam[0] : readStat(pid);
    if (!st || st.comm !== comm) {
      const r = mapped();
      if (r) return r;
    }
    if (isDead(st)) {
      const scan = scanNginx(comm);
      const orphans = orphansOf(pid, scan.orphans, st);
      const reason = st ? `pid ${pid} is a zombie (master died)` : `stale pidfile: pid ${pid} is not running`;
      return pidfileOut(cfg, t0, false, st ? `pid ${pid} zombie` : `pid ${pid} gone`, {
        reason: `${reason}${orphans}${orphans ? '' : visibleMasters(comm, scan)}`, evidence: 'definitive', processes: roles(scan),
      }, metrics(scan, undefined, true));
    }
    if (st!.comm !== comm) {
      return pidfileOut(cfg, t0, false, `pid ${pid} is ${st!.comm}`, { reason: `stale pidfile: pid ${pid} now belongs to "${st!.comm}", not "${comm}"`, evidence: 'definitive' }, metrics(undefined, undefined, false));
    }
    const tree = holding(() => treeAround(pid, comm, fam)) ?? scanNginx(comm);
    const me = withPid(tree.processes, pid);
    if (!me || isDead(me)) return pidfileOut(cfg, t0, false, `pid ${pid} gone`, { reason: `stale pidfile: pid ${pid} is not running`, evidence: 'definitive' }, metrics(tree, undefined, false)); // exited meanwhile
    if (me.title === '') return pidfileOut(cfg, t0, false, `pid ${pid} exiting`, { reason: `pid ${pid} is exiting (its memory is released: the master is going away)`, evidence: 'definitive', processes: roles(tree) }, metrics(tree, undefined, false));
    const g = groupOf(tree.masters, pid);
    if (!g) {
      return pidfileOut(cfg, t0, false, `pid ${pid} is an nginx ${ROLE_NAMES[me.role]}`, {
        reason: `stale pidfile: pid ${pid} is an nginx ${ROLE_NAMES[me.role]}, not a master`, evidence: 'definitive', processes: roles(tree),
      }, metrics(tree, undefined, false));
    }
    let oldbin: { pid: number; name: string } | undefined;
    if (g.oldMaster || g.newMasters.length) {
      const o = readPid(oldbinPath);
      if ('pid' in o) oldbin = { pid: o.pid, name: basename(oldbinPath) };
    }
    // nginx renames nginx.pid to nginx.pid.oldbin before it starts a new binary and back only
    // once that has exited (ngx_exec_new_binary, ngx_reap_children): without .oldbin, a
    // master-titled child that runs nothing of its own is a worker nginx has just forked and
    // not yet titled, whatever uid it runs as (the uid rule in nginx-procs.ts needs `user`)
    if (g.newMasters.length && !oldbin) {
      const bare = (pid: number) => {
        const x = tree.masters.find((m) => m.master.pid === pid);
        return !x || !(x.workers.length + x.stopped.length + x.shuttingDown.length + x.cache.length + x.newMasters.length);
      };
      const forked = g.newMasters.filter((n) => bare(n.pid));
      const pids = new Set(forked.map((p) => p.pid));
      for (const p of forked) p.role = 'worker';
      g.workers.push(...forked.filter((p) => !isStopped(p)));
      g.stopped.push(...forked.filter(isStopped));
      g.newMasters = g.newMasters.filter((n) => !pids.has(n.pid));
      tree.masters = tree.masters.filter((m) => !pids.has(m.master.pid));
    }
    let f = judge(g, cfg.min_workers, tree);
    let served = g;
    if (f) {
      // an upgrade pair is one nginx: the other master of the pair may be the one serving
      // (just after USR2; a rollback's QUIT to the new master while its workers finish)
      const partners = [g.oldMaster?.pid, ...g.newMasters.map((n) => n.pid)]
        .map((p) => tree.masters.find((x) => x.master.pid === p))
        .filter((x): x is MasterGroup => !!x && !judge(x, cfg.min_workers, tree));
      if (partners.length) {
        served = partners[0];
        f = undefined;
      }
    }
    const facts = situation(tree, g, oldbin);
    if (note) facts.unshift(note);
    if (ns) facts.unshift(`pidfile written in another PID namespace: its pid ${ns.from} is pid ${pid} here`);
    if (served !== g) facts.push(`serving: master ${served.master.pid} (${counts(served)})`);
    const out = pidfileOut(cfg, t0, !f, facts.length ? `${describe(g)}; ${facts.join('; ')}` : describe(g), {
      ...(f && { reason: f.reason, evidence: f.definitive ? 'definitive' : 'ambiguous' }),
      ...(!f && served.stopped.length && { warnings: [stoppedWarning(served)] }),
      processes: roles(tree),
    }, metrics(tree, served, false));
    return f?.recheck ? { ...out, recheck: true } : out;
  }
}

/**
 * The live masters of this comm whose pid in their own, nested PID namespace is
 * `pid` (the last field of "NSpid:" in /proc/<pid>/status, proc(5); Linux 4.1):
 * the pid file of an nginx in a container, read from the host, holds that one.
 * Several when containers' masters share it (pid 1 alike). Reads all of /proc:
 * failure paths only.
 */
function nsMasters(comm: string, pid: number): number[] {
  const found: number[] = [];
  for (const g of scanNginx(comm).masters) {
    const ns = readNsPids(g.master.pid);
    if (ns && ns.length > 1 && ns[ns.length - 1] === pid) found.push(g.master.pid);
  }
  return found;
}

/** Whose masters name mode counts: "root", or "root or uid 1000" when hacheck runs as uid 1000. */
const ROOT_OR_SELF = () => (process.getuid?.() ?? 0) === 0 ? 'root' : `root or uid ${process.getuid!()}`;

function byName(cfg: ProcessConfig, t0: number): Out {
  const comm = cfg.process;
  const scanned = scanNginx(comm);
  // a master any local user could have started is not counted (the pidfile names the real one)
  const { trusted, foreign } = mastersByOwner(scanned.masters);
  const tree: NginxTree = { ...scanned, masters: trusted };
  const ignored = foreign.length
    ? `ignored: ${comm} master ${foreign.map((f) => `${f.group.master.pid} (uid ${f.uid})`).join(', ')} not run by ${ROOT_OR_SELF()} (any local user can start one; watch an nginx run by another user with pidfile)`
    : '';
  const expect = `master running, >= ${cfg.min_workers} workers`;
  const done = (ok: boolean, value: string, extra: Partial<Check> & { g?: MasterGroup } = {}): Out => {
    const { g, ...rest } = extra;
    return {
      check: { target: `comm=${comm}`, ok, value, expect, durationMs: performance.now() - t0, processes: roles(tree), ...(!ok && { evidence: 'ambiguous' as const }), ...rest },
      metrics: metrics(tree, g, true),
    };
  };
  const orphans = tree.orphans.length ? describeOrphanSockets(tree.orphans) : '';
  if (tree.masters.length === 0) {
    if (orphans) return done(false, `no master, ${plural(tree.orphans.length, 'orphan')}`, { reason: `no live ${comm} master; ${orphans}${ignored && `; ${ignored}`}`, evidence: 'definitive' });
    if (ignored) return done(false, `no master run by ${ROOT_OR_SELF()}`, { reason: `no live ${comm} master run by ${ROOT_OR_SELF()}; ${ignored}`, evidence: 'definitive' });
    const zombies = tree.processes.filter((p) => p.state === 'Z').length;
    return done(false, zombies ? `${zombies} zombie` : 'none', { reason: `no live ${comm} process${zombies ? ` (${zombies} zombie)` : ''}`, evidence: 'definitive' });
  }
  // Several masters (a binary upgrade, or two instances): healthy if any one is.
  const { g, f } = pick(tree, cfg.min_workers);
  const value = [describe(g), ...situation(tree, g), ...(ignored ? [ignored] : [])].join('; ');
  if (f) return { ...done(false, value, { reason: `${f.reason}${orphans ? `; ${orphans}` : ''}`, evidence: f.definitive ? 'definitive' : 'ambiguous', g }), ...(f.recheck && { recheck: true }) };
  const warnings = [...(g.stopped.length ? [stoppedWarning(g)] : []), ...(orphans ? [orphans] : [])];
  return done(true, value, { g, ...(warnings.length && { warnings }) });
}

/** How long a master with no child gets to fork a dead worker's replacement before that is believed. */
const RECHECK_MS = 20;

export const prober: Prober<ProcessConfig> = {
  schema,
  async run(cfg, ctx) {
    const t0 = performance.now();
    const measure = (): Out => {
      if (!cfg.pidfile) return byName(cfg, t0);
      try {
        return byPidfile(cfg as ProcessConfig & { pidfile: string }, t0);
      } finally {
        releaseHeld();
        releasePidfiles();
      }
    };
    let out = measure();
    // a master with no child at all is also one that has just reaped a dead worker and not yet
    // forked its replacement (ngx_reap_children runs after the SIGCHLD handler's waitpid): once
    // more after RECHECK_MS, within the deadline, before calling it definitive
    const wait = Math.min(RECHECK_MS, ctx ? (ctx.deadline - performance.now()) / 4 : RECHECK_MS);
    if (out.recheck && wait > 1 && !ctx?.signal.aborted) {
      await new Promise((r) => setTimeout(r, wait));
      out = measure();
    }
    const c = out.check;
    return { ok: c.ok, checks: [c], summary: c.ok ? c.value : c.reason!, metrics: out.metrics };
  },
  targets: (cfg) => [cfg.pidfile ?? `comm=${cfg.process}`],
  unmeasured: () => metrics(undefined, undefined, false),
};

/**
 * The master the resource probes count (cpu nginx_max, memory nginx_rss_max,
 * io nginx_*) when they watch by pid file: the pid it names if the process probe
 * would believe it (masterDistrust: a master run by root or this user, or by the
 * one uid that alone could have written the file), else undefined (no file, no
 * such process, a look-alike's). The comm is the caller's to check.
 */
/** watchedProcesses' byPidfile for a resource probe's `pidfile` (undefined: none set, count by owner). */
export function watchedBy(pidfile: string | undefined, comm?: string): { pid?: number; pidfile: string } | undefined {
  return pidfile === undefined ? undefined : { pid: believedPidfileMaster(pidfile, comm), pidfile };
}

/** `comm`: a pid that is no process of it here may be a master's in its own PID namespace (nsMasters, as the process probe reads it). */
export function believedPidfileMaster(path: string, comm?: string): number | undefined {
  const r = readPid(path);
  if (!('pid' in r)) return undefined;
  let pid = r.pid;
  if (comm !== undefined && readStat(pid)?.comm !== comm) {
    const ms = nsMasters(comm, pid);
    if (ms.length === 1) pid = ms[0];
  }
  return masterDistrust(path, r.st, pid) === undefined ? pid : undefined;
}

/**
 * The pid a pid file names, for the restart flow's "did these orphans come from
 * the watched master" (their session or process group is the master's pid: a
 * daemonized nginx master, or one systemd started, leads both, and its workers
 * inherit them). Only from a pid file nobody but root and hacheck's own user
 * could have written: else its writer could point the restart flow (and
 * kill_orphans) at another nginx's orphans. undefined otherwise.
 */
export function trustedPidfilePid(path: string): number | undefined {
  const r = readPid(path);
  if (!('pid' in r)) return undefined;
  const writers = pidfileWriters(path, r.st);
  const self = process.getuid?.() ?? 0;
  if (writers === 'anyone' || [...writers].some((w) => !isRootOrSelf(w, self))) return undefined;
  return r.pid;
}
