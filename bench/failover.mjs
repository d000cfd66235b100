// npm run bench:failover — outage seen by a client of the VIP when nginx on the
// MASTER is killed (-9) or hung (SIGSTOP), in the real keepalived lab of
// test/e2e/lab.ts (network namespaces, two LBs; VRRPv2 advert_int 1 unless a
// row says otherwise):
//   seed 002 (nmap port 80; restart; /etc/init.d/keepalived stop), seed 004
//   (ps -C nginx; restart; killall keepalived), hacheck one-shot vrrp_script
//   (interval 1, fall 1, weight 0), the same with --restart, and hacheck agent
//   + track_file (--interval 200ms) with the `hacheck status` guard; the
//   one-shot and the agent also with weight -20 (as `hacheck init` writes it)
//   instead of weight 0 (FAULT); and `hacheck init --fast` (VRRPv3 advert_int
//   0.1, priorities 254/250, agent every 100 ms, cycle deadline 300 ms, fall 2 /
//   definitive_fall 1), also with fall 1 (no graded evidence: fall 1 for all).
// Each run: client GETs the VIP every 20 ms (200 ms timeout); the fault comes
// 1.5-3.5 s in (random phase against the checks' interval); the run lasts
// at least WINDOW ms after the fault (an outage that has not
// ended by then counts as WINDOW, marked ">="). Median of REPS repetitions.
// For the rows where the VIP moves, the table also gives keepalived's own
// floor: the BACKUP's takeover delay once the check has failed (FAULT: the
// skew time after the priority-0 advert; a priority drop: the master down
// timer, 3 × advert_int + skew after the last advert it accepted) plus the
// check's detection (its polling interval; shown as min..max). The floor is
// computed from each row's VRRP version and advert_int: VRRPv3's skew time is
// (256 − priority)/256 × advert_int, VRRPv2's (256 − priority)/256 s whatever
// the interval (keepalived 2.2.7 vrrp.h VRRP_TIMER_SKEW_CALC).
// Needs root and `ip netns`. Env: BENCH_REPS (3), BENCH_WINDOW_MS (6000),
// BENCH_ONLY=variant,variant, BENCH_SCENARIOS=kill,stop, BENCH_JSON=file,
// BENCH_BIN=/path/to/hacheck (run that binary; default: `npm run build` and
// dist/hacheck, or the bundle wrapper of test/e2e/lab.ts if the build is stale;
// HACHECK_E2E_BIN=bundle: no build, the bundle dist/hacheck.cjs on the pinned Node).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { Lab, labUnavailable, summarize } from '../test/e2e/lab.ts';
import { agent, fast, oneshot, seed } from '../test/e2e/modes.ts';
import { skewTime } from '../src/keepalived/analyze.ts';

const REPS = Number(process.env.BENCH_REPS ?? 3);
const WINDOW = Number(process.env.BENCH_WINDOW_MS ?? 6000);
const BIN = process.env.BENCH_BIN;
const AT = 1500;
const V2 = { version: 2, advert: 1 }; // the lab's default: VRRPv2, advert_int 1

const why = labUnavailable();
if (why) {
  console.error(`bench:failover: cannot run the lab: ${why}`);
  process.exit(2);
}
if (BIN) {
  if (!existsSync(BIN)) {
    console.error(`bench:failover: BENCH_BIN=${BIN} does not exist`);
    process.exit(2);
  }
} else if (process.env.HACHECK_E2E_BIN !== 'bundle') {
  const b = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}

/**
 * The floor keepalived puts under a VIP move: detection (0..the check's polling
 * interval) + takeover. FAULT: the BACKUP takes over after its skew time.
 * Priority drop: the BACKUP discards the lower-priority adverts and takes over
 * when its master down timer (3 × advert_int + skew) expires, counted from the
 * last advert it accepted, which left the MASTER 0..advert_int before the drop.
 */
function floorOf(f) {
  const { version, advert } = f.vrrp ?? V2;
  // VRRPv2: the skew does not scale with advert_int; v3: it does
  const skew = skewTime(f.prio[1], version === 3 ? advert : 1) * 1000;
  if (f.fault) return { min: skew, takeover: `skew ${+skew.toFixed(1)}`, advertMs: advert * 1000 };
  const down = 3 * advert * 1000 + skew;
  return { min: down - advert * 1000, takeover: `master down ${Math.round(down)}`, advertMs: advert * 1000 };
}

const lab = new Lab();
const hc = () => lab.hacheck;
const W = -20; // hacheck init --priority 100 --peer-priority 90: -(|100 - 90| + 10)
const variants = [
  { name: 'seed 002 (nmap, interval 2)', key: 'seed002', opts: () => seed('002') },
  { name: 'seed 004 (ps -C, interval 2)', key: 'seed004', opts: () => seed('004') },
  { name: 'hacheck one-shot (interval 1, fall 1)', key: 'oneshot', opts: () => oneshot(hc()), floor: { fault: true, detect: 1000, prio: [100, 90] } },
  { name: 'hacheck one-shot, fail_fast', key: 'oneshotff', opts: () => oneshot(hc(), { failFast: true }), floor: { fault: true, detect: 1000, prio: [100, 90] } },
  { name: 'hacheck one-shot, weight -20', key: 'oneshotweight', opts: () => oneshot(hc(), { weight: W }), floor: { fault: false, detect: 1000, prio: [100, 90] } },
  { name: 'hacheck one-shot --restart', key: 'restart', opts: () => oneshot(hc(), { restart: true }), floor: { fault: true, detect: 1000, prio: [100, 90] } },
  { name: 'hacheck agent (200ms) + track_file', key: 'agent', opts: () => agent(hc(), { interval: '200ms', maxAge: '1s' }), floor: { fault: true, detect: 200, prio: [100, 90] } },
  { name: 'hacheck agent (200ms), weight -20', key: 'agentweight', opts: () => agent(hc(), { interval: '200ms', maxAge: '1s', weight: W }), floor: { fault: false, detect: 200, prio: [100, 90] } },
  { name: 'hacheck agent (200ms) --restart', key: 'agentrestart', opts: () => agent(hc(), { interval: '200ms', maxAge: '1s', restart: true }), floor: { fault: true, detect: 200, prio: [100, 90] } },
  // same agent, VRRP priorities 254/250 instead of 100/90: the BACKUP takes over
  // after the skew time (256 - its priority)/256 × advert_int = 23 ms, not 648 ms
  { name: 'hacheck agent (200ms), priorities 254/250', key: 'agenthi', opts: () => agent(hc(), { interval: '200ms', maxAge: '1s', priorities: [254, 250] }), floor: { fault: true, detect: 200, prio: [254, 250] } },
  // `hacheck init --fast` (test/e2e/modes.ts fast(): the numbers init writes)
  { name: 'init --fast (v3 0.1, 254/250, agent 100ms, fall 2 graded)', key: 'fast', opts: () => fast(hc()), floor: { fault: true, detect: 100, prio: [254, 250], vrrp: { version: 3, advert: 0.1 } } },
  { name: 'init --fast with fall 1 (ungraded)', key: 'fastfall1', opts: () => fast(hc(), { fall: 1 }), floor: { fault: true, detect: 100, prio: [254, 250], vrrp: { version: 3, advert: 0.1 } } },
  { name: 'init --fast with fall 2, definitive_fall 2 (ungraded)', key: 'fastfall2', opts: () => fast(hc(), { definitiveFall: 2 }), floor: { fault: true, detect: 100, prio: [254, 250], vrrp: { version: 3, advert: 0.1 } } },
].filter((v) => !process.env.BENCH_ONLY || process.env.BENCH_ONLY.split(',').includes(v.key));
const scenarios = [
  { name: 'kill -9', key: 'kill', sig: 'SIGKILL' },
  { name: 'SIGSTOP', key: 'stop', sig: 'SIGSTOP' },
].filter((s) => !process.env.BENCH_SCENARIOS || process.env.BENCH_SCENARIOS.split(',').includes(s.key));

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** spread: the middle half (25th..75th percentile, nearest rank) and the extremes */
const spread = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.max(0, Math.round(p * (s.length - 1))))];
  return `${q(0.25)}..${q(0.75)} (${s[0]}..${s.at(-1)})`;
};
const mean = (xs) => Math.round(xs.reduce((a, x) => a + x, 0) / xs.length);
const results = [];
const load = [loadavg()];
/** keepalived's log lines of one LB of the last run that tell how the BACKUP took over */
const KEEP = /lower priority|priority 0|Entering|effective priority|Script .* (?:succeeded|failed)|track file|Master down|Received advert/i;
function keepalivedLog(lb) {
  const s = lab.stacks.get(lb);
  const f = s && join(s.dir, 'keepalived.log');
  return f && existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter((l) => KEEP.test(l) && !l.includes('gratuitous ARP')) : [];
}

try {
  await lab.setup();
  if (BIN) lab.hacheck = BIN;
  console.error(`lab up (${lab.tag}); hacheck = ${lab.hacheck}; ${REPS} reps, window ${WINDOW} ms after the fault; load average ${load[0].map((x) => x.toFixed(2)).join(' ')}`);
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
        const all = await c;
        // the outage the fault caused: requests from one client timeout before it on (a failure
        // well before the fault is the loaded machine's, counted apart as preFault)
        const r = summarize(all.recs.filter((x) => x.t >= faultAt - 200));
        const preFault = all.recs.filter((x) => x.t < faultAt - 200 && !x.ok).length;
        const mv = lab.moves(since);
        const moves = mv.length;
        const outage = r.unrecovered ? Math.max(r.outageMs, WINDOW) : r.outageMs;
        // when lb1 left MASTER (FAULT or BACKUP) and lb2 became MASTER, from the notify scripts
        const ev = lab.readEvents().filter((e) => e.t >= faultAt);
        const lb1Left = ev.find((e) => e.lb === 'lb1' && e.state !== 'MASTER');
        const lb2Master = mv.find((e) => e.lb === 'lb2' && e.t >= faultAt);
        const discarded = keepalivedLog('lb2').filter((l) => /lower priority/i.test(l));
        // restarts done on lb1 (modes.ts's restart.sh appends one line each)
        const rf = join(lab.stacks.get('lb1')?.dir ?? '', 'restarts');
        const restarts = existsSync(rf) ? readFileSync(rf, 'utf8').trim().split('\n').filter(Boolean).map((t) => Number(t) - faultAt) : [];
        const row = {
          rep, scenario: sc.key, variant: v.key, outageMs: outage, unrecovered: r.unrecovered, failed: r.failed, requests: r.requests, moves,
          servedBy: r.servedBy.join('>'), detectMs: r.firstFail ? r.firstFail - faultAt : null, lastFailMs: r.lastFail ? r.lastFail - faultAt : null,
          lb1LeftMs: lb1Left ? lb1Left.t - faultAt : null, lb1LeftTo: lb1Left?.state ?? null, lb2MasterMs: lb2Master ? lb2Master.t - faultAt : null,
          preFault, discardedAdverts: discarded.length, load1: +loadavg()[0].toFixed(2), restartsMs: restarts, errors: r.errors,
          ...(rep === 1 && v.floor && { log: { lb1: keepalivedLog('lb1').slice(-12), lb2: keepalivedLog('lb2').slice(-12) } }),
        };
        results.push(row);
        console.error(`rep ${rep} ${sc.name.padEnd(8)} ${v.name.padEnd(42)} outage ${r.unrecovered ? '>=' : ''}${outage} ms, failed ${r.failed}/${r.requests}, VIP moves ${moves}, served by ${row.servedBy}` +
          (lb2Master ? `; lb1 → ${row.lb1LeftTo ?? '?'} at +${row.lb1LeftMs ?? '?'} ms, lb2 MASTER at +${row.lb2MasterMs} ms` : '') + (discarded.length ? `; lb2 discarded ${discarded.length} lower-priority adverts` : '') + (restarts.length ? `; restarts at +${restarts.join(', +')} ms` : '') + (r.failed ? `; failures +${row.detectMs}..+${row.lastFailMs} ms ${JSON.stringify(r.errors)}` : '') + (preFault ? `; ${preFault} failed before the fault (load)` : ''));
        if (row.log && lb2Master) console.error(`  keepalived lb2: ${row.log.lb2.slice(-6).join('\n  keepalived lb2: ')}`);
      }
    }
  }
} finally {
  lab.teardown();
}
load.push(loadavg());

const lines = [];
lines.push(`| scenario | check | outage ms (median) | spread: IQR (min..max) | mean | failed requests (median) | VIP moves | lb2 MASTER after the fault, ms (median) | keepalived floor ms | runs (outage ms) | vs seed 002 | vs seed 004 |`);
lines.push(`|---|---|---:|---|---:|---:|---:|---:|---|---|---:|---:|`);
const floorNotes = [];
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
    const moved = median(rs.map((r) => r.moves)) >= 1;
    const took = rs.map((r) => r.lb2MasterMs).filter((x) => x !== null);
    let floor = '';
    if (moved && v.floor) {
      const f = floorOf(v.floor);
      const vs = seeds.map((sd, i) => (sd && sd < WINDOW ? ` = ${(f.min / sd).toFixed(2)}× seed ${i ? '004' : '002'}` : '')).filter(Boolean);
      const vr = v.floor.vrrp ?? V2;
      floor = `${+f.min.toFixed(1)} (VRRPv${vr.version} advert_int ${vr.advert}: ${f.takeover}${v.floor.fault ? '' : ` − ≤ ${f.advertMs} advert phase`}) + detection (${v.floor.detect} ms interval)`;
      if (vs.length) floorNotes.push(`${sc.name}, ${v.name}: floor ${Math.round(f.min)} ms${vs.join(',')}`);
    }
    lines.push(`| ${sc.name} | ${v.name} | ${unrec ? '≥' : ''}${out} | ${spread(rs.map((r) => r.outageMs))} | ${unrec ? '≥' : ''}${mean(rs.map((r) => r.outageMs))} | ${median(rs.map((r) => r.failed))} | ${median(rs.map((r) => r.moves))} | ${took.length ? median(took) : ''} | ${floor} | ${rs.map((r) => (r.unrecovered ? '≥' : '') + r.outageMs).join(', ')} | ${ratio(seeds[0])} | ${ratio(seeds[1])} |`);
  }
}
const la = (l) => l.map((x) => x.toFixed(2)).join(' ');
const l1 = results.map((r) => r.load1).sort((a, b) => a - b);
if (l1.length) load.push([l1[0], median(l1), l1.at(-1)]);
console.log(`\nFailover benchmark: client GET of the VIP every 20 ms, 200 ms timeout; fault 1.5-3.5 s in (random phase); window ${WINDOW} ms; VRRPv2 advert_int 1 unless the row says otherwise; ${REPS} repetitions, median. hacheck: ${BIN ?? lab.hacheck}. Load average (1/5/15 min) at start ${la(load[0])}, at end ${la(load[1])}${load[2] ? `; 1-min load over the runs min/median/max ${la(load[2])}` : ''}.\n`);
console.log(lines.join('\n'));
console.log('\n≥ = not recovered within the window (the seed scripts never notice a hung nginx).');
console.log(`keepalived floor: the least outage possible when the VIP moves, with a detection of 0 ms: the BACKUP's takeover (FAULT: the skew time, VRRPv3 (256 − the BACKUP's priority)/256 × advert_int, VRRPv2 (256 − priority)/256 s whatever advert_int; weight: the master down timer 3 × advert_int + skew from the last advert it accepted, 0..1 advert_int before the drop).`);
for (const n of floorNotes) console.log(`- ${n}`);
if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify({ load, bin: BIN ?? null, reps: REPS, window: WINDOW, results }, null, 2));
