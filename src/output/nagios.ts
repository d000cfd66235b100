// --format nagios: one plugin status line with perfdata, and the plugin exit
// codes (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN), so Nagios/Icinga can run the
// same binary. Forced down (maintenance) is WARNING: deliberate, not broken.
import type { ProbeResult } from '../probes/types.js';
import type { Verdict } from '../verdict/verdict.js';

const STATE = { healthy: ['OK', 0], warning: ['WARNING', 1], 'forced-down': ['WARNING', 1], unhealthy: ['CRITICAL', 2] } as const;

/** Units by metric-name suffix; Nagios knows s, ms, us, %, B, KB, MB, TB, c. */
function uom(key: string): string {
  if (key.endsWith('_pct')) return '%';
  if (key.endsWith('_ms')) return 'ms';
  if (key.endsWith('_bytes')) return 'B';
  return '';
}

function label(text: string): string {
  return /[\s='"]/.test(text) ? `'${text.replace(/'/g, '_')}'` : text;
}

const num = (n: number) => String(Math.round(n * 100) / 100);

export function perfdata(results: ProbeResult[]): string {
  const out: string[] = [];
  for (const r of results) {
    const base = r.name.replace(/#/g, '_');
    out.push(`${label(`${base}_ok`)}=${r.ok ? 1 : 0};;;0;1`);
    out.push(`${label(`${base}_time`)}=${num(r.durationMs)}ms;;;0`);
    for (const [k, val] of Object.entries(r.metrics ?? {})) {
      const unit = uom(k);
      const crit = r.thresholds?.[k];
      const bounds = unit === '%' ? ';0;100' : ';0';
      out.push(`${label(`${base}_${k}`)}=${num(val)}${unit};;${crit === undefined ? '' : num(crit)}${bounds}`);
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
  const first = `HACHECK ${state} - ${text}`.replace(/\|/g, '/');
  const long = notes.map((n) => n.replace(/\|/g, '/'));
  return { text: [`${first} | ${perfdata(results)}`, ...long].join('\n') + '\n', code };
}
