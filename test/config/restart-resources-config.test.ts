// Bad restart/resource config: one line with file:line and the reason, exit 78;
// bad flag values: exit 64. Each kind of mistake once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hacheck } from '../fixtures/hacheck.ts';

const dir = mkdtempSync(join(tmpdir(), 'hacheck-cfg-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const cases: [string, string, number, RegExp][] = [
  ['grace without unit', 'restart:\n  enabled: true\n  grace: 30\n', 3, /restart\.grace: expected a duration/],
  ['grace with a space', 'restart:\n  grace: "30 s"\n', 2, /bad duration "30 s"/],
  ['budget max 0', 'restart:\n  budget:\n    max: 0\n', 3, /restart\.budget\.max must be >= 1/],
  ['budget window too short', 'restart:\n  budget:\n    window: 10ms\n', 3, /duration 10ms out of range/],
  ['cmd as a shell string', 'restart:\n  cmd: systemctl restart nginx\n', 2, /restart\.cmd: must be a list/],
  ['empty config_test', 'restart:\n  config_test: []\n', 2, /restart\.config_test: needs at least the program/],
  ['unknown restart key', 'restart:\n  enable: true\n', 2, /unknown key "enable"/],
  ['cpu over 100%', 'probes:\n  - type: cpu\n    busy_max: 120\n', 3, /percentage must be <= 100/],
  ['cpu percent as text', 'probes:\n  - type: cpu\n    iowait_max: "twenty"\n', 3, /expected a percentage/],
  ['cpu percent with a space before %', 'probes:\n  - type: cpu\n    iowait_max: "20 %"\n', 3, /expected a percentage/],
  ['for: 0', 'probes:\n  - type: cpu\n    busy_max: 90\n    for: 0\n', 4, /for must be >= 1/],
  ['window unit', 'probes:\n  - type: io\n    window: 2x\n', 3, /bad duration "2x"/],
  ['io rate', 'probes:\n  - type: io\n    write_max: fast\n', 3, /bad size "fast"/],
  ['memory size', 'probes:\n  - type: memory\n    nginx_rss_max: 2 lots\n', 3, /bad size "2 lots"/],
  ['stub_status without url', 'probes:\n  - type: stub_status\n    active_max: 10\n', 2, /url/],
  ['stub_status negative', 'probes:\n  - type: stub_status\n    url: http://127.0.0.1/s\n    waiting_max: -1\n', 4, /waiting_max must be >= 0/],
  ['maintenance_file type', 'maintenance_file: 3\n', 1, /maintenance_file/],
];

for (const [name, yaml, line, msg] of cases) {
  test(`config: ${name} → 78 at line ${line}`, async () => {
    const f = join(dir, `${name.replace(/\W+/g, '-')}.yaml`);
    writeFileSync(f, yaml);
    const r = await hacheck('validate', '-c', f);
    assert.equal(r.code, 78, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, 'one line, no stack trace');
    assert.ok(r.stderr.startsWith(`hacheck: ${f}:${line}: `), r.stderr);
    assert.match(r.stderr, msg);
  });
}

test('a full restart + resources config is valid and prints back in units', async () => {
  const f = join(dir, 'good.yaml');
  writeFileSync(f, [
    'restart:', '  enabled: true', '  cmd: [systemctl, restart, nginx]', '  config_test: [nginx, -t, -q]',
    '  budget: { max: 3, window: 10m }', '  grace: 30s', 'maintenance_file: /etc/hacheck/maintenance',
    'probes:', '  - type: cpu', '    busy_max: 90', '    iowait_max: 30', '    nginx_max: 150', '    for: 3',
    '  - type: io', '    write_max: 200MiB/s', '  - type: memory', '    available_min: 5', '    nginx_rss_max: 2GiB',
    '  - type: stub_status', '    url: http://127.0.0.1/nginx_status', '    active_max: 10000', '',
  ].join('\n'));
  const r = await hacheck('validate', '-c', f, '--print');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /grace: 30s/);
  assert.match(r.stdout, /window: 10m/);
  assert.match(r.stdout, /write_max: 209715200/);
});

// a config of defaults keeps an installed /etc/hacheck/hacheck.yaml out (as -c /dev/null would; an empty file is "empty config", 78)
const flagsOnly = join(dir, 'flags-only.yaml');
writeFileSync(flagsOnly, 'fail_fast: false\n');
const flagCases: [string[], RegExp][] = [
  [['--cpu-max', '101'], /--cpu-max\/--iowait-max: percentage must be <= 100/],
  [['--iowait-max', 'lots'], /--cpu-max\/--iowait-max: expected a percentage/],
  [['--restart-cmd', "nginx -g 'daemon on;"], /--restart-cmd: unbalanced quote/],
  [['--restart-cmd', '   '], /^hacheck: --restart-cmd: empty value/],
];
for (const [args, msg] of flagCases) {
  test(`flag: ${args.join(' ')} → 64`, async () => {
    const r = await hacheck('check', '-c', flagsOnly, ...args);
    assert.equal(r.code, 64, r.stderr);
    assert.match(r.stderr, msg);
  });
}
