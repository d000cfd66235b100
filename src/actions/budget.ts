// The restart budget: at most `max` restarts per `window`, and no new restart
// within `grace` of the last one. Kept in the state dir so it holds across
// one-shot runs; read and written only under the restart lock (src/sys/lock.ts)
// so overlapping runs never both spend the same slot.
import { join } from 'node:path';
import { readJson, stateDir as safeStateDir, writeJson } from '../sys/state-dir.js';
import { acquireLock, type Acquired } from '../sys/lock.js';
import { fmtMs } from '../config/units.js';
import { isDead, readStat } from '../sys/proc.js';

export interface RestartRecord {
  /** wall-clock ms when the restart command was started */
  at: number;
  /** pid of the hacheck run that started it */
  by: number;
  cmd: string[];
  /** the restart command's pid and start time, once started */
  pid?: number;
  start?: number;
}

export interface BudgetState {
  restarts: RestartRecord[];
  /** a restart command that is still running (filled in by readBudget, from /proc) */
  running?: RestartRecord;
  /** wall-clock ms when a run last saw nginx recover after a restart */
  recoveredAt?: number;
}

export interface BudgetConfig {
  budget: { max: number; window: number };
  grace: number;
}

const FILE = 'restart-budget.json';
/** Separate from FILE: written without the lock, so it must never clobber the budget. */
const RECOVERED = 'restart-recovered.json';
const LOCK_DIR = 'restart.lock';

export function readBudget(stateDir: string): BudgetState {
  const s = readJson<BudgetState>(stateDir, FILE);
  const restarts = Array.isArray(s?.restarts) ? s.restarts.filter((r) => typeof r?.at === 'number') : [];
  const last = restarts[restarts.length - 1];
  const recoveredAt = readJson<{ at: number }>(stateDir, RECOVERED)?.at;
  return { restarts, ...(last && isRunning(last) && { running: last }), ...(typeof recoveredAt === 'number' && { recoveredAt }) };
}

/** Same pid and start time, not a zombie: the command has not finished. */
function isRunning(r: RestartRecord): boolean {
  if (!r.pid) return false;
  const st = readStat(r.pid);
  return !isDead(st) && st!.startTicks === r.start;
}

/** Restarts that still count against the budget at `now`. */
export function inWindow(state: BudgetState, cfg: BudgetConfig, now: number): RestartRecord[] {
  // A restart stamped in the future (clock stepped back) still counts, unless it
  // is absurdly far ahead: spending the budget is the safe side of an error.
  return state.restarts.filter((r) => now - r.at < cfg.budget.window && r.at - now < cfg.budget.window);
}

export interface BudgetStatus {
  used: number;
  max: number;
  /** budget spent: when the oldest counted restart leaves the window */
  spentUntil?: number;
  /** inside the grace period of the last restart: until when */
  graceUntil?: number;
  last?: RestartRecord;
}

/** Pure: what the budget allows at `now`. */
export function budgetStatus(state: BudgetState, cfg: BudgetConfig, now: number): BudgetStatus {
  const counted = inWindow(state, cfg, now).sort((a, b) => a.at - b.at);
  const last = counted[counted.length - 1];
  const status: BudgetStatus = { used: counted.length, max: cfg.budget.max, last };
  if (counted.length >= cfg.budget.max) status.spentUntil = counted[counted.length - cfg.budget.max].at + cfg.budget.window;
  if (last && now - last.at < cfg.grace) status.graceUntil = last.at + cfg.grace;
  return status;
}

export function describeSpent(s: BudgetStatus, cfg: BudgetConfig, now: number): string {
  return `restart budget spent: ${s.used} restarts in the last ${fmtMs(cfg.budget.window)} (max ${s.max}); next restart allowed in ${fmtWait(Math.max(0, (s.spentUntil ?? now) - now))}`;
}

/** 599000 → "9m59s": a wait, rounded up to the second. */
function fmtWait(ms: number): string {
  const s = Math.ceil(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ''}`;
}

/** Appends a restart and drops the ones that no longer count. Call only under the lock. */
export function recordRestart(stateDir: string, state: BudgetState, rec: RestartRecord, cfg: BudgetConfig): boolean {
  const restarts = [...inWindow(state, cfg, rec.at), rec];
  state.restarts = restarts;
  return writeJson(stateDir, FILE, { restarts });
}

/** After the start: remember the command's pid so later runs know whether it still runs. */
export function noteRestartPid(stateDir: string, state: BudgetState, pid: number | undefined): void {
  const last = state.restarts[state.restarts.length - 1];
  if (!last || !pid) return;
  last.pid = pid;
  last.start = readStat(pid)?.startTicks;
  writeJson(stateDir, FILE, { restarts: state.restarts });
}

/** A run saw nginx healthy again after a restart: later failures are new, not the restart settling. */
export function noteRecovered(stateDir: string, at = Date.now()): void {
  writeJson(stateDir, RECOVERED, { at });
}

/**
 * The lock that guards the budget and the decision to restart. Refused (`error`)
 * in a state dir another user could write: its budget and lock would be theirs to forge.
 */
export function lockBudget(stateDir: string, opts: { deadline: number; holdMs: number }): Promise<Acquired> {
  const s = safeStateDir(stateDir, { create: true });
  if (!s.ok && !s.missing) return Promise.resolve({ ok: false, error: `state_dir ${stateDir} ${s.why}` });
  // missing (not creatable): the lock's own mkdir says why (ENOTDIR, EACCES)
  return acquireLock(join(s.ok ? s.real : stateDir, LOCK_DIR), { ...opts, purpose: 'restart decision' });
}
