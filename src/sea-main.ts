// Entry point of the single binary (dist/hacheck, a Node SEA with a start-up
// snapshot; scripts/build-sea.mjs). At build time this runs once inside the
// snapshot builder: the modules of the hot commands (the one-shot check, the
// agent-mode `status` guard) are loaded and initialised there and one check is
// run, so a run starts from a heap that already holds them compiled instead of
// compiling and evaluating them every 1-2 s under keepalived. The YAML parser and
// the config schema are not in it: a run takes its config from the cache
// (src/config/cache.ts) and loads them only when the file or flags changed. Those commands run without commander (src/fast-path.ts); commander
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
import { readFileSync, writeFileSync } from 'node:fs';
import { fastParse, fastPath } from './fast-path.js';
import { checkCommand } from './commands/check.js';
import { cacheStats } from './config/cache.js';
import { setExitDeadline } from './exit.js';
import './commands/status.js';

/**
 * One whole one-shot check at build time (pidfile + port + 3 URLs, flags as
 * keepalived's vrrp_script passes them) against a loopback server of our own, so
 * the check path's functions (config cache, runner, probes, the HTTP reply
 * parser, node:net's connect/read/destroy) are compiled in the snapshot instead of
 * in every run. Measured on the binary (6 interleaved rounds x 25, shared machine,
 * both binaries made the same way): 44.0 -> 40.6 ms mean, 42.5 -> 38.4 ms median,
 * CPU 41.1 -> 37.9 ms, 180 fewer page faults (compiling at run time allocated more
 * than the bigger snapshot costs). scripts/build-sea.mjs ran the same check with the
 * plain bundle first (HACHECK_WARM names its arguments), so the config comes from
 * the cache (src/config/cache.ts) and the YAML parser and the schema stay out of
 * the snapshot; a miss would load them, and fails the build. The builder process
 * is its own "nginx" (no workers: unhealthy); the state dir already says
 * unhealthy, so no logger is loaded; everything is closed before the snapshot is
 * taken and nothing it read is kept.
 */
async function warmCheck(): Promise<void> {
  const { args, port, pidfile } = JSON.parse(readFileSync(process.env.HACHECK_WARM!, 'utf8')) as { args: string[]; port: number; pidfile: string };
  // the check's port probe closes its connection unannounced (a reset at times): no error to report
  const server = createServer((s) => s.on('error', () => {}).once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n')));
  try {
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
    writeFileSync(pidfile, `${process.pid}\n`);
    await checkCommand(fastParse(args)!.flags);
  } catch (e) {
    process.emitWarning(`snapshot warm-up check failed, the binary works but starts slower: ${(e as Error).message}`);
  } finally {
    if (server.listening) await new Promise((resolve) => server.close(resolve));
    // the warm-up check's deadline must not become every run's (a status run sets none)
    setExitDeadline(undefined);
  }
  if (cacheStats.misses) throw new Error('snapshot warm-up: the config cache missed, so the YAML parser and schema would be in the snapshot');
  await settle();
}

/**
 * Lets the warm-up's sockets finish closing and its timers' native side run
 * down before the heap is serialised: a snapshot taken while they were still
 * settling (a definitive failure's 30 ms grace timer, a closing socket) gave a
 * binary whose timers never fired, so a hung URL held the check until the
 * server closed the connection, and about one agent in four stopped after its
 * first cycle, exit 0, nothing logged (found with issue 16's deadline and
 * output tests; 100 ms of quiet fixed both, measured).
 */
async function settle(): Promise<void> {
  const until = performance.now() + 2000;
  while (process.getActiveResourcesInfo().length > 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 100));
}

function run(argv: string[]): void {
  if (!fastPath(argv)) void import('./cli.js').then(({ main }) => main(argv));
}

if (startupSnapshot?.isBuildingSnapshot()) {
  fastParse(['check', '--pidfile', '/run/nginx.pid', '--port', '80', '--url', 'http://127.0.0.1/', '--maintenance-file=', '--no-restart', '-v']);
  // the `performance` global is loaded on first use (~1.5 ms); Node re-bases its time origin after deserialising
  performance.now();
  void warmCheck().then(() => startupSnapshot.setDeserializeMainFunction(() => run(process.argv)));
} else {
  run(process.argv);
}
