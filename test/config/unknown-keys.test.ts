// Strict config: a mistyped key is one line naming it, its line, and the key
// it most likely meant, from the keys allowed at that place (a probe's by its
// type), never silently ignored (a check that checks nothing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { didYouMean } from '../../src/config/units.ts';
import { configErrorOf as errorOf } from '../fixtures/config-error.ts';

test('a typo names the key meant, at every level: top, log, agent, metrics, values, restart, each probe type, a URL', () => {
  const cases: [string, string][] = [
    ['timeuot: 1s\n', 'c.yaml:1: timeuot: unknown key "timeuot" (did you mean "timeout"?)'],
    ['Timeout: 1s\n', 'c.yaml:1: Timeout: unknown key "Timeout" (did you mean "timeout"?)'],
    ['stat_dir: /run/x\n', 'c.yaml:1: stat_dir: unknown key "stat_dir" (did you mean "state_dir"?)'],
    ['log:\n  files: /var/log/h.log\n', 'c.yaml:2: log.files: unknown key "files" (did you mean "file"?)'],
    ['agent:\n  intervall: 1s\n', 'c.yaml:2: agent.intervall: unknown key "intervall" (did you mean "interval"?)'],
    ['agent:\n  metrics:\n    textfile: /x\n', 'c.yaml:3: agent.metrics.textfile: unknown key "textfile" (did you mean "textfile_dir"?)'],
    ['agent:\n  values: {healty: 0}\n', 'c.yaml:2: agent.values.healty: unknown key "healty" (did you mean "healthy"?)'],
    ['restart:\n  enable: true\n', 'c.yaml:2: restart.enable: unknown key "enable" (did you mean "enabled"?)'],
    ['probes:\n  - type: process\n    pidfle: /run/nginx.pid\n', 'c.yaml:3: probes[0].pidfle: unknown key "pidfle" (did you mean "pidfile"?)'],
    ['probes:\n  - type: cpu\n    busymax: 90\n', 'c.yaml:3: probes[0].busymax: unknown key "busymax" (did you mean "busy_max"?)'],
    ['probes:\n  - type: stub_status\n    url: http://127.0.0.1/s\n    activ_max: 1\n', 'c.yaml:4: probes[0].activ_max: unknown key "activ_max" (did you mean "active_max"?)'],
    ['probes:\n  - type: http\n    urls:\n      - url: http://127.0.0.1/\n        stauts: 200\n', 'c.yaml:5: probes[0].urls[0].stauts: unknown key "stauts" (did you mean "status"?)'],
    // the same word means another key in another probe: judged by this entry's type
    ['probes:\n  - type: port\n    targets: ["80"]\n  - type: memory\n    nginx_rss: 1GiB\n', 'c.yaml:5: probes[1].nginx_rss: unknown key "nginx_rss" (did you mean "nginx_rss_max"?)'],
    // nothing close: no guess
    ['zzz: 1\n', 'c.yaml:1: zzz: unknown key "zzz"'],
    ['probes:\n  - type: port\n    targets: ["80"]\n    hostname: x\n', 'c.yaml:4: probes[0].hostname: unknown key "hostname"'],
  ];
  for (const [yaml, want] of cases) assert.equal(errorOf(yaml), want, yaml);
  assert.match(errorOf('probes:\n  - type: stubstatus\n'), /^c\.yaml:2: probes\[0\]\.type: unknown probe type "stubstatus": did you mean "stub_status"\? expected one of /);
  assert.match(errorOf('probes:\n  - type: ping\n'), /unknown probe type "ping": expected one of /);
});

test('did-you-mean is bounded on any input: 1 MiB of long unknown keys is refused at once', () => {
  assert.equal(didYouMean('x'.repeat(100_000), ['timeout', 'state_dir']), undefined);
  const yaml = Array.from({ length: 1000 }, (_, i) => `${'k'.repeat(1000)}${i}: 1`).join('\n') + '\n';
  const t0 = performance.now();
  assert.match(errorOf(yaml), /^c\.yaml:1: k+0: unknown key "k+0"/);
  assert.ok(performance.now() - t0 < 3000, 'quick');
});

test('a section left empty (every key below it commented out) and yes/no for a boolean are said in the operator\'s words', () => {
  assert.equal(errorOf('log:\n  # level: debug\n'), 'c.yaml:1: log: empty value (nothing after "log:", or only comments below it): give it keys, or leave the key out for its default');
  assert.equal(errorOf('probes:\n'), 'c.yaml:1: probes: empty value (nothing after "probes:", or only comments below it): give it items, or leave the key out for its default');
  assert.match(errorOf('agent:\n  metrics:\n'), /^c\.yaml:2: agent\.metrics: empty value \(nothing after "metrics:"/);
  assert.equal(errorOf('fail_fast: yes\n'), 'c.yaml:1: fail_fast: expected true or false, got "yes" (in YAML 1.2 yes, no, on and off are text)');
  assert.match(errorOf('restart:\n  enabled: on\n'), /^c\.yaml:2: restart\.enabled: expected true or false, got "on"/);
  assert.equal(errorOf('fail_fast: True\n'), 'ok', 'True is YAML 1.2 true');
});

test('a value of the wrong shape is said in YAML\'s words: a list, a map, a probe without its type, an empty list item', () => {
  assert.equal(errorOf('probes: {type: port, targets: ["80"]}\n'), 'c.yaml:1: probes: expected a list ([a, b] or lines starting with "- "), got a map');
  assert.equal(errorOf('probes:\n  - type: port\n    targets: "80"\n'), 'c.yaml:3: probes[0].targets: expected a list ([a, b] or lines starting with "- "), got "80"');
  assert.equal(errorOf('log: info\n'), 'c.yaml:1: log: expected a map (key: value lines, or {key: value}), got "info"');
  assert.equal(errorOf('agent:\n  metrics: [textfile_dir]\n'), 'c.yaml:2: agent.metrics: expected a map (key: value lines, or {key: value}), got a list');
  assert.equal(errorOf('probes: [port]\n'), 'c.yaml:1: probes[0]: each probe is a map with its type, e.g. {type: port, targets: ["80"]}, got "port"');
  assert.equal(errorOf('probes:\n  -\n'), 'c.yaml:2: probes[0]: an empty list item ("-" with nothing after it, or ~)');
  assert.match(errorOf('probes:\n  - targets: ["80"]\n'), /^c\.yaml:2: probes\[0\]\.type: no type: each probe names one, e.g\. \{type: port, targets: \["80"\]\}; one of process, port, /);
});

// valibot's variant issue carries the type's value (not the entry) for a map or a list: a type of
// the wrong shape said "no type", and a map as type named the map's own "type" key as the probe type.
test('a probe type of the wrong shape, or a list as a probe entry, is said as such (not "no type")', () => {
  assert.match(errorOf('probes: [{type: [port]}]\n'), /^c\.yaml:1: probes\[0\]\.type: the type is a list: write one of process, port, /);
  assert.match(errorOf('probes: [{type: {type: http}}]\n'), /^c\.yaml:1: probes\[0\]\.type: the type is a map: write one of process, port, /);
  // an alias to itself makes a circular value: said as the others, not exit 70 from JSON.stringify
  assert.match(errorOf('probes: [{type: &a [*a]}]\n'), /^c\.yaml:1: probes\[0\]\.type: the type is a list: write one of /);
  assert.match(errorOf('probes: [{type: &a {x: *a}}]\n'), /^c\.yaml:1: probes\[0\]\.type: the type is a map: write one of /);
  assert.match(errorOf('probes: [[port]]\n'), /^c\.yaml:1: probes\[0\](?:\.type)?: each probe is a map with its type, e\.g\. \{type: port, targets: \["80"\]\}, got a list$/);
  assert.match(errorOf('probes: [{type: prot}]\n'), /unknown probe type "prot": did you mean "port"\?/);
});
