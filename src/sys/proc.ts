// Minimal /proc reader: what the process probe and resource probes need, no shelling out to ps.
import { closeSync, openSync, readFileSync, readdirSync, readlinkSync, readSync } from 'node:fs';

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

/** /proc/<pid>/stat is one line well under 1 KiB (comm is at most 15 bytes, plus ~50 numbers). */
let statBuf: Buffer | undefined;

/** Parses /proc/<pid>/stat; undefined when the process is gone. comm may hold spaces and parens. */
export function readStat(pid: number): ProcStat | undefined {
  let text: string;
  let fd: number | undefined;
  try {
    // open + one read into a reused buffer: half the cost of readFileSync (no
    // fstat, no allocation), which counts when every run scans all of /proc.
    fd = openSync(`/proc/${pid}/stat`, 'r');
    statBuf ??= Buffer.alloc(4096);
    text = statBuf.toString('latin1', 0, readSync(fd, statBuf, 0, statBuf.length, 0));
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < 0) return undefined;
  const rest = text.slice(close + 2).split(' ');
  return {
    pid,
    comm: text.slice(open + 1, close),
    state: rest[0],
    ppid: Number(rest[1]),
    pgrp: Number(rest[2]),
    session: Number(rest[3]),
    utimeTicks: Number(rest[11]),
    stimeTicks: Number(rest[12]),
    startTicks: Number(rest[19]),
    rssPages: Number(rest[21]),
  };
}

let cmdBuf: Buffer | undefined;

/**
 * The process title: /proc/<pid>/cmdline with NULs as spaces, trailing padding
 * cut (nginx overwrites argv with "nginx: worker process" and zero-fills the
 * rest; proc(5), /proc/pid/cmdline). '' for a zombie or kernel thread,
 * undefined when the process is gone. At most the first 4 KiB.
 */
export function readTitle(pid: number): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(`/proc/${pid}/cmdline`, 'r');
    cmdBuf ??= Buffer.alloc(4096);
    const n = readSync(fd, cmdBuf, 0, cmdBuf.length, 0);
    let end = n;
    while (end > 0 && cmdBuf[end - 1] === 0) end--;
    return cmdBuf.toString('utf8', 0, end).replace(/\0+/g, ' ');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
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
  const self = readStat(pid);
  if (!self) return [];
  const out = [self];
  try {
    // one task for nginx's master; every thread's children for a threaded one
    const tids = self.state === 'Z' ? [] : readdirSync(`/proc/${pid}/task`);
    for (const tid of tids) {
      for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1').split(' ')) {
        const st = c ? readStat(Number(c)) : undefined;
        if (st) out.push(st);
      }
    }
  } catch {
    return undefined; // no CONFIG_PROC_CHILDREN, or a thread/process gone meanwhile: the caller scans
  }
  return out;
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
  try {
    const m = /^Uid:\s+(\d+)\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? { real: Number(m[1]), effective: Number(m[2]) } : undefined;
  } catch {
    return undefined;
  }
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
  const out = new Set<string>();
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
          if (f[9]) out.add(f[9]);
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
export function holdsListeningSocket(pid: number, listening: Set<string>): boolean | undefined {
  let fds: number[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`).map(Number).sort((a, b) => a - b);
  } catch {
    return undefined;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m && listening.has(m[1])) return true;
    } catch { /* closed meanwhile */ }
  }
  return false;
}

/** Live processes with this comm: nginx's master and workers (zombies left out). */
export function processesNamed(comm: string, all: ProcStat[] = snapshot()): ProcStat[] {
  return all.filter((p) => p.comm === comm && !isDead(p));
}

/** USER_HZ: the unit of /proc tick counters, 100 on every Linux ABI hacheck ships for. */
export const TICKS_PER_SECOND = 100;
