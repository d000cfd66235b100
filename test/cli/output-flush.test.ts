// Output is complete (issue 16, case adv-21): stdout and stderr are fully
// written before exit, bounded by the run's deadline, whatever the reader's speed.
// A pipe holds 64 KiB; exit used to give stdout 50 ms, so a --json report of 600
// port targets (113 KB) read by a reader that started 0.5 s late was cut at 65,536
// bytes. A reader that never reads must not hold the process past its deadline,
// and one that went away (EPIPE) must not turn into a stack trace.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanEnv, HACHECK } from '../fixtures/hacheck.ts';

const dir = mkdtempSync(join(tmpdir(), 'hacheck-flush-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const node = process.execPath;
const CHILD = new URL('../fixtures/flush-child.ts', import.meta.url).pathname;

/** A config with `n` port targets that refuse at once (127.0.0.1:1): a big report, fast. */
function bigConfig(n: number, timeout = '1500ms'): string {
  const p = join(dir, `ports-${n}-${timeout}.yaml`);
  writeFileSync(p, `timeout: ${timeout}\nmaintenance_file: ""\nprobes:\n  - type: port\n    targets: [${Array(n).fill('127.0.0.1:1').join(',')}]\n`);
  return p;
}

/** bash -c SCRIPT with $0, $1, … = args (and extra environment); returns stdout, stderr, status. */
function bash(script: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync('bash', ['-c', script, ...args], { env: cleanEnv(env), encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
  return { stdout: r.stdout, stderr: r.stderr, code: r.status };
}

test('adv-21: a --json report over 64 KiB through a pipe read 0.5 s late arrives whole (valid JSON, every target)', () => {
  // the case's 600 targets; a 5 s deadline so that a loaded machine (600 connects can take 1 s there) still
  // leaves the late reader time: output is bounded by the deadline (next test), and cut only there
  const cfg = bigConfig(600, '5s');
  const state = join(dir, 's');
  for (let i = 0; i < 3; i++) {
    const out = join(dir, `late-${i}.json`);
    // PIPESTATUS[0]: hacheck's own exit code, not the reader's
    const r = bash('"$0" "$1" -c "$2" --state-dir "$3" --json 2>"$4.err" | (sleep 0.5; cat > "$4"); echo "${PIPESTATUS[0]}"', [node, HACHECK, cfg, state, out]);
    assert.equal(r.stdout.trim(), '1', `the verdict (every target refuses): ${readFileSync(`${out}.err`, 'utf8')}`);
    const text = readFileSync(out, 'utf8');
    assert.ok(text.length > 65_536, `${text.length} bytes`);
    const report = JSON.parse(text);
    assert.equal(report.probes[0].checks.length, 600);
    assert.equal(report.exit_code, 1);
  }
});

test('a reader that never reads: the run still ends at its deadline (+ a margin), with its verdict', async () => {
  // 400 targets: a ~75 KB report (more than a pipe holds), few enough that the probes themselves end well
  // within the deadline on a loaded machine (many more push a run past it: a different fault)
  const cfg = bigConfig(400);
  // a FIFO opened for reading by this process and never read: hacheck's stdout is a pipe that fills up
  const fifo = join(dir, 'fifo');
  spawnSync('mkfifo', [fifo]);
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const writer = openSync(fifo, 'w');
  try {
    const t0 = performance.now();
    const child = spawn(node, [HACHECK, '-c', cfg, '--state-dir', join(dir, 's2'), '--json'], { env: cleanEnv(), stdio: ['ignore', writer, 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (b) => (stderr += b));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const ms = performance.now() - t0;
    assert.equal(code, 1, stderr);
    // the deadline is 1500 ms from the process start; generous margin for a loaded 2-core machine
    assert.ok(ms < 1500 + 1000, `exited after ${ms.toFixed(0)} ms`);
    assert.doesNotMatch(stderr, /internal error|\n\s+at /);
  } finally {
    closeSync(writer);
    closeSync(reader);
  }
});

test('a reader that goes away (EPIPE): the run exits with its verdict, no stack trace', () => {
  const cfg = bigConfig(600);
  const r = bash('"$0" "$1" -c "$2" --state-dir "$3" --json 2>"$4" | head -c 100 >/dev/null; echo "${PIPESTATUS[0]}"', [node, HACHECK, cfg, join(dir, 's3'), join(dir, 'epipe.err')]);
  assert.equal(r.stdout.trim(), '1');
  assert.doesNotMatch(readFileSync(join(dir, 'epipe.err'), 'utf8'), /internal error|EPIPE|\n\s+at /);
});

/** The fixture process with its stdout and stderr read `delayMs` late (0: at once). */
function flushChild(env: Record<string, string>, delayMs: number) {
  const out = join(dir, `child-${Math.random().toString(36).slice(2)}`);
  const r = bash(`start=$(date +%s%N); "$0" --import tsx "$1" 2> >(sleep ${delayMs / 1000}; cat > "$2.err") | (sleep ${delayMs / 1000}; cat > "$2.out"); code=\${PIPESTATUS[0]}; echo "$code $(( ($(date +%s%N) - start) / 1000000 ))"; wait`, [node, CHILD, out], env);
  const [code, ms] = r.stdout.trim().split('\n')[0].split(' ').map(Number);
  return { code, ms, stdout: readFileSync(`${out}.out`, 'utf8'), stderr: readFileSync(`${out}.err`, 'utf8') };
}

test('exitAfterFlush: 1 MB on stdout and on stderr, read late, arrive whole; the exit code is kept', () => {
  const r = flushChild({ BYTES: String(1 << 20), CODE: '3', DEADLINE_MS: '20000' }, 700);
  assert.equal(r.code, 3);
  assert.equal(r.stdout.length, (1 << 20) + 1);
  assert.equal(r.stderr.length, (1 << 20) + 1);
});

test('exitAfterFlush: nothing pending exits at once, though a server keeps the event loop alive', () => {
  const r = flushChild({ BYTES: '10', CODE: '0', DEADLINE_MS: '20000' }, 0);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, 'oooooooooo\n');
  assert.ok(r.ms < 10_000, `${r.ms} ms: did not wait for the 20 s deadline`);
});
