// The man page's option terms: every option of every command is one bold run, its
// hyphens escaped, so `--keepalived-conf` is not read as `--keepalived` + `-c` + "onf".
// Checked against the program itself (the same one --help prints).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;

test('man page: every long option (--keepalived-conf, --peer-conf, --no-keepalived …) is one bold term', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-man-'));
  try {
    const out = join(dir, 'hacheck.1');
    const r = spawnSync(process.execPath, [join(root, 'scripts/gen-man.mjs'), out], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const man = readFileSync(out, 'utf8');
    const lines = man.split('\n');
    const terms = lines.filter((_, i) => lines[i - 1] === '.TP' && lines[i].includes('\\fB\\-'));
    assert.ok(terms.length > 20, `option terms found: ${terms.length}`);
    for (const t of terms) assert.doesNotMatch(t, /\\fR\\fB/, `two bold runs glued in one option: ${t}`);
    for (const opt of ['--keepalived-conf', '--peer-conf', '--no-keepalived', '--peer-priority', '--hacheck-path']) {
      const roff = `\\fB${opt.replace(/-/g, '\\-')}\\fR`;
      assert.ok(man.includes(roff), `${opt} rendered as ${roff}`);
    }
    // the short options still stand alone
    assert.ok(man.includes('\\fB\\-c\\fR, \\fB\\-\\-config\\fR <\\fIpath\\fR>'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
