import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { ChecksumGuard, findHeaderChecksum } from '../../../src/sigv4/checksum-guard.js';
import { computeTrailerChecksum } from '../../../src/sigv4/trailer-checksum.js';

async function run(guard: ChecksumGuard, pieces: Buffer[]): Promise<{ out: Buffer; error: unknown }> {
  const out: Buffer[] = [];
  let error: unknown;
  try {
    await pipeline(Readable.from(pieces), guard, async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) out.push(chunk);
    });
  } catch (err) {
    error = err;
  }
  return { out: Buffer.concat(out), error };
}

describe('findHeaderChecksum', () => {
  it('finds the one algorithm header and ignores mode/type/algorithm headers', () => {
    expect(findHeaderChecksum({ 'x-amz-checksum-mode': 'ENABLED', 'x-amz-checksum-crc32': 'AAAAAA==', 'x-amz-checksum-type': 'FULL_OBJECT' })).toEqual({
      name: 'x-amz-checksum-crc32',
      expectedBase64: 'AAAAAA==',
    });
    expect(findHeaderChecksum({ 'content-type': 'text/plain' })).toBeUndefined();
  });

  it('refuses two algorithms at once', () => {
    expect(() => findHeaderChecksum({ 'x-amz-checksum-crc32': 'AAAAAA==', 'x-amz-checksum-sha1': 'x' })).toThrow(/single x-amz-checksum/);
  });
});

describe('ChecksumGuard', () => {
  const body = Buffer.from('the quick brown fox jumps over the lazy dog'.repeat(100));

  it.each(['x-amz-checksum-crc32', 'x-amz-checksum-crc32c', 'x-amz-checksum-crc64nvme', 'x-amz-checksum-sha1', 'x-amz-checksum-sha256'] as const)(
    'passes a body whose %s matches, byte for byte',
    async (name) => {
      const guard = new ChecksumGuard({ name, expectedBase64: computeTrailerChecksum(name, body) });
      const { out, error } = await run(guard, [body.subarray(0, 1000), body.subarray(1000, 1001), body.subarray(1001)]);
      expect(error).toBeUndefined();
      expect(out.equals(body)).toBe(true);
    },
  );

  it('fails with BadDigest and never emits the last piece when the checksum differs', async () => {
    const guard = new ChecksumGuard({ name: 'x-amz-checksum-crc32', expectedBase64: computeTrailerChecksum('x-amz-checksum-crc32', Buffer.from('other')) });
    const { out, error } = await run(guard, [body.subarray(0, 2000), body.subarray(2000)]);
    expect((error as { code?: string }).code).toBe('BadDigest');
    expect(out.length).toBeLessThan(body.length);
  });
});
