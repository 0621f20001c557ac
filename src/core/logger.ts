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

/** pino timestamp: ISO 8601, formatted once per millisecond however many lines share it. */
function isoTimeMemo(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastTime = `,"time":"${new Date(now).toISOString()}"`;
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

/**
 * The logger for the one-line-per-request event: same destination and level, no redaction
 * (the event carries no headers and no secrets; redaction would cost more than the rest of the
 * line). Never log anything but that event through it.
 */
export function createRequestLogger(log: Logger): Logger {
  return log.child({}, { redact: { paths: [] } });
}

/** Writes out what the destination still buffers (graceful shutdown). */
export function flushLogger(log: Logger): void {
  try {
    log.flush();
  } catch {
    // A destination that cannot flush (already closed) has nothing left to write.
  }
}
