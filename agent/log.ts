// Structured JSON logs, one object per line (spec §7.3: DEBUG, INFO, WARNING, ERROR, CRITICAL).
// Logs go to stderr so `--once` keeps stdout for the sample; optionally also to a file.
import { appendFileSync } from 'node:fs';

export const LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;
export type Level = (typeof LEVELS)[number];

export type Fields = Record<string, unknown>;

export interface Logger {
  level: Level;
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warning(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  critical(msg: string, fields?: Fields): void;
}

export function parseLevel(s: string): Level | undefined {
  const u = s.toUpperCase();
  if (u === 'WARN') return 'WARNING';
  return (LEVELS as readonly string[]).includes(u) ? (u as Level) : undefined;
}

export interface LoggerOptions {
  level?: Level;
  file?: string | null;
  /** Where lines go besides the file; default stderr. Tests pass an array's push. */
  write?: (line: string) => void;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const min = LEVELS.indexOf(opts.level ?? 'INFO');
  const write = opts.write ?? ((line: string) => process.stderr.write(line));
  let fileBroken = false;
  const emit = (level: Level, msg: string, fields?: Fields) => {
    if (LEVELS.indexOf(level) < min) return;
    const line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }, errorReplacer) + '\n';
    write(line);
    if (opts.file && !fileBroken) {
      try {
        // Sync append: a handful of lines per minute, and nothing is lost on a crash.
        appendFileSync(opts.file, line);
      } catch (e) {
        fileBroken = true;
        write(JSON.stringify({ time: new Date().toISOString(), level: 'ERROR', msg: 'cannot write log file', file: opts.file, error: String(e) }) + '\n');
      }
    }
  };
  return {
    level: opts.level ?? 'INFO',
    debug: (m, f) => emit('DEBUG', m, f),
    info: (m, f) => emit('INFO', m, f),
    warning: (m, f) => emit('WARNING', m, f),
    error: (m, f) => emit('ERROR', m, f),
    critical: (m, f) => emit('CRITICAL', m, f),
  };
}

function errorReplacer(_key: string, v: unknown): unknown {
  return v instanceof Error ? v.message : v;
}

export const silentLogger: Logger = { level: 'CRITICAL', debug() {}, info() {}, warning() {}, error() {}, critical() {} };
