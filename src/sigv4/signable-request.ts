import type { Credential } from '../policy/credential.js';

/**
 * A framework-neutral view of an incoming request, exactly as it arrived on the wire.
 * Header names are lower-case (as node's IncomingHttpHeaders); values untouched.
 */
export interface SignableRequest {
  readonly method: string;
  /** Path exactly as received, percent-encoding untouched, without the query string. */
  readonly rawPath: string;
  /** Query string exactly as received, without the leading '?'; '' when absent. */
  readonly rawQuery: string;
  /**
   * Values as node gives them: latin1-decoded bytes (the canonical request restores the bytes; a
   * value holding a code point above U+00FF is taken as UTF-8 text). A header sent several times
   * should come as string[] (node's `headersDistinct`): SigV4 joins repeats with `,`, while node's
   * `headers` joins most of them with `, `, which would not verify if such a header is signed.
   */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Bucket named by the Host header in virtual-host style (needed for SigV2's canonical resource). */
  readonly virtualHostBucket?: string | undefined;
}

export type AuthKind = 'header-v4' | 'presigned-v4' | 'header-v2' | 'presigned-v2' | 'anonymous';

/** What the signed request says about its body. */
export type PayloadMode =
  /** UNSIGNED-PAYLOAD, presigned URLs and SigV2: body is not covered by the signature. */
  | { readonly kind: 'unsigned' }
  /** x-amz-content-sha256 is a hex digest the body must hash to. */
  | { readonly kind: 'sha256'; readonly sha256Hex: string }
  /** STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]: aws-chunked with a signature per chunk. */
  | {
      readonly kind: 'streaming-signed';
      readonly decodedLength: number;
      readonly seedSignature: string;
      readonly signingKey: Buffer;
      readonly amzDate: string;
      readonly credentialScope: string;
      /** Lower-case trailer header name (e.g. x-amz-checksum-crc32) when the -TRAILER variant is used. */
      readonly trailer: string | undefined;
    }
  /** STREAMING-UNSIGNED-PAYLOAD-TRAILER: aws-chunked without chunk signatures, checksum in a trailer. */
  | { readonly kind: 'streaming-unsigned-trailer'; readonly decodedLength: number; readonly trailer: string | undefined };

export interface VerifiedRequest {
  readonly authKind: AuthKind;
  /** undefined only for anonymous requests. */
  readonly credential: Credential | undefined;
  readonly region: string | undefined;
  readonly payload: PayloadMode;
}
