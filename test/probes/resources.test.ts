// Resource probes against the real machine: a real CPU burner, real /proc.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hacheck } from '../fixtures/hacheck.ts';
import { keepSamples, streak, sampleWindow, type WindowConfig } from '../../src/probes/window.ts';
import { parseStubStatus } from '../../src/probes/stub-status.ts';
import { parseProcStat } from '../../src/probes/cpu.ts';
import type { ProbeContext } from '../../src/probes/types.ts';

function tmp(t: { after: (fn: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), 'hacheck-res-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** A child spinning one core, stopped by pid when the test ends. */
async function burner(t: { after: (fn: () => void) => void }): Promise<void> {
  const c = spawn(process.execPath, ['-e', 'process.stdout.write("go\\n"); for (;;) {}'], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.after(() => { c.kill('SIGKILL'); });
  await new Promise((r) => c.stdout!.once('data', r));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const W: WindowConfig = { for: 3, window: 100, max_age: 60_000, sample: 50 };
const ctxIn = (stateDir: string, ms = 1000): ProbeContext => ({ signal: new AbortController().signal, deadline: performance.now() + ms, stateDir, name: 'cpu' });

test('a CPU burner pushes system busy % over a low threshold: exit 1, naming the probe', async (t) => {
  const d = tmp(t);
  await burner(t);
  const cfg = join(d, 'cpu.yaml');
  writeFileSync(cfg, `state_dir: ${d}/state\ntimeout: 2s\nprobes:\n  - type: cpu\n    busy_max: 20\n    sample: 300ms\n`);
  const r = await hacheck('-c', cfg, '--json');
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const rep = JSON.parse(r.stdout);
  const cpu = rep.probes.find((p: { kind: string }) => p.kind === 'cpu');
  assert.ok(cpu.metrics.busy_pct > 20, `busy ${cpu.metrics.busy_pct}%`);
  assert.match(rep.reasons[0], /^cpu: busy [\d.]+% > 20%/);
});

test('for: 3 — two breaching runs are warnings (exit 0), the third is critical (exit 1); the window comes from the previous run', async (t) => {
  const d = tmp(t);
  await burner(t);
  const cfg = join(d, 'cpu.yaml');
  writeFileSync(cfg, `state_dir: ${d}/state\ntimeout: 2s\nprobes:\n  - type: cpu\n    busy_max: 20\n    for: 3\n    window: 100ms\n    sample: 300ms\n`);
  const runs = [];
  for (let i = 0; i < 3; i++) {
    runs.push(JSON.parse((await hacheck('-c', cfg, '--json')).stdout));
    await sleep(150);
  }
  assert.deepEqual(runs.map((r) => r.exit_code), [0, 0, 1]);
  assert.deepEqual(runs.map((r) => r.verdict), ['warning', 'warning', 'unhealthy']);
  assert.match(runs[0].reasons[0], /breach 1 of 3 before critical/);
  assert.match(runs[2].reasons[0], /\(3 consecutive, for: 3\)/);
  // run 1 had no stored sample (in-run); later runs measured since the previous run
  const win = runs.map((r) => r.probes[0].checks[0].value);
  assert.match(win[0], /in-run sample/);
  assert.doesNotMatch(win[1], /in-run sample/);
});

test('streak: overlapping runs count once, a pass resets, a long gap breaks the streak', async (t) => {
  const d = tmp(t);
  const ctx = ctxIn(d);
  assert.equal(streak(ctx, 'cpu', W, true).count, 1);
  assert.equal(streak(ctx, 'cpu', W, true).count, 1, 'same observation (closer than window/2)');
  await sleep(60);
  assert.equal(streak(ctx, 'cpu', W, true).count, 2);
  await sleep(60);
  assert.deepEqual(streak(ctx, 'cpu', W, true), { count: 3, critical: true });
  assert.deepEqual(streak(ctx, 'cpu', W, false), { count: 0, critical: false });
  assert.equal(streak(ctx, 'cpu', W, true).count, 1);
  await sleep(60);
  assert.equal(streak(ctx, 'cpu', { ...W, max_age: 10 }, true).count, 1, 'gap longer than max_age');
});

test('sampleWindow: in-run first, then the stored sample; deadline bounds the in-run sample', async (t) => {
  const d = tmp(t);
  let n = 0;
  const read = () => ++n;
  const a = await sampleWindow(ctxIn(d), 'x', { ...W, sample: 40 }, read);
  assert.equal(a?.from, 'in-run');
  assert.ok(a!.windowMs >= 35);
  await sleep(120);
  const b = await sampleWindow(ctxIn(d), 'x', W, read);
  assert.deepEqual([b?.from, b?.prev, b?.cur], ['state', 2, 3]);
  assert.ok(b!.windowMs >= 100);
  // an overlapping run right after still finds a base that is old enough
  const c = await sampleWindow(ctxIn(d), 'x', W, read);
  assert.equal(c?.from, 'state');
  assert.equal(c?.prev, 2);
  // no stored sample and no time left: no window rather than a late answer
  const t0 = performance.now();
  assert.equal(await sampleWindow(ctxIn(join(d, 'other'), 5), 'x', W, read), undefined);
  assert.ok(performance.now() - t0 < 50);
});

test('kept samples: frequent runs still find a base just over one window old', () => {
  const cfg = { ...W, window: 1000 };
  let kept: { t: number; v: number }[] = [];
  // a run every 90 ms for 5 s: the base used must stay within window + window/6
  for (let t = 0; t <= 5000; t += 90) {
    const base = kept.filter((s) => t - s.t >= cfg.window).sort((a, b) => b.t - a.t)[0];
    if (t >= 1200) assert.ok(base && t - base.t <= 1000 + 1000 / 6 + 90, `at ${t}: base ${base && t - base.t} ms old`);
    kept = keepSamples(kept, { t, v: t }, cfg);
    assert.ok(kept.length <= 9, `${kept.length} samples kept`);
  }
});

test('parsers: /proc/stat cpu line, stub_status page', () => {
  assert.deepEqual(parseProcStat('cpu  10 1 5 100 4 2 3 7 0 0\ncpu0 1 2 3\n'), [21, 4, 100, 7]);
  const page = 'Active connections: 291 \nserver accepts handled requests\n 16630948 16630940 31070465 \nReading: 6 Writing: 179 Waiting: 106 \n';
  assert.deepEqual(parseStubStatus(page), { active: 291, accepts: 16630948, handled: 16630940, requests: 31070465, reading: 6, writing: 179, waiting: 106 });
  assert.equal(parseStubStatus('<html>hello</html>'), undefined);
});

test('memory and io measure this machine (levels and rates in range)', async (t) => {
  const d = tmp(t);
  const cfg = join(d, 'm.yaml');
  writeFileSync(cfg, `state_dir: ${d}/state\nprobes:\n  - type: memory\n    available_min: 0\n  - type: io\n    read_max: 100GiB/s\n`);
  const rep = JSON.parse((await hacheck('-c', cfg, '--json')).stdout);
  assert.equal(rep.exit_code, 0, JSON.stringify(rep.reasons));
  const mem = rep.probes.find((p: { kind: string }) => p.kind === 'memory');
  assert.ok(mem.metrics.available_pct > 0 && mem.metrics.available_pct <= 100);
  const io = rep.probes.find((p: { kind: string }) => p.kind === 'io');
  assert.ok(io.metrics.read_bps >= 0 && io.metrics.window_ms > 0);
});
