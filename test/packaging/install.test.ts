// Install test of the packages (issue 7): build + package, `dpkg -i` on this
// machine, the installed binary with an empty environment, the man page, a real
// check against a local nginx using the installed default config, `dpkg -r`
// (only the conffile stays), `dpkg -P` (nothing stays); the rpm inspected and
// installed into a temporary root. Needs root, dpkg and rpm: skipped otherwise,
// with the reason (a skip is reported as skipped, never as passed).
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { lab } from '../fixtures/nginx-lab.ts';
import { acquire } from '../../scripts/lock.mjs';

const root = new URL('../../', import.meta.url).pathname;
const VERSION: string = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
const DEB = join(root, `dist/hacheck_${VERSION}_amd64.deb`);
const RPM = join(root, `dist/hacheck-${VERSION}-1.x86_64.rpm`);
/** docs/*.md as installed in /usr/share/doc/hacheck/docs/: gzipped above 4 KiB, as dh_compress does. */
const DOC_FILES = readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).sort()
  .map((f) => `/usr/share/doc/hacheck/docs/${f}${statSync(join(root, 'docs', f)).size > 4096 ? '.gz' : ''}`);

function sh(cmd: string, args: string[], opts: SpawnSyncOptions = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 240_000, ...opts });
  return { code: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}
const has = (cmd: string) => sh('sh', ['-c', `command -v ${cmd}`]).code === 0;

function whyNot(): string | undefined {
  if (process.platform !== 'linux' || process.arch !== 'x64') return 'needs linux x64';
  if (process.getuid?.() !== 0) return 'needs root (dpkg -i on this machine)';
  for (const c of ['dpkg', 'dpkg-deb', 'rpm', 'rpmbuild', 'man', 'nginx', 'lintian']) if (!has(c)) return `needs ${c} (.ci/run installs it)`;
  const owner = sh('dpkg-query', ['-W', '-f=${Status}', 'hacheck']);
  if (owner.code !== 0 && existsSync('/etc/hacheck/hacheck.yaml')) return '/etc/hacheck/hacheck.yaml exists and no package owns it: not overwriting an operator\'s config';
  return undefined;
}
const skip = whyNot();
if (skip) process.stderr.write(`# SKIPPED install test: ${skip}\n`);
// dpkg -i/-r/-P act on the whole machine: concurrent runs of this file (several
// `npm test` in one machine) take turns, from packaging to purge.
else after(await acquire('/tmp/hacheck-install-test.lock', { what: 'install test', timeoutMs: 900_000 }));

test('deb: dpkg -i, env -i --version, man -w, a real check with the installed config, dpkg -r, dpkg -P', { skip, timeout: 300_000 }, async (t) => {
  // build + package (the binary is rebuilt only when its inputs changed: build-sea's stamp)
  const p = sh(process.execPath, [join(root, 'scripts/package.mjs'), '--arch', 'x64'], { cwd: root, env: { ...process.env, NODE_EXTRA_CA_CERTS: '' } });
  assert.equal(p.code, 0, p.out);
  assert.ok(existsSync(DEB) && existsSync(RPM), p.out);
  assert.doesNotMatch(p.out, /^E: /m, 'lintian errors');

  const contents = sh('dpkg-deb', ['-c', DEB]).stdout;
  for (const path of ['./usr/bin/hacheck', './usr/share/man/man1/hacheck.1.gz', './usr/share/bash-completion/completions/hacheck',
    './usr/share/zsh/vendor-completions/_hacheck', './etc/hacheck/hacheck.yaml', './usr/lib/tmpfiles.d/hacheck.conf',
    './usr/share/doc/hacheck/copyright', './usr/share/doc/hacheck/changelog.gz', './usr/share/doc/hacheck/README.md.gz',
    './usr/share/hacheck/prometheus/hacheck.rules.yml', ...DOC_FILES.map((f) => `.${f}`)]) assert.match(contents, new RegExp(` ${path.replace(/\./g, '\\.')}$`, 'm'), path);
  assert.match(contents, /^-rwxr-xr-x root\/root .* \.\/usr\/bin\/hacheck$/m);
  assert.equal(sh('dpkg-deb', ['-f', DEB, 'Version']).stdout.trim(), VERSION);

  t.after(() => { sh('dpkg', ['-P', 'hacheck']); });
  const inst = sh('dpkg', ['-i', DEB]);
  assert.equal(inst.code, 0, inst.out);

  // the binary: root-owned, not group/other-writable (keepalived's enable_script_security), no Node on PATH needed
  const st = statSync('/usr/bin/hacheck');
  assert.equal(st.uid, 0);
  assert.equal(st.mode & 0o777, 0o755);
  const v = sh('env', ['-i', '/usr/bin/hacheck', '--version']);
  assert.equal(v.code, 0, v.out);
  assert.equal(v.stdout.trim(), VERSION);
  assert.equal(v.stderr, '', 'no warning (experimental SEA or otherwise) on stderr');

  const man = sh('man', ['-w', 'hacheck']);
  assert.equal(man.code, 0, man.out);
  assert.equal(man.stdout.trim(), '/usr/share/man/man1/hacheck.1.gz');
  const page = sh('man', ['-P', 'cat', 'hacheck'], { env: { ...process.env, MANWIDTH: '200' } }).stdout;
  assert.match(page, new RegExp(`hacheck ${VERSION.replace(/\./g, '\\.')}`));
  for (const cmd of ['check', 'agent', 'status', 'validate']) assert.match(page, new RegExp(`^\\s+${cmd}\\b`, 'm'), `man page lists ${cmd}`);
  assert.match(page.replace(/\s+/g, ' '), /full reference .* is in \/usr\/share\/doc\/hacheck\/: README\.md\.gz and docs\//, 'man page says where the full reference lives');
  for (const f of DOC_FILES) assert.ok(existsSync(f), `${f} installed`);

  // the conffile is valid and is the default config
  const val = sh('env', ['-i', '/usr/bin/hacheck', 'validate']);
  assert.equal(val.code, 0, val.out);
  assert.match(val.stdout, /\/etc\/hacheck\/hacheck\.yaml: ok/);
  assert.ok(statSync('/run/hacheck').isDirectory(), 'postinst created /run/hacheck (tmpfiles.d entry)');

  // a real check: the installed config (timeout, state_dir /run/hacheck, maintenance file), its probes pointed at this nginx by flags
  const ng = await lab(t);
  const ok = sh('env', ['-i', '/usr/bin/hacheck', '--pidfile', ng.pidfile, '--port', `127.0.0.1:${ng.port}`, '--url', `http://127.0.0.1:${ng.port}/`, '--json']);
  assert.equal(ok.code, 0, ok.out);
  const report = JSON.parse(ok.stdout);
  assert.deepEqual(report.probes.map((x: { kind: string }) => x.kind).sort(), ['http', 'port', 'process']);
  // without the flags the installed config's own probes run (this machine's nginx is not on /run/nginx.pid and :80)
  const own = sh('env', ['-i', '/usr/bin/hacheck', '--verbose']);
  assert.match(own.out, /\/run\/nginx\.pid/, own.out);

  // postinst on an upgrade whose hacheck refuses the config: a warning naming why, the install not failed
  const conf = readFileSync('/etc/hacheck/hacheck.yaml');
  writeFileSync('/etc/hacheck/hacheck.yaml', 'state_dir: run/hacheck\n');
  const up = sh('sh', ['/var/lib/dpkg/info/hacheck.postinst', 'configure', '0.0.9']);
  writeFileSync('/etc/hacheck/hacheck.yaml', conf);
  assert.equal(up.code, 0, up.out);
  assert.match(up.stderr, /^hacheck: WARNING: this hacheck refuses \/etc\/hacheck\/hacheck\.yaml; every check that reads it fails \(keepalived: FAULT\) until it is fixed:\nhacheck: {3}.*state_dir.*relative/m, up.out);
  assert.doesNotMatch(sh('sh', ['/var/lib/dpkg/info/hacheck.postinst', 'configure', '0.0.9']).stderr, /WARNING/, 'a valid config: nothing said');

  // dpkg -r: everything but the conffile is gone
  const files = contents.split('\n').filter((l) => l.startsWith('-')).map((l) => l.replace(/^.* \.\//, '/'));
  assert.equal(sh('dpkg', ['-r', 'hacheck']).code, 0);
  for (const f of files.filter((f) => f !== '/etc/hacheck/hacheck.yaml')) assert.ok(!existsSync(f), `${f} left behind by dpkg -r`);
  assert.ok(existsSync('/etc/hacheck/hacheck.yaml'), 'dpkg -r keeps the conffile');
  assert.match(sh('dpkg-query', ['-W', '-f=${db:Status-Abbrev}', 'hacheck']).stdout, /^rc/);

  // dpkg -P: nothing is left
  assert.equal(sh('dpkg', ['-P', 'hacheck']).code, 0);
  for (const f of [...files, '/etc/hacheck', '/run/hacheck']) assert.ok(!existsSync(f), `${f} left behind by dpkg -P`);
  assert.notEqual(sh('dpkg-query', ['-W', 'hacheck']).code, 0);
});

test('rpm: rpm -qpl/-qpi, installed into a temporary root with the right modes and paths', { skip, timeout: 120_000 }, (t) => {
  assert.ok(existsSync(RPM), 'the deb test packaged it');
  const info = sh('rpm', ['-qpi', RPM]);
  assert.equal(info.code, 0, info.out);
  assert.match(info.stdout, new RegExp(`^Version\\s*: ${VERSION.replace(/\./g, '\\.')}$`, 'm'));
  assert.match(info.stdout, /^Architecture: x86_64$/m);
  const list = sh('rpm', ['-qpl', RPM]).stdout.split('\n');
  for (const f of ['/usr/bin/hacheck', '/usr/share/man/man1/hacheck.1.gz', '/usr/share/bash-completion/completions/hacheck',
    '/usr/share/zsh/site-functions/_hacheck', '/etc/hacheck/hacheck.yaml', '/usr/lib/tmpfiles.d/hacheck.conf', '/usr/share/doc/hacheck/copyright',
    '/usr/share/doc/hacheck/README.md.gz', '/usr/share/hacheck/prometheus/hacheck.rules.yml', ...DOC_FILES]) assert.ok(list.includes(f), `${f} in rpm -qpl`);
  assert.deepEqual(sh('rpm', ['-qpc', RPM]).stdout.trim().split('\n'), ['/etc/hacheck/hacheck.yaml']);
  // scriptlets as the deb's postinst/postrm: a daemon-reload after install and erase; the state dir gone on erase only
  const scripts = sh('rpm', ['-qp', '--scripts', RPM]).stdout;
  assert.match(scripts, /^postinstall scriptlet[^\n]*\n(?:.*\n)*?.*systemctl --system daemon-reload/m, scripts);
  assert.match(scripts, /^postuninstall scriptlet[^\n]*\nif \[ "\$1" = 0 \]; then rm -rf \/run\/hacheck; fi\n.*daemon-reload/m, scripts);

  const dir = mkdtempSync(join(tmpdir(), 'hacheck-rpmroot-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.equal(sh('rpm', ['--root', dir, '--initdb']).code, 0);
  const i = sh('rpm', ['--root', dir, '-i', '--nodeps', '--noscripts', RPM]);
  assert.equal(i.code, 0, i.out);
  const bin = statSync(join(dir, 'usr/bin/hacheck'));
  assert.equal(bin.uid, 0);
  assert.equal(bin.mode & 0o7777, 0o755);
  assert.equal(statSync(join(dir, 'etc/hacheck/hacheck.yaml')).mode & 0o7777, 0o644);
  const verify = sh('rpm', ['--root', dir, '-V', '--nodeps', 'hacheck']); // deps: --nodeps, the temp root has no libc
  assert.equal(verify.code, 0, `rpm -V: ${verify.out}`);
  const v = sh('env', ['-i', join(dir, 'usr/bin/hacheck'), '--version']);
  assert.equal(v.stdout.trim(), VERSION, v.out);
});
