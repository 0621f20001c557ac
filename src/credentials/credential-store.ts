/**
 * The persistent store of minted credentials and IAM users (implemented over SQLite by
 * sqlite-credential-store.ts). Records returned here NEVER carry a secret: the secret exists
 * in plaintext only in the result of create/rotate (shown once) and inside the in-memory
 * Credential objects handed to the proxy's registry.
 */
import type { Credential } from '../policy/credential.js';
import type { UserRole, UserScope } from '../policy/roles.js';
import type { AccessScope } from '../policy/scope.js';

/** A minted credential as listed by the admin API: no secret. */
export interface StoredCredentialRecord {
  readonly accessKeyId: string;
  readonly description: string;
  /** Set for a user's key pair (its scopes then come from the user's role and scopes). */
  readonly userId: string | undefined;
  /** The credential's own scopes (empty for a user's key). */
  readonly scopes: readonly AccessScope[];
  readonly enabled: boolean;
  readonly expiresAtMs: number | undefined;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  /** Who minted it: `user:<username>` or `cli:<os user>`. */
  readonly createdBy: string | undefined;
}

/** What create and rotate return: the record and, this once, the secret. */
export interface IssuedCredential {
  readonly record: StoredCredentialRecord;
  readonly secretAccessKey: string;
}

export interface UserRecord {
  readonly id: string;
  readonly username: string;
  readonly role: UserRole;
  readonly isActive: boolean;
  readonly scopes: readonly UserScope[];
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
}

export interface NewCredentialInput {
  readonly description: string;
  readonly scopes: readonly AccessScope[];
  readonly expiresAtMs?: number | undefined;
  readonly createdBy?: string | undefined;
}

export interface CredentialPatch {
  readonly description?: string | undefined;
  readonly scopes?: readonly AccessScope[] | undefined;
  readonly enabled?: boolean | undefined;
  /** null = remove the expiry. */
  readonly expiresAtMs?: number | null | undefined;
}

export interface NewUserInput {
  readonly username: string;
  readonly password: string;
  readonly role: UserRole;
  readonly scopes?: readonly UserScope[] | undefined;
  readonly isActive?: boolean | undefined;
}

export interface UserPatch {
  readonly role?: UserRole | undefined;
  readonly isActive?: boolean | undefined;
  readonly scopes?: readonly UserScope[] | undefined;
  readonly password?: string | undefined;
}

/** Thrown for a username that is taken: the admin API answers 409. */
export class StoreConflictError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.name = 'StoreConflictError';
    this.field = field;
  }
}

export interface CredentialStore {
  // minted credentials
  createCredential(input: NewCredentialInput): IssuedCredential;
  listCredentials(): StoredCredentialRecord[];
  getCredential(accessKeyId: string): StoredCredentialRecord | undefined;
  updateCredential(accessKeyId: string, patch: CredentialPatch): StoredCredentialRecord | undefined;
  /** Revocation: the row is deleted. False when there was none. */
  deleteCredential(accessKeyId: string): boolean;
  /** New secret for the same access key id; the old secret stops working. */
  rotateCredential(accessKeyId: string): IssuedCredential | undefined;

  // users
  createUser(input: NewUserInput): Promise<UserRecord>;
  listUsers(): UserRecord[];
  getUser(id: string): UserRecord | undefined;
  getUserByUsername(username: string): UserRecord | undefined;
  updateUser(id: string, patch: UserPatch): Promise<UserRecord | undefined>;
  /** Deletes the user and their key pair. */
  deleteUser(id: string): boolean;
  /** The user when the password matches (active or not: the caller decides); costs one scrypt either way. */
  verifyPassword(username: string, password: string): Promise<UserRecord | undefined>;
  /** Replaces the user's key pair (the old one is refused from now on). */
  issueUserCredential(userId: string, createdBy?: string): IssuedCredential | undefined;
  getUserCredential(userId: string): StoredCredentialRecord | undefined;
  deleteUserCredential(userId: string): boolean;

  /**
   * Every stored credential as the proxy serves it: secrets decrypted; a user's key carries
   * the role's scopes and is disabled while the user is inactive.
   */
  loadCredentials(): Credential[];
}
