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
