// The config cache (src/config/cache.ts): a one-shot run takes the resolved
// config from <state dir>/config-cache.json while the file and the flags are
// unchanged, and reads the file again on any change. A hit is made visible by
// editing the cached entry (its timeout) and reading timeout_ms in --json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hacheck } from '../fixtures/hacheck.ts';

const dir = mkdtempSync(join(tmpdir(), 'hacheck-cache-'));
const state = join(dir, 'state');
const cacheFile = join(state, 'config-cache.json');
const cfgFile = join(dir, 'hacheck.yaml');
let server: Server;
let url: string;

test.before(async () => {
  server = createServer((_, res) => res.end('hello world\n'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
});
test.after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

const yaml = (timeout: string, regex = 'wor.d') =>
  `timeout: ${timeout}\nmaintenance_file: ""\nprobes:\n  - type: http\n    urls:\n      - url: ${url}\n        body_regex: "${regex}"\n`;

async function run(...extra: string[]) {
  const r = await hacheck('-c', cfgFile, '--state-dir', state, '--json', ...extra);
  assert.ok(r.stdout, r.stderr);
  return { code: r.code, report: JSON.parse(r.stdout) as { timeout_ms: number; verdict: string } };
}

/** Rewrites every cached entry's timeout, keeping the file's owner and mode. */
function tamper(timeoutMs: number) {
  const data = JSON.parse(readFileSync(cacheFile, 'utf8')) as { entries: { key: string; config: string }[] };
  for (const e of data.entries) e.config = JSON.stringify({ ...JSON.parse(e.config), timeout: timeoutMs });
  writeFileSync(cacheFile, JSON.stringify(data));
}

test('a run fills the cache; the next run with the same file and flags takes its config from it', async () => {
  writeFileSync(cfgFile, yaml('2s'));
  const first = await run();
  assert.equal(first.code, 0);
  assert.equal(first.report.timeout_ms, 2000);
  assert.ok(existsSync(cacheFile));
  assert.equal(statSync(cacheFile).mode & 0o777, 0o600, 'it names the restart command root runs: owner only');
  tamper(2345);
  const hit = await run();
  assert.equal(hit.report.timeout_ms, 2345, 'served from the cache');
  assert.equal(hit.code, 0, 'body_regex survives the cache (a RegExp is not plain JSON)');
});

test('any change of the file is a miss: touch, same-size edit, replacement', async () => {
  writeFileSync(cfgFile, yaml('2s'));
  await run();
  tamper(2345);
  const later = new Date(Date.now() + 5000);
  utimesSync(cfgFile, later, later);
  assert.equal((await run()).report.timeout_ms, 2000, 'touched: read again');

  tamper(2345);
  writeFileSync(cfgFile, yaml('3s'));
  assert.equal((await run()).report.timeout_ms, 3000, 'edited in place, same size');

  tamper(2345);
  writeFileSync(`${cfgFile}.new`, yaml('4s'));
  renameSync(`${cfgFile}.new`, cfgFile);
  assert.equal((await run()).report.timeout_ms, 4000, 'replaced by rename');
});

test('other flags are another entry; both stay cached', async () => {
  writeFileSync(cfgFile, yaml('2s'));
  await run();
  const flagged = await run('--timeout', '1500ms');
  assert.equal(flagged.report.timeout_ms, 1500);
  tamper(2345);
  assert.equal((await run()).report.timeout_ms, 2345);
  assert.equal((await run('--timeout', '1500ms')).report.timeout_ms, 2345);
  assert.equal((await run('-v')).code, 0, 'output flags share the entry');
});

test('a config broken after it was cached is reported (78), never served stale', async () => {
  writeFileSync(cfgFile, yaml('2s'));
  assert.equal((await run()).code, 0);
  writeFileSync(cfgFile, yaml('2 s'));
  const r = await hacheck('-c', cfgFile, '--state-dir', state);
  assert.equal(r.code, 78);
  assert.match(r.stderr, /bad duration "2 s"/);
});

test('a non-matching body_regex still fails when served from the cache', async () => {
  writeFileSync(cfgFile, yaml('2s', 'xyz'));
  assert.equal((await run()).code, 1);
  tamper(2345);
  const hit = await run();
  assert.equal(hit.report.timeout_ms, 2345);
  assert.equal(hit.code, 1);
});

test('a cache file others could have written is ignored', async () => {
  writeFileSync(cfgFile, yaml('2s'));
  await run();
  tamper(2345);
  chmodSync(cacheFile, 0o666);
  assert.equal((await run()).report.timeout_ms, 2000, 'group/other-writable: ignored and replaced');
  assert.equal(statSync(cacheFile).mode & 0o777, 0o600);
  if (process.getuid?.() === 0) {
    tamper(2345);
    chownSync(cacheFile, 65534, 65534);
    assert.equal((await run()).report.timeout_ms, 2000, 'owned by another user: ignored');
  }
});

test('hacheck status takes the status file path from the cached config', async () => {
  const statusFile = join(dir, 'agent-status.json');
  writeFileSync(cfgFile, `state_dir: ${state}\nagent:\n  status_file: ${statusFile}\n`);
  const r = await hacheck('status', '-c', cfgFile);
  assert.equal(r.code, 1);
  assert.match(r.stderr + r.stdout, new RegExp(statusFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
});

test('a config that is not a regular file (a pipe) is read every time, never cached', async () => {
  const { execFile } = await import('node:child_process');
  const { HACHECK, cleanEnv } = await import('../fixtures/hacheck.ts');
  rmSync(cacheFile, { force: true });
  const src = join(dir, 'piped.yaml');
  // bash's process substitution: -c /dev/fd/63, a pipe (async: the URL's server runs in this process)
  const viaPipe = (timeout: string) => {
    writeFileSync(src, yaml(timeout));
    return new Promise<{ timeout_ms: number; verdict: string }>((resolve, reject) => execFile('bash', ['-c', 'exec "$0" "$1" -c <(cat "$2") --state-dir "$3" --json', process.execPath, HACHECK, src, state],
      { env: cleanEnv(), timeout: 30_000 }, (_, stdout, stderr) => { try { resolve(JSON.parse(stdout)); } catch { reject(new Error(stderr)); } }));
  };
  const first = await viaPipe('2s');
  assert.equal(first.timeout_ms, 2000);
  assert.equal(first.verdict, 'healthy');
  assert.equal(existsSync(cacheFile), false);
  assert.equal((await viaPipe('3s')).timeout_ms, 3000);
});
