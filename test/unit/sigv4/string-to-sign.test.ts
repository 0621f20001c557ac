import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  buildCanonicalTrailer,
  buildChunkStringToSign,
  buildCredentialScope,
  buildStringToSign,
  buildTrailerStringToSign,
  sha256HexOfText,
} from '../../../src/sigv4/string-to-sign.js';

describe('string to sign', () => {
  it('request', () => {
    expect(buildCredentialScope('20130524', 'us-east-1', 's3')).toBe('20130524/us-east-1/s3/aws4_request');
    expect(buildStringToSign('20130524T000000Z', '20130524/us-east-1/s3/aws4_request', '')).toBe(
      'AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it('chunk and trailer', () => {
    expect(buildChunkStringToSign('D', 'S', 'P', 'H')).toBe('AWS4-HMAC-SHA256-PAYLOAD\nD\nS\nP\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nH');
    expect(buildTrailerStringToSign('D', 'S', 'P', 'H')).toBe('AWS4-HMAC-SHA256-TRAILER\nD\nS\nP\nH');
    expect(buildCanonicalTrailer([['x-amz-checksum-crc32c', 'sOO8/Q=='], ['a', 'b']])).toBe('a:b\nx-amz-checksum-crc32c:sOO8/Q==\n');
  });

  it('hashes latin1 strings (node header values) byte for byte, other text as UTF-8', () => {
    const utf8Bytes = Buffer.from('é', 'utf8');
    expect(sha256HexOfText(utf8Bytes.toString('latin1'))).toBe(createHash('sha256').update(utf8Bytes).digest('hex'));
    expect(sha256HexOfText('ሴ')).toBe(sha256HexOfText(Buffer.from('ሴ', 'utf8').toString('latin1')));
  });
});
