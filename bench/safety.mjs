// npm run bench:safety — does the `hacheck init --fast` setup move a healthy VIP?
// In the real keepalived lab of test/e2e/lab.ts (VRRPv3 advert_int 0.1,
// priorities 254/250, agent every 100 ms, cycle deadline 300 ms, fall 2 /
// definitive_fall 1: test/e2e/modes.ts fast()), nothing is broken, and for
// SAFETY_SECONDS (30) each:
//   idle:        no load
//   cpu:         every CPU saturated, stress-ng --cpu <nproc> started in both LB
//                namespaces (bounded: --timeout, and killed by PID after the phase)
//   cpu+client:  the same, plus wrk against the VIP from the client namespace
//                (1 thread, 8 connections, bounded by -d and killed by PID)
// Each phase SAFETY_RUNS (3) times, each on a freshly started pair. Counted: VIP
// moves (MASTER transitions from keepalived's notify), requests failed for a
// client GETting the VIP every 50 ms (500 ms timeout), the agents' longest cycle
// and skipped ticks (status file: cycle_ms_max, overruns). Target: 0 moves.
// Then the agent's CPU (utime+stime of the agent in lb1, % of one core) idle at
// --interval 50/100/200 ms for SAFETY_CPU_SECONDS (20) each, with the lab's
// probes (process by pidfile, port, one URL).
// Rows: SAFETY_ONLY=fast,fall1,deadline100 (default fast); fall1 = fall 1
// ungraded, deadline100 = the cycle deadline equal to the 100 ms interval.
// BENCH_BIN=/path/to/hacheck runs that executable (a copy outside the checkout keeps
// a rebuild or an `npm ci` during the runs from changing or removing it); default:
// dist/hacheck if built and fresh, else the bundle on the pinned Node (test/e2e/lab.ts).
// Needs root, `ip netns`, stress-ng and wrk. The machine is shared: the load
// average before and after each phase is printed; read figures with it.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { Lab, labUnavailable, sleep, VIP } from '../test/e2e/lab.ts';
import { fast } from '../test/e2e/modes.ts';

const SECONDS = Number(process.env.SAFETY_SECONDS ?? 30);
const RUNS = Number(process.env.SAFETY_RUNS ?? 3);
const CPU_SECONDS = Number(process.env.SAFETY_CPU_SECONDS ?? 20);
const PHASES = (process.env.SAFETY_PHASES ?? 'idle,cpu,cpu+client').split(',');
const ONLY = (process.env.SAFETY_ONLY ?? 'fast').split(',');
const NCPU = cpus().length;

const why = labUnavailable() ?? (['stress-ng', 'wrk'].map((b) => spawnSync('sh', ['-c', `command -v ${b}`]).status === 0 ? undefined : `${b} is not installed`).find(Boolean));
if (why) {
  console.error(`bench:safety: cannot run: ${why}`);
  process.exit(2);
}

const lab = new Lab();
const rows = {
  fast: { name: 'init --fast (fall 2 graded, deadline 300 ms)', opts: () => fast(lab.hacheck) },
  fall1: { name: 'init --fast with fall 1 (ungraded)', opts: () => fast(lab.hacheck, { fall: 1 }) },
  deadline100: { name: 'init --fast with a 100 ms cycle deadline', opts: () => fast(lab.hacheck, { cycleTimeout: '100ms' }) },
};
const la = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const killPid = (p) => {
  try {
    if (p?.pid) process.kill(p.pid, 'SIGKILL');
  } catch { /* done */ }
};
function agentStatus(lb) {
  const s = lab.stacks.get(lb);
  const f = s && join(s.dir, 'status.json');
  try {
    return f && existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : undefined;
  } catch {
    return undefined;
  }
}
function cpuTicks(pid) {
  const t = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = t.slice(t.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}
function rssKiB(pid) {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
}

const results = [];
const cpuRows = [];
try {
  await lab.setup();
  if (process.env.BENCH_BIN) lab.hacheck = process.env.BENCH_BIN;
  console.error(`lab up (${lab.tag}); hacheck = ${lab.hacheck}; ${NCPU} CPUs; ${RUNS} runs × ${SECONDS} s per phase; load average ${la()}`);
  for (const key of ONLY) {
    const row = rows[key];
    if (!row) throw new Error(`SAFETY_ONLY: unknown row ${key} (${Object.keys(rows).join(', ')})`);
    for (let run = 1; run <= RUNS; run++) {
      for (const phase of PHASES) {
        await lab.start(row.opts());
        const loadBefore = la();
        const since = Date.now();
        const load = [];
        if (phase.startsWith('cpu')) {
          for (const lb of ['lb1', 'lb2']) load.push(lab.run(lb, ['stress-ng', '--cpu', String(NCPU), '--timeout', `${SECONDS}s`, '--quiet']));
        }
        if (phase === 'cpu+client') load.push(lab.run('cli', ['wrk', '-t1', '-c8', `-d${SECONDS}s`, '--timeout', '2s', `http://${VIP}/`]));
        let r;
        try {
          r = await lab.client({ duration: SECONDS * 1000, every: 50, timeout: 500 });
        } finally {
          for (const p of load) killPid(p);
        }
        const moves = lab.moves(since);
        const st = { lb1: agentStatus('lb1'), lb2: agentStatus('lb2') };
        const faults = lab.readEvents().filter((e) => e.t >= since && e.state === 'FAULT');
        const res = {
          row: key, run, phase, moves: moves.length, faults: faults.length, failed: r.failed, requests: r.requests,
          cycleMaxMs: Math.max(st.lb1?.cycle_ms_max ?? 0, st.lb2?.cycle_ms_max ?? 0), overruns: (st.lb1?.overruns ?? 0) + (st.lb2?.overruns ?? 0),
          loadBefore, loadAfter: la(),
          reasons: moves.length || faults.length ? lab.logs().split('\n').filter((l) => /hacheck agent:.*→|FAULT|Receive advertisement timeout|Entering/.test(l)).slice(-8) : [],
        };
        results.push(res);
        console.error(`${row.name} run ${run} ${phase.padEnd(10)} VIP moves ${res.moves}, FAULTs ${res.faults}, failed ${res.failed}/${res.requests}, longest agent cycle ${res.cycleMaxMs} ms, skipped ticks ${res.overruns}; load ${loadBefore} → ${res.loadAfter}`);
        for (const l of res.reasons) console.error(`  ${l}`);
      }
    }
  }
  // agent CPU, idle, by interval (the same probes, graded fall, deadline 300 ms)
  for (const interval of [50, 100, 200]) {
    await lab.start(fast(lab.hacheck, { interval: `${interval}ms` }));
    await sleep(3000); // past start-up
    const [pid] = lab.nsProcs('lb1', undefined, 'agent');
    if (!pid) throw new Error('no agent process in lb1');
    const t0 = cpuTicks(pid);
    const c0 = agentStatus('lb1')?.cycle ?? 0;
    const w0 = performance.now();
    await sleep(CPU_SECONDS * 1000);
    const ticks = cpuTicks(pid) - t0;
    const wall = performance.now() - w0;
    const cycles = (agentStatus('lb1')?.cycle ?? 0) - c0;
    const row = { interval, cpuPct: +((ticks * 10 / wall) * 100).toFixed(2), cycles, cpuMsPerCycle: +((ticks * 10) / Math.max(1, cycles)).toFixed(2), rssMiB: +(rssKiB(pid) / 1024).toFixed(1), load: la() };
    cpuRows.push(row);
    console.error(`agent --interval ${interval}ms: ${row.cpuPct} % of one core over ${CPU_SECONDS} s (${cycles} cycles, ${row.cpuMsPerCycle} ms CPU per cycle), RSS ${row.rssMiB} MiB; load ${row.load}`);
  }
} finally {
  lab.teardown();
}

const out = [];
out.push(`\nSafety benchmark: nothing broken, ${SECONDS} s per phase, ${RUNS} runs each, a fresh pair per run; client GET of the VIP every 50 ms (500 ms timeout); stress-ng --cpu ${NCPU} in both LB namespaces; wrk -t1 -c8 at the VIP. hacheck: ${lab.hacheck}. Load average at the end ${la()} (the machine is shared: see the per-run load above).\n`);
out.push('| setup | phase | VIP moves (per run) | FAULTs | failed requests (per run) | longest agent cycle ms (max) | skipped ticks |');
out.push('|---|---|---|---|---|---:|---|');
for (const key of ONLY) {
  for (const phase of PHASES) {
    const rs = results.filter((r) => r.row === key && r.phase === phase);
    if (!rs.length) continue;
    out.push(`| ${rows[key].name} | ${phase} | ${rs.map((r) => r.moves).join(', ')} | ${rs.map((r) => r.faults).join(', ')} | ${rs.map((r) => `${r.failed}/${r.requests}`).join(', ')} | ${Math.max(...rs.map((r) => r.cycleMaxMs))} | ${rs.map((r) => r.overruns).join(', ')} |`);
  }
}
out.push('\n| agent interval | CPU % of one core | ms CPU per cycle | cycles | RSS MiB |');
out.push('|---:|---:|---:|---:|---:|');
for (const c of cpuRows) out.push(`| ${c.interval} ms | ${c.cpuPct} | ${c.cpuMsPerCycle} | ${c.cycles} | ${c.rssMiB} |`);
console.log(out.join('\n'));
if (process.env.BENCH_JSON) (await import('node:fs')).writeFileSync(process.env.BENCH_JSON, JSON.stringify({ results, cpu: cpuRows }, null, 2));
