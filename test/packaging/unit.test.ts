// The agent's unit must not give up restarting: systemd's default start limit
// (DefaultStartLimitBurst=5 in DefaultStartLimitIntervalSec=10s, systemd-system.conf(5))
// left an agent that exited 75 five times (another agent held the track_file) failed
// for good, its track_file holding the other agent's on_exit value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;
const UNIT = join(root, 'packaging/systemd/hacheck-agent.service');

/** section → key → values, comments dropped */
function settings(text: string): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  let sec = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const s = /^\[(\w+)\]$/.exec(line);
    if (s) { sec = s[1]; out.set(sec, new Map()); continue; }
    const [k, ...v] = line.split('=');
    const m = out.get(sec)!;
    m.set(k, [...(m.get(k) ?? []), v.join('=')]);
  }
  return out;
}

test('systemd unit: restarts forever, at most once a second (no start limit in [Unit])', () => {
  const s = settings(readFileSync(UNIT, 'utf8'));
  assert.deepEqual(s.get('Unit')!.get('StartLimitIntervalSec'), ['0'], 'StartLimitIntervalSec=0 in [Unit] (systemd ignores it in [Service] since v230)');
  assert.deepEqual(s.get('Service')!.get('Restart'), ['always']);
  assert.deepEqual(s.get('Service')!.get('RestartSec'), ['1s'], 'a bounded rate, since nothing else bounds it');
  assert.equal(s.get('Service')!.get('RestartPreventExitStatus'), undefined, '75 and 78 are retried: the other agent stops, the config gets fixed');
});

test('systemd unit: systemd-analyze verify accepts StartLimitIntervalSec in [Unit]', { skip: spawnSync('sh', ['-c', 'command -v systemd-analyze']).status !== 0 && 'systemd-analyze not installed' }, () => {
  const r = spawnSync('systemd-analyze', ['verify', UNIT], { encoding: 'utf8' });
  assert.doesNotMatch(`${r.stdout}${r.stderr}`, /StartLimit|Unknown key|unknown lvalue/i);
});
