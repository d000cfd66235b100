// Entry point of the bundle (dist/hacheck.cjs, bin/hacheck's): runs the CLI.
// A plain one-shot check or status runs without commander (src/fast-path.ts);
// everything else loads src/cli.ts, which only defines the program, so build
// scripts can import buildProgram() (man page, shell completion) without running a command.
import { fastPath } from './fast-path.js';

if (!fastPath(process.argv)) void import('./cli.js').then(({ main }) => main(process.argv));
