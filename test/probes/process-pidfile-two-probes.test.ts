// Two process probes with their own pid files (two nginx instances): each keeps
// its pid file's descriptor between runs; one probe's run must not close the other's.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import * as v from 'valibot';
import { prober, schema } from '../../src/probes/process.ts';

const dir = mkdtempSync('/tmp/hc-review-two-');
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(`${dir}/a.pid`, `${process.pid}\n`);
writeFileSync(`${dir}/b.pid`, `${process.pid}\n`);
const heldPidfiles = () => readdirSync('/proc/self/fd')
  .map((f) => { try { return readlinkSync(`/proc/self/fd/${f}`); } catch { return ''; } })
  .filter((l) => l.startsWith(`${dir}/`)).map((l) => l.slice(dir.length + 1)).sort();
const run = (p: string) => prober.run(v.parse(schema, { type: 'process', pidfile: `${dir}/${p}` }), { signal: AbortSignal.timeout(2000), deadline: performance.now() + 2000, stateDir: '/nonexistent' });

test('two pidfile probes: both descriptors kept across runs; one gone from the config is closed later', async () => {
  for (let i = 0; i < 3; i++) {
    await run('a.pid');
    await run('b.pid');
    assert.deepEqual(heldPidfiles(), ['a.pid', 'b.pid'], `cycle ${i}`);
  }
  // b.pid's probe removed (a config reload): its descriptor is closed within a few dozen runs
  for (let i = 0; i < 40; i++) await run('a.pid');
  assert.deepEqual(heldPidfiles(), ['a.pid']);
});
