/** Shared fixtures for the sigv4 unit tests (not a test file itself). */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { Readable, type Transform } from 'node:stream';
import type { Checksum, SourceData } from '@smithy/types';
import type { Credential, CredentialLookup } from '../../../src/policy/credential.js';

/** A node:crypto-backed hash class for @smithy/signature-v4 (the sha256-js default is 17x slower). */
export class NodeSha256 implements Checksum {
  private readonly secret: SourceData | undefined;
  private hash: Hash | Hmac;

  constructor(secret?: SourceData) {
    this.secret = secret;
    this.hash = this.create();
  }

  private create(): Hash | Hmac {
    if (this.secret === undefined) return createHash('sha256');
    const key = typeof this.secret === 'string' ? this.secret : Buffer.from(this.secret instanceof ArrayBuffer ? new Uint8Array(this.secret) : new Uint8Array(this.secret.buffer, this.secret.byteOffset, this.secret.byteLength));
    return createHmac('sha256', key);
  }

  update(data: Uint8Array): void {
    this.hash.update(data);
  }

  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }

  reset(): void {
    this.hash = this.create();
  }
}

export const AKID = 'AKIDEXAMPLE';
export const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';

export function makeCredential(overrides: Partial<Credential> = {}): Credential {
  return {
    accessKeyId: AKID,
    secretAccessKey: SECRET,
    principalName: 'tester',
    enabled: true,
    expiresAtMs: undefined,
    scopes: [],
    source: 'toml',
    ...overrides,
  };
}

export function lookupOf(...credentials: Credential[]): CredentialLookup {
  const map = new Map(credentials.map((c) => [c.accessKeyId, c]));
  return { get: (id) => map.get(id) };
}

export interface StreamOutcome {
  readonly output: Buffer;
  /** Bytes emitted before the stream ended or failed. */
  readonly emittedBytes: number;
  readonly error: (Error & { code?: string }) | undefined;
}

/** Feeds `pieces` through `transform` and collects what comes out, or the error. */
export function runThrough(transform: Transform, pieces: readonly Buffer[]): Promise<StreamOutcome> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    let emitted = 0;
    let settled = false;
    const settle = (error: (Error & { code?: string }) | undefined): void => {
      if (settled) return;
      settled = true;
      resolve({ output: Buffer.concat(out), emittedBytes: emitted, error });
    };
    transform.on('data', (d: Buffer) => {
      out.push(d);
      emitted += d.length;
    });
    transform.on('end', () => settle(undefined));
    transform.on('error', (e: Error & { code?: string }) => settle(e));
    Readable.from(pieces.map((p) => p), { objectMode: false }).pipe(transform);
  });
}

/** Splits a buffer at the given (sorted, deduplicated) cut points. */
export function splitAt(buf: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.filter((c) => c > 0 && c < buf.length))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let start = 0;
  for (const p of points) {
    out.push(buf.subarray(start, p));
    start = p;
  }
  out.push(buf.subarray(start));
  return out;
}
