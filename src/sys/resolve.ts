// Host names for probes without libuv's thread pool. node:net's default lookup
// is getaddrinfo(3) on a pool thread, which cannot be cancelled: with a DNS
// server that does not answer it holds the thread ~10 s (resolv.conf: timeout
// 5 × attempts 2), and process.exit() waits for it (libuv joins its pool
// threads at exit), so a one-shot check outlived its deadline by seconds and
// four such lookups stall the agent's file I/O. Here, as glibc's
// "hosts: files dns": /etc/hosts first (hosts(5)), then "localhost"
// (RFC 6761 section 6.3), then DNS over c-ares (node:dns Resolver, on the event loop,
// cancelled when the run's deadline passes). Unqualified names are not
// expanded with resolv.conf's search list, and NSS modules other than files
// and dns are not consulted: name targets in /etc/hosts or fully qualified.
import { openSync, fstatSync, readSync, closeSync, constants } from 'node:fs';
import { isIP, type LookupFunction } from 'node:net';

export interface Address { address: string; family: 4 | 6 }

const HOSTS = '/etc/hosts';
const HOSTS_MAX = 1024 * 1024;
let hostsCache: { key: string; map: Map<string, Address[]> } | undefined;

/** hosts(5): "address name [aliases…]", # comments; names compared case-insensitively; re-read when the file changes. */
export function hostsFile(path = HOSTS): Map<string, Address[]> {
  let fd: number | undefined;
  try {
    // as glibc reads it: a symlink in root's /etc is root's (NixOS, containers); never block on a FIFO
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const s = fstatSync(fd);
    if (!s.isFile()) return new Map();
    const key = `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`;
    if (hostsCache?.key === key) return hostsCache.map;
    const buf = Buffer.alloc(Math.min(s.size, HOSTS_MAX));
    const n = readSync(fd, buf, 0, buf.length, 0);
    const map = new Map<string, Address[]>();
    for (const raw of buf.toString('latin1', 0, n).split('\n')) {
      const [address, ...names] = raw.replace(/#.*/, '').trim().split(/\s+/);
      const family = isIP(address ?? '');
      if (family !== 4 && family !== 6) continue;
      for (const name of names) {
        const k = name.toLowerCase();
        const list = map.get(k) ?? [];
        if (!list.some((a) => a.address === address)) list.push({ address, family });
        map.set(k, list);
      }
    }
    hostsCache = { key, map };
    return map;
  } catch {
    return new Map();
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

type Dns = typeof import('node:dns');
interface Run { resolver?: InstanceType<Dns['Resolver']>; names: Map<string, Promise<Address[]>> }
/** One resolver and one answer per name for each run (a thousand URLs on one host: one query). */
const runs = new WeakMap<AbortSignal, Run>();

function errno(code: string, name: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${message} (${name})`), { code, hostname: name });
}

function viaDns(name: string, run: Run, signal: AbortSignal, timeoutMs: number): Promise<Address[]> {
  const dns = process.getBuiltinModule('node:dns') as Dns;
  if (!run.resolver) {
    const resolver = new dns.Resolver({ timeout: Math.max(1, Math.floor(timeoutMs)), tries: 2 });
    run.resolver = resolver;
    signal.addEventListener('abort', () => resolver.cancel(), { once: true });
  }
  const resolver = run.resolver;
  const one = (family: 4 | 6) => new Promise<Address[] | NodeJS.ErrnoException>((resolve) => {
    const cb = (err: NodeJS.ErrnoException | null, list: string[]) => resolve(err ?? list.map((address) => ({ address, family })));
    if (family === 4) resolver.resolve4(name, cb);
    else resolver.resolve6(name, cb);
  });
  return Promise.all([one(4), one(6)]).then(([a, b]) => {
    const found = [...(Array.isArray(a) ? a : []), ...(Array.isArray(b) ? b : [])];
    if (found.length) return found;
    const errs = [a, b] as NodeJS.ErrnoException[];
    if (signal.aborted || errs.some((e) => e.code === dns.CANCELLED)) throw errno('ETIMEOUT', name, 'DNS: no answer before the deadline');
    const hard = errs.find((e) => e.code !== dns.NODATA && e.code !== dns.NOTFOUND);
    if (hard) throw errno(hard.code === dns.TIMEOUT ? 'ETIMEOUT' : hard.code ?? 'EAI_FAIL', name, `DNS: ${hard.code === dns.TIMEOUT ? 'no answer' : hard.code}`);
    throw errno('ENOTFOUND', name, 'DNS: no such name');
  });
}

/** Addresses of `name` (IPv4 first from DNS, file order from /etc/hosts); rejects with ENOTFOUND/ETIMEOUT/EAI_FAIL. */
export function resolveName(name: string, signal: AbortSignal, timeoutMs: number): Promise<Address[]> {
  const family = isIP(name);
  if (family === 4 || family === 6) return Promise.resolve([{ address: name, family }]);
  const key = name.toLowerCase().replace(/\.$/, '');
  const fromFile = hostsFile().get(key);
  if (fromFile?.length) return Promise.resolve(fromFile);
  if (key === 'localhost' || key.endsWith('.localhost')) return Promise.resolve([{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }]);
  if (signal.aborted) return Promise.reject(errno('ETIMEOUT', name, 'DNS: no time left before the deadline'));
  let run = runs.get(signal);
  if (!run) runs.set(signal, (run = { names: new Map() }));
  let p = run.names.get(key);
  if (!p) {
    p = viaDns(key, run, signal, timeoutMs);
    run.names.set(key, p);
  }
  return p;
}

/**
 * A `lookup` for net.connect/tls.connect (both its forms: one address, or all
 * of them for autoSelectFamily) over resolveName; `onDone` marks the end of
 * the DNS phase.
 */
export function lookupFor(signal: AbortSignal, timeoutMs: number, onDone?: () => void): LookupFunction {
  return ((hostname: string, options: { family?: number | string; all?: boolean }, cb: (...a: unknown[]) => void) => {
    resolveName(hostname, signal, timeoutMs).then((found) => {
      onDone?.();
      const fam = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : Number(options.family) || 0;
      const list = fam ? found.filter((a) => a.family === fam) : found;
      if (!list.length) return cb(errno('ENOTFOUND', hostname, `no IPv${fam} address`));
      if (options.all) cb(null, list);
      else cb(null, list[0].address, list[0].family);
    }, (e) => cb(e));
  }) as LookupFunction;
}
