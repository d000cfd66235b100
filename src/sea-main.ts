// Entry point of the single binary (dist/hacheck, a Node SEA with a start-up
// snapshot; scripts/build-sea.mjs). At build time this runs once inside the
// snapshot builder: the modules of the hot commands (the one-shot check, the
// agent-mode `status` guard) are loaded and initialised there and the config
// schema and YAML parser are exercised once, so a run starts from a heap that
// already holds them instead of compiling and evaluating them every 1-2 s under
// keepalived. Those commands run without commander (src/fast-path.ts); commander
// and the program (src/cli.ts) are loaded at run time for everything else:
// leaving them out of the snapshot saves ~12M instructions per check (the
// deserialised heap is smaller) and costs help, --version, usage errors and the
// other commands a few ms. Only pure-JS state goes into the snapshot:
// node:http/https (their parser binding cannot be serialised) and
// node:child_process are loaded at run time when used.
// Nothing done at build time may leave in the heap what it read from the
// environment, argv, files or the clock (the warm-up check below keeps nothing).
import { startupSnapshot } from 'node:v8';
import { createServer } from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fastParse, fastPath } from './fast-path.js';
import { checkCommand } from './commands/check.js';
import './commands/status.js';
import './commands/validate.js';
import { validate } from './config/load.js';
import { overlay } from './config/flags.js';
import { LineCounter, parseDocument } from 'yaml';

/** Shaped like packaging/hacheck.yaml (the installed default): every run of an installed hacheck parses that. */
const SAMPLE_YAML = `# comment
timeout: 1500ms
state_dir: /run/hacheck
maintenance_file: /etc/hacheck/maintenance
log:
  level: info                    # trailing comment
restart:
  enabled: false
probes:
  - type: process
    pidfile: /run/nginx.pid
    min_workers: 1
  - type: port
    targets: ["80", '[::1]:80']
  - type: http
    urls:
      - http://127.0.0.1/
      - { url: "http://127.0.0.1/h", status: [200, "300-302"], headers: { Host: a } }
agent:
  interval: 1s
  rise: 2
  fall: 2
`;

/**
 * One whole one-shot check at build time (pidfile + port + 3 URLs, flags as
 * keepalived's vrrp_script passes them) against a loopback server of our own, so
 * the check path's functions (config overlay, runner, probes, the HTTP reply
 * parser, node:net's connect/read/destroy) are compiled in the snapshot instead of
 * in every run. Measured on the binary (6 interleaved rounds x 25, shared machine,
 * both binaries made the same way): 44.0 -> 40.6 ms mean, 42.5 -> 38.4 ms median,
 * CPU 41.1 -> 37.9 ms, 180 fewer page faults (compiling at run time allocated more
 * than the bigger snapshot costs). The builder process is its own "nginx" (no workers: unhealthy);
 * the state dir already says unhealthy, so no logger is loaded; everything is
 * closed before the snapshot is taken and nothing it read is kept.
 */
async function warmCheck(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hacheck-warm-'));
  const server = createServer((s) => s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n')));
  try {
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
    const hp = `127.0.0.1:${(server.address() as { port: number }).port}`;
    writeFileSync(join(dir, 'pid'), `${process.pid}\n`);
    mkdirSync(join(dir, 'state'));
    writeFileSync(join(dir, 'state', 'last-check.json'), '{"verdict":"unhealthy"}');
    const args = ['--pidfile', join(dir, 'pid'), '--process', readFileSync('/proc/self/comm', 'utf8').trim(), '--port', hp,
      '--url', `http://${hp}/`, '--url', `http://${hp}/health`, '--url', `http://${hp}/ready`,
      '--state-dir', join(dir, 'state'), '--maintenance-file', '', '--timeout', '10s'];
    await checkCommand(fastParse(args)!.flags);
  } catch (e) {
    process.emitWarning(`snapshot warm-up check failed, the binary works but starts slower: ${(e as Error).message}`);
  } finally {
    if (server.listening) await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(argv: string[]): void {
  if (!fastPath(argv)) void import('./cli.js').then(({ main }) => main(argv));
}

if (startupSnapshot?.isBuildingSnapshot()) {
  // warm-up: the schema of a flags-only one-shot run and of a config file like the installed one
  validate({ raw: {} });
  validate({ raw: parseDocument(SAMPLE_YAML, { lineCounter: new LineCounter(), prettyErrors: false, uniqueKeys: true }).toJS() });
  validate({ raw: overlay({}, { pidfile: '/run/nginx.pid', port: ['80'], url: ['http://127.0.0.1/'], header: ['Host: a'], timeout: '1s', stateDir: '/run/hacheck', maintenanceFile: '' }) }, 'usage');
  fastParse(['check', '--pidfile', '/run/nginx.pid', '--port', '80', '--url', 'http://127.0.0.1/', '--maintenance-file=', '--no-restart', '-v']);
  // the `performance` global is loaded on first use (~1.5 ms); Node re-bases its time origin after deserialising
  performance.now();
  void warmCheck().then(() => startupSnapshot.setDeserializeMainFunction(() => run(process.argv)));
} else {
  run(process.argv);
}
