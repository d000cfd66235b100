// Who may have chosen the config root reads: the file, every directory above
// its resolved path, and — when it is reached through symbolic links — each
// link on the way and the directory it sits in must be root's (or hacheck's
// user's), not writable by others. A link another user owns (or can replace)
// would choose which of root's files is read: /tmp/hc.yaml → any root-owned
// YAML on the host. Any config another user could have written is refused:
// it decides the verdict. Real files, the other user is nobody.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, lchownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hacheck } from '../fixtures/hacheck.ts';

const root = (process.getuid?.() ?? 1) === 0;
const NOBODY = 65534;
const dir = mkdtempSync(join(tmpdir(), 'hacheck-cfgtrust-'));
chmodSync(dir, 0o755);
after(() => rmSync(dir, { recursive: true, force: true }));

const CONFIG = 'maintenance_file: ""\nprobes:\n  - type: port\n    targets: ["127.0.0.1:1"]\n';

test('a config reached through a link another user owns or can replace is refused (78); root\'s links in root\'s directories are followed', { skip: !root && 'needs root (chown)' }, async () => {
  const safe = join(dir, 'safe');
  mkdirSync(safe, { mode: 0o755 });
  const good = join(safe, 'good.yaml');
  writeFileSync(good, CONFIG, { mode: 0o644 });
  const run = (path: string) => hacheck('validate', '-c', path);
  assert.equal((await run(good)).code, 0);

  // nobody's link (in sticky /tmp-like dir of root's): refused
  const sticky = join(dir, 'sticky');
  mkdirSync(sticky);
  chmodSync(sticky, 0o1777);
  const theirs = join(sticky, 'hc.yaml');
  symlinkSync(good, theirs);
  lchownSync(theirs, NOBODY, NOBODY);
  let r = await run(theirs);
  assert.equal(r.code, 78, r.stderr);
  assert.match(r.stderr, new RegExp(`^hacheck: ${theirs}: refusing a config that decides this node's verdict .* ${theirs} is a symbolic link owned by uid ${NOBODY}`));

  // root's link, but in nobody's directory (they can swap it): refused
  const theirDir = join(dir, 'theirs');
  mkdirSync(theirDir, { mode: 0o755 });
  chownSync(theirDir, NOBODY, NOBODY);
  symlinkSync(good, join(theirDir, 'hc.yaml'));
  r = await run(join(theirDir, 'hc.yaml'));
  assert.equal(r.code, 78, r.stderr);
  assert.match(r.stderr, new RegExp(`directory ${theirDir} is owned by uid ${NOBODY}, not root`));

  // a chain: root's link → nobody's link → root's file: refused at the second
  const chain = join(safe, 'chain.yaml');
  symlinkSync(theirs, chain);
  r = await run(chain);
  assert.equal(r.code, 78, r.stderr);
  assert.match(r.stderr, new RegExp(`${theirs} is a symbolic link owned by uid ${NOBODY}`));

  // a .. after nobody's link: the kernel takes the link's target's parent (here: safe/), by the letters it is sticky/
  mkdirSync(join(safe, 'sub'));
  const hop = join(sticky, 'hop');
  symlinkSync(join(safe, 'sub'), hop);
  lchownSync(hop, NOBODY, NOBODY);
  r = await run(`${hop}/../good.yaml`);
  assert.equal(r.code, 78, r.stderr);
  assert.match(r.stderr, new RegExp(`is below ${hop}, which is a symbolic link owned by uid ${NOBODY}`));

  // root's link in root's sticky directory, and in root's 0755 one: followed
  const rootsInSticky = join(sticky, 'roots.yaml');
  symlinkSync(good, rootsInSticky);
  assert.equal((await run(rootsInSticky)).code, 0);
  const link = join(safe, 'link.yaml');
  symlinkSync('good.yaml', link);
  assert.equal((await run(link)).code, 0, 'a relative link target');
});

test('a config another user could have written is refused even when it only lists probes: the file, its group, its directory', { skip: !root && 'needs root (chown)' }, async () => {
  const cases: [string, (p: string) => void, RegExp][] = [
    ['nobody-owned', (p) => chownSync(p, NOBODY, NOBODY), /is owned by uid 65534, not root/],
    ['group-writable', (p) => chmodSync(p, 0o664), /is writable by its group \(mode 0664\)/],
    ['world-writable', (p) => chmodSync(p, 0o646), /is writable by other users \(mode 0646\)/],
  ];
  for (const [name, spoil, re] of cases) {
    const p = join(dir, `${name}.yaml`);
    writeFileSync(p, CONFIG, { mode: 0o644 });
    spoil(p);
    for (const args of [['validate', '-c', p], ['check', '-c', p, '--state-dir', join(dir, 'state')], ['status', '-c', p]]) {
      const r = await hacheck(...args);
      assert.equal(r.code, 78, `${name} ${args[0]}: ${r.stderr}`);
      assert.match(r.stderr, /refusing a config that decides this node's verdict/, name);
      assert.match(r.stderr, re, name);
    }
  }
  const shared = join(dir, 'shared');
  mkdirSync(shared);
  chmodSync(shared, 0o777);
  writeFileSync(join(shared, 'hc.yaml'), CONFIG, { mode: 0o644 });
  const r = await hacheck('check', '-c', join(shared, 'hc.yaml'), '--state-dir', join(dir, 'state'));
  assert.equal(r.code, 78, r.stderr);
  assert.match(r.stderr, /directory .*\/shared is writable by other users \(mode 0777\)/);
});

test('a named FIFO as config: its writer is waited for (read(2) gives 0 before one opens it), not read as an empty config; none within the deadline is 78 saying so', async () => {
  const { spawn, spawnSync } = await import('node:child_process');
  const fifo = join(dir, 'config.fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  // the writer opens the FIFO 300 ms after hacheck has
  const writer = spawn('bash', ['-c', `sleep 0.3; printf '${CONFIG.replace(/\n/g, '\\n')}' > ${fifo}`], { stdio: 'ignore' });
  const written = new Promise((res) => writer.on('close', res));
  const r = await hacheck('validate', '-c', fifo);
  // a writer that came after hacheck gave up blocks in open(2) for ever (no reader): killed, not waited for
  const late = setTimeout(() => writer.kill('SIGKILL'), 3000);
  await written;
  clearTimeout(late);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${fifo}: ok\n`);
  const t0 = performance.now();
  const none = await hacheck('check', '-c', fifo, '--timeout', '400ms');
  assert.equal(none.code, 78);
  assert.equal(none.stderr, `hacheck: ${fifo}: cannot read config: a FIFO no writer wrote to within the deadline\n`);
  assert.ok(performance.now() - t0 < 5000);
});

// The kernel reads a link's target as it reads a path: a .. after another user's link is taken
// from that link's target. Root's link whose target runs through nobody's link and then .. is
// chosen by nobody (they repoint their link); judged by the letters it looked like a sticky dir's missing file.
test('a link whose target has a .. after another user\'s link is refused (78), as the kernel resolves it', { skip: !root && 'needs root (chown)' }, async () => {
  const base = join(dir, 'dotdot');
  const safe = join(base, 'safe');
  mkdirSync(join(safe, 'sub'), { recursive: true, mode: 0o755 });
  writeFileSync(join(safe, 'good.yaml'), CONFIG, { mode: 0o644 });
  const sticky = join(base, 'sticky');
  mkdirSync(sticky);
  chmodSync(sticky, 0o1777);
  const hop = join(sticky, 'hop');
  symlinkSync(join(safe, 'sub'), hop);
  lchownSync(hop, NOBODY, NOBODY);
  const link = join(safe, 'via-hop.yaml');
  symlinkSync(`${hop}/../good.yaml`, link);
  const r = await hacheck('validate', '-c', link);
  assert.equal(r.code, 78, r.stderr);
  assert.match(r.stderr, new RegExp(`${hop}, which is a symbolic link owned by uid ${NOBODY}`));
  // the same target as a relative one (root's link in safe/sub → ../../sticky/hop/../good.yaml)
  const rel = join(safe, 'sub', 'rel.yaml');
  symlinkSync('../../sticky/hop/../good.yaml', rel);
  const r2 = await hacheck('validate', '-c', rel);
  assert.equal(r2.code, 78, r2.stderr);
  assert.match(r2.stderr, new RegExp(`${hop}, which is a symbolic link owned by uid ${NOBODY}`));
});

// ca_file/client_cert/client_key are TLS keys of a probe or URL; a request header may be named so
// too (a token allows "_"), and its value is text sent to the server, never a file root opens.
test('a request header named ca_file or client_key is a header, not a file to read', async () => {
  const f = join(dir, 'header-names.yaml');
  writeFileSync(f, 'maintenance_file: ""\nprobes:\n  - type: http\n    urls: [{url: "http://127.0.0.1:1/", headers: {ca_file: not-a-file}}]\n'
    + '    headers: {client_key: abc, client_cert: def}\n  - type: stub_status\n    url: http://127.0.0.1:1/status\n    headers: {ca_file: /nonexistent}\n', { mode: 0o644 });
  const r = await hacheck('validate', '-c', f);
  assert.equal(r.code, 0, r.stderr);
  // the TLS keys themselves are still read and judged
  writeFileSync(f, 'maintenance_file: ""\nprobes:\n  - type: http\n    urls: [{url: "https://127.0.0.1:1/", ca_file: /nonexistent/ca.pem}]\n', { mode: 0o644 });
  const r2 = await hacheck('validate', '-c', f);
  assert.equal(r2.code, 78, r2.stderr);
  assert.match(r2.stderr, /ca_file \/nonexistent\/ca\.pem/);
});
