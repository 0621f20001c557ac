import { pino, type Logger, type LoggerOptions } from 'pino';
import { FdLineWriter } from './line-writer.js';

/** Paths pino blanks out: secrets, signatures and session tokens never reach a log line. */
export const REDACT_PATHS = [
  'secretAccessKey',
  '*.secretAccessKey',
  'secret_access_key',
  '*.secret_access_key',
  'sessionToken',
  '*.sessionToken',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers["x-amz-security-token"]',
  'password',
  '*.password',
  'token',
  '*.token',
];

let lastMs = -1;
let lastTime = '';
let lastSecond = -1;
let secondPrefix = '';

/**
 * pino timestamp: ISO 8601, formatted once per millisecond however many lines share it, and
 * only the milliseconds within the same second (Date#toISOString costs ≈ 0.75 µs here).
 */
export function isoTimeMemo(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    const second = Math.floor(now / 1000);
    if (second !== lastSecond) {
      lastSecond = second;
      secondPrefix = `,"time":"${new Date(second * 1000).toISOString().slice(0, 20)}`;
    }
    const ms = now - second * 1000;
    lastTime = `${secondPrefix}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z"`;
  }
  return lastTime;
}

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 's3gate' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: isoTimeMemo,
  };
  // stdout: info and debug lines in batches, warnings and errors at once (see line-writer.ts).
  return pino(options, (destination ?? new FdLineWriter(1)) as pino.DestinationStream);
}

/** The per-request line, written without pino's per-field machinery. */
export interface RequestLogger {
  /**
   * Writes one info line. `fields` are ready JSON members, each after a comma
   * (`,"status":200,"bucket":"b"`); the caller escapes what needs escaping.
   */
  info(fields: string, msg: string): void;
}

type PinoInternals = Record<symbol, unknown>;

/**
 * The logger for the one-line-per-request event: the line pino would write for
 * `log.info(fields, msg)` — same level, time, bindings and message key, so the log stays one
 * format — with the fields already serialised by the caller (the event has fixed fields, most
 * of them known not to need escaping; pino's generic loop and redaction cost more than the
 * rest of the line). Never log anything but that event through it.
 */
export function createRequestLogger(log: Logger): RequestLogger {
  const internals = log as unknown as PinoInternals;
  const stream = internals[pino.symbols.streamSym] as { write(line: string): void; lastLevel?: number } & PinoInternals;
  const time = internals[pino.symbols.timeSym] as () => string;
  const chindings = (internals[pino.symbols.chindingsSym] as string | undefined) ?? '';
  const needsLevel = stream[pino.symbols.needsMetadataGsym] === true;
  const level = log.levels.values.info ?? 30;
  const head = `{"level":${level}`;
  let lastMsg = '';
  let lastTail = '';
  return {
    info(fields, msg) {
      if (level < log.levelVal) return;
      if (msg !== lastMsg) {
        lastMsg = msg;
        lastTail = `,"msg":${JSON.stringify(msg)}}\n`;
      }
      if (needsLevel) stream.lastLevel = level;
      stream.write(head + time() + chindings + fields + lastTail);
    },
  };
}

/** Writes out what the destination still buffers (graceful shutdown). */
export function flushLogger(log: Logger): void {
  try {
    log.flush();
  } catch {
    // A destination that cannot flush (already closed) has nothing left to write.
  }
}
