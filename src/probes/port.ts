// port: TCP connect to each [host:]port target (IPv4 and IPv6), bounded by the deadline.
import { Socket, isIP } from 'node:net';
import { startupSnapshot } from 'node:v8';
import { networkInterfaces } from 'node:os';
import * as v from 'valibot';
import { severity, probeName, numericHostProblem, portNumber } from '../config/units.js';
import { lookupFor } from '../sys/resolve.js';
import { onAbort } from '../sys/abort.js';
import { listSome, mapLimited, MAX_IN_FLIGHT } from './limit.js';
import { remainingMs, type Check, type ProbeContext, type Prober } from './types.js';

export interface HostPort { host: string; port: number }

/**
 * "80" → 127.0.0.1:80, "10.0.0.1:80", "[::1]:80", "localhost:8080". The port in
 * decimal without a sign or leading zero (portNumber), a numeric host only as a
 * dotted quad (numericHostProblem: 127.1 is refused, not read as 127.0.0.1).
 */
export function parseHostPort(text: string): HostPort | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]:|([^:\[\]\s]+):)?(\d{1,5})$/.exec(text.trim());
  if (!m) return undefined;
  const port = portNumber(m[3]);
  if (port === undefined || (m[2] !== undefined && numericHostProblem(m[2]))) return undefined;
  return { host: m[1] ?? m[2] ?? '127.0.0.1', port };
}

export function fmtHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

const target = v.pipe(
  v.union([v.string(), v.number()], 'expected a port or "host:port"'),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const hp = parseHostPort(String(dataset.value));
    if (!hp) {
      const host = /^([^:\[\]\s]+):\d+$/.exec(String(dataset.value).trim())?.[1];
      const why = host ? numericHostProblem(host) : undefined;
      addIssue({ message: `bad port target "${dataset.value}": ${why ?? 'use PORT, HOST:PORT or [IPv6]:PORT with port 1-65535 in decimal, without a sign or leading zero'}` });
      return NEVER;
    }
    return hp;
  }),
);

export const schema = v.strictObject({
  type: v.literal('port'),
  name: probeName,
  severity,
  targets: v.pipe(v.array(target), v.minLength(1, 'port probe needs at least one target')),
});
export type PortConfig = v.InferOutput<typeof schema>;

/**
 * A host that is this machine: loopback (127.0.0.0/8, ::1, "localhost") or an
 * address of one of its interfaces. Only then is ECONNREFUSED definitive
 * evidence: the kernel answers a SYN to a port nobody listens on with a RST
 * (RFC 9293 3.10.7.1), and a full accept queue drops SYNs instead (Linux
 * tcp_abort_on_overflow 0, the default), so CPU contention cannot produce it.
 * From a remote host a RST may come from a firewall rule (REJECT with tcp-reset).
 */
export function isLocalHost(host: string): boolean {
  if (host === 'localhost' || host === '::1' || host.startsWith('127.')) return true;
  if (!isIP(host)) return false;
  return Object.values(networkInterfaces()).some((list) => list?.some((a) => a.address === host));
}

/** isIP per host text, remembered (net's isIP runs a regular expression, which --jitless interprets) */
const ipHosts = new Map<string, boolean>();
function isIpCached(host: string): boolean {
  let ip = ipHosts.get(host);
  if (ip === undefined) {
    if (ipHosts.size > 4096) ipHosts.clear();
    ipHosts.set(host, (ip = isIP(host) !== 0));
  }
  return ip;
}

/**
 * Closed sockets kept for the next connect: net.Socket.connect() reconnects a
 * socket once its 'close' was emitted (Node's net docs, socket.connect()), and
 * building a Socket (its stream states, event emitter, async ids) was the
 * larger part of a connect's JavaScript in the interpreter. None while a
 * start-up snapshot is built: an object of a closed handle would be in it.
 */
const spare: Socket[] = [];
const SPARE_MAX = 4;

/** One TCP connect, bounded by the deadline; a host name is resolved without the thread pool (src/sys/resolve.ts). */
export function tcpConnect(hp: HostPort, ctx: ProbeContext): Promise<Check> {
  const t0 = performance.now();
  const left = remainingMs(ctx);
  const expect = 'TCP connect';
  return new Promise((resolve) => {
    const ip = isIpCached(hp.host);
    let resolving = !ip;
    // The deadline is the run's signal (src/probes/run.ts aborts it then): no timer of our own, and
    // not net's socket timeout, which lives until the socket's 'close' (one pending when the binary's
    // start-up snapshot is taken, right after its warm-up check, left the deserialised process with
    // no working timer; src/sea-main.ts).
    const sock = spare.pop() ?? new Socket();
    const finish = (ok: boolean, reason?: string, timedOut = false, code = 'error') => {
      sock.removeListener('connect', onConnect);
      sock.removeListener('error', onError);
      sock.destroy();
      // the bound at 'close', when it is pushed: targets finishing together all see the list as it was
      if (!startupSnapshot.isBuildingSnapshot()) sock.once('close', () => { if (spare.length < SPARE_MAX) spare.push(sock); });
      dropAbort();
      const took = performance.now() - t0;
      const definitive = code === 'ECONNREFUSED' && isLocalHost(hp.host);
      resolve({ target: fmtHostPort(hp), ok, expect, durationMs: took, reason, timedOut,
        value: ok ? `connected in ${took.toFixed(1)} ms` : timedOut ? 'no answer' : code,
        ...(timedOut && { startedWithMs: Math.round(left) }),
        ...(!ok && { evidence: definitive ? 'definitive' as const : 'ambiguous' as const }) });
    };
    const onConnect = () => finish(true);
    const onError = (e: NodeJS.ErrnoException) => finish(false, e.message, e.code === 'ETIMEOUT', e.code);
    const onDeadline = () => finish(false, resolving ? `DNS: no address for ${hp.host} before the deadline (name server not answering)` : 'deadline reached before the connection completed', true);
    const dropAbort = onAbort(ctx.signal, onDeadline);
    // an already aborted signal never fires 'abort' again
    if (ctx.signal.aborted) return onDeadline();
    sock.once('connect', onConnect);
    sock.once('error', onError);
    // an address needs no lookup function (net connects to it as it is)
    sock.connect(ip ? { host: hp.host, port: hp.port } : { host: hp.host, port: hp.port, lookup: lookupFor(ctx.signal, Math.max(1, remainingMs(ctx)), () => (resolving = false)) });
  });
}

export const prober: Prober<PortConfig> = {
  schema,
  async run(cfg, ctx) {
    const checks = await mapLimited(cfg.targets, ctx, (t) => tcpConnect(t, ctx), (t, ahead): Check => ({
      target: fmtHostPort(t), ok: false, value: 'no answer', expect: 'TCP connect', timedOut: true, durationMs: 0,
      reason: `not started before the deadline (${ahead} targets ahead of it, at most ${MAX_IN_FLIGHT} at a time)`,
    }));
    const bad = checks.filter((c) => !c.ok);
    // a refusal says it all; a DNS failure or a deadline is named (the first one)
    const why = bad.find((c) => c.value !== 'ECONNREFUSED')?.reason;
    return {
      ok: bad.length === 0,
      checks,
      summary: bad.length ? `${listSome(bad.map((c) => c.target))} not accepting connections${why ? ` (${why})` : ''}` : `${checks.length}/${checks.length} ports open`,
    };
  },
  targets: (cfg) => cfg.targets.map(fmtHostPort),
};
