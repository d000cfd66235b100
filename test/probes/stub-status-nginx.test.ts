// stub_status and nginx's own resource figures against a real nginx.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hacheck } from '../fixtures/hacheck.ts';
import { killNginx, lab } from '../fixtures/nginx-lab.ts';

test('stub_status: counts parsed from a real nginx; a limit below the current count fails', async (t) => {
  const l = await lab(t);
  const f = join(l.dir, 'stub.yaml');
  const write = (active: number) => writeFileSync(f, `state_dir: ${l.dir}/state\nmaintenance_file: ""\nprobes:\n  - type: stub_status\n    url: http://127.0.0.1:${l.port}/status\n    active_max: ${active}\n    dropped_max: 0\n    sample: 100ms\n`);
  write(1000);
  const ok = JSON.parse((await hacheck('-c', f, '--json')).stdout);
  assert.equal(ok.exit_code, 0, JSON.stringify(ok.reasons));
  const m = ok.probes[0].metrics;
  assert.ok(m.active >= 1 && m.writing >= 1, JSON.stringify(m)); // our own request is active and being written
  assert.equal(m.dropped, 0);
  write(0);
  const bad = JSON.parse((await hacheck('-c', f, '--json')).stdout);
  assert.equal(bad.exit_code, 1);
  assert.match(bad.reasons[0], /^stub_status: active \d+ > 0/);
  killNginx(l);
  const down = JSON.parse((await hacheck('-c', f, '--json')).stdout);
  assert.equal(down.exit_code, 1);
  assert.match(down.reasons[0], /ECONNREFUSED/);
});

test('nginx CPU % and RSS are summed over master + workers', async (t) => {
  const l = await lab(t);
  const f = join(l.dir, 'res.yaml');
  writeFileSync(f, `state_dir: ${l.dir}/state\nmaintenance_file: ""\nprobes:\n  - type: cpu\n    nginx_max: 10000\n    sample: 100ms\n  - type: memory\n    nginx_rss_max: 1KiB\n`);
  const rep = JSON.parse((await hacheck('-c', f, '--json')).stdout);
  const cpu = rep.probes.find((p: { kind: string }) => p.kind === 'cpu');
  assert.ok(cpu.metrics.nginx_pct >= 0);
  // every nginx on the machine counts (by comm); at least our master + 2 workers
  // the target is the identity as configured (a stable metrics label); the count is a sample
  assert.equal(cpu.checks[1].target, 'comm=nginx');
  assert.ok(cpu.metrics.nginx_processes >= 3, JSON.stringify(cpu.metrics));
  assert.match(cpu.checks[1].value, /, (\d+) processes/);
  const mem = rep.probes.find((p: { kind: string }) => p.kind === 'memory');
  assert.equal(mem.ok, false);
  assert.match(mem.summary, /^nginx RSS [\d.]+ MiB > 1\.0 KiB$/);
});
