// Log records: one readable line for a person at a terminal (`hacheck -v` by
// hand), JSON for everything else (a pipe, journald, keepalived, a log file).
// The terminal is a real pty: util-linux `script` runs hacheck with stdin,
// stdout and stderr on one, as a shell would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HACHECK, cleanEnv, hacheck } from '../fixtures/hacheck.ts';
import { humanLine } from '../../src/output/log.ts';

const haveScript = spawnSync('sh', ['-c', 'command -v script']).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'hacheck-logtty-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** A verdict change (unhealthy on a first run) is logged; each call gets a fresh state dir so it is a change again. */
function config(name: string, extra = ''): string {
  const f = join(dir, `${name}.yaml`);
  writeFileSync(f, `state_dir: ${dir}/state-${name}\nmaintenance_file: ""\n${extra}probes:\n  - type: process\n    process: no-such-proc\n`);
  return f;
}

/** hacheck on a pty (stdout and stderr both the terminal); what the terminal showed. */
function onTerminal(args: string[]): string {
  const cmd = [process.execPath, HACHECK, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('script', ['-qefc', cmd, '/dev/null'], { encoding: 'utf8', env: cleanEnv({ TERM: 'dumb' }), timeout: 30_000 });
  return r.stdout.replace(/\r/g, '');
}

test('hacheck -v at a terminal: the table, then one readable log line, no JSON', { skip: !haveScript && 'script (util-linux) not installed' }, () => {
  const out = onTerminal(['-c', config('tty'), '-v']);
  assert.match(out, /^process\s+comm=no-such-proc\s/m, out);
  assert.match(out, /^\d\d:\d\d:\d\d warn  hacheck: unhealthy: process: no live no-such-proc process$/m, out);
  assert.doesNotMatch(out, /\{"level"/, 'no JSON at a terminal');
});

test('stderr not a terminal: JSON lines; a log file set: JSON there, even at a terminal', { skip: !haveScript && 'script (util-linux) not installed' }, async () => {
  const piped = await hacheck('-c', config('pipe'), '-v');
  const rec = JSON.parse(piped.stderr.trim().split('\n').pop()!);
  assert.equal(rec.msg, 'hacheck: unhealthy: process: no live no-such-proc process');
  assert.equal(rec.level, 40);

  const logFile = join(dir, 'hacheck.log');
  const out = onTerminal(['-c', config('file', `log:\n  file: ${logFile}\n`), '-v']);
  assert.doesNotMatch(out, /warn  hacheck|\{"level"/, 'nothing logged to the terminal');
  const line = JSON.parse(readFileSync(logFile, 'utf8').trim());
  assert.equal(line.verdict, 'unhealthy');
});

test('humanLine: level names, newlines folded, not-JSON passed through', () => {
  const t = new Date(2026, 0, 2, 3, 4, 5).getTime();
  assert.equal(humanLine(JSON.stringify({ level: 50, time: t, msg: 'a\n  b', pid: 1 })), '03:04:05 error a b\n');
  assert.equal(humanLine(JSON.stringify({ level: 30, time: t, msg: 'x' }) + '\n'), '03:04:05 info  x\n');
  assert.equal(humanLine('garbage'), 'garbage\n');
});
