// docs/configuration.md "`--json` of `check`" against a real run: every key the
// document has is in the table, and every key the table gives without "?" is in
// the document, with the type the table says. Found: the check's --json had no
// field list anywhere (only `checks[].processes`, a path that does not exist).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hacheck } from '../fixtures/hacheck.ts';
import { startNginx } from '../fixtures/nginx-server.ts';

const root = new URL('../../', import.meta.url).pathname;

interface Row { keys: string[]; optional: boolean; type: string; meaning: string }

/** The rows of the table under "### `--json` of `check`": `a`, `b`? | type | meaning. */
function documented(): Row[] {
  const md = readFileSync(join(root, 'docs/configuration.md'), 'utf8');
  const start = md.indexOf('### `--json` of `check`');
  assert.ok(start >= 0, 'configuration.md has a "`--json` of `check`" section');
  const section = md.slice(start, md.indexOf('\n#', start + 10));
  const rows: Row[] = [];
  for (const line of section.split('\n')) {
    const m = /^\| (`[^|]+) \| ([^|]+) \| (.*) \|$/.exec(line);
    if (!m) continue;
    const keys = [...m[1].matchAll(/`([^`]+)`(\?)?/g)];
    rows.push({ keys: keys.map((k) => k[1]), optional: keys.some((k) => k[2] === '?'), type: m[2].trim(), meaning: m[3] });
  }
  return rows;
}

const typeOf = (v: unknown) => (Array.isArray(v) ? (v.every((x) => typeof x === 'string') ? 'string[]' : 'object[]') : typeof v);

/** `a`, `b`? and `c` (…) inside a row's meaning: the member keys of probes[] and checks[]. */
function members(meaning: string): { key: string; optional: boolean }[] {
  // only the keys at this level: drop parenthesised explanations (they name sub-keys and values)
  let flat = '';
  let depth = 0;
  for (const ch of meaning) {
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (depth === 0) flat += ch;
  }
  return [...flat.matchAll(/`([a-zA-Z_]+)(?:\[\])?`(\?)?/g)].map((m) => ({ key: m[1], optional: m[2] === '?' }));
}

test('check --json: the keys and types of docs/configuration.md are the ones a real run prints (healthy and unhealthy)', async (t) => {
  const ng = await startNginx(t);
  const state = mkdtempSync(join(tmpdir(), 'hacheck-json-'));
  t.after(() => rmSync(state, { recursive: true, force: true }));
  const rows = documented();
  const top = rows.filter((r) => !r.keys[0].startsWith('probes[]'));
  const probeRow = rows.find((r) => r.keys[0] === 'probes[]');
  const checkRow = rows.find((r) => r.keys[0] === 'probes[].checks[]');
  assert.ok(probeRow && checkRow, 'rows for probes[] and probes[].checks[]');
  const probeKeys = members(probeRow.meaning);
  const checkKeys = members(checkRow.meaning);

  const base = ['--pidfile', ng.pidfile, '--url', `${ng.base}/`, '--state-dir', state, '--maintenance-file', '', '--json'];
  const healthy = await hacheck(...base, '--port', String(ng.port));
  const unhealthy = await hacheck(...base, '--port', String(ng.downPort));
  assert.equal(healthy.code, 0, healthy.stderr);
  assert.equal(unhealthy.code, 1, unhealthy.stderr);
  for (const run of [healthy, unhealthy]) {
    const doc = JSON.parse(run.stdout) as Record<string, unknown>;
    const known = new Set(top.flatMap((r) => r.keys));
    for (const k of Object.keys(doc)) assert.ok(known.has(k) || k === 'probes', `top-level key "${k}" is documented`);
    for (const r of top) {
      for (const k of r.keys) {
        if (!(k in doc)) {
          assert.ok(r.optional, `"${k}" (not marked ?) is in the document`);
          continue;
        }
        assert.equal(typeOf(doc[k]), r.type, `"${k}" is a ${r.type}`);
      }
    }
    assert.equal(doc.exit_code, run.code, 'exit_code is the exit code');
    const probes = doc.probes as Record<string, unknown>[];
    assert.ok(probes.length === 3);
    for (const p of probes) {
      for (const k of Object.keys(p)) assert.ok(probeKeys.some((m) => m.key === k), `probes[].${k} is documented`);
      for (const m of probeKeys) if (!m.optional) assert.ok(m.key in p, `probes[].${m.key} (not marked ?) is in probe ${p.name}`);
      assert.equal(typeof p.ok, 'boolean');
      for (const v of Object.values((p.metrics ?? {}) as Record<string, unknown>)) assert.ok(v === null || typeof v === 'number', `metrics are numbers or null: ${v}`);
      for (const c of p.checks as Record<string, unknown>[]) {
        for (const k of Object.keys(c)) assert.ok(checkKeys.some((m) => m.key === k), `probes[].checks[].${k} is documented`);
        for (const m of checkKeys) if (!m.optional) assert.ok(m.key in c, `probes[].checks[].${m.key} (not marked ?) is in ${c.target}`);
      }
    }
  }
  const bad = JSON.parse(unhealthy.stdout);
  assert.equal(bad.verdict, 'unhealthy');
  assert.equal(bad.evidence, 'definitive', 'a refused local port is definitive evidence');
  assert.ok(bad.probes.find((p: { kind: string }) => p.kind === 'port').checks[0].reason, 'a failed check says why');
  assert.ok(bad.probes.find((p: { kind: string }) => p.kind === 'process').checks[0].processes.length >= 3, 'the process probe lists nginx processes');
});
