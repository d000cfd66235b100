// npm run bench:failover — outage seen by a client of the VIP when nginx on the
// MASTER is killed (-9) or hung (SIGSTOP), in the real keepalived lab of
// test/e2e/lab.ts (network namespaces, two LBs, advert_int 1 everywhere):
//   seed 002 (nmap port 80; restart; /etc/init.d/keepalived stop), seed 004
//   (ps -C nginx; restart; killall keepalived), hacheck one-shot vrrp_script
//   (interval 1, fall 1, weight 0), the same with --restart, and hacheck agent
//   + track_file (--interval 200ms) with the `hacheck status` guard.
// Each run: client GETs the VIP every 20 ms (200 ms timeout); the fault comes
// 1.5-3.5 s in (random phase against the checks' interval); the run lasts
// at least WINDOW ms after the fault (an outage that has not
// ended by then counts as WINDOW, marked ">="). Median of REPS repetitions.
// Needs root and `ip netns`. Env: BENCH_REPS (3), BENCH_WINDOW_MS (6000),
// BENCH_ONLY=variant,variant, BENCH_SCENARIOS=kill,stop, BENCH_JSON=file.
import { writeFileSync } from 'node:fs';
import { Lab, labUnavailable } from '../test/e2e/lab.ts';
import { agent, oneshot, seed } from '../test/e2e/modes.ts';

const REPS = Number(process.env.BENCH_REPS ?? 3);
const WINDOW = Number(process.env.BENCH_WINDOW_MS ?? 6000);
const AT = 1500;

const why = labUnavailable();
if (why) {
  console.error(`bench:failover: cannot run the lab: ${why}`);
  process.exit(2);
}

const lab = new Lab();
const variants = [
  { name: 'seed 002 (nmap, interval 2)', key: 'seed002', opts: () => seed('002') },
  { name: 'seed 004 (ps -C, interval 2)', key: 'seed004', opts: () => seed('004') },
  { name: 'hacheck one-shot (interval 1, fall 1)', key: 'oneshot', opts: () => oneshot(lab.hacheck) },
  { name: 'hacheck one-shot, fail_fast', key: 'oneshotff', opts: () => oneshot(lab.hacheck, { failFast: true }) },
  { name: 'hacheck one-shot --restart', key: 'restart', opts: () => oneshot(lab.hacheck, { restart: true }) },
  { name: 'hacheck agent (200ms) + track_file', key: 'agent', opts: () => agent(lab.hacheck, { interval: '200ms', maxAge: '1s' }) },
  { name: 'hacheck agent (200ms) --restart', key: 'agentrestart', opts: () => agent(lab.hacheck, { interval: '200ms', maxAge: '1s', restart: true }) },
  // same agent, VRRP priorities 254/250 instead of 100/90: the BACKUP takes over
  // after the skew time (256 - its priority)/256 × advert_int = 23 ms, not 648 ms
  { name: 'hacheck agent (200ms), priorities 254/250', key: 'agenthi', opts: () => agent(lab.hacheck, { interval: '200ms', maxAge: '1s', priorities: [254, 250] }) },
].filter((v) => !process.env.BENCH_ONLY || process.env.BENCH_ONLY.split(',').includes(v.key));
const scenarios = [
  { name: 'kill -9', key: 'kill', sig: 'SIGKILL' },
  { name: 'SIGSTOP', key: 'stop', sig: 'SIGSTOP' },
].filter((s) => !process.env.BENCH_SCENARIOS || process.env.BENCH_SCENARIOS.split(',').includes(s.key));

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = [];

try {
  await lab.setup();
  console.error(`lab up (${lab.tag}); hacheck = ${lab.hacheck}; ${REPS} reps, window ${WINDOW} ms after the fault`);
  for (let rep = 1; rep <= REPS; rep++) {
    for (const sc of scenarios) {
      for (const v of variants) {
        await lab.start(v.opts());
        const since = Date.now();
        const c = lab.client({ duration: AT + 2000 + WINDOW });
        // the fault lands at a random phase of the checks' interval (2 s for the seeds)
        await new Promise((r) => setTimeout(r, AT + Math.random() * 2000));
        const faultAt = Date.now();
        lab.signalNginx('lb1', sc.sig);
        const r = await c;
        const moves = lab.moves(since).length;
        const outage = r.unrecovered ? Math.max(r.outageMs, WINDOW) : r.outageMs;
        const row = { rep, scenario: sc.key, variant: v.key, outageMs: outage, unrecovered: r.unrecovered, failed: r.failed, requests: r.requests, moves, servedBy: r.servedBy.join('>'), detectMs: r.firstFail ? r.firstFail - faultAt : null };
        results.push(row);
        console.error(`rep ${rep} ${sc.name.padEnd(8)} ${v.name.padEnd(40)} outage ${r.unrecovered ? '>=' : ''}${outage} ms, failed ${r.failed}/${r.requests}, VIP moves ${moves}, served by ${row.servedBy}`);
      }
    }
  }
} finally {
  lab.teardown();
}

const pad = (s, n) => String(s).padEnd(n);
const lines = [];
lines.push(`| scenario | check | outage ms (median) | mean | failed requests (median) | VIP moves | runs (outage ms) | vs seed 002 | vs seed 004 |`);
lines.push(`|---|---|---:|---:|---:|---:|---|---:|---:|`);
for (const sc of scenarios) {
  const rowsOf = (k) => results.filter((r) => r.scenario === sc.key && r.variant === k);
  const seedMedian = (k) => (rowsOf(k).length ? median(rowsOf(k).map((r) => r.outageMs)) : undefined);
  const seeds = [seedMedian('seed002'), seedMedian('seed004')];
  for (const v of variants) {
    const rs = rowsOf(v.key);
    if (!rs.length) continue;
    const out = median(rs.map((r) => r.outageMs));
    const unrec = rs.filter((r) => r.unrecovered).length > rs.length / 2;
    const ratio = (seedOut) => (seedOut && !v.key.startsWith('seed') ? `${seedOut >= WINDOW ? '≤' : ''}${(out / seedOut).toFixed(2)}×` : '');
    lines.push(`| ${sc.name} | ${v.name} | ${unrec ? '≥' : ''}${out} | ${unrec ? '≥' : ''}${Math.round(rs.reduce((a, r) => a + r.outageMs, 0) / rs.length)} | ${median(rs.map((r) => r.failed))} | ${median(rs.map((r) => r.moves))} | ${rs.map((r) => (r.unrecovered ? '≥' : '') + r.outageMs).join(', ')} | ${ratio(seeds[0])} | ${ratio(seeds[1])} |`);
  }
}
console.log(`\nFailover benchmark: client GET of the VIP every 20 ms, 200 ms timeout; fault 1.5-3.5 s in (random phase); window ${WINDOW} ms; advert_int 1; ${REPS} repetitions, median.\n`);
console.log(lines.join('\n'));
console.log('\n' + pad('', 0) + '≥ = not recovered within the window (the seed scripts never notice a hung nginx).');
if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify(results, null, 2));
