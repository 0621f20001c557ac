/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven slice-by-8.
 * Used for the x-amz-checksum-crc32c trailer.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 */

const POLY = 0x82f63b78;

/** 8 tables of 256 entries: TABLE[k * 256 + i]. */
const TABLE = new Uint32Array(8 * 256);
for (let i = 0; i < 256; i++) {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  TABLE[i] = c >>> 0;
}
for (let k = 1; k < 8; k++) {
  for (let i = 0; i < 256; i++) {
    const prev = TABLE[(k - 1) * 256 + i] as number;
    TABLE[k * 256 + i] = ((prev >>> 8) ^ (TABLE[prev & 0xff] as number)) >>> 0;
  }
}

/**
 * Continues a CRC-32C over `data`. Start with `crc32c(data)` (crc = 0) and feed the result back
 * in for the next piece, like zlib.crc32.
 */
export function crc32c(data: Uint8Array, crc = 0): number {
  const t = TABLE;
  let c = ~crc >>> 0;
  let i = 0;
  const n = data.length;
  const end8 = n - (n % 8);
  for (; i < end8; i += 8) {
    const lo = c ^ ((data[i] as number) | ((data[i + 1] as number) << 8) | ((data[i + 2] as number) << 16) | ((data[i + 3] as number) << 24));
    c =
      (t[1792 + (lo & 0xff)] as number) ^
      (t[1536 + ((lo >>> 8) & 0xff)] as number) ^
      (t[1280 + ((lo >>> 16) & 0xff)] as number) ^
      (t[1024 + (lo >>> 24)] as number) ^
      (t[768 + (data[i + 4] as number)] as number) ^
      (t[512 + (data[i + 5] as number)] as number) ^
      (t[256 + (data[i + 6] as number)] as number) ^
      (t[data[i + 7] as number] as number);
  }
  for (; i < n; i++) c = (t[(c ^ (data[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}
