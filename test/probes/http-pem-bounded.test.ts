// The PEM files a URL names (client_cert, client_key, ca_file) are read at load
// through the bounded reader: a FIFO with no writer, or a device such as /dev/zero,
// must end the run with a config error within its --timeout, never hold it (a
// blocking readFileSync of a FIFO held `hacheck check --timeout 1s` for ever).
// Through the built bundle, as keepalived runs it.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HACHECK, cleanEnv } from '../fixtures/hacheck.ts';

const dir = mkdtempSync('/tmp/hc-pem-bounded-');
after(() => rmSync(dir, { recursive: true, force: true }));
const fifo = join(dir, 'fifo.pem');
spawnSync('mkfifo', [fifo]);
const cert = join(dir, 'cert.pem');
writeFileSync(cert, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');

function check(key: string, path: string) {
  const cfg = join(dir, `${key}.yaml`);
  writeFileSync(cfg, `maintenance_file: ""\nstate_dir: ${dir}/state\ntimeout: 1s\nprobes:\n  - type: http\n    urls:\n      - url: https://127.0.0.1:1/\n        ${key}: ${path}\n${key === 'client_key' ? `        client_cert: ${cert}\n` : ''}`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [HACHECK, 'check', '-c', cfg], { env: cleanEnv(), encoding: 'utf8', timeout: 8000 });
  return { ...r, ms: performance.now() - t0 };
}

for (const [key, path] of [['client_cert', fifo], ['client_key', fifo], ['client_cert', '/dev/zero'], ['client_key', '/dev/zero'], ['ca_file', '/dev/zero']] as const) {
  test(`${key} ${path === fifo ? 'a FIFO with no writer' : path}: a config error (78) within the run's deadline`, () => {
    const r = check(key, path);
    assert.equal(r.signal, null, `killed after ${Math.round(r.ms)} ms: the run hung on ${path}`);
    assert.equal(r.status, 78, r.stderr);
    assert.match(r.stderr, new RegExp(path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')));
    assert.ok(r.ms < 1000 + 1500, `${Math.round(r.ms)} ms`); // deadline + a generous margin for the start
  });
}
