/** Signs test requests with @smithy/signature-v4 (independent of the code under test). */
import { SignatureV4 } from '@smithy/signature-v4';
import type { HttpRequest } from '@smithy/types';
import type { SignableRequest } from '../../../src/sigv4/signable-request.js';
import { AKID, NodeSha256, SECRET } from './helpers.js';

export interface SignInput {
  readonly method?: string;
  /** Encoded path as it goes on the wire. */
  readonly path?: string;
  /** Decoded query parameters. */
  readonly query?: Record<string, string | string[]>;
  readonly headers?: Record<string, string>;
  readonly region?: string;
  readonly service?: string;
  readonly date: Date;
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  readonly sessionToken?: string;
  readonly payloadHash?: string;
}

function signer(input: SignInput): SignatureV4 {
  return new SignatureV4({
    service: input.service ?? 's3',
    region: input.region ?? 'us-east-1',
    credentials: {
      accessKeyId: input.accessKeyId ?? AKID,
      secretAccessKey: input.secretAccessKey ?? SECRET,
      ...(input.sessionToken !== undefined ? { sessionToken: input.sessionToken } : {}),
    },
    sha256: NodeSha256,
    uriEscapePath: false,
    applyChecksum: false,
  });
}

function httpRequest(input: SignInput): HttpRequest {
  return {
    method: input.method ?? 'GET',
    protocol: 'https:',
    hostname: 'bucket.s3.example.com',
    path: input.path ?? '/key',
    query: input.query ?? {},
    headers: {
      host: 'bucket.s3.example.com',
      'x-amz-content-sha256': input.payloadHash ?? 'UNSIGNED-PAYLOAD',
      ...(input.headers ?? {}),
    },
  };
}

/** Encodes decoded query parameters the way SDKs do (RFC 3986, `%20` for space). */
export function encodeQuery(query: Record<string, string | string[] | null>): string {
  const enc = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (v === null) continue;
    for (const value of Array.isArray(v) ? v : [v]) parts.push(`${enc(k)}=${enc(value)}`);
  }
  return parts.join('&');
}

function toSignable(req: HttpRequest): SignableRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    // node gives header values latin1-decoded: turn the UTF-8 the client sends into that form.
    headers[k.toLowerCase()] = Buffer.from(v, 'utf8').toString('latin1');
  }
  return { method: req.method, rawPath: req.path, rawQuery: encodeQuery(req.query as Record<string, string | string[] | null>), headers };
}

/** Authorization-header signing; the result is what the gateway would see on the wire. */
export async function signHeaderV4(input: SignInput): Promise<SignableRequest> {
  const signed = (await signer(input).sign(httpRequest(input), { signingDate: input.date })) as HttpRequest;
  return toSignable(signed);
}

/** Presigned URL, as @aws-sdk/s3-request-presigner makes it (x-amz-* headers hoisted into the query). */
export async function presignV4(input: SignInput & { readonly expiresIn?: number }): Promise<SignableRequest> {
  const req = httpRequest(input);
  const signed = (await signer(input).presign(req, { signingDate: input.date, expiresIn: input.expiresIn ?? 900 })) as HttpRequest;
  return toSignable(signed);
}
