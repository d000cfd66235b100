// What each nginx process is, in the one place every consumer asks (the process
// probe, the restart flow, --json, perfdata and metrics through the probe result):
// nginx names its processes itself with ngx_setproctitle()
// (src/os/unix/ngx_process_cycle.c: "master process <argv>", "worker process",
// "worker process is shutting down", "cache manager process", "cache loader
// process", "privileged agent process"), visible in /proc/<pid>/cmdline. Parentage
// (ppid) ties workers to their master and a new binary's master to the old one;
// the state (zombie, stopped) says whether a process can serve.
import { family, isDead, isStopped, readStat, readTitle, snapshot, type ProcStat } from './proc.js';

export type NginxRole = 'master' | 'worker' | 'shutting-down' | 'cache-manager' | 'cache-loader' | 'helper';

export interface NginxProcess extends ProcStat {
  role: NginxRole;
  /** the process title ('' for a zombie or an unreadable one) */
  title: string;
  /** the title is not one of nginx's: role guessed from the tree shape (child of a same-comm process = worker) */
  byShape: boolean;
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

const TITLE = /^nginx: (master process|worker process is shutting down|worker process|cache manager process|cache loader process|privileged agent process)/;
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
  const m = TITLE.exec(title);
  return m ? ROLE_OF[m[1]] : undefined;
}

/**
 * Classifies processes of one kernel comm (the caller filters by comm).
 * `titles`: pid -> title cache (read on demand). Shape fallback: a process
 * without an nginx title is a worker when its parent is a live process of the
 * set, else a master — what a renamed title, `master_process off` or another
 * program's comm leave us.
 */
export function classify(procs: ProcStat[], titles: Map<number, string> = new Map()): NginxTree {
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  let foreignTitle: string | undefined;
  const processes: NginxProcess[] = procs.map((p) => {
    let title = titles.get(p.pid);
    if (title === undefined) {
      title = isDead(p) ? '' : readTitle(p.pid) ?? '';
      titles.set(p.pid, title);
    }
    const role = roleOfTitle(title);
    if (role) return { ...p, role, title, byShape: false };
    if (!isDead(p) && title && foreignTitle === undefined) foreignTitle = title;
    const parent = byPid.get(p.ppid);
    return { ...p, role: parent && !isDead(parent) ? 'worker' : 'master', title, byShape: true };
  });
  const live = processes.filter((p) => !isDead(p));
  const masterPids = new Set(live.filter((p) => p.role === 'master').map((p) => p.pid));
  const masters = live
    .filter((p) => p.role === 'master')
    .sort((a, b) => a.startTicks - b.startTicks || a.pid - b.pid)
    .map((m): MasterGroup => {
      const kids = live.filter((p) => p.ppid === m.pid);
      const workers = kids.filter((p) => p.role === 'worker');
      return {
        master: m,
        workers: workers.filter((p) => !isStopped(p)),
        stopped: workers.filter(isStopped),
        shuttingDown: kids.filter((p) => p.role === 'shutting-down'),
        cache: kids.filter((p) => p.role === 'cache-manager' || p.role === 'cache-loader'),
        newMasters: kids.filter((p) => p.role === 'master'),
        oldMaster: masterPids.has(m.ppid) ? live.find((p) => p.pid === m.ppid) : undefined,
      };
    });
  const orphans = live.filter((p) => p.role !== 'master' && !p.byShape && !masterPids.has(p.ppid));
  // an empty title is a process gone between its stat and its cmdline, not a foreign one
  return { processes, masters, orphans, byShape: live.some((p) => p.byShape && p.title !== ''), foreignTitle };
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
  const expand = (p: number): boolean => {
    if (expanded.has(p)) return true;
    expanded.add(p);
    const f = p === pid && first ? first : family(p);
    if (!f) return false;
    for (const s of f) if (s.comm === comm) seen.set(s.pid, s);
    return true;
  };
  if (!expand(pid)) return undefined;
  const self = seen.get(pid);
  if (self && !isDead(self)) {
    const parent = readStat(self.ppid);
    if (parent?.comm === comm && !isDead(parent) && roleOfTitle(readTitle(parent.pid) ?? '') === 'master' && !expand(parent.pid)) return undefined;
  }
  let tree = classify([...seen.values()], titles);
  const more = tree.masters.filter((g) => !expanded.has(g.master.pid));
  if (more.length) {
    for (const g of more) if (!expand(g.master.pid)) return undefined;
    tree = classify([...seen.values()], titles);
  }
  return tree;
}

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
  const args = title.replace(/^nginx: master process\s*/, '');
  const prefix = /(?:^| )-p (\S+)/.exec(args)?.[1];
  const g = /(?:^| )-g (.*?)(?= -[pcegqstvVT?h]\b|$)/.exec(args)?.[1];
  const pid = g && /(?:^|;)\s*pid\s+([^;\s]+)\s*;/.exec(g)?.[1];
  const abs = (p: string) => (p.startsWith('/') || !prefix ? p : `${prefix.replace(/\/?$/, '/')}${p}`);
  if (pid) return `its pid file is ${abs(pid)} (-g on its command line)`;
  const conf = /(?:^| )-c (\S+)/.exec(args)?.[1];
  return `its pid file is the "pid" of ${conf ? abs(conf) : '/etc/nginx/nginx.conf'} (nginx's default /run/nginx.pid when not set)`;
}
