/**
 * Large single-stream transfers (one connection, like one `aws s3 cp`), timed end to end,
 * with the proxy process's resident set sampled from /proc while they run.
 */
import { randomFillSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { STREAMING_PAYLOAD, STREAMING_UNSIGNED_TRAILER, awsChunkedFrames, awsChunkedLength, signRequest, type BenchKey, unsignedTrailerFrames, unsignedTrailerLength } from './sigv4-sign.js';

export interface TransferResult {
  readonly seconds: number;
  readonly mibPerSecond: number;
  readonly status: number;
  readonly bytes: number;
}

const agent = new Agent({ keepAlive: false });

/** GET an object of `size` bytes (the upstream stand-in serves any key containing size-N) and discard it. */
export function getObject(baseUrl: string, key: BenchKey, path: string, size: number): Promise<TransferResult> {
  const url = new URL(path, baseUrl);
  const signed = signRequest(key, 'GET', url.pathname, { host: url.host }, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', new Date());
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', headers: signed.headers, agent }, (res) => {
      let bytes = 0;
      res.on('data', (d: Buffer) => (bytes += d.length));
      res.on('error', reject);
      res.on('end', () => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        if (res.statusCode === 200 && bytes !== size) reject(new Error(`GET ${path}: got ${bytes} of ${size} bytes`));
        else resolve({ seconds, mibPerSecond: bytes / 1048576 / seconds, status: res.statusCode ?? 0, bytes });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const CHUNK = Buffer.alloc(64 * 1024);
randomFillSync(CHUNK);

/** `signed`: STREAMING-AWS4-HMAC-SHA256-PAYLOAD; `crc32-trailer`: STREAMING-UNSIGNED-PAYLOAD-TRAILER with x-amz-checksum-crc32. */
export type StreamingMode = 'signed' | 'crc32-trailer';

/**
 * PUT `size` bytes as an aws-chunked stream in `chunkBytes` chunks: each chunk signed as it
 * is sent (`signed`, the default), or unsigned with a CRC32 trailer (`crc32-trailer`).
 */
export function putStreamingObject(baseUrl: string, key: BenchKey, path: string, size: number, mode: StreamingMode = 'signed', chunkBytes = 64 * 1024): Promise<TransferResult> {
  const url = new URL(path, baseUrl);
  const chunk = chunkBytes === CHUNK.length ? CHUNK : Buffer.alloc(chunkBytes, 7);
  const nextChunk = (n: number): Buffer => (n === chunk.length ? chunk : chunk.subarray(0, n));
  const signedMode = mode === 'signed';
  const headers: Record<string, string> = {
    host: url.host,
    'content-encoding': 'aws-chunked',
    'content-length': String(signedMode ? awsChunkedLength(size, chunkBytes) : unsignedTrailerLength(size, chunkBytes)),
    'x-amz-decoded-content-length': String(size),
  };
  if (!signedMode) headers['x-amz-trailer'] = 'x-amz-checksum-crc32';
  const signed = signRequest(key, 'PUT', url.pathname, headers, signedMode ? STREAMING_PAYLOAD : STREAMING_UNSIGNED_TRAILER, new Date());
  const frames = signedMode ? awsChunkedFrames(signed, size, chunkBytes, nextChunk) : unsignedTrailerFrames(size, chunkBytes, nextChunk);
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'PUT', headers: signed.headers, agent }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        if (res.statusCode !== 200) reject(new Error(`PUT ${path}: status ${res.statusCode}: ${body.slice(0, 500)}`));
        else resolve({ seconds, mibPerSecond: size / 1048576 / seconds, status: res.statusCode, bytes: size });
      });
    });
    req.on('error', reject);
    const pump = (): void => {
      for (;;) {
        // header line, data, CRLF: one writev per chunk
        req.cork();
        let ok = true;
        let done = false;
        for (let i = 0; i < 3; i++) {
          const next = frames.next();
          if (next.done === true) {
            done = true;
            break;
          }
          ok = req.write(next.value) && ok;
        }
        req.uncork();
        if (done) {
          req.end();
          return;
        }
        if (!ok) {
          req.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}

/** Samples a process's VmRSS every `intervalMs` until stopped; returns the peak in bytes. */
export function sampleRss(pid: number, intervalMs = 10): { stop(): number } {
  let peak = readRss(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, readRss(pid));
  }, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, readRss(pid));
    },
  };
}

export function readRss(pid: number): number {
  return readStatusKb(pid, 'VmRSS') * 1024;
}

export function readHwm(pid: number): number {
  return readStatusKb(pid, 'VmHWM') * 1024;
}

function readStatusKb(pid: number, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] === undefined ? 0 : Number(m[1]);
  } catch {
    return 0;
  }
}

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux (getconf CLK_TCK)

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
/** User + system CPU seconds of a process (all its threads), or of one thread with `tid`. */
export function readCpuSeconds(pid: number, tid?: number): number {
  try {
    const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // after "pid (comm) ": state is field 3, so utime (14) and stime (15) are at 11 and 12
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}
