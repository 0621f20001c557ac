import { pino, type Logger, type LoggerOptions } from 'pino';

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

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 's3gate' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  // stdout is written asynchronously (SonicBoom): a synchronous write per request line costs
  // a syscall on the request path. Call flushLogger() before exiting.
  return pino(options, destination === undefined ? pino.destination({ dest: 1, sync: false }) : (destination as pino.DestinationStream));
}

/**
 * The logger for the one-line-per-request event: same destination and level, no redaction
 * (the event carries no headers and no secrets; redaction would cost more than the rest of the
 * line). Never log anything but that event through it.
 */
export function createRequestLogger(log: Logger): Logger {
  return log.child({}, { redact: { paths: [] } });
}

/** Writes out what an asynchronous destination still buffers (graceful shutdown). */
export function flushLogger(log: Logger): void {
  try {
    log.flush();
  } catch {
    // A destination that cannot flush (already closed) has nothing left to write.
  }
}
