// `hacheck agent`: the long-running mode. Every interval: the same probes (and
// the same restart flow, budget and lock) as a one-shot check, then rise/fall
// hysteresis, then act — the keepalived track_file (re-asserted every cycle), the status file
// and metrics every cycle. Cycles never overlap: the next one starts on the
// next tick of a drift-free schedule after the previous one finished.
import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { resolveConfig, type ProbeFlags } from '../config/flags.js';
import { ConfigError } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { MIN_DEFAULT_CYCLE_TIMEOUT_MS, STATUS_EVERY_MS } from '../config/defaults.js';
import { fmtMs, portNumber } from '../config/units.js';
import type { ProbeResult } from '../probes/types.js';
import { decide } from '../verdict/verdict.js';
import { INITIAL, hold, observe, pendingFlip, type Evidence, type HysteresisState, type Observed } from '../verdict/hysteresis.js';
import { STARVED_HOLD_MS, StarvedRun, starvedReason } from '../verdict/starved.js';
import { exitValue, trackValue, writeTrackFile } from '../output/state-file.js';
import { TrackFileWatch } from '../output/track-file-watch.js';
import { compactProbes, type StatusDoc } from '../output/status.js';
import { renderMetrics, renderStoppedMetrics, type AgentMetrics } from '../output/metrics.js';
import { getLogger } from '../output/log.js';
import { matchInWorker } from '../sys/body-match.js';
import { writeFileAtomic } from '../sys/atomic-write.js';
import { requireWritablePaths } from '../config/write-paths.js';
import { readStat } from '../sys/proc.js';
import { EXIT } from '../verdict/exit-codes.js';
import { exitOnError } from '../exit.js';
import { VERSION } from '../version.js';
import { evaluate } from '../actions/evaluate.js';
import { claimFile, sameTrackFile, TrackFileClaimed, type Claim } from '../actions/agent-lock.js';
import { enableConnectionReuse } from '../sys/http1.js';
import { budgetStatus, readBudget } from '../actions/budget.js';

export interface AgentFlags extends ProbeFlags {
  stateFile?: string;
  statusFile?: string;
  interval?: string;
  cycleTimeout?: string;
  rise?: string;
  fall?: string;
  definitiveFall?: string;
  onExit?: string;
  metricsDir?: string;
  metricsListen?: string;
}

/** A config with the agent's paths and times filled in. */
export interface AgentSetup {
  cfg: Config & { configPath?: string };
  stateFile: string;
  statusFile: string;
  intervalMs: number;
  /** deadline of one cycle */
  timeoutMs: number;
}

/**
 * The least default cycle deadline: an interval shorter than this still gets
 * this long per cycle (cycles never overlap; a long one skips ticks). Measured
 * in the lab (issue 17): a 100 ms agent judged by a 100 ms deadline moved a
 * healthy VIP up to 17 times in 30 s of CPU saturation; with 300 ms, with
 * fall 2 for ambiguous evidence, none.
 */
export { MIN_DEFAULT_CYCLE_TIMEOUT_MS };

const intOrText = (s: string) => (/^-?\d+$/.test(s.trim()) ? Number(s) : s);

/** Config file, then flags (flags win), through the one schema. */
export function resolveAgent(flags: AgentFlags): AgentSetup {
  // the agent's --timeout is its cycle deadline (agent.timeout), not the one-shot run's deadline
  // (top-level timeout, 50ms..10m): same range and same meaning as --cycle-timeout
  const cfg = resolveConfig({ ...flags, timeout: undefined, agentTimeout: flags.timeout } as typeof flags, (raw) => {
    const a = { ...(raw.agent as Record<string, unknown> | undefined) };
    const metrics = { ...(a.metrics as Record<string, unknown> | undefined) };
    if (flags.stateFile !== undefined) a.state_file = flags.stateFile;
    if (flags.statusFile !== undefined) a.status_file = flags.statusFile;
    if (flags.interval !== undefined) a.interval = flags.interval;
    // --timeout on the agent is the per-cycle deadline (--cycle-timeout says so explicitly).
    if (flags.cycleTimeout !== undefined || flags.timeout !== undefined) a.timeout = flags.cycleTimeout ?? flags.timeout;
    if (flags.rise !== undefined) a.rise = intOrText(flags.rise);
    if (flags.fall !== undefined) a.fall = intOrText(flags.fall);
    if (flags.definitiveFall !== undefined) a.definitive_fall = intOrText(flags.definitiveFall);
    if (flags.onExit !== undefined) a.on_exit = intOrText(flags.onExit);
    if (flags.metricsDir !== undefined) metrics.textfile_dir = flags.metricsDir;
    if (flags.metricsListen !== undefined) metrics.listen = flags.metricsListen;
    raw.agent = { ...a, metrics };
  });
  const a = cfg.agent;
  const stateFile = a.state_file ?? join(cfg.state_dir, 'state');
  const statusFile = a.status_file ?? join(cfg.state_dir, 'status.json');
  // each write replaces the file by rename: a device there (--state-file /dev/null), a path under /dev
  // (/dev/stdout, the system's own symlink), two of these files on one path (the status JSON over the
  // track_file reads as 0, healthy): refused before anything is claimed or written (src/config/write-paths.ts)
  const replaces = 'the agent replaces this file on every write';
  const dir = a.metrics.textfile_dir;
  requireWritablePaths([
    { key: 'agent.state_file', flag: '--state-file', byFlag: flags.stateFile !== undefined, path: stateFile, kind: 'file', does: replaces, example: '/run/hacheck/state' },
    { key: 'agent.status_file', flag: '--status-file', byFlag: flags.statusFile !== undefined, path: statusFile, kind: 'file', does: replaces, example: '/run/hacheck/status.json' },
    ...(dir ? [
      { key: 'agent.metrics.textfile_dir', flag: '--metrics-dir', byFlag: flags.metricsDir !== undefined, path: dir, kind: 'dir' as const, does: 'the agent writes hacheck.prom there every cycle', example: '/var/lib/prometheus/node-exporter' },
      { key: 'agent.metrics.textfile_dir', flag: '--metrics-dir', byFlag: flags.metricsDir !== undefined, path: join(dir, 'hacheck.prom'), kind: 'file' as const, does: replaces, example: '/var/lib/prometheus/node-exporter' },
    ] : []),
    ...(cfg.log.file ? [{ key: 'log.file', byFlag: false, path: cfg.log.file, kind: 'file' as const, does: 'the agent appends its log to this file', example: '/var/log/hacheck.log', sameOnly: true }] : []),
  ]);
  return {
    cfg,
    stateFile,
    statusFile,
    intervalMs: a.interval,
    timeoutMs: a.timeout ?? Math.max(a.interval, MIN_DEFAULT_CYCLE_TIMEOUT_MS),
  };
}

/** host:port or [v6]:port → listen() arguments. */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text);
  const port = m ? portNumber(m[3], 0) : undefined;
  if (!m || port === undefined) throw new ConfigError(`metrics.listen: bad address "${text}": use host:port`, 'config');
  return { host: m[1] ?? m[2], port };
}

type MetricsServer = { close(): void; address: string };

async function listenMetrics(text: string, current: () => string): Promise<MetricsServer> {
  const { host, port } = parseListen(text);
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/metrics' || path === '/') {
      const body = current();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
    }
  });
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 5000;
  server.requestTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((e: NodeJS.ErrnoException) => {
    throw new ConfigError(`metrics.listen ${text}: ${e.code ?? e.message}`);
  });
  const addr = server.address();
  return {
    address: typeof addr === 'object' && addr ? `${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}` : text,
    close() {
      server.close();
      server.closeAllConnections();
    },
  };
}

/**
 * Stop requested by a signal: wakes whatever the loop waits on, so it ends at
 * once. Waiters are callbacks removed when their wait ends: racing every cycle
 * against one long-lived "stopped" promise would pile a reaction onto it per
 * cycle (a slow leak in a process that runs for months).
 */
class Stopper {
  stopping = false;
  signal?: NodeJS.Signals;
  private readonly wakers = new Set<() => void>();
  stop(sig: NodeJS.Signals) {
    if (this.stopping) return;
    this.stopping = true;
    this.signal = sig;
    for (const w of this.wakers) w();
    this.wakers.clear();
  }
  /** p's value, or undefined as soon as a stop is requested */
  race<V>(p: Promise<V>): Promise<V | undefined> {
    if (this.stopping) return Promise.resolve(undefined);
    return new Promise<V | undefined>((resolve, reject) => {
      const wake = () => resolve(undefined);
      this.wakers.add(wake);
      p.then((v) => { this.wakers.delete(wake); resolve(v); }, (e: unknown) => { this.wakers.delete(wake); reject(e); });
    });
  }
  /** sleep until the absolute performance.now() time, or until stopped (one timer and one promise a cycle) */
  until(t: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, Math.max(0, t - performance.now()));
      this.wakers.add(wake);
    });
  }
}

interface CycleOutcome {
  results: ProbeResult[];
  observed: Observed;
  /** a failing cycle: how sure (decide()'s evidence) */
  evidence?: Evidence;
  forcedDown?: string;
  reasons: string[];
  notes: string[];
  restarted: boolean;
}

/** One cycle's decision half: probes, restart flow, verdict; no writes of the agent's own files. */
async function runCycle(s: AgentSetup): Promise<CycleOutcome> {
  const { cfg } = s;
  const deadline = performance.now() + s.timeoutMs;
  // definitive evidence ends the probing early (src/probes/run.ts): no wait for a hung URL of a dead nginx
  const { results, forcedDown, notes, restart, restartFailure } = await evaluate(cfg, deadline);
  const v = decide(results);
  const reasons = [...(forcedDown ? [forcedDown] : []), ...(restartFailure ? [restartFailure] : []), ...v.reasons];
  return { results, observed: v.verdict as Observed, evidence: v.evidence, forcedDown, reasons, notes, restarted: restart?.action === 'restart' };
}

/**
 * A long-running process with a small live set and a cycle that runs once a
 * second: cap the young generation so V8 does not grow it (tens of MB of RSS)
 * just because a short interval allocates fast, and keep to the interpreter —
 * the optimizing tiers (Maglev, TurboFan) cost ~15 MB of RSS (their code pages
 * and zones) for a few % of CPU on this workload, the baseline compiler
 * (Sparkplug) ~0.5 MB for ~0.3 ms of CPU per cycle (measured: bench/agent.mjs);
 * the single binary runs --jitless anyway. Takes effect at run time, for this
 * command only. Returns V8's full GC (see the loop).
 */
async function flatMemory(): Promise<() => void> {
  const { setFlagsFromString } = await import('node:v8');
  for (const flag of ['--max-semi-space-size=1', '--semi-space-growth-factor=1', '--no-opt', '--no-maglev', '--no-sparkplug']) setFlagsFromString(flag);
  // The full collector's own trigger is a fixed old-space limit (~13 MB here, more than twice the
  // ~5.5 MB live set): at a 1 s interval the old space fills with promoted per-cycle garbage
  // (~1 MB a minute) for ~8 minutes before V8 collects it, and its memory reducer only runs after
  // such a collection. gc() of a context made while --expose-gc is set is V8's full collector for
  // the whole isolate; the flag is cleared at once (no other context gets a gc global).
  setFlagsFromString('--expose-gc');
  const { runInNewContext } = await import('node:vm');
  const gc: unknown = runInNewContext('typeof gc === "function" ? gc : undefined');
  setFlagsFromString('--no-expose-gc');
  return typeof gc === 'function' ? (gc as () => void) : () => {};
}

/**
 * The status file is rewritten when what it says changes (verdict, evidence,
 * reasons, pending flip, track_file value, probe pass/fail) and otherwise at
 * least this often: at a 100 ms interval, rewriting 1.6 KB of JSON every cycle
 * was ~6 % of the agent's CPU. `hacheck status --max-age` must cover it plus
 * the cycle deadline (3 s by default, 2 s as `init --fast` writes it).
 */
export { STATUS_EVERY_MS };
/** What the status file says that a reader acts on: a change of any of it rewrites the file at once. */
interface StatusShown {
  verdict: string;
  observed: Observed;
  evidence: Evidence | null;
  decidedBy: string | null;
  value: number | null;
  pending: number;
  statusFile: string;
  /** compared by each probe's pass/fail only */
  results: ProbeResult[];
  reasons: string[];
  notes: string[];
}

const sameList = (a: string[], b: string[]): boolean => {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};

/** What an unhealthy cycle is logged as being about: its evidence and which critical probes fail (not their timings). */
export function causeOf(evidence: Evidence, results: ProbeResult[]): string {
  let key: string = evidence;
  // a probe not waited for (the run was decided by another) is no cause: its coming and going is no news
  for (const r of results) if (!r.ok && r.severity === 'critical' && !r.notWaited) key += ` ${r.name}`;
  return key;
}

/** Field by field, without building a key string every cycle (the binary's interpreter pays for each). */
function sameShown(a: StatusShown, b: StatusShown): boolean {
  if (a.verdict !== b.verdict || a.observed !== b.observed || a.evidence !== b.evidence || a.decidedBy !== b.decidedBy
    || a.value !== b.value || a.pending !== b.pending || a.statusFile !== b.statusFile || a.results.length !== b.results.length) return false;
  for (let i = 0; i < a.results.length; i++) if (a.results[i].ok !== b.results[i].ok) return false;
  return sameList(a.reasons, b.reasons) && sameList(a.notes, b.notes);
}

/** The restart budget as the metrics show it (read from the state dir: one-shot runs spend it too); undefined when restarts are off. */
function restartBudget(cfg: Config): AgentMetrics['restartBudget'] {
  if (!cfg.restart.enabled) return undefined;
  const b = budgetStatus(readBudget(cfg.state_dir), cfg.restart, Date.now());
  return { used: b.used, max: b.max, windowMs: cfg.restart.budget.window };
}

/** Full GCs between cycles: the first once start-up is over, then one a minute (~3-10 ms each). */
const GC_FIRST_MS = 10_000;
const GC_EVERY_MS = 60_000;
/** only with this much idle time before the next cycle, so a GC never delays one (short intervals: V8's own GCs run often anyway) */
const GC_MIN_IDLE_MS = 100;

/**
 * The way out of a fatal error (a throw from the loop outside a cycle's own
 * guard): runAgent sets it once its files are known; agentCommand runs it
 * before the error goes on to the CLI (one line, exit 70).
 */
let fatalWayOut: ((e: unknown) => void) | undefined;

export async function agentCommand(flags: AgentFlags): Promise<number> {
  try {
    return await runAgent(flags);
  } catch (e) {
    fatalWayOut?.(e);
    throw e;
  } finally {
    fatalWayOut = undefined;
  }
}

async function runAgent(flags: AgentFlags): Promise<number> {
  const gc = await flatMemory();
  // a backtracking body_regex runs off the main thread: a stop (SIGTERM) is not held behind it (src/sys/body-match.ts)
  matchInWorker(true);
  // URLs on kept-alive connections: most of a cycle's CPU at short intervals was connection set-up (src/sys/http1.ts)
  enableConnectionReuse();
  let nextGc = performance.now() + GC_FIRST_MS;
  let setup = resolveAgent(flags);
  const log: Logger = await getLogger(setup.cfg);
  const stop = new Stopper();
  let reloaded: AgentSetup | undefined;

  const onStop = (sig: NodeJS.Signals) => stop.stop(sig);
  // read between cycles, not in the signal's callback: a config read, parsed and validated in the
  // middle of a cycle is time its probes' replies wait for, on the cycle's deadline
  let hupPending = false;
  const onHup = () => { hupPending = true; };
  const reload = () => {
    hupPending = false;
    try {
      reloaded = resolveAgent(flags);
      log.info({ config: reloaded.cfg.configPath ?? null }, 'hacheck agent: config reloaded (applies from the next cycle)');
    } catch (e) {
      log.error({ err_message: (e as Error).message }, `hacheck agent: reload failed, keeping the old config: ${(e as Error).message}`);
    }
  };
  // SIGUSR1 would start Node's inspector (a debugger any local user could attach to: code run as
  // root) — the binary runs with --disable-sigusr1 and this listener keeps the bundle the same;
  // SIGUSR2's default is the end of the process without on_exit. Both are signals operators send
  // to nginx (reopen logs, upgrade the binary): ignored here, said once. SIGQUIT is nginx's graceful stop.
  const ignored = new Set<string>();
  const onIgnored = (sig: NodeJS.Signals) => {
    if (ignored.has(sig)) return;
    ignored.add(sig);
    log.warn({ signal: sig }, `hacheck agent: ${sig} ignored (it is not a stop; SIGTERM, SIGINT or SIGQUIT stop the agent, SIGHUP reloads its config; rotate log.file with copytruncate)`);
  };
  process.on('SIGTERM', onStop);
  process.on('SIGINT', onStop);
  process.on('SIGQUIT', onStop);
  process.on('SIGHUP', onHup);
  process.on('SIGUSR1', onIgnored);
  process.on('SIGUSR2', onIgnored);

  // Errors are logged when they start (and when their message changes), not every cycle.
  const lastError = new Map<string, string>();
  const report = (what: string, e: unknown) => {
    const msg = String((e as Error)?.message ?? e);
    // the same failure again is not news: keyed by errno and system call, not the message, which
    // names the random temp file of each attempt (a flood of one line per cycle otherwise)
    const { code, syscall } = (e ?? {}) as NodeJS.ErrnoException;
    const key = code ? `${code} ${syscall ?? ''}` : msg;
    if (lastError.get(what) === key) return;
    lastError.set(what, key);
    log.error({ what, err_message: msg }, `hacheck agent: ${what}: ${msg}`);
  };
  const cleared = (what: string) => {
    if (lastError.delete(what)) log.info({ what }, `hacheck agent: ${what}: ok again`);
  };

  const pidStart = readStat(process.pid)?.startTicks;
  let h: HysteresisState = INITIAL;
  let written: { path: string; value: number } | undefined;
  let lastChange = new Date().toISOString();
  let lastStatus: (() => StatusDoc) | undefined;
  let statusWrittenAt = -Infinity;
  let statusShown: StatusShown | undefined;
  let lastMetrics: (Pick<AgentMetrics, 'verdict' | 'observed' | 'value' | 'probes' | 'cycleMs' | 'intervalMs'> & { cfg: Config }) | undefined;
  const counters = { cycles: 0, overruns: 0, stateChanges: 0, restarts: 0, lastSuccess: 0, lastCycle: 0, inconclusive: 0 };
  /** cycles whose only failures were checks started late, in a row (src/verdict/starved.ts) */
  const starvedRun = new StarvedRun();
  /** the cause last logged while unhealthy (this cycle's evidence and the failing probes): a new one is logged */
  let causeLogged = '';
  let cycleMsMax = 0;
  const startTime = Date.now() / 1000;
  const metricsText = () => {
    if (!lastMetrics) return '# hacheck agent: no cycle finished yet\n';
    const { cfg, ...m } = lastMetrics;
    return renderMetrics({ ...m, ...counters, startTime, version: VERSION, restartBudget: restartBudget(cfg) });
  };

  let server: MetricsServer | undefined;
  let serverAddr: string | undefined;
  const applyListen = async (listen: string | undefined, atStart: boolean) => {
    if (listen === serverAddr) return;
    server?.close();
    server = undefined;
    serverAddr = undefined;
    if (!listen) return;
    try {
      server = await listenMetrics(listen, metricsText);
      serverAddr = listen;
    } catch (e) {
      if (atStart) throw e;
      report('metrics listener', e);
    }
  };

  // Re-asserted every cycle: a deleted or overwritten track_file is put back (src/output/track-file-watch.ts).
  const trackWatch = new TrackFileWatch();

  // The node_exporter textfile: rewritten every cycle, and once more on the way out (see leave() below).
  const textfile = (dir: string | undefined) => (dir ? join(dir, 'hacheck.prom') : undefined);
  const writeTextfile = (file: string | undefined, text: () => string) => {
    if (!file) return;
    try {
      writeFileAtomic(file, text(), { mkdir: true });
      cleared(`metrics textfile ${file}`);
    } catch (e) {
      report(`metrics textfile ${file}`, e);
    }
  };

  const writeTrack = (value: number) => {
    if (written?.path === setup.stateFile && written.value === value) {
      const drift = trackWatch.check(setup.stateFile, value);
      if (!drift) return;
      if (drift.log) log.warn({ state_file: setup.stateFile, value, found: drift.why }, `hacheck agent: track_file ${setup.stateFile} ${drift.why}: rewriting it with ${value}`);
    }
    try {
      writeTrackFile(setup.stateFile, value);
      written = { path: setup.stateFile, value };
      cleared(`state file ${setup.stateFile}`);
    } catch (e) {
      written = undefined;
      report(`state file ${setup.stateFile}`, e);
    }
  };

  // before anything is written or listened on: a second agent on this track_file, or on this status
  // file (whose guard would read the other agent's verdicts), leaves it alone (src/actions/agent-lock.ts);
  // after the signal handlers, so a SIGHUP during the wait is not the default action (the end of the process)
  let claim: Claim;
  let statusClaim: Claim;
  try {
    claim = await claimFile(setup.stateFile, setup.cfg.state_dir, 'track_file');
  } catch (e) {
    cleanup();
    throw e;
  }
  try {
    statusClaim = await claimFile(setup.statusFile, setup.cfg.state_dir, 'status file');
  } catch (e) {
    claim.release();
    cleanup();
    throw e;
  }
  try {
    await applyListen(setup.cfg.agent.metrics.listen, true);
  } catch (e) {
    claim.release();
    statusClaim.release();
    cleanup();
    throw e;
  }
  // A claim whose directory was removed (`rm -rf /run/hacheck`, which the next write recreates) is
  // made again before that write, so a second agent cannot start on the file meanwhile. The lost
  // one is not released: its generation number would mark the new directory's free.
  const keepClaims = async () => {
    for (const c of [claim, statusClaim]) {
      if (c.intact()) continue;
      try {
        const again = await claimFile(c.file, setup.cfg.state_dir, c.what, 0);
        if (c === claim) claim = again;
        else statusClaim = again;
        cleared(`claim of ${c.what} ${c.file}`);
        log.warn({ file: c.file, claim: again.dir }, `hacheck agent: the claim of ${c.what} ${c.file} was gone (${c.dir} removed): claimed again`);
      } catch (e) {
        // another agent took it meanwhile: said (once); a directory that cannot be made is what the write reports too
        if (e instanceof TrackFileClaimed) report(`claim of ${c.what} ${c.file}`, e);
      }
    }
  };
  log.info({ state_file: setup.stateFile, status_file: setup.statusFile, interval_ms: setup.intervalMs, timeout_ms: setup.timeoutMs, rise: setup.cfg.agent.rise, fall: setup.cfg.agent.fall, definitive_fall: setup.cfg.agent.definitive_fall, probes: setup.cfg.probes.length, version: VERSION },
    `hacheck agent: started (interval ${fmtMs(setup.intervalMs)}, cycle deadline ${fmtMs(setup.timeoutMs)}, rise ${setup.cfg.agent.rise}, fall ${setup.cfg.agent.fall}, definitive_fall ${setup.cfg.agent.definitive_fall})`);

  function cleanup() {
    process.off('SIGTERM', onStop);
    process.off('SIGINT', onStop);
    process.off('SIGQUIT', onStop);
    process.off('SIGHUP', onHup);
    process.off('SIGUSR1', onIgnored);
    process.off('SIGUSR2', onIgnored);
    process.off('uncaughtException', onFatal);
    server?.close();
  }

  /**
   * Every way out (SIGTERM, SIGINT, a fatal error) leaves nothing that claims
   * more health than the truth: the track_file gets agent.on_exit, the status
   * file says "stopped", the metrics textfile says hacheck_up 0 and
   * hacheck_verdict{verdict="stopped"} 1 with the value left in the track_file
   * (rewritten rather than removed: node_exporter then exports an explicit
   * "stopped" an alert can name, instead of series that just vanish).
   * Synchronous and run once, so the uncaught-exception handler can use it too.
   */
  let left = false;
  function leave(): number | undefined {
    if (left) return undefined;
    left = true;
    const exit = exitValue(setup.cfg.agent);
    if (exit !== undefined) {
      written = undefined;
      writeTrack(exit);
    }
    try {
      const doc: StatusDoc = {
        ...(lastStatus?.() ?? {
          version: VERSION, observed: 'unhealthy', reasons: [], last_change: lastChange, interval_ms: setup.intervalMs, cycle: 0, cycle_ms: 0,
          pending: 0, rise: setup.cfg.agent.rise, fall: setup.cfg.agent.fall, state_file: setup.stateFile, notes: [], probes: [],
        }),
        time: new Date().toISOString(), time_ms: Date.now(), pid: process.pid, ...(pidStart !== undefined && { pid_start: pidStart }),
        verdict: 'stopped', value: exit ?? written?.value ?? null,
      };
      writeFileAtomic(setup.statusFile, JSON.stringify(doc) + '\n', { mkdir: true });
    } catch (e) {
      report(`status file ${setup.statusFile}`, e);
    }
    const file = textfile(setup.cfg.agent.metrics.textfile_dir);
    writeTextfile(file, () => renderStoppedMetrics({ ...counters, value: exit ?? written?.value ?? NaN, intervalMs: setup.intervalMs, startTime, version: VERSION }));
    claim.release();
    statusClaim.release();
    return exit;
  }
  function fatal(e: unknown) {
    log.fatal({ err_message: String((e as Error)?.message ?? e) }, `hacheck agent: fatal error: ${(e as Error)?.message ?? e}`);
    leave();
    cleanup();
  }
  fatalWayOut = fatal;
  // A throw nobody awaits (a timer, a socket callback): the same way out, then exit 70 with one line.
  function onFatal(e: unknown) {
    fatal(e);
    void exitOnError(e, process.argv);
  }
  process.on('uncaughtException', onFatal);

  let next = performance.now();
  while (!stop.stopping) {
    if (hupPending) reload();
    const released: Claim[] = [];
    if (reloaded) {
      // a track_file or status file another agent keeps is not taken over: the reload is refused as a bad config is (no wait: the cycles go on)
      const taken: Claim[] = [];
      try {
        if (!sameTrackFile(reloaded.stateFile, setup.stateFile)) taken.push(await claimFile(reloaded.stateFile, reloaded.cfg.state_dir, 'track_file', 0));
        if (!sameTrackFile(reloaded.statusFile, setup.statusFile)) taken.push(await claimFile(reloaded.statusFile, reloaded.cfg.state_dir, 'status file', 0));
        for (const c of taken) {
          // the old ones once the old track_file has its on_exit value, below
          released.push(c.what === 'track_file' ? claim : statusClaim);
          if (c.what === 'track_file') claim = c;
          else statusClaim = c;
        }
      } catch (e) {
        for (const c of taken) c.release();
        log.error({ state_file: reloaded.stateFile, status_file: reloaded.statusFile, err_message: (e as Error).message }, `hacheck agent: reload failed, keeping the old config: ${(e as Error).message}`);
        reloaded = undefined;
      }
    }
    if (reloaded) {
      const old = setup;
      setup = reloaded;
      reloaded = undefined;
      log.level = setup.cfg.log.level;
      await applyListen(setup.cfg.agent.metrics.listen, false);
      // A track_file no longer written would hold its last value for ever (keepalived may still track it):
      // it gets what a stop leaves there (agent.on_exit of the config that named it).
      if (!sameTrackFile(old.stateFile, setup.stateFile) && written?.path === old.stateFile) {
        const v = exitValue(old.cfg.agent);
        try {
          if (v !== undefined) writeTrackFile(old.stateFile, v);
          log.warn({ state_file: old.stateFile, value: v ?? null, new_state_file: setup.stateFile },
            `hacheck agent: track_file moved to ${setup.stateFile}; ${old.stateFile} ${v !== undefined ? `left with ${v} (on_exit)` : 'kept as it is (on_exit keep)'}`);
        } catch (e) {
          report(`state file ${old.stateFile}`, e);
        }
        written = undefined;
      }
      for (const c of released) c.release();
      // A textfile no longer written would claim its last verdict for ever: gone with the config that named it.
      const was = textfile(old.cfg.agent.metrics.textfile_dir);
      if (was && was !== textfile(setup.cfg.agent.metrics.textfile_dir)) {
        try { unlinkSync(was); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'ENOENT') report(`metrics textfile ${was}`, e); }
      }
      if (setup.intervalMs !== old.intervalMs) next = performance.now();
    }
    const s = setup;
    const t0 = performance.now();
    let out: CycleOutcome;
    try {
      const r = await stop.race(runCycle(s));
      if (!r) break; // stopped mid-cycle: leave at once, the exit value below wins
      out = r;
      cleared('cycle');
    } catch (e) {
      // A bug in one cycle must not stop the agent, nor publish "healthy".
      report('cycle', e);
      out = { results: [], observed: 'unhealthy', reasons: [`internal error: ${(e as Error)?.message ?? e}`], notes: [], restarted: false };
    }
    if (stop.stopping) break;
    const cycleMs = performance.now() - t0;
    if (cycleMs > cycleMsMax) cycleMsMax = cycleMs;
    counters.cycles++;
    if (out.restarted) counters.restarts++;
    counters.lastCycle = Date.now() / 1000;
    if (out.observed !== 'unhealthy') counters.lastSuccess = counters.lastCycle;

    const prevVerdict = h.published;
    // A cycle whose only failures are checks the agent did not get the CPU to run says nothing
    // about nginx: the verdict is held (at most STARVED_HOLD_MS), not counted toward fall.
    const starved = out.observed === 'unhealthy' && h.up !== undefined ? starvedReason(out.results, s.timeoutMs) : undefined;
    const { hold: holding, log: said } = starvedRun.step(starved, t0);
    if (said) log[said.level]({ reason: starved ?? null, hold_ms: STARVED_HOLD_MS }, `hacheck agent: ${said.msg}`);
    if (holding) counters.inconclusive++;
    const step = holding ? hold(h, !!out.forcedDown) : observe(h, out.observed, !!out.forcedDown, s.cfg.agent, out.evidence);
    h = step.state;
    const value = trackValue(step.verdict, s.cfg.agent.values);
    // which kind of evidence turned the node unhealthy (and how many cycles that took)
    const decidedBy = step.verdict === 'unhealthy' ? h.decidedBy ?? null : null;
    if (step.changed) {
      lastChange = new Date().toISOString();
      if (prevVerdict !== undefined) counters.stateChanges++;
      const fields = { verdict: step.verdict, previous: prevVerdict ?? null, value, observed: out.observed, evidence: out.evidence ?? null, decided_by: decidedBy, reasons: out.reasons, notes: out.notes };
      const by = decidedBy && prevVerdict !== undefined
        ? `, ${decidedBy} evidence: ${decidedBy === 'definitive' ? `definitive_fall ${s.cfg.agent.definitive_fall}` : `fall ${s.cfg.agent.fall}`}`
        : '';
      const msg = `hacheck agent: ${prevVerdict ?? 'start'} → ${step.verdict} (track_file ${value}${by})`;
      if (step.verdict === 'healthy') log.info(fields, msg);
      else log.warn(fields, `${msg}: ${out.reasons.join('; ')}`);
      causeLogged = step.verdict === 'unhealthy' ? causeOf(out.evidence ?? 'ambiguous', out.results) : '';
    } else if (step.verdict === 'unhealthy' && out.observed === 'unhealthy' && !holding) {
      // still unhealthy for another reason (a hung URL, then a stopped master): the journal names the new one
      const now = out.evidence ?? 'ambiguous';
      const cause = causeOf(now, out.results);
      if (cause !== causeLogged) {
        causeLogged = cause;
        log.warn({ verdict: step.verdict, value, evidence: now, decided_by: decidedBy, reasons: out.reasons },
          `hacheck agent: still unhealthy (track_file ${value}), now ${now} evidence: ${out.reasons.join('; ')}`);
      }
    }
    if (out.restarted) log.warn({ notes: out.notes }, `hacheck agent: restarted nginx: ${out.notes.join('; ')}`);
    if (!claim.intact() || !statusClaim.intact()) await keepClaims();
    writeTrack(value);

    const evidence = out.observed === 'unhealthy' ? out.evidence ?? 'ambiguous' : null;
    const writtenValue = written?.value ?? null;
    const pending = pendingFlip(h, s.cfg.agent);
    const cycle = counters.cycles;
    const overruns = counters.overruns;
    // built only when written (and at stop): most cycles at a short interval write nothing
    const statusDoc = (): StatusDoc => ({
      time: new Date().toISOString(),
      time_ms: Date.now(),
      pid: process.pid,
      ...(pidStart !== undefined && { pid_start: pidStart }),
      version: VERSION,
      verdict: step.verdict,
      observed: out.observed,
      evidence,
      decided_by: decidedBy,
      inconclusive: holding ? starved! : null,
      value: writtenValue,
      reasons: out.reasons,
      last_change: lastChange,
      interval_ms: s.intervalMs,
      cycle,
      cycle_ms: Math.round(cycleMs * 10) / 10,
      cycle_ms_max: Math.round(cycleMsMax * 10) / 10,
      overruns,
      pending,
      rise: s.cfg.agent.rise,
      fall: s.cfg.agent.fall,
      definitive_fall: s.cfg.agent.definitive_fall,
      timeout_ms: s.timeoutMs,
      state_file: s.stateFile,
      notes: out.notes,
      probes: compactProbes(out.results),
    });
    // what a reader acts on; timings and counters alone do not make a rewrite
    const shown: StatusShown = { verdict: step.verdict, observed: out.observed, evidence, decidedBy, value: writtenValue, pending, statusFile: s.statusFile, results: out.results, reasons: out.reasons, notes: out.notes };
    const now0 = performance.now();
    lastStatus = statusDoc;
    if (!statusShown || !sameShown(shown, statusShown) || now0 - statusWrittenAt >= STATUS_EVERY_MS - s.intervalMs / 2) {
      try {
        writeFileAtomic(s.statusFile, JSON.stringify(statusDoc()) + '\n', { mkdir: true });
        statusShown = shown;
        statusWrittenAt = now0;
        cleared(`status file ${s.statusFile}`);
      } catch (e) {
        statusShown = undefined;
        report(`status file ${s.statusFile}`, e);
      }
    }

    // the metrics' input, built when they are read (a scrape, the textfile), not every cycle
    lastMetrics = { verdict: step.verdict, observed: out.observed, value, probes: out.results, cycleMs, intervalMs: s.intervalMs, cfg: s.cfg };
    const file = textfile(s.cfg.agent.metrics.textfile_dir);
    if (file) writeTextfile(file, metricsText);

    // Drift-free: ticks at start + k × interval; a cycle that ran long skips ticks, never overlaps.
    next += s.intervalMs;
    const now = performance.now();
    if (next <= now) {
      const missed = Math.floor((now - next) / s.intervalMs) + 1;
      counters.overruns += missed;
      next += missed * s.intervalMs;
    }
    if (now >= nextGc && next - now >= GC_MIN_IDLE_MS) {
      gc();
      nextGc = performance.now() + GC_EVERY_MS;
    }
    await stop.until(next);
  }
  const exit = leave();
  log.info({ signal: stop.signal, value: exit ?? null, cycles: counters.cycles }, `hacheck agent: stopped by ${stop.signal}${exit !== undefined ? `, track_file ${exit}` : ', track_file kept'}`);
  cleanup();
  return EXIT.HEALTHY;
}

