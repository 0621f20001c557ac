/**
 * Encryption at rest for the store's secret access keys: AES-256-GCM (node:crypto) under a
 * 32-byte master key, with older master keys kept for reading during a rotation.
 *
 * A sealed secret is self-describing text:
 *
 *   v1.<keyId>.<iv base64url>.<ciphertext ‖ 16-byte tag, base64url>
 *
 * - keyId: the first 16 hex characters of SHA-256(master key). It names the key without
 *   revealing it, so `open` picks the right key and a missing one is reported by id.
 * - iv: 12 random bytes per seal (never reused under one key: 2^-96 collision odds per pair).
 * - AAD: the caller's context (the access key id), so a ciphertext copied onto another row
 *   fails authentication instead of granting that row the other row's secret.
 *
 * https://nvlpubs.nist.gov/nistpubs/Legacy/SP/nistspecialpublication800-38d.pdf (GCM)
 * https://nodejs.org/api/crypto.html#cryptocreatecipherivalgorithm-key-iv-options
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export const SEALED_SECRET_VERSION = 'v1';
export const MASTER_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const ALGORITHM = 'aes-256-gcm';
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const KEY_ID = /^[0-9a-f]{16}$/;

/** Thrown when a sealed secret cannot be opened: malformed, unknown key, or failed authentication. */
export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

/** The public name of a master key: first 16 hex chars of its SHA-256. Never the key itself. */
export function deriveMasterKeyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

interface ParsedSealed {
  readonly keyId: string;
  readonly iv: Buffer;
  readonly body: Buffer;
}

function decodeBase64url(part: string, what: string): Buffer {
  // Node's decoder skips characters it does not know; insist on the canonical form so that
  // every accepted text maps to exactly one byte string.
  const bytes = BASE64URL.test(part) ? Buffer.from(part, 'base64url') : undefined;
  if (bytes === undefined || bytes.toString('base64url') !== part) {
    throw new SecretBoxError(`sealed secret is malformed: its ${what} is not canonical base64url`);
  }
  return bytes;
}

function parseSealed(text: string): ParsedSealed {
  const parts = text.split('.');
  if (parts.length !== 4 || parts[0] !== SEALED_SECRET_VERSION) {
    const version = parts[0] ?? '';
    const shown = /^v\d{1,3}$/.test(version) ? ` (version "${version}")` : '';
    throw new SecretBoxError(
      `sealed secret is malformed${shown}: expected "${SEALED_SECRET_VERSION}.<keyId>.<iv>.<ciphertext>"`,
    );
  }
  const keyId = parts[1] ?? '';
  if (!KEY_ID.test(keyId)) throw new SecretBoxError('sealed secret is malformed: bad key id');
  const iv = decodeBase64url(parts[2] ?? '', 'IV');
  const body = decodeBase64url(parts[3] ?? '', 'ciphertext');
  if (iv.length !== IV_BYTES) throw new SecretBoxError(`sealed secret is malformed: IV is not ${IV_BYTES} bytes`);
  if (body.length < TAG_BYTES) throw new SecretBoxError('sealed secret is malformed: ciphertext shorter than its tag');
  return { keyId, iv, body };
}

/** The additional authenticated data: version-tagged so a future format cannot be confused with this one. */
function additionalData(aad: string): Buffer {
  return Buffer.from(`s3gate-secret-${SEALED_SECRET_VERSION}\n${aad}`, 'utf8');
}

export class SecretBox {
  /** The id of the key new secrets are sealed under. */
  readonly primaryKeyId: string;
  private readonly primaryKey: Buffer;
  private readonly keysById: ReadonlyMap<string, Buffer>;

  /**
   * @param primary the master key new secrets are sealed under (32 bytes).
   * @param previous older master keys, still accepted by `open` until `reencryptAll` ran.
   */
  constructor(primary: Buffer, previous: readonly Buffer[] = []) {
    const keys = new Map<string, Buffer>();
    for (const [index, key] of [primary, ...previous].entries()) {
      if (key.length !== MASTER_KEY_BYTES) {
        const which = index === 0 ? 'the primary master key' : `previous master key #${index}`;
        throw new SecretBoxError(`${which} is ${key.length} bytes; AES-256 needs exactly ${MASTER_KEY_BYTES}`);
      }
      const id = deriveMasterKeyId(key);
      if (!keys.has(id)) keys.set(id, Buffer.from(key)); // a copy: the caller may wipe theirs
    }
    this.primaryKeyId = deriveMasterKeyId(primary);
    this.primaryKey = keys.get(this.primaryKeyId)!;
    this.keysById = keys;
  }

  /** Ids of every configured key, primary first. */
  keyIds(): string[] {
    return [...this.keysById.keys()];
  }

  /** Encrypts under the primary key, bound to `aad` (the access key id). */
  seal(plaintext: string, aad: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.primaryKey, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(additionalData(aad));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${SEALED_SECRET_VERSION}.${this.primaryKeyId}.${iv.toString('base64url')}.${body.toString('base64url')}`;
  }

  /** Decrypts a sealed secret; throws SecretBoxError when it is malformed, its key unknown, or it was altered or moved. */
  open(sealed: string, aad: string): string {
    const { keyId, iv, body } = parseSealed(sealed);
    const key = this.keysById.get(keyId);
    if (key === undefined) {
      throw new SecretBoxError(
        `secret sealed with master key ${keyId} which is not configured: set S3GATE_MASTER_KEY_PREVIOUS ` +
          `(or the previous key file) to that key so it can be read, then re-encrypt under the current key ${this.primaryKeyId}`,
      );
    }
    const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(additionalData(aad));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    try {
      const plain = Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
      return plain.toString('utf8');
    } catch {
      throw new SecretBoxError(
        `secret sealed with master key ${keyId} failed authentication: the stored ciphertext was altered or belongs to another credential`,
      );
    }
  }

  /** The key id a sealed secret names (no decryption). */
  keyIdOf(sealed: string): string {
    return parseSealed(sealed).keyId;
  }

  /** True when the secret is sealed under a key other than the primary (re-seal it during rotation). */
  needsReseal(sealed: string): boolean {
    return this.keyIdOf(sealed) !== this.primaryKeyId;
  }
}
