// A one-shot run that hacheck itself started too late (off the CPU) says "inconclusive" and
// must not restart nginx either: the restart flow's starved test has to use the same deadline
// as the verdict's (--timeout, counted from the process start), not what was left of it when
// the probes began (a SIGSTOP during start-up made that small, and a late check looked on time).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runHeldOffCpu, startHacheck } from '../fixtures/hacheck.ts';
import type { Report } from '../../src/output/json.ts';

const dir = mkdtempSync(join(tmpdir(), 'hacheck-starved-restart-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a one-shot run held off the CPU during start-up: "inconclusive" and no restart (restart.ambiguous_runs 1), not a restart of a hung-looking nginx', async () => {
  const { hungServer } = await import('../fixtures/servers.ts');
  const hung = await hungServer({ after });
  const marker = join(dir, 'restarted');
  const conf = join(dir, 'hacheck.yaml');
  writeFileSync(conf, `restart:\n  enabled: true\n  cmd: [/usr/bin/touch, ${marker}]\n  config_test: [/bin/true]\n  ambiguous_runs: 1\n  grace: 0s\n`);
  // the probes begin ~1 s into the 1.5 s deadline
  const late = await runHeldOffCpu(['-c', conf, '--state-dir', join(dir, 'state'), '--maintenance-file', '', '--json', '--url', `http://127.0.0.1:${hung.port}/`, '--timeout', '1500ms'], 1000);
  assert.equal(late.code, 1, late.stderr);
  const rep = JSON.parse(late.stdout) as Report & { inconclusive?: string; restart?: { action: string; reason: string } };
  assert.match(rep.inconclusive ?? '', /^hacheck did not get the CPU/, late.stdout);
  assert.equal(rep.restart?.action, 'skip', JSON.stringify(rep.restart));
  assert.match(rep.restart!.reason, /^not restarting: inconclusive run, hacheck did not get the CPU/);
  assert.equal(existsSync(marker), false, 'restart.cmd ran on a run that measured nothing');

  // on time, the same hung URL is evidence: with ambiguous_runs 1 this run restarts (a URL timeout of
  // its own leaves the restart flow time for the config test)
  const conf2 = join(dir, 'hacheck2.yaml');
  writeFileSync(conf2, `${readFileSync(conf, 'utf8')}probes:\n  - type: http\n    urls: [{ url: "http://127.0.0.1:${hung.port}/", timeout: 300ms }]\n`);
  const onTime = await startHacheck(['-c', conf2, '--state-dir', join(dir, 'state2'), '--maintenance-file', '', '--json', '--timeout', '1500ms']).done;
  const rep2 = JSON.parse(onTime.stdout) as Report & { inconclusive?: string; restart?: { action: string } };
  assert.equal(rep2.restart?.action, 'restart', JSON.stringify(rep2.restart));
  // the restart flow re-probed until the deadline: its last re-probe started late by design, which is no starved run
  assert.equal(rep2.inconclusive, undefined, rep2.inconclusive);
  assert.doesNotMatch(rep2.reasons.join('; '), /inconclusive/);
  assert.equal(existsSync(marker), true);
});
