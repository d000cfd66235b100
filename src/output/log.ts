// pino, created on first use: a healthy one-shot run that changes nothing never loads it.
import { makeDirs } from '../sys/make-dirs.js';
import { openAppend } from '../sys/trusted-file.js';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';

let logger: Logger | undefined;

/**
 * The log file opened here, not by pino: a file that cannot be opened must not
 * make the health check fail or hang (sonic-boom spins on a bad fd at exit).
 * Falls back to stderr, saying so once.
 */
function openLogFile(file: string): number {
  try {
    makeDirs(dirname(file));
    return openAppend(file, { mode: 0o640 }); // never through a symlink, never another user's file
  } catch (e) {
    process.stderr.write(`hacheck: cannot open log file ${file}: ${(e as NodeJS.ErrnoException).code ?? e}; logging to stderr\n`);
    return 2;
  }
}

export async function getLogger(cfg: Pick<Config, 'log'>): Promise<Logger> {
  if (logger) return logger;
  const { default: pino } = await import('pino');
  const dest = pino.destination({ fd: cfg.log.file ? openLogFile(cfg.log.file) : 2, sync: true });
  logger = pino({ base: { pid: process.pid }, level: cfg.log.level, messageKey: 'msg' }, dest);
  return logger;
}
