// What the rate-based probes (cpu, io, stub_status) share: a measurement window
// and the `for: N` consecutive-breach counter, both kept in the state dir so a
// one-shot run every 2 s gets a real 2 s window and a streak across runs.
import * as v from 'valibot';
import { readJson, writeJson } from '../sys/state-dir.js';
import { duration, intRange } from '../config/units.js';
import { remainingMs, type Check, type ProbeContext } from './types.js';
import { extendStreak, fallen, NO_FAILS, type Evidence } from '../verdict/hysteresis.js';

/** Config keys every windowed probe accepts. */
export const windowKeys = {
  /** N consecutive breaching runs before the probe is critical: a brief spike never moves the VIP */
  for: v.optional(intRange(1, 1000, 'for'), 1),
  /** shortest window a rate is computed over; a stored sample younger than this is not used */
  window: v.optional(duration(50, 600_000), '1s'),
  /** a stored sample older than this is too old to form a window */
  max_age: v.optional(duration(1000, 86_400_000), '5m'),
  /** with no usable stored sample: measure for this long inside the run (bounded by the deadline) */
  sample: v.optional(duration(10, 60_000), '250ms'),
};
export interface WindowConfig { for: number; window: number; max_age: number; sample: number }

export interface Stored<T> { t: number; v: T }
export interface Windowed<T> {
  prev: T;
  cur: T;
  windowMs: number;
  /** where the older sample came from */
  from: 'state' | 'in-run';
  /** the stored samples' counters were ahead of the current ones (a reboot, an nginx restart, a planted file): not used */
  reset?: boolean;
}

/** How a probe's windowed reading reads its in-run fallback ("(in-run sample)", "(no window (counters reset): in-run sample)"). */
export function windowNote(w: Windowed<unknown>): string {
  if (w.from !== 'in-run') return '';
  return w.reset ? ' (no window (counters reset): in-run sample)' : ' (in-run sample)';
}

const BUCKETS = 6;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Two samples `windowMs` apart: the newest stored one that is old enough, else
 * a short sample inside this run (at most half of what is left of the deadline).
 * Undefined when there is no time left for even that.
 *
 * `counters`: the sample's monotonic counters (jiffies, sectors, accepted
 * connections). A stored sample with any counter ahead of the current reading
 * cannot be the start of a window — the counters were reset (a reboot with a
 * persistent state dir, an nginx restart) or the file is not ours to believe —
 * so every stored sample is dropped ("no window (counters reset)", `reset`) and
 * the window is measured in this run, as with no stored sample.
 */
export async function sampleWindow<T>(ctx: ProbeContext, key: string, cfg: WindowConfig, read: () => T | Promise<T>, counters?: (s: T) => number[]): Promise<Windowed<T> | undefined> {
  const file = `sample-${key}.json`;
  let cur = await read();
  let now = Date.now();
  let stored = (readJson<{ samples: Stored<T>[] }>(ctx.stateDir, file)?.samples ?? []).filter((s) => typeof s?.t === 'number' && s.v !== undefined);
  let reset = false;
  if (counters && stored.length) {
    const c = counters(cur);
    const ahead = (s: Stored<T>) => {
      try {
        const p = counters(s.v);
        return p.length !== c.length || p.some((x, i) => !(typeof x === 'number' && x <= c[i]));
      } catch {
        return true; // not the shape we write: not ours
      }
    };
    if (stored.some(ahead)) {
      stored = [];
      reset = true;
    }
  }
  const usable = stored.filter((s) => now - s.t >= cfg.window && now - s.t <= cfg.max_age);
  let base: Stored<T> | undefined = usable.sort((a, b) => b.t - a.t)[0];
  let from: Windowed<T>['from'] = 'state';
  if (!base) {
    const wait = Math.min(cfg.sample, remainingMs(ctx) / 2);
    if (wait < 10) return undefined;
    base = { t: now, v: cur };
    from = 'in-run';
    await sleep(wait);
    cur = await read();
    now = Date.now();
  }
  writeJson(ctx.stateDir, file, { samples: keepSamples(stored, { t: now, v: cur }, cfg) });
  return { prev: base.v, cur, windowMs: Math.max(1, now - base.t), from, ...(reset && { reset }) };
}

/**
 * The newest sample that is already old enough (the next run's base), and the
 * younger ones thinned to the first of each window/BUCKETS slice of time, so
 * that however often runs come one of them matures into a base at most
 * window + window/BUCKETS old.
 */
export function keepSamples<T>(stored: Stored<T>[], cur: Stored<T>, cfg: WindowConfig): Stored<T>[] {
  const byAge = stored.filter((s) => cur.t - s.t <= cfg.max_age && s.t < cur.t).sort((a, b) => b.t - a.t);
  const oldEnough = byAge.find((s) => cur.t - s.t >= cfg.window);
  const slice = cfg.window / BUCKETS;
  const first = new Map<number, Stored<T>>();
  for (const s of byAge) if (cur.t - s.t < cfg.window) first.set(Math.floor(s.t / slice), s); // oldest wins
  const younger = [...first.values()].sort((a, b) => a.t - b.t);
  return [...(oldEnough ? [oldEnough] : []), ...younger, cur];
}

export interface Streak {
  count: number;
  /** breached `for` times in a row */
  critical: boolean;
}

/**
 * `for: N`: counts consecutive breaching runs. Runs closer together than half a
 * window (overlapping one-shot runs) count as one observation; a gap longer than
 * max_age breaks the streak. The counting and the threshold are the agent's
 * (src/verdict/hysteresis.ts): a breach with definitive evidence is critical at
 * once, an ambiguous one (every threshold breach) after `for` runs.
 */
export function streak(ctx: ProbeContext, key: string, cfg: WindowConfig, breached: boolean, evidence: Evidence = 'ambiguous'): Streak {
  const file = `streak-${key}.json`;
  const now = Date.now();
  const prev = readJson<{ count: number; last: number; definitive?: number }>(ctx.stateDir, file);
  if (!breached) {
    if (prev?.count) writeJson(ctx.stateDir, file, { count: 0, last: now });
    return { count: 0, critical: false };
  }
  const live = prev && prev.count > 0 && now - prev.last <= cfg.max_age && now >= prev.last;
  const before = live ? { count: prev.count, definitive: prev.definitive ?? 0 } : NO_FAILS;
  // the same observation again: the streak as it was, this run's evidence for its last entry
  const same = live && now - prev.last < cfg.window / 2;
  const s = same ? { count: before.count, definitive: evidence === 'definitive' ? Math.max(1, before.definitive) : 0 } : extendStreak(before, evidence);
  if (!live || s.count !== prev.count || s.definitive !== (prev.definitive ?? 0)) writeJson(ctx.stateDir, file, { count: s.count, last: now, ...(s.definitive && { definitive: s.definitive }) });
  return { count: s.count, critical: fallen(s, { fall: cfg.for }) !== undefined };
}

/**
 * Applies `for: N` to a probe's checks: a failing check is critical only once
 * the streak is long enough; before that it is reported as a warning.
 * Returns the probe's ok and, when something breached, a summary of it.
 */
export function settle(ctx: ProbeContext, key: string, cfg: WindowConfig, checks: Check[]): { ok: boolean; breach?: string; count: number } {
  const bad = checks.filter((c) => !c.ok);
  const s = streak(ctx, key, cfg, bad.length > 0, bad.some((c) => c.evidence === 'definitive') ? 'definitive' : 'ambiguous');
  if (bad.length === 0) return { ok: true, count: 0 };
  const what = bad.map((c) => c.reason).join(', ');
  if (s.critical) return { ok: false, breach: what + (cfg.for > 1 ? ` (${s.count} consecutive, for: ${cfg.for})` : ''), count: s.count };
  const note = ` (breach ${s.count} of ${cfg.for} before critical)`;
  for (const c of bad) {
    c.warnings = [...(c.warnings ?? []), `${c.reason}${note}`];
    c.ok = true;
    c.reason = undefined;
  }
  return { ok: true, breach: what + note, count: s.count };
}

/** What a windowed probe reports when the deadline left no time to measure: not a failure. */
export function noWindow(what: string, t0: number) {
  const reason = `no ${what} window: too close to the deadline for an in-run sample`;
  return { ok: true, summary: reason, checks: [{ target: 'system', ok: true, value: 'no window', expect: 'a window', durationMs: performance.now() - t0, warnings: [reason] }] };
}
