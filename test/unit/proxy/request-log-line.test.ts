/**
 * The per-request line is written without pino's per-field loop; it must still be the line
 * pino would write for log.info(event, 's3 request').
 */
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLogger, createRequestLogger } from '../../../src/core/logger.js';
import type { S3RequestEvent } from '../../../src/proxy/handle-s3-request.js';
import { formatRequestEvent } from '../../../src/proxy/request-log-line.js';

function capture(level = 'info'): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { lines, log: createLogger(level, sink) };
}

const FULL: S3RequestEvent = {
  requestId: '0123456789ABCDEF',
  method: 'PUT',
  accessKeyId: 'AKIDEXAMPLE',
  principal: 'alice "the admin"',
  operation: 'PutObject',
  action: 'put_object',
  bucket: 'bucket',
  key: 'dir/naïve\\file\n"quoted"\u0001€',
  status: 200,
  errorCode: undefined,
  bytesIn: 65536,
  bytesOut: 0,
  latencyMs: 1.234,
  clientAddress: '::ffff:127.0.0.1',
  forwarded: true,
};

const SPARSE: S3RequestEvent = {
  ...FULL,
  accessKeyId: undefined,
  principal: undefined,
  operation: undefined,
  action: undefined,
  bucket: undefined,
  key: undefined,
  status: 403,
  errorCode: 'AccessDenied',
  latencyMs: Number.NaN,
  clientAddress: undefined,
  forwarded: false,
};

const withoutTime = (line: string): string => line.replace(/,"time":"[^"]*"/, '');

describe('the per-request log line', () => {
  it.each([
    ['every field set', FULL],
    ['fields left undefined, a NaN', SPARSE],
    ['a long key', { ...FULL, key: 'k'.repeat(300) }],
  ])('is the line pino writes for the same event (%s)', (_name, event) => {
    const a = capture();
    const b = capture();
    createRequestLogger(a.log).info(formatRequestEvent(event), 's3 request');
    b.log.info(event, 's3 request');
    expect(a.lines).toHaveLength(1);
    expect(withoutTime(a.lines[0] ?? '')).toBe(withoutTime(b.lines[0] ?? ''));
    expect(JSON.parse(a.lines[0] ?? '')).toMatchObject({ level: 30, service: 's3gate', msg: 's3 request', requestId: event.requestId });
  });

  it('prints latencies and plain or escaped strings exactly as pino does', () => {
    const a = capture();
    const b = capture();
    const fast = createRequestLogger(a.log);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 12 }), fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 6 }), (micros, key, principal) => {
        const event = { ...FULL, latencyMs: Math.round(micros) / 1000, key, principal };
        fast.info(formatRequestEvent(event), 's3 request');
        b.log.info(event, 's3 request');
        expect(withoutTime(a.lines.at(-1) ?? '')).toBe(withoutTime(b.lines.at(-1) ?? ''));
      }),
      { numRuns: 2000 },
    );
  });

  it('is not written below the logger level', () => {
    const { lines, log } = capture('warn');
    createRequestLogger(log).info(formatRequestEvent(FULL), 's3 request');
    expect(lines).toEqual([]);
  });
});
