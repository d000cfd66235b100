// What each nginx process is, in the one place every consumer asks (the process
// probe, the restart flow, --json, perfdata and metrics through the probe result):
// nginx names its processes itself with ngx_setproctitle()
// (src/os/unix/ngx_process_cycle.c: "master process <argv>", "worker process",
// "worker process is shutting down", "cache manager process", "cache loader
// process", "privileged agent process"), visible in /proc/<pid>/cmdline. Parentage
// (ppid) ties workers to their master and a new binary's master to the old one;
// the state (zombie, stopped) says whether a process can serve.
import { readlinkSync } from 'node:fs';
import { family, isDead, isStopped, listeningHeld, listeningSockets, readStatOf, readTitle, readUids, snapshot, type Endpoint, type ProcStat } from './proc.js';

export type NginxRole = 'master' | 'worker' | 'shutting-down' | 'cache-manager' | 'cache-loader' | 'helper';

export interface NginxProcess extends ProcStat {
  role: NginxRole;
  /** the process title ('' for a zombie or an unreadable one) */
  title: string;
  /** the title is not one of nginx's: role guessed from the tree shape (child of a same-comm process = worker) */
  byShape: boolean;
  /** splitOrphans: the listening sockets it holds (undefined: its descriptors could not be read) */
  listens?: Endpoint[];
}

export interface MasterGroup {
  master: NginxProcess;
  /** workers that can take new connections: live, not stopped, not shutting down */
  workers: NginxProcess[];
  /** live worker processes stopped (SIGSTOP) or traced: they accept nothing */
  stopped: NginxProcess[];
  /** the previous generation after a reload (HUP) or during a graceful stop (QUIT): finishing requests, accepting none */
  shuttingDown: NginxProcess[];
  /** cache manager and cache loader: never workers */
  cache: NginxProcess[];
  /** masters of a new binary this master started (kill -USR2) */
  newMasters: NginxProcess[];
  /** the master that started this one: this is the new binary of an upgrade in progress */
  oldMaster?: NginxProcess;
  /**
   * children that exited and are not reaped yet (zombies): for a moment after a worker
   * dies (kill, crash, OOM killer), until the master's SIGCHLD handler reaps it and
   * forks its replacement (ngx_reap_children: respawned unless it exited with code 2)
   */
  exited: NginxProcess[];
}

export interface NginxTree {
  /** every process looked at, zombies included */
  processes: NginxProcess[];
  /** live masters (a stopped one included: alive but serving nothing), oldest first */
  masters: MasterGroup[];
  /** live workers, cache or helper processes whose parent is no live master (the master was killed) */
  orphans: NginxProcess[];
  /** some role came from the tree shape, not from an nginx title */
  byShape: boolean;
  /** a title that is not nginx's, for "say so" */
  foreignTitle?: string;
}

// Angie (an nginx fork, its own comm `angie`) titles its processes "angie: …" with nginx's role words
// (src/os/unix/ngx_setproctitle.c: ngx_cpystrn(…, "angie: ", …)); OpenResty, Tengine and freenginx keep "nginx: "
const TITLE = /^(?:nginx|angie): (master process|worker process is shutting down|worker process|cache manager process|cache loader process|privileged agent process)/;
const ROLE_OF: Record<string, NginxRole> = {
  'master process': 'master',
  'worker process is shutting down': 'shutting-down',
  'worker process': 'worker',
  'cache manager process': 'cache-manager',
  'cache loader process': 'cache-loader',
  'privileged agent process': 'helper',
};

/** Each role in nginx's own words (its process titles). */
export const ROLE_NAMES: Record<NginxRole, string> = {
  master: 'master process', worker: 'worker process', 'shutting-down': 'worker process (shutting down)',
  'cache-manager': 'cache manager process', 'cache-loader': 'cache loader process', helper: 'privileged agent process',
};

/** The role nginx's title gives, undefined for a title that is not nginx's. */
export function roleOfTitle(title: string): NginxRole | undefined {
  // a worker's title is exactly nginx's string: a comparison, not a regex run, per worker per run
  if (title === 'nginx: worker process') return 'worker';
  // the master's is "nginx: master process <argv>": TITLE's first alternative, one startsWith
  if (title.startsWith('nginx: master process')) return 'master';
  const m = TITLE.exec(title);
  return m ? ROLE_OF[m[1]] : undefined;
}

const effectiveUid = (pid: number) => readUids(pid)?.effective;

/** Oldest first (a new binary's master starts after the old one), then by pid. */
const byStart = (a: ProcStat, b: ProcStat) => a.startTicks - b.startTicks || a.pid - b.pid;

/**
 * Classifies processes of one kernel comm (the caller filters by comm).
 * `titles`: pid -> title cache (read on demand). Shape fallback: a process
 * without an nginx title is a worker when its parent is a live process of the
 * set, else a master — what a renamed title, `master_process off` or another
 * program's comm leave us. `uidOf`: effective uid (read from /proc only for a
 * master-titled child of a master).
 */
export function classify(
  procs: ProcStat[],
  titles: Map<number, string> = new Map(),
  uidOf: (pid: number) => number | undefined = effectiveUid,
): NginxTree {
  // indexed loops, one pass where one does: every run of the process probe comes here, and the
  // interpreter pays per callback, per intermediate array and per for...of iterator result
  const byPid = new Map<number, ProcStat>();
  for (let i = 0; i < procs.length; i++) byPid.set(procs[i].pid, procs[i]);
  let foreignTitle: string | undefined;
  const processes: NginxProcess[] = [];
  // gone for serving: dead, or exiting — not a zombie yet but its memory already released
  // (kernel/exit.c do_exit: exit_mm, then its files, then exit_notify), so its cmdline reads
  // empty (fs/proc/base.c get_mm_cmdline: no mm, nothing; proc(5) says the same of a zombie);
  // nginx never titles a process "". Counted as a live worker by shape, one exiting at the end of a
  // graceful stop made a stopping nginx look healthy.
  const gone = (p: ProcStat) => isDead(p) || titles.get(p.pid) === '';
  for (let i = 0; i < procs.length; i++) {
    const p = procs[i];
    if (!titles.has(p.pid)) titles.set(p.pid, isDead(p) ? '' : readTitle(p.pid) ?? '');
  }
  for (let i = 0; i < procs.length; i++) {
    const p = procs[i];
    const title = titles.get(p.pid)!;
    const role = roleOfTitle(title);
    if (role) {
      processes.push({ ...p, role, title, byShape: false });
      continue;
    }
    if (!isDead(p) && title && foreignTitle === undefined) foreignTitle = title;
    const parent = byPid.get(p.ppid);
    processes.push({ ...p, role: parent && !gone(parent) ? 'worker' : 'master', title, byShape: true });
  }
  // A worker (or cache process) nginx just forked keeps its master's title until it
  // has switched to `user` and run every module's init_process (ngx_worker_process_cycle:
  // ngx_worker_process_init, then ngx_setproctitle): milliseconds in stock nginx, as long
  // as init_worker_by_lua takes in OpenResty. The new master of a binary upgrade runs as
  // its parent does; a master-titled child of another uid is such a worker, not an upgrade.
  for (let i = 0; i < processes.length; i++) {
    const p = processes[i];
    const parent = byPid.get(p.ppid);
    if (p.role !== 'master' || p.byShape || gone(p) || !parent || gone(parent) || titles.get(parent.pid) === undefined) continue;
    if (roleOfTitle(titles.get(parent.pid)!) !== 'master') continue;
    const mine = uidOf(p.pid);
    const theirs = uidOf(parent.pid);
    if (mine !== undefined && theirs !== undefined && mine !== theirs) p.role = 'worker';
  }
  const live: NginxProcess[] = [];
  const liveMasters: NginxProcess[] = [];
  const masterPids = new Set<number>();
  let byShape = false;
  for (let i = 0; i < processes.length; i++) {
    const p = processes[i];
    if (gone(p)) continue;
    live.push(p);
    if (p.role === 'master') {
      liveMasters.push(p);
      masterPids.add(p.pid);
    }
    if (p.byShape) byShape = true;
  }
  if (liveMasters.length > 1) liveMasters.sort(byStart);
  const masters: MasterGroup[] = [];
  for (let i = 0; i < liveMasters.length; i++) {
    const m = liveMasters[i];
    const g: MasterGroup = { master: m, workers: [], stopped: [], shuttingDown: [], cache: [], newMasters: [], oldMaster: undefined, exited: [] };
    for (let j = 0; j < processes.length; j++) if (processes[j].ppid === m.pid && processes[j].state === 'Z') g.exited.push(processes[j]);
    for (let j = 0; j < live.length; j++) {
      const p = live[j];
      if (p.ppid !== m.pid) continue;
      if (p.role === 'worker') (isStopped(p) ? g.stopped : g.workers).push(p);
      else if (p.role === 'shutting-down') g.shuttingDown.push(p);
      else if (p.role === 'cache-manager' || p.role === 'cache-loader') g.cache.push(p);
      else if (p.role === 'master') g.newMasters.push(p);
    }
    if (masterPids.has(m.ppid)) g.oldMaster = live.find((p) => p.pid === m.ppid);
    masters.push(g);
  }
  const orphans: NginxProcess[] = [];
  for (let i = 0; i < live.length; i++) {
    const p = live[i];
    if (p.role !== 'master' && !p.byShape && !masterPids.has(p.ppid)) orphans.push(p);
  }
  return { processes, masters, orphans, byShape, foreignTitle };
}

/** Every process of this comm on the machine, classified (one scan of /proc). */
export function scanNginx(comm: string): NginxTree {
  return classify(snapshot().filter((p) => p.comm === comm));
}

/**
 * The nginx around one master pid without scanning all of /proc: its family,
 * its parent's family when the parent is a master of the same comm (the pid is
 * a new binary), and the family of every master among the children (the pid is
 * the old binary). undefined when the kernel cannot list children (scan instead).
 * `first`: family(pid) when the caller already read it.
 */
export function treeAround(pid: number, comm: string, first?: ProcStat[]): NginxTree | undefined {
  const seen = new Map<number, ProcStat>();
  const titles = new Map<number, string>();
  const expanded = new Set<number>();
  if (!expand(seen, expanded, pid, comm, first)) return undefined;
  const self = seen.get(pid);
  if (self && !isDead(self)) {
    const parent = readStatOf(self.ppid, comm);
    if (parent && !isDead(parent) && roleOfTitle(readTitle(parent.pid) ?? '') === 'master' && !expand(seen, expanded, parent.pid, comm)) return undefined;
  }
  let tree = classify([...seen.values()], titles);
  let more = false;
  for (let i = 0; i < tree.masters.length; i++) {
    const m = tree.masters[i].master;
    if (expanded.has(m.pid)) continue;
    if (!expand(seen, expanded, m.pid, comm)) return undefined;
    more = true;
  }
  if (more) tree = classify([...seen.values()], titles);
  return tree;
}

/**
 * Adds the processes of `comm` in the family of `pid` to `seen`, once per pid
 * (`first`: that family, already read). false when the kernel cannot list children.
 */
function expand(seen: Map<number, ProcStat>, expanded: Set<number>, pid: number, comm: string, first?: ProcStat[]): boolean {
  if (expanded.has(pid)) return true;
  expanded.add(pid);
  const f = first ?? family(pid);
  if (!f) return false;
  for (let i = 0; i < f.length; i++) if (f[i].comm === comm) seen.set(f[i].pid, f[i]);
  return true;
}

/** Root or hacheck's own user: whose nginx master is believed without more (see mastersByOwner). */
export const isRootOrSelf = (uid: number, self: number): boolean => uid === 0 || uid === self;

/**
 * Splits masters found by name into those run by root or by hacheck's own user
 * and the others (with their uid). Any local user can start a program named
 * nginx titled "nginx: master process" with children titled "nginx: worker
 * process" (comm and argv are a process's own to set, prctl(2) PR_SET_NAME,
 * proc(5) /proc/pid/cmdline): counted, it would make a node whose nginx is down
 * look healthy. nginx's master runs as the user who started it (root under
 * systemd: it binds the ports and switches only its workers to `user`), so a
 * master of another uid is not the service hacheck watches. uid: real and
 * effective, both must be trusted. A master that exited meanwhile is dropped.
 */
export function mastersByOwner(masters: MasterGroup[], self = process.getuid?.() ?? 0): { trusted: MasterGroup[]; foreign: { group: MasterGroup; uid: number }[] } {
  const trusted: MasterGroup[] = [];
  const foreign: { group: MasterGroup; uid: number }[] = [];
  for (const g of masters) {
    const u = readUids(g.master.pid);
    if (!u) continue;
    if (isRootOrSelf(u.real, self) && isRootOrSelf(u.effective, self)) trusted.push(g);
    else foreign.push({ group: g, uid: isRootOrSelf(u.real, self) ? u.effective : u.real });
  }
  return { trusted, foreign };
}

/**
 * Orphans that hold a listening TCP socket (or whose descriptors cannot be read:
 * assumed to), and the others. Only the first keep a new master from binding:
 * a worker inherits the master's listening sockets; one shutting down and the
 * cache manager/loader have closed theirs (ngx_close_listening_sockets); and a
 * look-alike any local user can start (comm and title are its own) holds none
 * of them. The restart flow waits for, and with kill_orphans signals, only the first.
 */
export function splitOrphans(orphans: NginxProcess[]): { holding: NginxProcess[]; idle: NginxProcess[] } {
  const holding: NginxProcess[] = [];
  const idle: NginxProcess[] = [];
  // one read of the listening sockets per network namespace (orphans of one nginx share it)
  const byNs = new Map<string, Map<string, Endpoint> | undefined>();
  for (const p of orphans) {
    let ns: string;
    try {
      ns = readlinkSync(`/proc/${p.pid}/ns/net`);
    } catch {
      ns = `pid:${p.pid}`;
    }
    if (!byNs.has(ns)) byNs.set(ns, listeningSockets(p.pid));
    const listening = byNs.get(ns);
    const held = listening && listeningHeld(p.pid, listening);
    if (held) p.listens = held.map((i) => listening!.get(i)!);
    (held && held.length === 0 ? idle : holding).push(p);
  }
  return { holding, idle };
}

/** "orphaned nginx workers 812, 813 hold the listening sockets (their master is gone)", plus those holding none. */
export function describeOrphanSockets(orphans: NginxProcess[]): string {
  const { holding, idle } = splitOrphans(orphans);
  return [
    holding.length && `${describeOrphans(holding)} ${holdVerb(holding)} the listening sockets (their master is gone)`,
    idle.length && `${describeOrphans(idle)} ${holdVerb(idle)} no listening socket`,
  ].filter(Boolean).join('; ');
}

/** "hold" for several orphans, "holds" for one: "orphaned nginx worker 468 holds the listening sockets". */
export const holdVerb = (ps: unknown[]) => (ps.length === 1 ? 'holds' : 'hold');

/** "812, 813" */
export const pidList = (ps: { pid: number }[]) => ps.map((p) => p.pid).join(', ');

/** "orphaned nginx workers 812, 813" (or "processes" when cache processes are among them). */
export function describeOrphans(orphans: { pid: number; role: NginxRole; comm: string }[]): string {
  const comms = [...new Set(orphans.map((p) => p.comm))].join('/');
  const allWorkers = orphans.every((p) => p.role === 'worker' || p.role === 'shutting-down');
  const noun = allWorkers ? 'worker' : 'process';
  return `orphaned ${comms} ${orphans.length === 1 ? noun : allWorkers ? 'workers' : 'processes'} ${pidList(orphans)}`;
}

/**
 * Where a running master keeps its pid file, from its title (nginx puts its
 * argv there: "master process /usr/sbin/nginx -p P -c C -g ...", arguments
 * joined by spaces): a `pid` set with -g, else the config file's `pid`
 * directive, default /run/nginx.pid (Debian's --pid-path, `nginx -V`).
 */
export function pidfileHint(title: string): string {
  const args = title.replace(/^(?:nginx|angie): master process\s*/, '');
  const prefix = /(?:^| )-p (\S+)/.exec(args)?.[1];
  const g = /(?:^| )-g (.*?)(?= -[pcegqstvVT?h]\b|$)/.exec(args)?.[1];
  const pid = g && /(?:^|;)\s*pid\s+([^;\s]+)\s*;/.exec(g)?.[1];
  const abs = (p: string) => (p.startsWith('/') || !prefix ? p : `${prefix.replace(/\/?$/, '/')}${p}`);
  if (pid) return `its pid file is ${abs(pid)} (-g on its command line)`;
  const conf = /(?:^| )-c (\S+)/.exec(args)?.[1];
  return `its pid file is the "pid" of ${conf ? abs(conf) : '/etc/nginx/nginx.conf'} (nginx's default /run/nginx.pid when not set)`;
}

/** What watchedProcesses left out: masters another user runs (with their uid) and processes under no trusted master. */
export interface Ignored {
  masters: { pid: number; uid: number }[];
  others: number[];
  /** counting by a pid file: the master it names (undefined when it named none that could be believed), and the file */
  watched?: { pid?: number; pidfile: string };
}

/**
 * The processes of the watched nginx for the resource probes (cpu `nginx_max`,
 * memory `nginx_rss_max`, io `nginx_*`), under the process probe's trust rule:
 * the live masters of this comm run by root or by hacheck's own user
 * (mastersByOwner) and every live process of this comm below them (workers,
 * cache processes, a new binary's master and its workers). A process of this
 * comm any other user started (comm and title are its own to set) is not
 * counted: counted, it would let that user fail a critical probe at will; nor
 * is an orphan (its master gone, nothing says whose it was). `all`: one /proc
 * snapshot, when the caller has it.
 */
export function watchedProcesses(comm: string, all: ProcStat[] = snapshot(), self = process.getuid?.() ?? 0, byPidfile?: { pid?: number; pidfile: string }): { procs: ProcStat[]; ignored: Ignored } {
  const mine = all.filter((p) => p.comm === comm);
  // by a pid file (the process probe's): that master's tree only, whoever runs it (the file was believed), and no other nginx
  if (byPidfile) {
    const roots = new Set(byPidfile.pid !== undefined && mine.some((p) => p.pid === byPidfile.pid) ? [byPidfile.pid] : []);
    const inTree = treeOf(mine, roots);
    return { procs: mine.filter((p) => !isDead(p) && inTree(p)), ignored: { masters: [], others: mine.filter((p) => !isDead(p) && !inTree(p)).map((p) => p.pid), watched: byPidfile } };
  }
  const tree = classify(mine);
  const { trusted, foreign } = mastersByOwner(tree.masters, self);
  const roots = new Set(trusted.map((g) => g.master.pid));
  // under a trusted master: its tree within this comm
  const under = treeOf(mine, roots);
  const procs: ProcStat[] = [];
  const others: number[] = [];
  const foreignPids = new Set(foreign.map((f) => f.group.master.pid));
  for (const p of mine) {
    if (isDead(p)) continue;
    if (under(p)) procs.push(p);
    else if (!foreignPids.has(p.pid)) others.push(p.pid);
  }
  return { procs, ignored: { masters: foreign.map((f) => ({ pid: f.group.master.pid, uid: f.uid })), others } };
}

/** (process) → whether it is one of `roots` or below one, walking parents within `procs` (memoised; bounded: no cycle in a pid tree, but be safe). */
function treeOf(procs: ProcStat[], roots: Set<number>): (p: ProcStat) => boolean {
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  const known = new Map<number, boolean>();
  return (p) => {
    const seen: number[] = [];
    let q: ProcStat | undefined = p;
    let ok = false;
    for (let i = 0; q && i <= procs.length; i++) {
      const k = known.get(q.pid);
      if (k !== undefined) { ok = k; break; }
      seen.push(q.pid);
      if (roots.has(q.pid)) { ok = true; break; }
      q = byPid.get(q.ppid);
    }
    for (const s of seen) known.set(s, ok);
    return ok;
  };
}

/**
 * "ignored: nginx master 4711 (uid 1001) not run by root and 2 nginx processes under no such master (4712, 4713)", or ''
 * for the resource probes' output (pids: the first 5).
 */
export function describeIgnored(comm: string, ig: Ignored, self = process.getuid?.() ?? 0): string {
  const who = self === 0 ? 'root' : `root or uid ${self}`;
  const few = (xs: string[]) => (xs.length > 5 ? `${xs.slice(0, 5).join(', ')}, …` : xs.join(', '));
  const parts: string[] = [];
  if (ig.watched) {
    const w = ig.watched;
    const head = w.pid === undefined ? `pid file ${w.pidfile} names no master it can be believed for: no ${comm} process counted` : '';
    const rest = ig.others.length ? `${ig.others.length} ${comm} process${ig.others.length === 1 ? '' : 'es'} not under master ${w.pid ?? '?'} of ${w.pidfile} (${few(ig.others.map(String))}: another nginx, or any user's process named ${comm}; not counted)` : '';
    return [head, rest].filter(Boolean).length ? `ignored: ${[head, rest].filter(Boolean).join('; ')}` : '';
  }
  if (ig.masters.length) parts.push(`${comm} master${ig.masters.length === 1 ? '' : 's'} ${few(ig.masters.map((m) => `${m.pid} (uid ${m.uid})`))} not run by ${who}`);
  if (ig.others.length) parts.push(`${ig.others.length} ${comm} process${ig.others.length === 1 ? '' : 'es'} under no master run by ${who} (${few(ig.others.map(String))})`);
  return parts.length ? `ignored: ${parts.join(' and ')} (any local user can name a process ${comm}; not counted)` : '';
}
