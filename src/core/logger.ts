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

/** How long a log line may wait in the stdout buffer before it is written out anyway. */
const LOG_FLUSH_INTERVAL_MS = 500;

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 's3gate' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: isoTimeMemo,
  };
  if (destination !== undefined) return pino(options, destination as pino.DestinationStream);
  // stdout is written asynchronously and in batches of ≥ 4 KiB (SonicBoom): one write per
  // request line would cost a syscall on the request path. A timer writes out what waits
  // longer than LOG_FLUSH_INTERVAL_MS; flushLogger() at shutdown writes the rest.
  const stdout = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  setInterval(() => {
    try {
      stdout.flush();
    } catch {
      // Not writable (yet, or any more): the next tick or flushLogger() writes it out.
    }
  }, LOG_FLUSH_INTERVAL_MS).unref();
  return pino(options, stdout);
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
