// The Prometheus rules shipped in the packages, checked by Prometheus' own tool:
// `promtool check rules` (syntax, PromQL, lint) and `promtool test rules`
// (test/packaging/prometheus/hacheck.rules.test.yml: each alert fires on the
// series an agent writes, and stays quiet on a healthy fleet).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;
const RULES = join(root, 'packaging/prometheus/hacheck.rules.yml');
const UNIT_TESTS = join(root, 'test/packaging/prometheus/hacheck.rules.test.yml');
const skip = spawnSync('sh', ['-c', 'command -v promtool']).status !== 0 && 'promtool not installed (.ci/run installs prometheus)';

test('promtool check rules: the shipped rules file is clean', { skip }, () => {
  const r = spawnSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /SUCCESS: \d+ rules found/);
  assert.doesNotMatch(r.stdout + r.stderr, /WARNING|FAILED/);
});

test('promtool test rules: every alert fires when it should and only then', { skip }, () => {
  const r = spawnSync('promtool', ['test', 'rules', UNIT_TESTS], { encoding: 'utf8', cwd: root });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /SUCCESS/);
});

test('rules file: the alerts the fleet needs, each one unit-tested', () => {
  const rules = readFileSync(RULES, 'utf8');
  const tests = readFileSync(UNIT_TESTS, 'utf8');
  const alerts = [...rules.matchAll(/^\s+- alert: (\w+)$/gm)].map((m) => m[1]);
  for (const a of ['HacheckAgentStopped', 'HacheckAgentDown', 'HacheckAgentStale', 'HacheckNodeUnhealthy', 'HacheckRestartBudgetSpent', 'HacheckVerdictFlapping', 'HacheckPairNoHealthyNode']) {
    assert.ok(alerts.includes(a), `${a} in the rules`);
  }
  // every alert has a firing case in the unit tests (exp_alerts with a label set), not only a quiet one
  for (const a of alerts) {
    assert.match(tests, new RegExp(`alertname: ${a}\\n\\s+eval_time: \\w+\\n\\s+exp_alerts:\\n\\s+- exp_labels`), `${a} has a firing test`);
  }
});
