// The registry: adding a prober is one file plus one line here; `satisfies`
// makes the compiler prove every entry fits the Prober contract.
import type { Prober } from './types.js';
import { prober as process } from './process.js';
import { prober as port } from './port.js';
import { prober as http } from './http.js';
import { prober as cpu } from './cpu.js';
import { prober as io } from './io.js';
import { prober as memory } from './memory.js';
import { prober as stub_status } from './stub-status.js';

export const probers = {
  process,
  port,
  http,
  cpu,
  io,
  memory,
  stub_status,
} satisfies Record<string, Prober<any>>;

export type ProbeKind = keyof typeof probers;
