// pino, created on first use: a healthy one-shot run that changes nothing never loads it.
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';

let logger: Logger | undefined;

export async function getLogger(cfg: Pick<Config, 'log'>): Promise<Logger> {
  if (logger) return logger;
  const { default: pino } = await import('pino');
  const dest = cfg.log.file ? pino.destination({ dest: cfg.log.file, sync: true, mkdir: true }) : pino.destination({ fd: 2, sync: true });
  logger = pino({ base: { pid: process.pid }, level: cfg.log.level, messageKey: 'msg' }, dest);
  return logger;
}
