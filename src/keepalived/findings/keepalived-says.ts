// keepalived's own config test (config-test.ts), every line it printed mapped
// to a finding by messages.ts; lines it printed about a subject the doctor
// also found are merged into that finding (analyze.ts).
import type { Family } from './types.js';

export const keepalivedSays: Family = (ctx) => [...ctx.local.messages.findings, ...(ctx.peer?.messages.findings ?? [])];
