/**
 * Running checksums for the aws-chunked trailer (x-amz-checksum-crc32, -crc32c, -crc64nvme,
 * -sha1, -sha256); values are base64 of the big-endian digest.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 */
import { createHash, type Hash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { crc32c } from './crc32c.js';
import { CRC64_INITIAL, crc64ToBytes, crc64nvme, type Crc64 } from './crc64nvme.js';

export const SUPPORTED_TRAILERS = [
  'x-amz-checksum-crc32',
  'x-amz-checksum-crc32c',
  'x-amz-checksum-crc64nvme',
  'x-amz-checksum-sha1',
  'x-amz-checksum-sha256',
] as const;

export type TrailerChecksumName = (typeof SUPPORTED_TRAILERS)[number];

const SUPPORTED: ReadonlySet<string> = new Set(SUPPORTED_TRAILERS);

export function isSupportedTrailer(name: string): name is TrailerChecksumName {
  return SUPPORTED.has(name);
}

export interface RunningChecksum {
  update(data: Uint8Array): void;
  /** Base64 of the digest; call once, at the end. */
  digestBase64(): string;
}

function uint32Base64(value: number): string {
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32BE(value >>> 0, 0);
  return out.toString('base64');
}

class Crc32Checksum implements RunningChecksum {
  private value = 0;
  update(data: Uint8Array): void {
    this.value = crc32(data, this.value);
  }
  digestBase64(): string {
    return uint32Base64(this.value);
  }
}

class Crc32cChecksum implements RunningChecksum {
  private value = 0;
  update(data: Uint8Array): void {
    this.value = crc32c(data, this.value);
  }
  digestBase64(): string {
    return uint32Base64(this.value);
  }
}

class Crc64NvmeChecksum implements RunningChecksum {
  private value: Crc64 = CRC64_INITIAL;
  update(data: Uint8Array): void {
    this.value = crc64nvme(data, this.value);
  }
  digestBase64(): string {
    return crc64ToBytes(this.value).toString('base64');
  }
}

class HashChecksum implements RunningChecksum {
  private readonly hash: Hash;
  constructor(algorithm: 'sha1' | 'sha256') {
    this.hash = createHash(algorithm);
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  digestBase64(): string {
    return this.hash.digest('base64');
  }
}

export function createTrailerChecksum(name: TrailerChecksumName): RunningChecksum {
  switch (name) {
    case 'x-amz-checksum-crc32':
      return new Crc32Checksum();
    case 'x-amz-checksum-crc32c':
      return new Crc32cChecksum();
    case 'x-amz-checksum-crc64nvme':
      return new Crc64NvmeChecksum();
    case 'x-amz-checksum-sha1':
      return new HashChecksum('sha1');
    case 'x-amz-checksum-sha256':
      return new HashChecksum('sha256');
  }
}

/** Base64 checksum of a whole buffer (tests and the aws-chunked encoder helper). */
export function computeTrailerChecksum(name: TrailerChecksumName, data: Uint8Array): string {
  const c = createTrailerChecksum(name);
  c.update(data);
  return c.digestBase64();
}
