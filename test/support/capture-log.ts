/** A real pino logger (src/core/logger.ts) whose JSON lines are collected, parsed, for assertions. */
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createLogger } from '../../src/core/logger.js';

export interface CapturedLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export function captureLog(level = 'info'): { log: Logger; lines: CapturedLine[] } {
  const lines: CapturedLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as CapturedLine);
      done();
    },
  });
  return { log: createLogger(level, stream), lines };
}
