// pino, created on first use: a healthy one-shot run that changes nothing never loads it.
import { writeSync } from 'node:fs';
import { openAppend, UntrustedError } from '../sys/trusted-file.js';
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
    // never through a symlink, never another user's file or directory, its directory made only then
    return openAppend(file, { mode: 0o640, mkdir: true });
  } catch (e) {
    const why = e instanceof UntrustedError ? e.why : (e as NodeJS.ErrnoException).code ?? e;
    process.stderr.write(`hacheck: cannot open log file ${file}: ${why}; logging to stderr\n`);
    return 2;
  }
}

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/**
 * One pino record (a JSON line) as one line for a person at a terminal:
 * "12:03:04 warn  hacheck agent: healthy → unhealthy (track_file 1): …".
 * The fields stay in the JSON a file or a pipe gets.
 */
export function humanLine(json: string): string {
  let rec: { time?: number; level?: number; msg?: string };
  try {
    rec = JSON.parse(json);
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const t = new Date(rec.time ?? Date.now());
  const hms = [t.getHours(), t.getMinutes(), t.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
  const level = (LEVELS[rec.level ?? 30] ?? String(rec.level)).padEnd(5);
  return `${hms} ${level} ${String(rec.msg ?? '').replace(/\s*\n\s*/g, ' ')}\n`;
}

/**
 * JSON lines to the log file or to a non-terminal stderr (journald, a pipe,
 * keepalived); one readable line per record when stderr is a terminal and no
 * log file is set (`hacheck -v` by hand, where the table is on stdout).
 */
export async function getLogger(cfg: Pick<Config, 'log'>): Promise<Logger> {
  if (logger) return logger;
  const { default: pino } = await import('pino');
  const opts = { base: { pid: process.pid }, level: cfg.log.level, messageKey: 'msg' };
  if (!cfg.log.file && process.stderr.isTTY) {
    logger = pino(opts, { write: (line: string) => void writeSync(2, humanLine(line)) });
  } else if (cfg.log.file) {
    logger = pino(opts, lazyFile(cfg.log.file));
  } else {
    logger = pino(opts, pino.destination({ fd: 2, sync: true }));
  }
  return logger;
}

/**
 * A pino destination that opens (creates) the log file at its first record, not
 * when the logger is made: an agent that loses its track_file claim to another
 * (exit 75), or a check that logs nothing, leaves no empty log file and no
 * directory behind. Each record is one synchronous append (O_APPEND: whole lines
 * between writers).
 */
function lazyFile(file: string): { write(line: string): void } {
  let fd: number | undefined;
  return {
    write(line: string) {
      fd ??= openLogFile(file);
      const buf = Buffer.from(line);
      for (let off = 0; off < buf.length;) {
        try {
          off += writeSync(fd, buf, off, buf.length - off);
        } catch {
          return; // a full disk loses this line, never the check
        }
      }
    },
  };
}
