// Minimal /proc reader: what the process probe and resource probes need, no shelling out to ps.
import { closeSync, existsSync, openSync, readFileSync, readdirSync, readlinkSync, readSync, readvSync } from 'node:fs';
import { startupSnapshot } from 'node:v8';
import { isAsciiDigits } from './ascii.js';

export interface ProcStat {
  pid: number;
  comm: string;
  /** R running, S sleeping, D disk wait, Z zombie, T stopped, t traced, X dead, I idle */
  state: string;
  ppid: number;
  /** process group and session: a daemonized nginx master leads both, and its workers inherit them */
  pgrp: number;
  session: number;
  utimeTicks: number;
  stimeTicks: number;
  startTicks: number;
  rssPages: number;
}

/**
 * One buffer for the bounded reads below (synchronous: each copies out what it
 * keeps before returning). Allocated on first use, not at start-up.
 */
let buf: Buffer | undefined;
const BUF_SIZE = 4096;
/**
 * [buf], for readvSync: a read at an offset (preadv) with fewer validators on
 * its way than readSync (~2.5K instructions less per read under --jitless).
 */
let bufs: Buffer[] | undefined;

/** `buf`, allocated on first use, and `bufs` */
function buffer(): Buffer {
  if (!buf) {
    buf = Buffer.alloc(BUF_SIZE);
    bufs = [buf];
  }
  return buf;
}

/**
 * Opens a /proc file, reads once from its start into `buf` and closes it. The
 * length read, or -1 when the file cannot be opened or read (the process is gone).
 */
function readHead(path: string): number {
  let fd: number | undefined;
  const b = buffer();
  try {
    fd = openSync(path, 'r');
    return readSync(fd, b, 0, BUF_SIZE, null); // a new descriptor reads from the start
  } catch {
    return -1;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Descriptors of /proc/<pid>/{stat,status,cmdline} (and task/<pid>/children) kept open between runs, for
 * the pidfile's master and the processes around it (holding()): each run reads
 * them again from the start (pread at 0: the kernel makes stat and status anew
 * and reads cmdline from the process's memory), without the open and close, the
 * costliest part of a /proc read. No content is kept. A descriptor stays bound
 * to the process it was opened for, not to its pid: once that process is reaped
 * the read fails (ESRCH), and the path is opened again, which finds a process
 * that reuses the pid, or nothing. At most HELD_MAX; one not read for
 * HELD_ROUNDS rounds (releaseHeld()) is closed. None while a start-up snapshot is
 * being built: a descriptor number would outlive the process that opened it.
 */
const held = new Map<number, Held>();
/** held's key: pid * 4 + the file's kind (a number: no path string built and hashed per read) */
interface Held { key: number; fd: number; round: number }
const STAT = 0;
const STATUS = 1;
const CMDLINE = 2;
/** /proc/<pid>/task/<pid>/children: the main thread's children */
const CHILDREN = 3;

function procPath(pid: number, kind: number): string {
  return kind === STAT ? `/proc/${pid}/stat` : kind === STATUS ? `/proc/${pid}/status` : kind === CMDLINE ? `/proc/${pid}/cmdline` : `/proc/${pid}/task/${pid}/children`;
}
let holdOn = false;
let round = 0;
/** no held descriptor was last read before this round (a bound: releaseHeld looks at them only when one may be due) */
let oldestRound = 0;
const HELD_MAX = 256;
/** how many rounds a kept descriptor may go unread before it is closed (the process probe's pid files too) */
export const HELD_ROUNDS = 16;

/** The current round of held reads (releaseHeld() ends one): when a descriptor kept elsewhere was last read. */
export const heldRound = (): number => round;

/** Runs `fn` with the /proc reads it makes through held descriptors. */
export function holding<R>(fn: () => R): R {
  if (holdOn || startupSnapshot.isBuildingSnapshot()) return fn();
  holdOn = true;
  try {
    return fn();
  } finally {
    holdOn = false;
  }
}

/** Ends a round of held reads: closes the descriptors no round has read for HELD_ROUNDS. */
export function releaseHeld(): void {
  round++;
  if (round - oldestRound <= HELD_ROUNDS) return; // none is due: no call per descriptor every round
  oldestRound = round;
  held.forEach(closeUnread); // no iterator results, unlike for...of in the interpreter
}

function closeUnread(h: Held): void {
  if (round - h.round <= HELD_ROUNDS) {
    if (h.round < oldestRound) oldestRound = h.round;
    return;
  }
  held.delete(h.key);
  closeQuietly(h.fd);
}

/** close(2), an error (closed already) ignored. */
export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch { /* closed already */ }
}

/**
 * readHead of /proc/<pid>/<kind> through a held descriptor (opened and kept on
 * first use). A children file's read does not fail once its process is reaped
 * but lists nothing (fs/proc/array.c, get_children_pid): an empty read through
 * a held one is taken as that, and the path is opened again; an empty read of a
 * new descriptor is the answer, not kept.
 */
function readHeld(pid: number, kind: number): number {
  const key = pid * 4 + kind;
  const emptyIsGone = kind === CHILDREN;
  const h = held.get(key);
  buffer();
  if (h) {
    try {
      const n = readvSync(h.fd, bufs!, 0);
      if (n > 0 || !emptyIsGone) {
        h.round = round;
        return n;
      }
    } catch { /* the process it was opened for is gone: the pid may be another's now */ }
    held.delete(key);
    closeQuietly(h.fd);
  }
  const path = procPath(pid, kind);
  if (held.size >= HELD_MAX) return readHead(path);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return -1;
  }
  try {
    const n = readvSync(fd, bufs!, 0);
    if (n > 0 || !emptyIsGone) held.set(key, { key, fd, round });
    else closeSync(fd);
    return n;
  } catch {
    closeQuietly(fd);
    return -1;
  }
}

/** readFileSync's options, one object for every call (a string is copied into a new one each time) */
const UTF8 = Object.freeze({ encoding: 'utf8' as const });

/**
 * A kernel-made /proc file whole (stat, status, children: bounded by the kernel,
 * not by what a process puts in its memory), undefined when gone. 'utf8' takes
 * Node's one-call path (open, read to the end, close in C++), several µs of JS
 * less per file than openSync/readSync/closeSync in the interpreter.
 */
function readKernelText(path: string): string | undefined {
  try {
    return readFileSync(path, UTF8);
  } catch {
    return undefined;
  }
}

/** Parses /proc/<pid>/stat; undefined when the process is gone. comm may hold spaces and parens. */
export function readStat(pid: number): ProcStat | undefined {
  return parseStat(pid, undefined, undefined);
}

/** readStat of a process of this comm; undefined also when its comm is another (the rest left unparsed). */
export function readStatOf(pid: number, comm: string): ProcStat | undefined {
  return parseStat(pid, undefined, comm);
}

/**
 * readStat, and the thread count (num_threads, field 20 of proc(5) /proc/pid/stat)
 * into `threads.n` when given.
 */
function parseStat(pid: number, threads: { n: number } | undefined, only: string | undefined): ProcStat | undefined {
  // one line well under 1 KiB (comm is at most 15 bytes, plus ~50 numbers)
  let text: string | undefined;
  if (holdOn) {
    const n = readHeld(pid, STAT);
    text = n < 0 ? undefined : buf!.toString('latin1', 0, n);
  } else {
    const path = `/proc/${pid}/stat`;
    text = readKernelText(path);
    if (text !== undefined && Buffer.byteLength(text) !== text.length) {
      // comm is bytes, one char each (latin1), not UTF-8 (the rest is ASCII): read again that way
      const n = readHead(path);
      text = n < 0 ? undefined : buf!.toString('latin1', 0, n);
    }
  }
  if (text === undefined) return undefined;
  const open = text.indexOf('(');
  // the last ')': forward searches (V8's lastIndexOf compares char by char in C++,
  // indexOf scans like memchr); the fields after comm hold none, so one more search
  let close = text.indexOf(')');
  for (let next; close >= 0 && (next = text.indexOf(')', close + 1)) >= 0;) close = next;
  if (open < 0 || close < 0) return undefined;
  // fields 3..24 (state .. rss); the ~30 after rss are never used. One split, not a
  // scan for spaces: in the interpreter a loop over the characters costs more than the
  // strings split makes; unary + is Number() without a call
  const comm = text.slice(open + 1, close);
  if (only !== undefined && comm !== only) return undefined;
  // one space before comm and none in it (nginx's): the line split whole, state at 2
  // (no substring of it made and flattened first); else what follows ") "
  const k = text.indexOf(' ') === open - 1 && text.indexOf(' ', open) === close + 1 ? 2 : 0;
  const rest = k ? text.split(' ', 24) : text.slice(close + 2).split(' ', 22);
  if (threads) threads.n = +rest[k + 17];
  return {
    pid,
    comm,
    state: rest[k],
    ppid: +rest[k + 1],
    pgrp: +rest[k + 2],
    session: +rest[k + 3],
    utimeTicks: +rest[k + 11],
    stimeTicks: +rest[k + 12],
    startTicks: +rest[k + 19],
    rssPages: +rest[k + 21],
  };
}

/**
 * A zombie's exit status as waitpid(2) would report it: field 52 (exit_code) of
 * /proc/<pid>/stat (proc(5), Linux 3.5). undefined when gone or not shown.
 */
export function readExitStatus(pid: number): number | undefined {
  const text = readKernelText(`/proc/${pid}/stat`);
  const close = text === undefined ? -1 : text.lastIndexOf(')');
  if (close < 0) return undefined;
  const f = text!.slice(close + 2).trim().split(' ');
  // fields 3.. after comm: exit_code is field 52
  return f.length >= 50 ? Number(f[49]) : undefined;
}

/**
 * The process title: /proc/<pid>/cmdline with NULs as spaces, trailing padding
 * cut (nginx overwrites argv with "nginx: worker process" and zero-fills the
 * rest; proc(5), /proc/pid/cmdline). '' for a zombie or kernel thread,
 * undefined when the process is gone. At most the first 4 KiB.
 */
export function readTitle(pid: number): string | undefined {
  const n = holdOn ? readHeld(pid, CMDLINE) : readHead(`/proc/${pid}/cmdline`);
  return n < 0 ? undefined : cmdlineTitle(buf!, n);
}

/** NULs to compare a title's padding with in one native call (a byte loop costs µs in the interpreter). */
const NULS = '\0'.repeat(BUF_SIZE);

/**
 * readTitle's text from the first `n` bytes of `b`. A NUL byte decodes to one
 * '\0' and nothing else does, and UTF-8 decoding resynchronises at it, so text
 * followed by NULs only (nginx's titles) is the decoded text up to its first '\0'.
 */
export function cmdlineTitle(b: Buffer, n: number): string {
  const s = b.toString('utf8', 0, n);
  const nul = s.indexOf('\0');
  if (nul < 0) return s;
  if (s.endsWith(NULS.slice(0, s.length - nul))) return s.slice(0, nul);
  let end = n;
  while (end > 0 && b[end - 1] === 0) end--;
  return b.toString('utf8', 0, end).replace(/\0+/g, ' ');
}

export function listPids(): number[] {
  return readdirSync('/proc').filter((d) => d.charCodeAt(0) >= 48 && d.charCodeAt(0) <= 57).map(Number);
}

/**
 * A process and its children: /proc/<pid>/task/<tid>/children (CONFIG_PROC_CHILDREN,
 * Linux 4.2+) names the children of each thread, so the process probe reads a few
 * stat files instead of scanning all of /proc every run. [] when the process is
 * gone; undefined when the kernel lacks those files (the caller scans instead).
 */
export function family(pid: number): ProcStat[] | undefined {
  const threads = { n: 0 };
  const self = parseStat(pid, threads, undefined);
  if (!self) return [];
  const out = [self];
  if (self.state === 'Z') return out;
  // nginx's master runs one thread, its own task: no need to list /proc/<pid>/task
  // (a thread started meanwhile is missed either way, as after a listing)
  let tids: string[];
  try {
    tids = threads.n === 1 ? [String(pid)] : readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined; // gone meanwhile: the caller scans
  }
  for (let t = 0; t < tids.length; t++) {
    const text = readChildren(pid, tids[t]);
    // no CONFIG_PROC_CHILDREN, or a thread/process gone meanwhile: the caller scans
    if (text === undefined) return undefined;
    const cs = text.split(' ');
    for (let i = 0; i < cs.length; i++) {
      const st = cs[i] ? readStat(+cs[i]) : undefined;
      if (st) out.push(st);
    }
  }
  return out;
}

/**
 * The pids in /proc/<pid>/task/<tid>/children ("812 813 ", ASCII), undefined
 * when it cannot be read. Through a held descriptor under holding(); a
 * list longer than the buffer is read whole.
 */
function readChildren(pid: number, tid: string): string | undefined {
  // the main thread's (nginx's master runs no other) held; other threads' read each time
  if (holdOn && +tid === pid) {
    const n = readHeld(pid, CHILDREN);
    if (n < 0) return undefined;
    if (n < BUF_SIZE) return buf!.toString('latin1', 0, n);
  }
  return readKernelText(`/proc/${pid}/task/${tid}/children`);
}

/** Every process, read once: a consistent-enough snapshot for one probe run. */
export function snapshot(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const pid of listPids()) {
    const st = readStat(pid);
    if (st) out.push(st);
  }
  return out;
}

export const STATE_NAMES: Record<string, string> = {
  R: 'running', S: 'sleeping', D: 'disk-wait', Z: 'zombie', T: 'stopped', t: 'traced', X: 'dead', I: 'idle',
};

/** A zombie or dead process is gone for our purposes (PID 1 may never reap it). */
export function isDead(st: ProcStat | undefined): boolean {
  return !st || st.state === 'Z' || st.state === 'X';
}

/** SIGSTOPped or traced: alive in the table, but serves nothing. */
export function isStopped(st: ProcStat): boolean {
  return st.state === 'T' || st.state === 't';
}

/** Resident memory in bytes from /proc/<pid>/status (kB there, whatever the page size). */
export function readRssBytes(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s*kB/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) * 1024 : 0; // kernel threads and zombies have no VmRSS
  } catch {
    return undefined;
  }
}

/**
 * Real and effective uid of a process, from the "Uid:" line of /proc/<pid>/status
 * (real, effective, saved, filesystem; proc(5)). Not the owner of /proc/<pid>:
 * a process that made itself non-dumpable has its /proc files owned by root.
 * undefined when the process is gone.
 */
export function readUids(pid: number): { real: number; effective: number } | undefined {
  if (holdOn) {
    const n = readHeld(pid, STATUS);
    if (n < 0) return undefined;
    // the Uid line from the file's head (~250 bytes in, after Name, Umask, State and
    // the pids), not all ~1.4 KB as a string: the first "\nUid:\t" and the two tabs
    // after it found there are the whole text's; anything else, and a status longer
    // than the buffer (thousands of CPUs in its masks), is read whole
    if (n < BUF_SIZE) {
      const head = buf!.toString('latin1', 0, n < UID_HEAD ? n : UID_HEAD);
      const at = head.indexOf('\nUid:\t');
      const u = at < 0 ? undefined : kernelUids(head, at + 6);
      return u ?? parseUids(head.length === n ? head : buf!.toString('latin1', 0, n));
    }
  }
  const text = readKernelText(`/proc/${pid}/status`);
  return text === undefined ? undefined : parseUids(text);
}

/**
 * A process's pid in each PID namespace it is in, outermost (the one /proc was
 * mounted in) first: the "NSpid:" line of /proc/<pid>/status (proc(5), Linux 4.1).
 * One entry: not in a nested namespace. undefined when gone or not shown.
 */
export function readNsPids(pid: number): number[] | undefined {
  const text = readKernelText(`/proc/${pid}/status`);
  const m = text === undefined ? null : /^NSpid:\t([\d\t]+)$/m.exec(text);
  return m ? m[1].split('\t').map(Number) : undefined;
}

/** How much of a held status readUids looks at first */
const UID_HEAD = 512;

/**
 * Real and effective uid from a status text. The kernel writes "Uid:\t<real>\t<effective>\t<saved>\t<fs>"
 * (fs/proc/array.c, task_state): found with indexOf (the binary runs --jitless, where V8 interprets
 * regular expressions, and status is ~1.4 KB); any other spacing through the regular expression.
 */
export function parseUids(text: string): { real: number; effective: number } | undefined {
  let a = -1; // where the real uid starts
  if (text.startsWith('Uid:\t')) a = 5;
  else {
    const i = text.indexOf('\nUid:\t');
    if (i >= 0) a = i + 6;
  }
  const u = a >= 0 ? kernelUids(text, a) : undefined;
  if (u) return u;
  const m = /^Uid:\s+(\d+)\s+(\d+)/m.exec(text);
  return m ? { real: Number(m[1]), effective: Number(m[2]) } : undefined;
}

/** The real and effective uid at `a` in the kernel's spacing ("<real>\t<effective>\t"), else undefined. */
function kernelUids(text: string, a: number): { real: number; effective: number } | undefined {
  const t1 = text.indexOf('\t', a);
  const t2 = t1 < 0 ? -1 : text.indexOf('\t', t1 + 1);
  if (t2 < 0) return undefined;
  const real = text.slice(a, t1);
  const effective = text.slice(t1 + 1, t2);
  // a uid is at most 4294967295: 10 digits
  return isAsciiDigits(real, 10) && isAsciiDigits(effective, 10) ? { real: Number(real), effective: Number(effective) } : undefined;
}

/**
 * Inodes of the listening TCP sockets in a process's network namespace, from
 * /proc/<pid>/net/tcp and tcp6 (proc(5): "sl local_address rem_address st … inode",
 * st 0A = LISTEN, include/net/tcp_states.h). The kernel lists the listening hash
 * before the established one (net/ipv4/tcp_ipv4.c, tcp_get_idx: listening_get_first,
 * then established_get_first), so the read stops at the first other state: a busy
 * node's hundred thousand connections are never read. undefined when unreadable.
 */
export function listeningInodes(pid: number): Set<string> | undefined {
  const m = listeningSockets(pid);
  return m && new Set(m.keys());
}

/** A listening socket's local address: IPv4 dotted, IPv6 as 8 groups of 4 hex digits ('0.0.0.0' / all zeros: any address). */
export interface Endpoint { addr: string; port: number }

/** /proc/net/tcp{,6}'s "0100007F:1F90" (the address in the kernel's byte order, per 32-bit word) as an Endpoint. */
export function parseProcAddress(text: string): Endpoint | undefined {
  const [hex, portHex] = text.split(':');
  if (!hex || !portHex) return undefined;
  const port = parseInt(portHex, 16);
  const words: number[] = [];
  for (let i = 0; i < hex.length; i += 8) {
    const w = parseInt(hex.slice(i, i + 8), 16);
    // each 32-bit word is printed as the host-order integer: on little-endian machines the bytes come reversed
    words.push(((w & 0xff) << 24 | (w & 0xff00) << 8 | (w >>> 8) & 0xff00 | w >>> 24) >>> 0);
  }
  if (words.length === 1) return { addr: [24, 16, 8, 0].map((s) => (words[0] >>> s) & 0xff).join('.'), port };
  if (words.length !== 4) return undefined;
  // an IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4 address
  if (words[0] === 0 && words[1] === 0 && words[2] === 0xffff) return { addr: [24, 16, 8, 0].map((s) => (words[3] >>> s) & 0xff).join('.'), port };
  return { addr: words.flatMap((w) => [(w >>> 16).toString(16).padStart(4, '0'), (w & 0xffff).toString(16).padStart(4, '0')]).join(':'), port };
}

/** Listening TCP sockets of a process's network namespace: inode -> local address (see listeningInodes). */
export function listeningSockets(pid: number): Map<string, Endpoint> | undefined {
  const out = new Map<string, Endpoint>();
  let readable = false;
  const buf = Buffer.alloc(64 * 1024);
  for (const table of ['tcp', 'tcp6']) {
    let fd: number | undefined;
    try {
      fd = openSync(`/proc/${pid}/net/${table}`, 'r');
      readable = true;
      let rest = '';
      let header = true;
      scan: for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0;) {
        const lines = (rest + buf.toString('latin1', 0, n)).split('\n');
        rest = lines.pop()!;
        for (const line of lines) {
          if (header) { header = false; continue; }
          const f = line.trim().split(/\s+/);
          if (f[3] !== '0A') break scan;
          const at = parseProcAddress(f[1]);
          if (f[9] && at) out.set(f[9], at);
        }
      }
    } catch {
      /* no IPv6, or the process is gone */
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
  return readable ? out : undefined;
}

/**
 * Whether a process holds a descriptor on one of `listening` (listeningInodes):
 * /proc/<pid>/fd links name sockets "socket:[<inode>]". Descriptors in numeric
 * order, stopping at the first hit (nginx opens its listening sockets first, the
 * connections come after). undefined when the descriptors cannot be read (another
 * user's process and we are not root) or the process is gone.
 */
export function holdsListeningSocket(pid: number, listening: { has(inode: string): boolean }): boolean | undefined {
  const held = listeningHeld(pid, listening, true);
  return held && held.length > 0;
}

/** At most this many descriptors polledListening reads per process (a worker's connections are polled too). */
const POLLED_MAX = 4096;
/** Descriptors missing in a row after which polledListening takes a process's table to have ended. */
const GAP_MAX = 64;

/**
 * The inodes of `listening` a process waits on: sockets registered in its epoll
 * instance ("tfd: <fd> … ino:<hex inode>" lines of /proc/<pid>/fdinfo/<epoll fd>,
 * proc(5)). Not what it holds: an nginx worker inherits every listening socket of
 * its master (nginx 1.22 leaves all of `listen … reuseport`'s copies open in every
 * worker) but polls only the shared ones and its own reuseport copy. The first
 * epoll descriptor only: an nginx worker makes one (ngx_epoll_init, before it accepts
 * anything, so it sits below its connections); reading every descriptor's link of a
 * busy worker (thousands) took ~25 ms a worker, which starved the agent's own checks.
 * undefined when unreadable (another user's process and we are not root), gone,
 * or polling more than POLLED_MAX.
 */
export function polledListening(pid: number, listening: { has(inode: string): boolean }): string[] | undefined {
  // ascending from 0 up to the first epoll descriptor, not a listing of a busy worker's thousands:
  // epoll_create takes the lowest free number, so none is missing below it but what closed since
  let missing = 0;
  for (let fd = 0; fd < POLLED_MAX; fd++) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      missing = 0;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return undefined; // EACCES: not ours to read
      // past its last descriptor (no epoll: `use poll`), or the process is gone
      if (++missing > GAP_MAX) return existsSync(`/proc/${pid}/fd`) ? [] : undefined;
      continue;
    }
    if (target !== 'anon_inode:[eventpoll]') continue;
    const info = readKernelText(`/proc/${pid}/fdinfo/${fd}`);
    if (info === undefined) return undefined;
    const out: string[] = [];
    let polls = 0;
    // "tfd:       12 events:       19 data: … pos:0 ino:2827c8 sdev:9" (fs/eventpoll.c ep_show_fdinfo)
    const byIno = info.includes(' ino:');
    for (const m of info.matchAll(byIno ? /^tfd:\s+\d+ [^\n]* ino:([0-9a-f]+)/gm : /^tfd:\s+(\d+)/gm)) {
      if (++polls > POLLED_MAX) return undefined;
      let inode: string | undefined;
      if (byIno) inode = String(parseInt(m[1], 16));
      else {
        // a kernel that does not print the inode: the descriptor's link names it
        try {
          inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${m[1]}`))?.[1];
        } catch { /* closed meanwhile */ }
      }
      if (inode !== undefined && listening.has(inode) && !out.includes(inode)) out.push(inode);
    }
    return out;
  }
  return [];
}

/**
 * The inodes of `listening` a process holds descriptors on (all of them, or the
 * first only with `first`); undefined when its descriptors cannot be read.
 */
export function listeningHeld(pid: number, listening: { has(inode: string): boolean }, first = false): string[] | undefined {
  let fds: number[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`).map(Number).sort((a, b) => a - b);
  } catch {
    return undefined;
  }
  const out: string[] = [];
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m && listening.has(m[1]) && !out.includes(m[1])) {
        out.push(m[1]);
        if (first) break;
      }
    } catch { /* closed meanwhile */ }
  }
  return out;
}

/** Live processes with this comm: nginx's master and workers (zombies left out). */
export function processesNamed(comm: string, all: ProcStat[] = snapshot()): ProcStat[] {
  return all.filter((p) => p.comm === comm && !isDead(p));
}

/** USER_HZ: the unit of /proc tick counters, 100 on every Linux ABI hacheck ships for. */
export const TICKS_PER_SECOND = 100;
