/**
 * Finds the master key(s) the SecretBox encrypts stored secrets with.
 *
 * Primary key, first found wins:
 *   1. `S3GATE_MASTER_KEY`: 64 hex characters, or base64 / base64url of exactly 32 bytes.
 *   2. The key file (e.g. `<data dir>/master.key`). Created on first start with 32 random
 *      bytes, hex-encoded, mode 0600 in a 0700 directory. Creation is atomic and exclusive
 *      (temp file written with `wx`, then hard-linked into place, which fails if the name
 *      exists): two processes starting at once end up with the SAME key, the loser reads the
 *      winner's. An existing file readable by group or others is refused.
 *
 * Previous keys (still accepted for reading during a rotation, see SecretBox):
 *   `S3GATE_MASTER_KEY_PREVIOUS` (comma-separated) and/or `previousKeyFile` (one key per line
 *   or comma-separated; an absent file counts as none, a present one must be mode 0600).
 *
 * Errors name the variable or file and the fix; they never echo key material.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fchmodSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { MASTER_KEY_BYTES } from './secret-box.js';

export const MASTER_KEY_ENV = 'S3GATE_MASTER_KEY';
export const MASTER_KEY_PREVIOUS_ENV = 'S3GATE_MASTER_KEY_PREVIOUS';
export const MASTER_KEY_FILE_NAME = 'master.key';

export type MasterKeyEnv = Readonly<Record<string, string | undefined>>;

export interface LoadMasterKeysOptions {
  readonly env: MasterKeyEnv;
  /** Used (and created if absent) when S3GATE_MASTER_KEY is not set. */
  readonly keyFile: string;
  readonly previousKeyFile?: string | undefined;
}

export interface MasterKeys {
  readonly primary: Buffer;
  /** Distinct from the primary and from each other. */
  readonly previous: Buffer[];
  /** Where the primary came from, for a start-up log line: `env S3GATE_MASTER_KEY`, `file <path>`, `file <path> (created)`. */
  readonly source: string;
}

/** Thrown for a missing, malformed or unsafe master key. */
export class MasterKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MasterKeyError';
  }
}

const HEX_KEY = /^[0-9a-fA-F]{64}$/;
const BASE64_KEY = /^[A-Za-z0-9+/_-]{43}=?$/;
const FIX = 'generate one with: openssl rand -hex 32';

/** Parses one key written as 64 hex characters or base64(url) of 32 bytes. `origin` names where it came from. */
export function parseMasterKey(text: string, origin: string): Buffer {
  const value = text.trim();
  if (HEX_KEY.test(value)) return Buffer.from(value, 'hex');
  if (BASE64_KEY.test(value)) {
    const urlForm = value.replace(/=$/, '').replace(/\+/g, '-').replace(/\//g, '_');
    const bytes = Buffer.from(urlForm, 'base64url');
    // The last character carries 2 spare bits; insist they are zero (one text per key).
    if (bytes.length === MASTER_KEY_BYTES && bytes.toString('base64url') === urlForm) return bytes;
  }
  const what = value.length === 0 ? 'is empty' : `is not a ${MASTER_KEY_BYTES}-byte key (${value.length} characters)`;
  return fail(
    `${origin} ${what}: write 64 hex characters or the base64 of exactly ${MASTER_KEY_BYTES} bytes (${FIX})`,
  );
}

function fail(message: string): never {
  throw new MasterKeyError(message);
}

function errorCode(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

/** Refuses a key file that is not a regular file or that group/others may read or write. */
function checkKeyFileMode(file: string): void {
  const stat = statSync(file);
  if (!stat.isFile()) fail(`master key file ${file} is not a regular file`);
  if (process.platform === 'win32') return; // no POSIX mode bits to check
  const mode = stat.mode & 0o777;
  if ((mode & 0o077) !== 0) {
    fail(
      `master key file ${file} is accessible by group or others (mode ${mode.toString(8).padStart(4, '0')}): ` +
        `run chmod 600 ${file}`,
    );
  }
}

function readKeyFile(file: string): string {
  checkKeyFileMode(file);
  return readFileSync(file, 'utf8');
}

/**
 * Creates the key file with a fresh random key unless it exists; returns its text and
 * whether this call created it. Exclusive: of two racing processes exactly one key wins.
 */
function createKeyFileOnce(file: string): { text: string; created: boolean } {
  const dir = dirname(file);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const text = `${randomBytes(MASTER_KEY_BYTES).toString('hex')}\n`;
  const temp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temp, 'wx', 0o600);
  try {
    try {
      fchmodSync(fd, 0o600); // exact mode whatever the umask
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(temp, file); // atomic, and never replaces an existing key
      return { text, created: true };
    } catch (err) {
      if (errorCode(err) !== 'EEXIST') throw err;
      return { text: readKeyFile(file), created: false }; // another process won the race
    }
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      // already gone: nothing to clean up
    }
  }
}

function splitKeys(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function loadMasterKeys(options: LoadMasterKeysOptions): MasterKeys {
  const { env, keyFile, previousKeyFile } = options;

  let primary: Buffer;
  let source: string;
  const fromEnv = env[MASTER_KEY_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    primary = parseMasterKey(fromEnv, MASTER_KEY_ENV);
    source = `env ${MASTER_KEY_ENV}`;
  } else {
    let text: string;
    let created = false;
    try {
      text = readKeyFile(keyFile);
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') throw err;
      ({ text, created } = createKeyFileOnce(keyFile));
    }
    primary = parseMasterKey(text, `master key file ${keyFile}`);
    source = created ? `file ${keyFile} (created)` : `file ${keyFile}`;
  }

  const previous: Buffer[] = [];
  const add = (key: Buffer): void => {
    if (!key.equals(primary) && !previous.some((k) => k.equals(key))) previous.push(key);
  };
  const previousEnv = env[MASTER_KEY_PREVIOUS_ENV];
  if (previousEnv !== undefined) {
    for (const [i, part] of splitKeys(previousEnv).entries()) {
      add(parseMasterKey(part, `${MASTER_KEY_PREVIOUS_ENV} (key #${i + 1})`));
    }
  }
  if (previousKeyFile !== undefined) {
    let text: string | undefined;
    try {
      text = readKeyFile(previousKeyFile);
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') throw err;
    }
    if (text !== undefined) {
      for (const [i, part] of splitKeys(text).entries()) {
        add(parseMasterKey(part, `previous master key file ${previousKeyFile} (key #${i + 1})`));
      }
    }
  }
  return { primary, previous, source };
}
