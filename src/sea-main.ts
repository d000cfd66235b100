// Entry point of the single binary (dist/hacheck, a Node SEA with a start-up
// snapshot; scripts/build-sea.mjs). At build time this runs once inside the
// snapshot builder: the modules of the one-shot path are loaded and initialised
// there and the commander program is built, so a run starts from a heap that
// already holds them instead of compiling and evaluating them every 1-2 s under
// keepalived. Only pure-JS state goes into the snapshot: node:http/https (their
// parser binding cannot be serialised) and node:child_process are loaded at run
// time when used. Nothing here may read the environment, argv or the clock.
import { startupSnapshot } from 'node:v8';
import { buildProgram, main } from './cli.js';

if (startupSnapshot?.isBuildingSnapshot()) {
  void Promise.all([import('./commands/check.js'), import('./commands/validate.js'), import('./config/load.js')]);
  const program = buildProgram();
  startupSnapshot.setDeserializeMainFunction(() => void main(process.argv, program));
} else {
  void main(process.argv);
}
