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
  return destination === undefined ? pino(options) : pino(options, destination as pino.DestinationStream);
}

/**
 * The logger for the one-line-per-request event: same destination and level, no redaction
 * (the event carries no headers and no secrets; redaction would cost more than the rest of the
 * line). Never log anything but that event through it.
 */
export function createRequestLogger(log: Logger): Logger {
  return log.child({}, { redact: { paths: [] } });
}
