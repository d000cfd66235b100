// Numbers keepalived's running daemon reads other than its --config-test says
// (numbers.ts): `timeout 1.5` is rejected by `keepalived -t` ("ignoring") but the
// daemon logs "WARNING - invalid number" and uses 1 (lib/parser.c read_unsigned_func /
// read_int_func: ignore_error && !CONFIG_TEST_BIT). The doctor's model, and so every
// other finding, holds the daemon's value; this says where the two part.
import type { NumberSplit } from '../numbers.js';
import { finding, type Family } from './types.js';

export const numberSubject = (s: Pick<NumberSplit, 'file' | 'line'>) => `number:${s.file}:${s.line}`;

export const numbers: Family = (ctx) =>
  [ctx.local, ...(ctx.peer ? [ctx.peer] : [])].flatMap((side) => side.model.numberSplits.map((s) => finding('error', 'config-test-differs', s,
    `${s.owner}: ${s.keyword} ${s.written}: keepalived --config-test rejects it (it ${s.test}), but the running daemon reads the whole-number prefix ("WARNING - invalid number '${s.written}'") and uses ${s.daemon}: the doctor counts with ${s.daemon}, what will run`,
    `${s.keyword} with a whole number (${s.keyword} ${s.daemon.replace(/^[^-\d]*(-?\d+).*$/, '$1')}, or the value you meant): keepalived reads no fractions or units here`, numberSubject(s))));
