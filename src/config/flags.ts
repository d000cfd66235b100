// Command-line flags as a layer over the config file: flags win. A flag that
// names probes of one type (--url, --port, --process/--pidfile) replaces the
// file's probes of that type. Flags go through the same schema as the file.
import { ConfigError, DEFAULT_READ_DEADLINE_MS, loadFile, requireTrusted, requireTrustedCaFiles, validate } from './load.js';
import { parseDuration } from './units.js';
import { requireWritablePaths } from './write-paths.js';
import type { Config } from './schema.js';
import { HeaderMap, mergeHeaders, type HeaderRecord } from '../sys/header-map.js';

export interface ProbeFlags {
  config?: string;
  process?: string;
  pidfile?: string;
  port?: string[];
  url?: string[];
  header?: string[];
  timeout?: string;
  stateDir?: string;
  /** --restart / --no-restart */
  restart?: boolean;
  restartCmd?: string;
  cpuMax?: string;
  iowaitMax?: string;
  maintenanceFile?: string;
}

type RawProbe = Record<string, unknown> & { type: string };

/** Which flag set a config path, for usage errors ("--port: bad port target …"). */
const FLAG_OF_TYPE: Record<string, string> = { process: '--process/--pidfile', port: '--port', http: '--url/--header', cpu: '--cpu-max/--iowait-max' };
const FLAG_OF_KEY: Record<string, string> = { timeout: '--timeout', state_dir: '--state-dir', 'restart.cmd': '--restart-cmd', maintenance_file: '--maintenance-file',
  // `hacheck agent`
  'agent.interval': '--interval', 'agent.timeout': '--cycle-timeout', 'agent.rise': '--rise', 'agent.fall': '--fall', 'agent.definitive_fall': '--definitive-fall',
  'agent.on_exit': '--on-exit', 'agent.metrics.listen': '--metrics-listen',
  'agent.state_file': '--state-file', 'agent.status_file': '--status-file', 'agent.metrics.textfile_dir': '--metrics-dir',
};

/** 'systemctl restart "my nginx"' → argv; quotes group, nothing else is special (no shell runs it). */
export function splitArgv(text: string, flag: string): string[] {
  const out: string[] = [];
  let cur: string | undefined;
  let quote: string | undefined;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      cur ??= '';
    } else if (/\s/.test(ch)) {
      if (cur !== undefined) out.push(cur);
      cur = undefined;
    } else cur = (cur ?? '') + ch;
  }
  if (quote) throw new ConfigError(`${flag}: unbalanced quote in "${text}"`, 'usage');
  if (cur !== undefined) out.push(cur);
  if (out.length === 0) throw new ConfigError(`${flag}: empty command`, 'usage');
  return out;
}

/** "90", "92.5" or "90%" → the number; anything else (0x50, 1e2, +80: Number() would take them) goes to the schema as is, for its message. */
function pct(text: string): unknown {
  const m = /^(-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?)%?$/.exec(text.trim());
  return m ? Number(m[1]) : text;
}

/** --header lines → {Name: value}; a later flag replaces an earlier one of any spelling. */
function headerMap(lines: string[]): HeaderRecord {
  const out = new HeaderMap();
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i <= 0) throw new ConfigError(`--header: bad header "${line}": use "Name: value"`, 'usage');
    out.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  return out.toRecord();
}

/** Flag headers over a file's http probe: they replace the probe's and each URL's fields of the same name, whatever the case. */
function withFlagHeaders(p: RawProbe, flags: HeaderRecord): RawProbe {
  const urls = Array.isArray(p.urls)
    ? p.urls.map((u: unknown) => (u && typeof u === 'object' && 'headers' in u ? { ...u, headers: mergeHeaders((u as { headers: HeaderRecord }).headers, flags) } : u))
    : p.urls;
  return { ...p, headers: mergeHeaders(p.headers as HeaderRecord | undefined, flags), urls };
}

/** Returns a copy of the raw file config with the flags laid over it. */
export function overlay(raw: Record<string, unknown>, f: ProbeFlags): Record<string, unknown> {
  const out: Record<string, unknown> = { ...raw };
  if (f.timeout !== undefined) out.timeout = f.timeout;
  if (f.stateDir !== undefined) out.state_dir = f.stateDir;
  if (f.maintenanceFile !== undefined) out.maintenance_file = f.maintenanceFile;
  if (f.restart !== undefined || f.restartCmd !== undefined) {
    const r = { ...(raw.restart as object | undefined) } as Record<string, unknown>;
    if (f.restart !== undefined) r.enabled = f.restart;
    if (f.restartCmd !== undefined) r.cmd = splitArgv(f.restartCmd, '--restart-cmd');
    out.restart = r;
  }
  let probes = [...((raw.probes as RawProbe[] | undefined) ?? [])];
  const replace = (type: string, entry: RawProbe) => {
    probes = [...probes.filter((p) => p?.type !== type), entry];
  };
  if (f.process !== undefined || f.pidfile !== undefined) {
    replace('process', { type: 'process', ...(f.process !== undefined && { process: f.process }), ...(f.pidfile !== undefined && { pidfile: f.pidfile }) });
  }
  if (f.port?.length) replace('port', { type: 'port', targets: f.port });
  const headers = headerMap(f.header ?? []);
  if (f.url?.length) {
    replace('http', { type: 'http', headers, urls: f.url });
  } else if (f.header?.length) {
    if (!probes.some((p) => p?.type === 'http')) throw new ConfigError('--header: no URL to send it with: add --url (or an http probe in the config file)', 'usage');
    probes = probes.map((p) => (p?.type === 'http' ? withFlagHeaders(p, headers) : p));
  }
  if (f.cpuMax !== undefined || f.iowaitMax !== undefined) {
    const cpu = probes.find((p) => p?.type === 'cpu') ?? { type: 'cpu' };
    replace('cpu', { ...cpu, ...(f.cpuMax !== undefined && { busy_max: pct(f.cpuMax) }), ...(f.iowaitMax !== undefined && { iowait_max: pct(f.iowaitMax) }) });
  }
  out.probes = probes;
  return out;
}

/** File (errors → 78 with line), then flags (errors → 64), then the default probe. */
/**
 * The resource probes (cpu nginx_max, memory nginx_rss_max, io nginx_*) watch the
 * nginx the process probe watches: one without its own `pidfile` takes that of
 * the (first) process probe of the same comm, so it counts that master's
 * processes only — a second nginx on the host, or a master run by another user
 * the pid file vouches for, is then counted as the process probe counts it.
 */
function inheritPidfile(probes: RawProbe[]): void {
  for (const p of probes) {
    if (!['cpu', 'memory', 'io'].includes(p.type as string) || (p as { pidfile?: string }).pidfile !== undefined) continue;
    const from = probes.find((q) => q.type === 'process' && (q as { pidfile?: string }).pidfile !== undefined && (q as { process?: string }).process === (p as { process?: string }).process);
    if (from) (p as { pidfile?: string }).pidfile = (from as { pidfile?: string }).pidfile;
  }
}

export function resolveConfig(f: ProbeFlags, extraOverlay?: (raw: Record<string, unknown>) => void): Config & { configPath?: string } {
  // a piped config is not waited for past the run's deadline (--timeout, else the default), counted from process start
  // (less a margin for the 78 line and the exit, as the check keeps one)
  const deadline = Math.max(((f.timeout !== undefined ? parseDuration(f.timeout) : undefined) ?? DEFAULT_READ_DEADLINE_MS) - 30, performance.now() + 100);
  const loaded = loadFile(f.config, deadline);
  validate(loaded, 'config');
  const merged = overlay(loaded.raw, f);
  extraOverlay?.(merged);
  // --cpu-max/--iowait-max add to the default nginx probe, they do not replace it.
  const flagAddOnly = !(loaded.raw.probes as unknown[] | undefined)?.length && (merged.probes as RawProbe[]).every((p) => p.type === 'cpu');
  if (flagAddOnly) merged.probes = [{ type: 'process', process: 'nginx' }, ...(merged.probes as RawProbe[])];
  const cfg = validate({ raw: merged }, 'usage', (path) => {
    const m = /^probes\[(\d+)\]/.exec(path);
    if (m) return FLAG_OF_TYPE[(merged.probes as RawProbe[])[Number(m[1])]?.type] ?? path;
    // definitive_fall <= fall spans two keys: a file valid on its own fails here only through a flag, name the one given
    const given = f as { fall?: string; definitiveFall?: string; cycleTimeout?: string; agentTimeout?: string };
    if (path === 'agent.definitive_fall' && given.definitiveFall === undefined && given.fall !== undefined) return '--fall';
    // the agent's --timeout is its cycle deadline, under either name
    if (path === 'agent.timeout' && given.cycleTimeout === undefined && given.agentTimeout !== undefined) return '--timeout';
    return FLAG_OF_KEY[path] ?? path;
  });
  inheritPidfile(cfg.probes as RawProbe[]);
  // keepalived's script security, for the commands and the trust anchors a config hands to root
  requireTrusted(loaded, cfg);
  requireTrustedCaFiles(cfg, loaded.path, deadline);
  // where root keeps its state: never the kernel's files (/dev, /proc, /sys) (src/config/write-paths.ts); a log
  // file there is never opened either, but a log that cannot be opened does not stop a check (logged to stderr)
  requireWritablePaths([
    { key: 'state_dir', flag: '--state-dir', byFlag: f.stateDir !== undefined, path: cfg.state_dir, kind: 'dir', does: 'hacheck keeps its state files there', example: '/run/hacheck' },
  ]);
  return { ...cfg, configPath: loaded.path };
}
