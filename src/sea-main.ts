// Entry point of the single binary (dist/hacheck, a Node SEA with a start-up
// snapshot; scripts/build-sea.mjs). At build time this runs once inside the
// snapshot builder: the modules of the one-shot path are loaded and initialised
// there, the commander program is built and the config schema is exercised
// once, so a run starts from a heap that already holds them instead of
// compiling and evaluating them every 1-2 s under keepalived. Only pure-JS
// state goes into the snapshot: node:http/https (their parser binding cannot be
// serialised) and node:child_process are loaded at run time when used.
// Nothing done at build time may read the environment, argv, files or the clock.
import { startupSnapshot } from 'node:v8';
import { buildProgram, main } from './cli.js';
import './commands/check.js';
import './commands/validate.js';
import { validate } from './config/load.js';
import { overlay } from './config/flags.js';

if (startupSnapshot?.isBuildingSnapshot()) {
  const program = buildProgram();
  // warm-up: commander's help options and help formatter, the schema of a flags-only one-shot run
  for (const c of [program, ...program.commands]) c.helpInformation();
  validate({ raw: {} });
  validate({ raw: overlay({}, { pidfile: '/run/nginx.pid', port: ['80'], url: ['http://127.0.0.1/'], header: ['Host: a'], timeout: '1s', stateDir: '/run/hacheck', maintenanceFile: '' }) }, 'usage');
  startupSnapshot.setDeserializeMainFunction(() => void main(process.argv, program));
} else {
  void main(process.argv);
}
