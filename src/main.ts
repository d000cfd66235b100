// Entry point of the bundle (dist/hacheck.cjs, the SEA binary): runs the CLI.
// src/cli.ts only defines it, so build scripts can import buildProgram()
// (man page, shell completion) without running a command.
import { main } from './cli.js';

void main(process.argv);
