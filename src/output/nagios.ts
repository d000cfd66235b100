// --format nagios: one plugin status line with perfdata, and the plugin exit
// codes (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN), so Nagios/Icinga can run the
// same binary. Forced down (maintenance) is WARNING: deliberate, not broken.
import type { ProbeResult } from '../probes/types.js';
import type { Verdict } from '../verdict/verdict.js';
import { FACTS } from './facts.js';

const STATE = { healthy: ['OK', 0], warning: ['WARNING', 1], 'forced-down': ['WARNING', 1], unhealthy: ['CRITICAL', 2] } as const;

/**
 * A perfdata label: the guidelines allow any character but `=` and `'`, even
 * quoted (a quoted label with `''` is not read by every consumer), so both
 * become `_`, as do `"`, `|` (it would start a second perfdata part) and
 * control characters (a newline ends the status line); quoted when it holds a space.
 */
export function perfLabel(text: string): string {
  const clean = text.replace(/[='"|\x00-\x1f\x7f]/g, '_');
  return / /.test(clean) ? `'${clean}'` : clean;
}

/** A decimal number, never exponent notation (perfdata values are [-0-9.]). */
const num = (n: number) => {
  const s = (Math.round(n * 100) / 100).toFixed(2).replace(/\.?0+$/, '');
  return s === '-0' ? '0' : s;
};

/**
 * Nagios perfdata of the probes (monitoring-plugins development guidelines,
 * "Performance data"): 'label'=value[UOM];[warn];[crit];[min];[max]. Each
 * probe gives NAME_ok (0/1), NAME_time (ms) and one item per measured fact
 * with the unit, bounds and direction src/output/facts.ts gives it; a limit
 * goes in warn for a warning-severity probe, in crit for a critical one, as a
 * range ("N" = alert above N, "N:" = alert below N).
 */
export function perfdata(results: ProbeResult[]): string {
  const out: string[] = [];
  const used = new Set<string>();
  const item = (name: string, value: string) => {
    let l = perfLabel(name);
    for (let i = 2; used.has(l); i++) l = perfLabel(`${name}_${i}`);
    used.add(l);
    out.push(`${l}=${value.replace(/;+$/, '')}`);
  };
  for (const r of results) {
    const base = r.name.replace(/#/g, '_');
    item(`${base}_ok`, `${r.ok ? 1 : 0};;;0;1`);
    item(`${base}_time`, `${num(r.durationMs)}ms;;;0`);
    const metrics = r.metrics ?? {};
    for (const [k, val] of Object.entries(metrics)) {
      const f = FACTS[k];
      const uom = f?.uom ?? '';
      const limit = r.thresholds?.[k];
      const range = limit === undefined ? '' : f?.atLeast ? `${num(limit)}:` : num(limit);
      const [warn, crit] = r.severity === 'warning' ? [range, ''] : ['', range];
      const bound = k === 'urls_ok' && metrics.urls_total !== undefined ? metrics.urls_total : f?.max?.();
      // not measured (NaN: a probe not waited for, a fact not read this run): "U", the guidelines' undetermined value
      if (!Number.isFinite(val)) {
        item(`${base}_${k}`, `U;${warn};${crit};0;${bound === undefined ? '' : num(bound)}`);
        continue;
      }
      const max = bound === undefined ? '' : num(Math.max(bound, val));
      item(`${base}_${k}`, `${num(val)}${uom};${warn};${crit};${num(Math.min(0, val))};${max}`);
    }
  }
  return out.join(' ');
}

export function renderNagios(results: ProbeResult[], verdict: Verdict, notes: string[] = []): { text: string; code: number } {
  const [state, code] = STATE[verdict.verdict];
  // forced-down's first reason already says "forced down: …"
  const text = verdict.verdict === 'forced-down'
    ? verdict.reasons.join('; ')
    : `${verdict.verdict}${verdict.reasons.length ? `: ${verdict.reasons.join('; ')}` : ''}`;
  // one line each: a `|` would start perfdata, a newline end the status line
  const oneLine = (t: string) => t.replace(/\|/g, '/').replace(/\s*[\r\n]+\s*/g, ' ');
  const first = oneLine(`HACHECK ${state} - ${text}`);
  const long = notes.map(oneLine);
  return { text: [`${first} | ${perfdata(results)}`, ...long].join('\n') + '\n', code };
}
