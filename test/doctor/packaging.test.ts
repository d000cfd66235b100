// The keepalived.conf examples the packages ship (packaging/keepalived/) must get
// no findings from the doctor (their /usr/bin/hacheck taken as installed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { runFixture } from './helpers.ts';

const dir = new URL('../../packaging/keepalived/', import.meta.url).pathname;
const examples = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.conf')).sort() : [];

for (const f of examples) {
  test(`doctor: no findings on the shipped ${f}`, () => {
    const { report } = runFixture(dir + f, { peer: '' });
    assert.deepEqual(report.findings, []);
    assert.ok(report.instances.length > 0);
    assert.ok(report.instances.every((i) => i.checks.every((c) => c.moves !== false)), JSON.stringify(report.instances));
  });
}
