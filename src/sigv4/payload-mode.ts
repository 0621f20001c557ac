/**
 * What x-amz-content-sha256 says about the body: UNSIGNED-PAYLOAD, a SHA-256 hex digest, or one of
 * the aws-chunked streaming variants.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-auth-using-authorization-header.html
 */
import { S3Error } from '../s3/s3-error.js';
import type { PayloadMode } from './signable-request.js';
import { isSupportedTrailer } from './trailer-checksum.js';

export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const STREAMING_SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
export const STREAMING_SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
export const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';

/** What the streaming-signed mode needs to check chunk signatures. */
export interface StreamingSigningContext {
  readonly seedSignature: string;
  readonly signingKey: Buffer;
  readonly amzDate: string;
  readonly credentialScope: string;
}

type Headers = Readonly<Record<string, string | readonly string[] | undefined>>;

const SHA256_HEX = /^[0-9a-f]{64}$/;
const DECIMAL = /^\d{1,15}$/;
const UNSIGNED: PayloadMode = Object.freeze({ kind: 'unsigned' });

function single(value: string | readonly string[] | undefined): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  return value.length === 1 ? value[0] : value.join(',');
}

function decodedLength(headers: Headers): number {
  const text = single(headers['x-amz-decoded-content-length']);
  if (text === undefined) {
    throw new S3Error('MissingContentLength', 'You must provide the x-amz-decoded-content-length header for aws-chunked uploads.');
  }
  if (!DECIMAL.test(text.trim())) throw new S3Error('InvalidArgument', 'x-amz-decoded-content-length must be a non-negative integer.');
  return Number(text.trim());
}

function trailer(headers: Headers, required: boolean): string | undefined {
  const text = single(headers['x-amz-trailer'])?.trim().toLowerCase();
  if (text === undefined || text === '') {
    if (required) throw new S3Error('InvalidRequest', 'The x-amz-trailer header is required with STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER.');
    return undefined;
  }
  if (!isSupportedTrailer(text)) {
    throw new S3Error('InvalidRequest', `The value specified in the x-amz-trailer header is not supported: ${text}`);
  }
  return text;
}

/**
 * Maps the x-amz-content-sha256 value to a PayloadMode. `undefined` (no header) means unsigned;
 * the caller decides whether the header was required. Streaming-signed needs `signing`.
 */
export function parsePayloadMode(contentSha256: string | undefined, headers: Headers, signing: StreamingSigningContext | undefined): PayloadMode {
  if (contentSha256 === undefined || contentSha256 === UNSIGNED_PAYLOAD) return UNSIGNED;
  if (SHA256_HEX.test(contentSha256)) return { kind: 'sha256', sha256Hex: contentSha256 };
  switch (contentSha256) {
    case STREAMING_SIGNED:
    case STREAMING_SIGNED_TRAILER: {
      if (signing === undefined) throw new S3Error('InvalidRequest', `${contentSha256} requires SigV4 signing.`);
      return {
        kind: 'streaming-signed',
        decodedLength: decodedLength(headers),
        seedSignature: signing.seedSignature,
        signingKey: signing.signingKey,
        amzDate: signing.amzDate,
        credentialScope: signing.credentialScope,
        trailer: contentSha256 === STREAMING_SIGNED_TRAILER ? trailer(headers, true) : undefined,
      };
    }
    case STREAMING_UNSIGNED_TRAILER:
      return { kind: 'streaming-unsigned-trailer', decodedLength: decodedLength(headers), trailer: trailer(headers, false) };
    default:
      throw new S3Error('InvalidArgument', 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER], STREAMING-UNSIGNED-PAYLOAD-TRAILER or a lower-case hex SHA-256 digest.');
  }
}
