import { describe, expect, it } from 'vitest';
import { parsePayloadMode } from '../../../src/sigv4/payload-mode.js';

const signing = { seedSignature: 's'.repeat(64), signingKey: Buffer.alloc(32), amzDate: '20250101T000000Z', credentialScope: '20250101/r/s3/aws4_request' };
const code = (c: string): unknown => expect.objectContaining({ code: c });

describe('parsePayloadMode', () => {
  it('unsigned', () => {
    expect(parsePayloadMode('UNSIGNED-PAYLOAD', {}, signing)).toEqual({ kind: 'unsigned' });
    expect(parsePayloadMode(undefined, {}, signing)).toEqual({ kind: 'unsigned' });
  });

  it('sha256', () => {
    expect(parsePayloadMode('0'.repeat(64), {}, signing)).toEqual({ kind: 'sha256', sha256Hex: '0'.repeat(64) });
  });

  it('streaming signed, with and without trailer', () => {
    expect(parsePayloadMode('STREAMING-AWS4-HMAC-SHA256-PAYLOAD', { 'x-amz-decoded-content-length': '7' }, signing)).toEqual({
      kind: 'streaming-signed',
      decodedLength: 7,
      ...signing,
      trailer: undefined,
    });
    expect(
      parsePayloadMode('STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', { 'x-amz-decoded-content-length': '0', 'x-amz-trailer': 'X-Amz-Checksum-CRC32' }, signing),
    ).toMatchObject({ kind: 'streaming-signed', decodedLength: 0, trailer: 'x-amz-checksum-crc32' });
  });

  it('streaming unsigned trailer', () => {
    expect(parsePayloadMode('STREAMING-UNSIGNED-PAYLOAD-TRAILER', { 'x-amz-decoded-content-length': '3', 'x-amz-trailer': 'x-amz-checksum-sha1' }, undefined)).toEqual({
      kind: 'streaming-unsigned-trailer',
      decodedLength: 3,
      trailer: 'x-amz-checksum-sha1',
    });
  });

  it.each([
    ['upper-case hex', 'A'.repeat(64), {}, 'InvalidArgument'],
    ['short hex', 'a'.repeat(63), {}, 'InvalidArgument'],
    ['garbage', 'STREAMING-FOO', {}, 'InvalidArgument'],
    ['missing decoded length', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', {}, 'MissingContentLength'],
    ['bad decoded length', 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', { 'x-amz-decoded-content-length': '-1' }, 'InvalidArgument'],
    ['trailer required', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', { 'x-amz-decoded-content-length': '1' }, 'InvalidRequest'],
    ['unsupported trailer', 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', { 'x-amz-decoded-content-length': '1', 'x-amz-trailer': 'x-amz-checksum-md5' }, 'InvalidRequest'],
  ])('%s → %s', (_name, value, headers, expected) => {
    expect(() => parsePayloadMode(value, headers, signing)).toThrow(code(expected));
  });

  it('streaming signed needs signing material', () => {
    expect(() => parsePayloadMode('STREAMING-AWS4-HMAC-SHA256-PAYLOAD', { 'x-amz-decoded-content-length': '1' }, undefined)).toThrow(code('InvalidRequest'));
  });
});
