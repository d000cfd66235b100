// `hacheck init --fast`: what the snippet and the yaml say about the status file must
// be what the agent does (rewritten on change, else every STATUS_EVERY_MS, at a
// cycle's end), and the guard's --max-age must cover the longest gap that allows;
// a real agent's writes are measured against it in test/agent (status-gap).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAST, planInit, renderSnippet, renderYaml } from '../../src/commands/init.ts';
import { STATUS_EVERY_MS } from '../../src/commands/agent.ts';
import { parseDuration } from '../../src/config/units.ts';

test('init --fast: the guard comment gives the status file\'s real write period and gap, and --max-age covers it', () => {
  const p = planInit({ fast: true, vip: '192.0.2.77/24', mode: 'agent' } as never, 'eth0');
  const snippet = renderSnippet(p);
  const yaml = renderYaml(p);
  const gap = STATUS_EVERY_MS + FAST.intervalMs / 2 + FAST.cycleTimeoutMs;
  assert.doesNotMatch(snippet, /writes it every 100 ms/);
  assert.match(snippet, new RegExp(`rewrites it on change and else every ${STATUS_EVERY_MS} ms`));
  assert.match(snippet, new RegExp(`= ${gap} ms apart`));
  assert.doesNotMatch(yaml, /written every cycle/);
  assert.match(yaml, new RegExp(`rewritten on change, else every ${STATUS_EVERY_MS} ms`));
  assert.ok(parseDuration(FAST.guard.maxAge)! > gap, `--max-age ${FAST.guard.maxAge} must exceed ${gap} ms`);
});
