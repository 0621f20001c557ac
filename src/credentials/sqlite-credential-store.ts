/**
 * The CredentialStore over SQLite (schema in db/migrations.ts): minted credentials and IAM
 * users with at most one key pair each.
 *
 * - Secrets are stored only as `box.seal(secret, accessKeyId)` (AES-256-GCM, bound to the
 *   row's access key id); passwords only as scrypt hashes. Plaintext secrets leave this
 *   module in two places: the IssuedCredential of create/rotate/issue (shown once) and the
 *   Credentials of `loadCredentials` (the proxy's in-memory registry).
 * - Scopes are JSON text, validated when written (StoreValidationError) and when read: a
 *   corrupt row never throws out of a read. `loadCredentials` skips it (it grants nothing),
 *   record listings show it with no scopes; either way `onCorruptRow` is told.
 * - Every read-modify-write runs in one IMMEDIATE transaction, so a second process (another
 *   s3gate, the CLI) on the same file waits on the busy timeout rather than interleaving.
 * - Prepared statements are built once, in the constructor.
 */
import { z } from 'zod';
import { bucketPatternProblem, prefixProblem } from '../config/config-schema.js';
import type { SqliteDatabase } from '../db/open-database.js';
import type { Credential } from '../policy/credential.js';
import { buildUserAccessScopes, isUserRole, type UserRole, type UserScope } from '../policy/roles.js';
import type { AccessScope } from '../policy/scope.js';
import { S3_ACTIONS } from '../s3/actions.js';
import {
  type CredentialPatch,
  type CredentialStore,
  type IssuedCredential,
  type NewCredentialInput,
  type NewUserInput,
  StoreConflictError,
  type StoredCredentialRecord,
  type UserPatch,
  type UserRecord,
} from './credential-store.js';
import {
  dummyPasswordHash,
  generateAccessKeyId,
  generateSecretAccessKey,
  generateUserId,
  hashPassword,
  verifyPasswordHash,
} from './key-material.js';
import type { SecretBox } from './secret-box.js';

/** Thrown for input the store refuses (bad username, short password, malformed scopes): the admin API answers 400. */
export class StoreValidationError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.name = 'StoreValidationError';
    this.field = field;
  }
}

export interface SqliteCredentialStoreOptions {
  /**
   * Told about a row that cannot be served (unreadable scopes, a secret that does not open,
   * a key whose user is gone). `id` is the access key id, or the user id for a user row.
   */
  readonly onCorruptRow?: ((id: string, reason: string) => void) | undefined;
}

export const USERNAME_PATTERN = /^[A-Za-z0-9_.@-]{1,64}$/;
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;
/** Attempts at a fresh random primary key before giving up (a collision is ~2^-80 per try). */
const MAX_ID_ATTEMPTS = 5;

// ---------------------------------------------------------------------------------------
// rows

interface CredentialRow {
  readonly access_key_id: string;
  readonly secret_ciphertext: string;
  readonly description: string;
  readonly user_id: string | null;
  readonly scopes: string;
  readonly enabled: number;
  readonly expires_at: number | null;
  readonly created_at: number;
  readonly updated_at: number;
  readonly created_by: string | null;
}

interface UserRow {
  readonly id: string;
  readonly username: string;
  readonly password_hash: string;
  readonly role: string;
  readonly is_active: number;
  readonly scopes: string;
  readonly created_at: number;
  readonly updated_at: number;
}

/** A credential row joined with its user's columns (all null for a minted key). */
interface LoadRow extends Omit<CredentialRow, 'updated_at' | 'created_by'> {
  readonly username: string | null;
  readonly role: string | null;
  readonly is_active: number | null;
  readonly user_scopes: string | null;
}

/** An INSERT's named parameters are exactly the row's columns. */
type CredentialInsert = CredentialRow;

type CredentialUpdate = Pick<CredentialRow, 'access_key_id' | 'description' | 'scopes' | 'enabled' | 'expires_at' | 'updated_at'>;

/** An INSERT's named parameters are exactly the row's columns. */
type UserInsert = UserRow;

interface UserUpdate {
  readonly id: string;
  readonly password_hash: string;
  readonly role: string;
  readonly is_active: number;
  readonly scopes: string;
  readonly updated_at: number;
}

const CREDENTIAL_COLUMNS =
  'access_key_id, secret_ciphertext, description, user_id, scopes, enabled, expires_at, created_at, updated_at, created_by';
const USER_COLUMNS = 'id, username, password_hash, role, is_active, scopes, created_at, updated_at';

// ---------------------------------------------------------------------------------------
// scopes as JSON

const scopeActionSchema = z.union([z.literal('*'), z.enum(S3_ACTIONS)]);
const accessScopesSchema = z.array(
  z.object({ bucket: z.string(), prefixes: z.array(z.string()), actions: z.array(scopeActionSchema) }),
);
const userScopesSchema = z.array(z.object({ bucket: z.string(), prefixes: z.array(z.string()) }));

type ScopeParse<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

function parseScopesJson<T>(text: string, schema: z.ZodType<T>): ScopeParse<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'scopes column is not valid JSON' };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue !== undefined && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    return { ok: false, reason: `scopes column has the wrong shape${where}: ${issue?.message ?? 'invalid'}` };
  }
  return { ok: true, value: parsed.data };
}

/** Checks scopes on their way in and returns the JSON to store (only the known fields). */
function encodeAccessScopes(scopes: readonly AccessScope[]): string {
  const parsed = accessScopesSchema.safeParse(scopes);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue !== undefined && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    throw new StoreValidationError('scopes', `invalid scopes${where}: ${issue?.message ?? 'invalid'}`);
  }
  for (const [i, scope] of parsed.data.entries()) {
    checkScopeTarget(scope, i);
    if (scope.actions.length === 0) {
      throw new StoreValidationError(
        'scopes',
        `scope #${i + 1}: no actions (list at least one, e.g. ["get_object", "list_bucket"], or ["*"])`,
      );
    }
  }
  return JSON.stringify(parsed.data.map((s) => ({ bucket: s.bucket, prefixes: s.prefixes, actions: s.actions })));
}

function encodeUserScopes(scopes: readonly UserScope[]): string {
  const parsed = userScopesSchema.safeParse(scopes);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue !== undefined && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    throw new StoreValidationError('scopes', `invalid scopes${where}: ${issue?.message ?? 'invalid'}`);
  }
  for (const [i, scope] of parsed.data.entries()) checkScopeTarget(scope, i);
  return JSON.stringify(parsed.data.map((s) => ({ bucket: s.bucket, prefixes: s.prefixes })));
}

function checkScopeTarget(scope: { bucket: string; prefixes: readonly string[] }, index: number): void {
  const problem = bucketPatternProblem(scope.bucket) ?? scope.prefixes.map(prefixProblem).find((p) => p !== undefined);
  if (problem !== undefined) throw new StoreValidationError('scopes', `scope #${index + 1}: ${problem}`);
}

// ---------------------------------------------------------------------------------------
// input checks

function checkUsername(username: unknown): string {
  if (typeof username !== 'string' || !USERNAME_PATTERN.test(username)) {
    throw new StoreValidationError('username', 'username must be 1-64 characters of A-Z, a-z, 0-9, "_", ".", "@", "-"');
  }
  return username;
}

function checkPassword(password: unknown): string {
  if (typeof password !== 'string') throw new StoreValidationError('password', 'password must be a string');
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) {
    throw new StoreValidationError('password', `password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  if (length > MAX_PASSWORD_LENGTH) {
    throw new StoreValidationError('password', `password must be at most ${MAX_PASSWORD_LENGTH} characters`);
  }
  return password;
}

function checkRole(role: unknown): UserRole {
  if (typeof role !== 'string' || !isUserRole(role)) {
    throw new StoreValidationError('role', 'role must be one of Reader, Writer, SuperUser');
  }
  return role;
}

function checkExpiry(expiresAtMs: unknown): number {
  if (typeof expiresAtMs !== 'number' || !Number.isSafeInteger(expiresAtMs) || expiresAtMs < 0) {
    throw new StoreValidationError('expiresAtMs', 'expiry must be a whole number of epoch milliseconds');
  }
  return expiresAtMs;
}

function checkBoolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw new StoreValidationError(field, `${field} must be true or false`);
  return value;
}

function checkDescription(value: unknown): string {
  if (typeof value !== 'string') throw new StoreValidationError('description', 'description must be a string');
  return value;
}

function sqliteCode(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

// ---------------------------------------------------------------------------------------

export class SqliteCredentialStore implements CredentialStore {
  private readonly db: SqliteDatabase;
  private readonly box: SecretBox;
  private readonly clock: () => number;
  private readonly onCorruptRow: ((id: string, reason: string) => void) | undefined;

  private readonly insertCredential;
  private readonly selectCredential;
  private readonly selectCredentials;
  private readonly selectCredentialOfUser;
  private readonly updateCredentialRow;
  private readonly updateSecret;
  private readonly resealSecret;
  private readonly deleteCredentialRow;
  private readonly deleteCredentialOfUser;
  private readonly selectSecrets;
  private readonly selectForLoad;
  private readonly insertUser;
  private readonly selectUser;
  private readonly selectUserByName;
  private readonly selectUsers;
  private readonly updateUserRow;
  private readonly deleteUserRow;

  constructor(
    db: SqliteDatabase,
    box: SecretBox,
    clock: () => number = Date.now,
    options: SqliteCredentialStoreOptions = {},
  ) {
    this.db = db;
    this.box = box;
    this.clock = clock;
    this.onCorruptRow = options.onCorruptRow;

    this.insertCredential = db.prepare<CredentialInsert, never>(
      `INSERT INTO credentials (${CREDENTIAL_COLUMNS}) VALUES
         (@access_key_id, @secret_ciphertext, @description, @user_id, @scopes, @enabled, @expires_at, @created_at, @updated_at, @created_by)`,
    );
    this.selectCredential = db.prepare<[string], CredentialRow>(
      `SELECT ${CREDENTIAL_COLUMNS} FROM credentials WHERE access_key_id = ?`,
    );
    this.selectCredentials = db.prepare<[], CredentialRow>(
      `SELECT ${CREDENTIAL_COLUMNS} FROM credentials ORDER BY created_at, access_key_id`,
    );
    this.selectCredentialOfUser = db.prepare<[string], CredentialRow>(
      `SELECT ${CREDENTIAL_COLUMNS} FROM credentials WHERE user_id = ?`,
    );
    this.updateCredentialRow = db.prepare<CredentialUpdate, never>(
      `UPDATE credentials SET description = @description, scopes = @scopes, enabled = @enabled,
         expires_at = @expires_at, updated_at = @updated_at WHERE access_key_id = @access_key_id`,
    );
    this.updateSecret = db.prepare<[string, number, string], never>(
      'UPDATE credentials SET secret_ciphertext = ?, updated_at = ? WHERE access_key_id = ?',
    );
    // Master key rotation: updated_at stays, the credential did not change for its holder.
    this.resealSecret = db.prepare<[string, string], never>(
      'UPDATE credentials SET secret_ciphertext = ? WHERE access_key_id = ?',
    );
    this.deleteCredentialRow = db.prepare<[string], never>('DELETE FROM credentials WHERE access_key_id = ?');
    this.deleteCredentialOfUser = db.prepare<[string], never>('DELETE FROM credentials WHERE user_id = ?');
    this.selectSecrets = db.prepare<[], { access_key_id: string; secret_ciphertext: string }>(
      'SELECT access_key_id, secret_ciphertext FROM credentials',
    );
    this.selectForLoad = db.prepare<[], LoadRow>(
      `SELECT c.access_key_id, c.secret_ciphertext, c.description, c.user_id, c.scopes, c.enabled,
              c.expires_at, c.created_at, u.username, u.role, u.is_active, u.scopes AS user_scopes
         FROM credentials c LEFT JOIN users u ON u.id = c.user_id
        ORDER BY c.access_key_id`,
    );
    this.insertUser = db.prepare<UserInsert, never>(
      `INSERT INTO users (${USER_COLUMNS}) VALUES
         (@id, @username, @password_hash, @role, @is_active, @scopes, @created_at, @updated_at)`,
    );
    this.selectUser = db.prepare<[string], UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`);
    // `username` is declared COLLATE NOCASE: this lookup is case-insensitive.
    this.selectUserByName = db.prepare<[string], UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE username = ?`);
    this.selectUsers = db.prepare<[], UserRow>(`SELECT ${USER_COLUMNS} FROM users ORDER BY username, id`);
    this.updateUserRow = db.prepare<UserUpdate, never>(
      `UPDATE users SET password_hash = @password_hash, role = @role, is_active = @is_active, scopes = @scopes,
         updated_at = @updated_at WHERE id = @id`,
    );
    this.deleteUserRow = db.prepare<[string], never>('DELETE FROM users WHERE id = ?');
  }

  // -------------------------------------------------------------------------------------
  // minted credentials

  createCredential(input: NewCredentialInput): IssuedCredential {
    const description = checkDescription(input.description);
    const scopes = encodeAccessScopes(input.scopes);
    const expiresAt = input.expiresAtMs === undefined ? null : checkExpiry(input.expiresAtMs);
    return this.insertFresh({
      description,
      userId: null,
      scopes,
      expiresAt,
      createdBy: input.createdBy ?? null,
    });
  }

  listCredentials(): StoredCredentialRecord[] {
    return this.selectCredentials.all().map((row) => this.toRecord(row));
  }

  getCredential(accessKeyId: string): StoredCredentialRecord | undefined {
    const row = this.selectCredential.get(accessKeyId);
    return row === undefined ? undefined : this.toRecord(row);
  }

  updateCredential(accessKeyId: string, patch: CredentialPatch): StoredCredentialRecord | undefined {
    const description = patch.description === undefined ? undefined : checkDescription(patch.description);
    const enabled = patch.enabled === undefined ? undefined : checkBoolean(patch.enabled, 'enabled');
    const expiresAt =
      patch.expiresAtMs === undefined ? undefined : patch.expiresAtMs === null ? null : checkExpiry(patch.expiresAtMs);
    const scopes = patch.scopes === undefined ? undefined : encodeAccessScopes(patch.scopes);
    return this.db
      .transaction((): StoredCredentialRecord | undefined => {
        const row = this.selectCredential.get(accessKeyId);
        if (row === undefined) return undefined;
        if (scopes !== undefined && row.user_id !== null) {
          throw new StoreValidationError(
            'scopes',
            "a user's key takes its scopes from the user's role and scopes: change the user instead",
          );
        }
        this.updateCredentialRow.run({
          access_key_id: accessKeyId,
          description: description ?? row.description,
          scopes: scopes ?? row.scopes,
          enabled: enabled === undefined ? row.enabled : enabled ? 1 : 0,
          expires_at: expiresAt === undefined ? row.expires_at : expiresAt,
          updated_at: this.clock(),
        });
        const updated = this.selectCredential.get(accessKeyId);
        return updated === undefined ? undefined : this.toRecord(updated);
      })
      .immediate();
  }

  deleteCredential(accessKeyId: string): boolean {
    return this.deleteCredentialRow.run(accessKeyId).changes > 0;
  }

  rotateCredential(accessKeyId: string): IssuedCredential | undefined {
    const secretAccessKey = generateSecretAccessKey();
    const sealed = this.box.seal(secretAccessKey, accessKeyId);
    return this.db
      .transaction((): IssuedCredential | undefined => {
        if (this.updateSecret.run(sealed, this.clock(), accessKeyId).changes === 0) return undefined;
        const row = this.selectCredential.get(accessKeyId);
        return row === undefined ? undefined : { record: this.toRecord(row), secretAccessKey };
      })
      .immediate();
  }

  // -------------------------------------------------------------------------------------
  // users

  async createUser(input: NewUserInput): Promise<UserRecord> {
    const username = checkUsername(input.username);
    const password = checkPassword(input.password);
    const role = checkRole(input.role);
    const scopes = encodeUserScopes(input.scopes ?? []);
    const isActive = input.isActive === undefined ? true : checkBoolean(input.isActive, 'isActive');
    // Fail fast before spending a scrypt; the UNIQUE constraint below settles a race.
    if (this.selectUserByName.get(username) !== undefined) throw usernameTaken(username);
    const passwordHash = await hashPassword(password);
    const now = this.clock();
    for (let attempt = 1; ; attempt++) {
      const id = generateUserId();
      try {
        this.insertUser.run({
          id,
          username,
          password_hash: passwordHash,
          role,
          is_active: isActive ? 1 : 0,
          scopes,
          created_at: now,
          updated_at: now,
        });
      } catch (err) {
        const code = sqliteCode(err);
        if (code === 'SQLITE_CONSTRAINT_UNIQUE') throw usernameTaken(username);
        if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' && attempt < MAX_ID_ATTEMPTS) continue;
        throw err;
      }
      const row = this.selectUser.get(id);
      if (row === undefined) throw new Error(`user ${id} vanished right after it was created`);
      return this.toUser(row);
    }
  }

  listUsers(): UserRecord[] {
    return this.selectUsers.all().map((row) => this.toUser(row));
  }

  getUser(id: string): UserRecord | undefined {
    const row = this.selectUser.get(id);
    return row === undefined ? undefined : this.toUser(row);
  }

  getUserByUsername(username: string): UserRecord | undefined {
    const row = this.selectUserByName.get(username);
    return row === undefined ? undefined : this.toUser(row);
  }

  async updateUser(id: string, patch: UserPatch): Promise<UserRecord | undefined> {
    const role = patch.role === undefined ? undefined : checkRole(patch.role);
    const isActive = patch.isActive === undefined ? undefined : checkBoolean(patch.isActive, 'isActive');
    const scopes = patch.scopes === undefined ? undefined : encodeUserScopes(patch.scopes);
    const password = patch.password === undefined ? undefined : checkPassword(patch.password);
    if (this.selectUser.get(id) === undefined) return undefined;
    const passwordHash = password === undefined ? undefined : await hashPassword(password);
    return this.db
      .transaction((): UserRecord | undefined => {
        const row = this.selectUser.get(id); // again: the hash took a while
        if (row === undefined) return undefined;
        this.updateUserRow.run({
          id,
          password_hash: passwordHash ?? row.password_hash,
          role: role ?? row.role,
          is_active: isActive === undefined ? row.is_active : isActive ? 1 : 0,
          scopes: scopes ?? row.scopes,
          // updated_at is the version admin tokens are tied to: it must move on every change,
          // even two in the same millisecond or after the clock stepped back.
          updated_at: Math.max(this.clock(), row.updated_at + 1),
        });
        this.keepOneSuperUser(row, isActive === false ? 'is_active' : 'role');
        const updated = this.selectUser.get(id);
        return updated === undefined ? undefined : this.toUser(updated);
      })
      .immediate();
  }

  deleteUser(id: string): boolean {
    return this.db
      .transaction((): boolean => {
        // ON DELETE CASCADE does this too, but only on connections with foreign_keys = ON.
        const row = this.selectUser.get(id);
        this.deleteCredentialOfUser.run(id);
        const deleted = this.deleteUserRow.run(id).changes > 0;
        if (row !== undefined) this.keepOneSuperUser(row, 'id');
        return deleted;
      })
      .immediate();
  }

  /**
   * Inside a write transaction, after a change to `before`'s user: when that user was an active
   * SuperUser and none is left, throws (rolling the change back). Checked here, under SQLite's
   * write lock, so two processes cannot each remove "the other" last SuperUser.
   */
  private keepOneSuperUser(before: { role: string; is_active: number; username: string }, field: string): void {
    if (before.role !== 'SuperUser' || before.is_active !== 1) return;
    const left = this.db.prepare("SELECT count(*) AS n FROM users WHERE role = 'SuperUser' AND is_active = 1").get() as { n: number };
    if (left.n === 0) {
      throw new StoreConflictError(field, `${before.username} is the last active SuperUser: create another SuperUser first`);
    }
  }

  async verifyPassword(username: string, password: string): Promise<UserRecord | undefined> {
    const row =
      typeof username === 'string' && USERNAME_PATTERN.test(username) ? this.selectUserByName.get(username) : undefined;
    const stored = row?.password_hash ?? (await dummyPasswordHash());
    const matches = await verifyPasswordHash(typeof password === 'string' ? password : '', stored);
    if (!matches || row === undefined) return undefined;
    // As it is now, after the await; but not if the password changed meanwhile: the token
    // issued from this login would carry the new version and outlive the change.
    const current = this.selectUser.get(row.id);
    if (current === undefined || current.password_hash !== row.password_hash) return undefined;
    return this.toUser(current);
  }

  issueUserCredential(userId: string, createdBy?: string): IssuedCredential | undefined {
    return this.db
      .transaction((): IssuedCredential | undefined => {
        if (this.selectUser.get(userId) === undefined) return undefined;
        this.deleteCredentialOfUser.run(userId);
        return this.insertFresh({ description: '', userId, scopes: '[]', expiresAt: null, createdBy: createdBy ?? null });
      })
      .immediate();
  }

  getUserCredential(userId: string): StoredCredentialRecord | undefined {
    const row = this.selectCredentialOfUser.get(userId);
    return row === undefined ? undefined : this.toRecord(row);
  }

  deleteUserCredential(userId: string): boolean {
    return this.deleteCredentialOfUser.run(userId).changes > 0;
  }

  // -------------------------------------------------------------------------------------
  // serving and maintenance

  loadCredentials(): Credential[] {
    const out: Credential[] = [];
    this.openedNow = new Map();
    for (const row of this.selectForLoad.all()) {
      const credential = this.toCredential(row);
      if (credential !== undefined) out.push(credential);
    }
    // Only the secrets of this load are kept: a revoked or rotated one is gone from memory.
    this.openedBefore = this.openedNow;
    return out;
  }

  /**
   * AES-GCM-opened secrets of the last load, by (access key id, ciphertext): every change
   * reloads every key, and decrypting 50 000 of them each time would block for seconds. A
   * ciphertext that changed (rotation, re-encryption) is opened afresh.
   */
  private openedBefore = new Map<string, string>();
  private openedNow = new Map<string, string>();

  private openSecret(sealed: string, accessKeyId: string): string {
    const cacheKey = `${accessKeyId}\u0000${sealed}`;
    const secret = this.openedBefore.get(cacheKey) ?? this.box.open(sealed, accessKeyId);
    this.openedNow.set(cacheKey, secret);
    return secret;
  }

  /**
   * Master key rotation: re-seals every secret not already under the primary key, in one
   * transaction (all or nothing: a secret that cannot be opened aborts it, naming the key).
   * Returns how many secrets changed. Afterwards the previous keys can be dropped.
   */
  reencryptAll(): number {
    return this.db
      .transaction((): number => {
        let changed = 0;
        for (const row of this.selectSecrets.all()) {
          try {
            if (!this.box.needsReseal(row.secret_ciphertext)) continue;
            const secret = this.box.open(row.secret_ciphertext, row.access_key_id);
            this.resealSecret.run(this.box.seal(secret, row.access_key_id), row.access_key_id);
          } catch (err) {
            const reason = err instanceof Error ? err.message : String(err);
            throw new Error(`cannot re-encrypt the secret of ${row.access_key_id}: ${reason}`, { cause: err });
          }
          changed++;
        }
        return changed;
      })
      .immediate();
  }

  // -------------------------------------------------------------------------------------

  /** Inserts a credential with a fresh id and secret, retrying on the (astronomically unlikely) id collision. */
  private insertFresh(fields: {
    description: string;
    userId: string | null;
    scopes: string;
    expiresAt: number | null;
    createdBy: string | null;
  }): IssuedCredential {
    const now = this.clock();
    for (let attempt = 1; ; attempt++) {
      const accessKeyId = generateAccessKeyId();
      const secretAccessKey = generateSecretAccessKey();
      try {
        this.insertCredential.run({
          access_key_id: accessKeyId,
          secret_ciphertext: this.box.seal(secretAccessKey, accessKeyId),
          description: fields.description,
          user_id: fields.userId,
          scopes: fields.scopes,
          enabled: 1,
          expires_at: fields.expiresAt,
          created_at: now,
          updated_at: now,
          created_by: fields.createdBy,
        });
      } catch (err) {
        if (sqliteCode(err) === 'SQLITE_CONSTRAINT_PRIMARYKEY' && attempt < MAX_ID_ATTEMPTS) continue;
        throw err;
      }
      const row = this.selectCredential.get(accessKeyId);
      if (row === undefined) throw new Error(`credential ${accessKeyId} vanished right after it was created`);
      return { record: this.toRecord(row), secretAccessKey };
    }
  }

  private report(id: string, reason: string): void {
    this.onCorruptRow?.(id, reason);
  }

  private toRecord(row: CredentialRow): StoredCredentialRecord {
    let scopes: readonly AccessScope[] = [];
    const parsed = parseScopesJson(row.scopes, accessScopesSchema);
    if (parsed.ok) scopes = parsed.value;
    else this.report(row.access_key_id, parsed.reason);
    return {
      accessKeyId: row.access_key_id,
      description: row.description,
      userId: row.user_id ?? undefined,
      scopes,
      enabled: row.enabled === 1,
      expiresAtMs: row.expires_at ?? undefined,
      createdAtMs: row.created_at,
      updatedAtMs: row.updated_at,
      createdBy: row.created_by ?? undefined,
    };
  }

  private toUser(row: UserRow): UserRecord {
    let scopes: readonly UserScope[] = [];
    const parsed = parseScopesJson(row.scopes, userScopesSchema);
    if (parsed.ok) scopes = parsed.value;
    else this.report(row.id, parsed.reason);
    // The CHECK constraint holds role to the three names; Reader is the safe reading otherwise.
    const role: UserRole = isUserRole(row.role) ? row.role : 'Reader';
    return {
      id: row.id,
      username: row.username,
      role,
      isActive: row.is_active === 1,
      scopes,
      createdAtMs: row.created_at,
      updatedAtMs: row.updated_at,
    };
  }

  /** One row as the proxy serves it, or undefined (reported) when it cannot be served. */
  private toCredential(row: LoadRow): Credential | undefined {
    const id = row.access_key_id;
    let scopes: readonly AccessScope[];
    let principalName: string;
    let enabled = row.enabled === 1;
    if (row.user_id === null) {
      const parsed = parseScopesJson(row.scopes, accessScopesSchema);
      if (!parsed.ok) return this.skip(id, parsed.reason);
      scopes = parsed.value;
      principalName = row.description !== '' ? row.description : id;
    } else {
      if (row.username === null || row.role === null || row.user_scopes === null) {
        return this.skip(id, `its user ${row.user_id} does not exist`);
      }
      if (!isUserRole(row.role)) return this.skip(id, `its user has an unknown role "${row.role}"`);
      const parsed = parseScopesJson(row.user_scopes, userScopesSchema);
      if (!parsed.ok) return this.skip(id, `its user ${row.user_id}: ${parsed.reason}`);
      scopes = buildUserAccessScopes(row.role, parsed.value);
      principalName = row.username;
      enabled = enabled && row.is_active === 1;
    }
    let secretAccessKey: string;
    try {
      secretAccessKey = this.openSecret(row.secret_ciphertext, id);
    } catch (err) {
      return this.skip(id, err instanceof Error ? err.message : String(err));
    }
    return {
      accessKeyId: id,
      secretAccessKey,
      principalName,
      enabled,
      expiresAtMs: row.expires_at ?? undefined,
      createdAtMs: row.created_at,
      scopes,
      source: 'store',
    };
  }

  private skip(id: string, reason: string): undefined {
    this.report(id, reason);
    return undefined;
  }
}

function usernameTaken(username: string): StoreConflictError {
  return new StoreConflictError('username', `username "${username}" is taken`);
}
