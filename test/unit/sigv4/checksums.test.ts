import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c } from '../../../src/sigv4/crc32c.js';
import { crc64nvme, crc64ToBytes } from '../../../src/sigv4/crc64nvme.js';
import { computeTrailerChecksum, createTrailerChecksum, SUPPORTED_TRAILERS } from '../../../src/sigv4/trailer-checksum.js';

const CHECK = Buffer.from('123456789');

/** Bit-at-a-time references, straight from the polynomial definitions. */
function crc32cReference(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
function crc64Reference(data: Uint8Array): bigint {
  let c = 0xffffffffffffffffn;
  for (const b of data) {
    c ^= BigInt(b);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ 0x9a6c9329ac4bc9b5n : c >> 1n;
  }
  return c ^ 0xffffffffffffffffn;
}

describe('crc32c', () => {
  it('check value', () => {
    expect(crc32c(CHECK)).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });
  it('equals the reference and continues across pieces', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (data, cut) => {
        const i = data.length === 0 ? 0 : cut % data.length;
        expect(crc32c(data)).toBe(crc32cReference(data));
        expect(crc32c(data.subarray(i), crc32c(data.subarray(0, i)))).toBe(crc32c(data));
      }),
    );
  });
});

describe('crc64nvme', () => {
  it('check value', () => {
    expect(crc64ToBytes(crc64nvme(CHECK)).toString('hex')).toBe('ae8b14860a799888');
  });
  it('equals the reference and continues across pieces', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (data, cut) => {
        const i = data.length === 0 ? 0 : cut % data.length;
        expect(crc64ToBytes(crc64nvme(data)).toString('hex')).toBe(crc64Reference(data).toString(16).padStart(16, '0'));
        expect(crc64nvme(data.subarray(i), crc64nvme(data.subarray(0, i)))).toEqual(crc64nvme(data));
      }),
    );
  });
});

describe('trailer checksums', () => {
  it.each([
    ['x-amz-checksum-crc32', 'y/Q5Jg=='],
    ['x-amz-checksum-crc32c', '4waSgw=='],
    ['x-amz-checksum-crc64nvme', 'rosUhgp5mIg='],
    ['x-amz-checksum-sha1', '98O8HYCOBHMq32eZZczDTKeuNEE='],
    ['x-amz-checksum-sha256', 'FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU='],
  ] as const)('%s of "123456789" is %s', (name, expected) => {
    expect(computeTrailerChecksum(name, CHECK)).toBe(expected);
  });

  it('are the same fed in pieces', () => {
    for (const name of SUPPORTED_TRAILERS) {
      const c = createTrailerChecksum(name);
      c.update(CHECK.subarray(0, 4));
      c.update(CHECK.subarray(4));
      expect(c.digestBase64()).toBe(computeTrailerChecksum(name, CHECK));
    }
    expect(computeTrailerChecksum('x-amz-checksum-crc32', CHECK)).toBe(Buffer.from(crc32(CHECK).toString(16).padStart(8, '0'), 'hex').toString('base64'));
  });
});
