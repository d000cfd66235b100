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

/** The man page, rendered to text by man(1) (groff), from the program. */
function renderedMan(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-man-'));
  try {
    const out = join(dir, 'hacheck.1');
    const r = spawnSync(process.execPath, [join(root, 'scripts/gen-man.mjs'), out], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const m = spawnSync('man', ['-l', out], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '200', MAN_KEEP_FORMATTING: '', PAGER: 'cat' } });
    assert.equal(m.status, 0, m.stderr);
    return m.stdout.replace(/.\x08/g, '').replace(/(?<=\S) {2,}(?=\S)/g, ' ');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const blockOf = (text: string, head: RegExp) => {
  const lines = text.split('\n').map((l) => l.trim());
  const i = lines.findIndex((l) => head.test(l));
  return i < 0 ? [] : lines.slice(i + 1, lines.indexOf('}', i));
};

test("man page: its vrrp_script example is the shipped keepalived-oneshot.conf's (fall 2, script timeout above the 1.5 s deadline)", { skip: spawnSync('man', ['--version']).status !== 0 && 'man(1) not installed' }, () => {
  const man = renderedMan();
  const shipped = blockOf(readFileSync(join(root, 'packaging/keepalived/keepalived-oneshot.conf'), 'utf8'), /^vrrp_script \S+ \{$/);
  assert.ok(shipped.length >= 5, `vrrp_script block of the shipped example: ${shipped}`);
  // fall 1 let one run that hacheck could not even schedule (inconclusive, exit 1) move the VIP
  assert.deepEqual(blockOf(man.slice(man.indexOf('EXAMPLES')), /^vrrp_script \S+ \{$/), shipped);
});

test('man page: EXIT STATUS gives every command\'s codes (agent 75, status 1/3, doctor 0/1/2) and FILES the unit and the Prometheus rules', { skip: spawnSync('man', ['--version']).status !== 0 && 'man(1) not installed' }, () => {
  const man = renderedMan();
  const exit = man.slice(man.indexOf('EXIT STATUS'), man.indexOf('FILES')).replace(/\s+/g, ' ');
  assert.match(exit, /Of agent: 0 stopped by SIGTERM.*75 another agent keeps the track_file/);
  assert.match(exit, /Of status .*0 fresh.*1 missing.*stale.*3 forced down; 64 bad option; 78/);
  assert.match(exit, /Of doctor: 0 no findings, 1 warnings, 2 errors/);
  const files = man.slice(man.indexOf('FILES'), man.indexOf('ENVIRONMENT'));
  for (const f of ['/etc/hacheck/hacheck.yaml', '/run/hacheck/', 'hacheck-agent.service', '/usr/share/hacheck/prometheus/hacheck.rules.yml']) assert.ok(files.includes(f), `FILES names ${f}`);
});
