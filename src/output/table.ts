// The --verbose view: one row per check, then the verdict. Plain text, no colours
// unless stdout is a terminal.
import type { ProbeResult } from '../probes/types.js';
import type { Verdict } from '../verdict/verdict.js';

function pad(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.min(60, Math.max(...rows.map((r) => r[i].length))));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd()).join('\n');
}

export function renderTable(results: ProbeResult[], verdict: Verdict, extra: { timeoutMs: number; elapsedMs: number; notes?: string[] }): string {
  const color = process.stdout.isTTY && !process.env.NO_COLOR;
  const paint = (ok: boolean, s: string) => (color ? `\x1b[${ok ? 32 : 31}m${s}\x1b[0m` : s);
  const rows = [['PROBE', 'TARGET', 'MEASURED', 'EXPECTED', 'TIME', 'VERDICT']];
  for (const r of results) {
    if (r.checks.length === 0) rows.push([r.name, '-', '-', '-', `${r.durationMs.toFixed(0)}ms`, r.ok ? 'ok' : `FAIL${r.severity === 'warning' ? ' (warning)' : ''}: ${r.summary}`]);
    for (const c of r.checks) {
      const v = c.ok ? (c.warnings?.length ? `ok, warning: ${c.warnings.join('; ')}` : 'ok') : `FAIL${r.severity === 'warning' ? ' (warning)' : ''}: ${c.reason}`;
      rows.push([r.name, c.target, c.value, c.expect, `${c.durationMs.toFixed(0)}ms`, v]);
    }
    // a probe's summary under its rows, unless every row already says it (a probe not waited for)
    const repeats = r.checks.every((c) => !c.ok && c.reason === r.summary);
    if (r.checks.length > 1 && !repeats) rows.push(['', '', '', '', '', `${r.ok ? 'ok' : 'FAIL'}: ${r.summary.split(';')[0]}`]);
  }
  const lines = [pad(rows), ''];
  for (const n of extra.notes ?? []) lines.push(n);
  const head = `verdict: ${verdict.verdict} (exit ${verdict.exitCode}) in ${extra.elapsedMs.toFixed(0)} ms, deadline ${extra.timeoutMs} ms${verdict.evidence ? `; ${verdict.evidence} evidence` : ''}`;
  lines.push(paint(verdict.exitCode === 0, head));
  for (const reason of verdict.reasons) lines.push(`  - ${reason}`);
  return lines.join('\n') + '\n';
}
