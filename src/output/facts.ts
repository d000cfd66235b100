// What each numeric fact a probe measures (ProbeResult.metrics) is, for the two
// monitoring outputs that publish it: its Prometheus family (name with the unit
// in it, base units, type) and its Nagios perfdata unit and bounds. One table,
// so a fact added to a probe is one line here; a key not listed still reaches
// Prometheus as the deprecated hacheck_probe_value{metric} and Nagios unitless.
//
// Prometheus naming: https://prometheus.io/docs/practices/naming/ (base units:
// seconds, bytes, ratios 0-1 as _ratio; _total only on counters).
// Nagios perfdata: https://www.monitoring-plugins.org/doc/guidelines.html#AEN200
// (UOM one of s ms us % B KB MB TB c; min/max hold the value).
import { availableParallelism, cpus } from 'node:os';

export interface Fact {
  /** Prometheus family name (hacheck_ prefix, unit suffix) */
  name: string;
  type: 'gauge' | 'counter';
  help: string;
  /** multiply the probe's value by this to get the family's base unit (percent → ratio: 0.01) */
  scale: number;
  /** Nagios UOM for the probe's own value */
  uom: '' | 's' | 'ms' | 'us' | '%' | 'B' | 'KB' | 'MB' | 'TB' | 'c';
  /** Nagios max (the value's natural bound); undefined = none declared */
  max?: () => number;
  /** the threshold is a minimum (Nagios range "N:"), not a maximum */
  atLeast?: boolean;
}

/** nginx CPU is % of one core: its bound is 100 × the online CPUs (nginx's own affinity may be wider than ours). */
const cpuBound = () => 100 * Math.max(cpus().length, availableParallelism());
const pct = (name: string, help: string, extra: Partial<Fact> = {}): Fact => ({ name, type: 'gauge', help, scale: 0.01, uom: '%', max: () => 100, ...extra });
const gauge = (name: string, help: string, uom: Fact['uom'] = '', scale = 1): Fact => ({ name, type: 'gauge', help, scale, uom });

export const FACTS: Record<string, Fact> = {
  // cpu
  busy_pct: pct('hacheck_cpu_busy_ratio', 'system CPU busy (not idle, not iowait) over the window, 0-1'),
  iowait_pct: pct('hacheck_cpu_iowait_ratio', 'system CPU iowait over the window, 0-1'),
  steal_pct: pct('hacheck_cpu_steal_ratio', 'system CPU steal (hypervisor) over the window, 0-1'),
  nginx_pct: pct('hacheck_nginx_cpu_ratio', "nginx processes' CPU time per second of the window (1 = one full core)", { max: cpuBound }),
  // io
  read_bps: gauge('hacheck_disk_read_bytes_per_second', 'disk read rate over the window'),
  write_bps: gauge('hacheck_disk_write_bytes_per_second', 'disk write rate over the window'),
  nginx_read_bps: gauge('hacheck_nginx_read_bytes_per_second', "nginx processes' storage read rate over the window (/proc/<pid>/io read_bytes)"),
  nginx_write_bps: gauge('hacheck_nginx_write_bytes_per_second', "nginx processes' storage write rate over the window (/proc/<pid>/io write_bytes)"),
  // memory
  available_pct: pct('hacheck_memory_available_ratio', 'MemAvailable / MemTotal (/proc/meminfo), 0-1', { atLeast: true }),
  available_bytes: gauge('hacheck_memory_available_bytes', 'MemAvailable (/proc/meminfo)', 'B'),
  nginx_rss_bytes: gauge('hacheck_nginx_resident_memory_bytes', "sum of nginx processes' RSS", 'B'),
  // process: nginx's processes by role (docs/configuration.md, nginx process states)
  masters: gauge('hacheck_nginx_master_processes', 'process: nginx master processes found'),
  workers: gauge('hacheck_nginx_worker_processes', "process: the judged master's workers that take new connections"),
  workers_shutting_down: gauge('hacheck_nginx_worker_processes_shutting_down', "process: the judged master's workers finishing old connections (after a reload)"),
  cache_processes: gauge('hacheck_nginx_cache_processes', "process: the judged master's cache manager and loader"),
  orphans: gauge('hacheck_nginx_orphan_processes', 'process (name mode, all of /proc read): workers whose master is gone'),
  // cpu, io, memory: which processes the nginx figures cover
  nginx_processes: gauge('hacheck_nginx_processes', 'processes with the configured name (kernel comm) the nginx figures cover'),
  // stub_status (https://nginx.org/en/docs/http/ngx_http_stub_status_module.html#data)
  active: gauge('hacheck_nginx_connections_active', 'stub_status: active client connections, including waiting'),
  reading: gauge('hacheck_nginx_connections_reading', 'stub_status: connections where nginx is reading the request header'),
  writing: gauge('hacheck_nginx_connections_writing', 'stub_status: connections where nginx is writing the response'),
  waiting: gauge('hacheck_nginx_connections_waiting', 'stub_status: idle keepalive connections'),
  requests: { name: 'hacheck_nginx_http_requests_total', type: 'counter', help: 'stub_status: client requests since nginx started (restarts from 0 with nginx)', scale: 1, uom: 'c' },
  dropped: gauge('hacheck_nginx_connections_dropped', 'stub_status: connections accepted but not handled during the window (accepts - handled delta)'),
  // http
  urls_ok: gauge('hacheck_http_urls_ok', 'URLs of the http probe that passed in the last cycle'),
  urls_total: gauge('hacheck_http_urls', 'URLs the http probe checks'),
  // windowed probes
  window_ms: gauge('hacheck_probe_window_seconds', 'length of the sample window the rates were measured over', 'ms', 0.001),
  breach_streak: gauge('hacheck_probe_breach_streak', 'consecutive cycles with a threshold breached (the probe fails at its configured count)'),
};
