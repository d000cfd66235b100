// src/fast-path.ts parses the hot commands (one-shot check, status) without
// commander: for every argv it accepts, it must give exactly the flags object
// commander gives the action; everything commander rejects it must hand over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli.ts';
import { fastParse } from '../../src/fast-path.ts';

/** What commander passes to the check/status action, or 'error' (a usage error, exit 64), or 'other' (another command, help, version). */
async function viaCommander(args: string[]): Promise<{ command: string; flags: Record<string, unknown> } | 'error' | 'other'> {
  const program = buildProgram();
  let got: { command: string; flags: Record<string, unknown> } | undefined;
  const silence = (c: Command) => c.configureOutput({ writeOut: () => {}, writeErr: () => {}, outputError: () => {} });
  silence(program);
  for (const c of program.commands) {
    silence(c);
    c.action((opts: Record<string, unknown>) => {
      got = ['check', 'status'].includes(c.name()) ? { command: c.name(), flags: { ...opts } } : undefined;
    });
  }
  try {
    await program.parseAsync(['node', 'hacheck', ...args]);
  } catch {
    return 'error';
  }
  return got ?? 'other';
}

const accepted: string[][] = [
  [],
  ['check'],
  ['--pidfile', '/run/nginx.pid', '--port', '80', '--url', 'http://127.0.0.1/', '--url', 'http://127.0.0.1/h', '--state-dir', '/tmp/s', '--maintenance-file', ''],
  ['check', '-c', '/etc/hacheck/hacheck.yaml', '-v'],
  ['--config=/x.yaml', '--url=http://a/', '--port=[::1]:80', '--timeout=1.5s', '--maintenance-file='],
  ['--process', 'nginx', '--header', 'Host: a', '--header', 'X-A: b', '--url', 'http://a/'],
  ['--restart', '--no-restart'],
  ['--no-restart', '--restart', '--restart-cmd', 'systemctl restart nginx'],
  ['--cpu-max', '90%', '--iowait-max', '50', '--json'],
  ['--format', 'nagios'],
  ['--format=json', '--verbose'],
  ['--format', 'text'],
  ['--pidfile', 'a', '--pidfile', 'b', '--timeout', 'x'],
  ['--port=-1'],
  ['status'],
  ['status', '--max-age', '3s', '--status-file', '/run/hacheck/status.json', '--json'],
  ['status', '-c', '/x.yaml', '--state-dir', '/run/hacheck', '-v', '--verbose'],
];
const handedOver: string[][] = [
  ['--help'], ['-h'], ['--version'], ['-V'], ['help'], ['check', '--help'], ['status', '--help'],
  ['validate'], ['agent', '--interval', '1s'], ['doctor'], ['init', '--vip', '10.0.0.1'],
  ['--bogus'], ['--url'], ['-c'], ['--json=1'], ['--format', 'xml'], ['--format=xml'], ['-vc', 'x'], ['-cx'],
  ['positional'], ['--url', 'http://a/', 'check'], ['--', '--url', 'x'], ['status', '--url', 'http://a/'], ['check', '--max-age', '1s'],
  ['--timeout', '-1'], ['--port', '-1'], ['status', '--restart'], ['check', 'status'],
];

test('every argv the fast path accepts gives the flags commander gives the action', async () => {
  for (const args of accepted) {
    const fast = fastParse(args);
    assert.ok(fast, `fast path should accept ${JSON.stringify(args)}`);
    assert.deepEqual(fast, await viaCommander(args), JSON.stringify(args));
  }
});

test('help, version, other commands and anything unusual go to commander', async () => {
  for (const args of handedOver) assert.equal(fastParse(args), undefined, JSON.stringify(args));
});

test('no argv commander rejects (exit 64) is accepted by the fast path', async () => {
  for (const args of [...accepted, ...handedOver]) {
    if ((await viaCommander(args)) === 'error') assert.equal(fastParse(args), undefined, JSON.stringify(args));
  }
});

test('every check/status option of the program, alone: both parsers agree or the fast path hands over', async () => {
  const program = buildProgram();
  for (const name of ['check', 'status']) {
    const cmd = program.commands.find((c) => c.name() === name)!;
    for (const o of cmd.options) {
      for (const flag of [o.long, o.short].filter((f): f is string => !!f)) {
        const args = [name, flag, ...(o.required || o.optional ? [o.argChoices?.[0] ?? 'x'] : [])];
        const fast = fastParse(args);
        if (fast) assert.deepEqual(fast, await viaCommander(args), JSON.stringify(args));
      }
    }
  }
});
