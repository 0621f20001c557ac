/**
 * CRC-64/NVME (reflected polynomial 0x9A6C9329AC4BC9B5, init and xorout all ones), table-driven
 * slice-by-8 on two 32-bit halves (no BigInt on the hot path).
 * Used for the x-amz-checksum-crc64nvme trailer.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 */

const POLY = 0x9a6c9329ac4bc9b5n;
const MASK = 0xffffffffffffffffn;

/** Low and high halves of 8 tables of 256 entries: LO[k * 256 + i]. */
const LO = new Uint32Array(8 * 256);
const HI = new Uint32Array(8 * 256);
{
  const t = new Array<bigint>(8 * 256);
  for (let i = 0; i < 256; i++) {
    let c = BigInt(i);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ POLY : c >> 1n;
    t[i] = c;
  }
  for (let k = 1; k < 8; k++) {
    for (let i = 0; i < 256; i++) {
      const prev = t[(k - 1) * 256 + i] as bigint;
      t[k * 256 + i] = ((prev >> 8n) ^ (t[Number(prev & 0xffn)] as bigint)) & MASK;
    }
  }
  for (let j = 0; j < t.length; j++) {
    const v = t[j] as bigint;
    LO[j] = Number(v & 0xffffffffn);
    HI[j] = Number(v >> 32n);
  }
}

/** A running CRC-64/NVME as two unsigned 32-bit halves (post-xor form, like crc32c's result). */
export interface Crc64 {
  readonly hi: number;
  readonly lo: number;
}

export const CRC64_INITIAL: Crc64 = Object.freeze({ hi: 0, lo: 0 });

/** Continues a CRC-64/NVME over `data`; start with CRC64_INITIAL. */
export function crc64nvme(data: Uint8Array, crc: Crc64 = CRC64_INITIAL): Crc64 {
  let lo = ~crc.lo >>> 0;
  let hi = ~crc.hi >>> 0;
  let i = 0;
  const n = data.length;
  const end8 = n - (n % 8);
  for (; i < end8; i += 8) {
    const xl = lo ^ ((data[i] as number) | ((data[i + 1] as number) << 8) | ((data[i + 2] as number) << 16) | ((data[i + 3] as number) << 24));
    const xh = hi ^ ((data[i + 4] as number) | ((data[i + 5] as number) << 8) | ((data[i + 6] as number) << 16) | ((data[i + 7] as number) << 24));
    const a = 1792 + (xl & 0xff);
    const b = 1536 + ((xl >>> 8) & 0xff);
    const c = 1280 + ((xl >>> 16) & 0xff);
    const d = 1024 + (xl >>> 24);
    const e = 768 + (xh & 0xff);
    const f = 512 + ((xh >>> 8) & 0xff);
    const g = 256 + ((xh >>> 16) & 0xff);
    const h = xh >>> 24;
    lo = (LO[a] as number) ^ (LO[b] as number) ^ (LO[c] as number) ^ (LO[d] as number) ^ (LO[e] as number) ^ (LO[f] as number) ^ (LO[g] as number) ^ (LO[h] as number);
    hi = (HI[a] as number) ^ (HI[b] as number) ^ (HI[c] as number) ^ (HI[d] as number) ^ (HI[e] as number) ^ (HI[f] as number) ^ (HI[g] as number) ^ (HI[h] as number);
  }
  for (; i < n; i++) {
    const idx = (lo ^ (data[i] as number)) & 0xff;
    lo = (((lo >>> 8) | (hi << 24)) ^ (LO[idx] as number)) >>> 0;
    hi = ((hi >>> 8) ^ (HI[idx] as number)) >>> 0;
  }
  return { hi: ~hi >>> 0, lo: ~lo >>> 0 };
}

/** The 8 big-endian bytes of a CRC-64 (the form S3 base64-encodes). */
export function crc64ToBytes(crc: Crc64): Buffer {
  const out = Buffer.allocUnsafe(8);
  out.writeUInt32BE(crc.hi, 0);
  out.writeUInt32BE(crc.lo, 4);
  return out;
}
