/**
 * The admin use cases — minting, scoping, disabling, revoking and rotating keys; managing
 * IAM users and their one key pair; logging in — shared by the HTTP API and the CLI. Every
 * mutation invalidates the credential cache at once (so the very next S3 request sees it)
 * and writes an `admin.<thing>.<verb>` audit row. Secrets leave this module only in the
 * result of create/rotate/issue, and never in an audit row or a log line.
 */
import type { Clock } from '../core/clock.js';
import type { AuditOutcome, AuditRecord, AuditSink } from '../audit/audit-record.js';
import {
  type CredentialStore,
  type IssuedCredential,
  type StoredCredentialRecord,
  StoreConflictError,
  type UserRecord,
} from '../credentials/credential-store.js';
import type { Credential } from '../policy/credential.js';
import { canAdminister, type UserRole } from '../policy/roles.js';
import type { AccessScope } from '../policy/scope.js';
import type { AdminTokenSigner, IssuedToken, TokenClaims } from './admin-tokens.js';
import {
  type CreateCredentialBody,
  type CreateUserBody,
  type PatchCredentialBody,
  type PatchUserBody,
  toAccessScopes,
  toUserScopes,
} from './admin-schemas.js';
import type { LoginLimiter } from './login-limiter.js';

/** One coded admin failure; the HTTP layer renders it as `{error: {code, message, field?}}`. */
export class AdminError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly field?: string | undefined,
    readonly retryAfterSeconds?: number | undefined,
  ) {
    super(message);
    this.name = 'AdminError';
  }
}

/** Who is acting, for authorisation and the audit trail. */
export interface AdminActor {
  /** `user:<username>` or `cli:<os user>`. */
  readonly principal: string;
  /** undefined for the CLI (an operator with the database file is trusted). */
  readonly user: UserRecord | undefined;
  readonly requestId: string;
  readonly clientAddress: string | undefined;
}

/** A credential as the admin API shows it: never the secret. */
export interface CredentialView {
  readonly access_key_id: string;
  readonly source: 'store' | 'toml';
  readonly read_only: boolean;
  readonly description: string;
  readonly user_id: string | null;
  readonly scopes: readonly AccessScope[];
  readonly enabled: boolean;
  readonly expires_at: string | null;
  readonly created_at: string | null;
  readonly updated_at: string | null;
  readonly created_by: string | null;
}

export interface UserView {
  readonly id: string;
  readonly username: string;
  readonly role: UserRole;
  readonly is_active: boolean;
  readonly scopes: UserRecord['scopes'];
  readonly access_key_id: string | null;
  readonly created_at: string;
  readonly updated_at: string;
}

/** What create, rotate and issue return: the one time the secret is shown. */
export interface IssuedCredentialView extends CredentialView {
  readonly secret_access_key: string;
}

export interface AdminServiceDeps {
  readonly store: CredentialStore;
  readonly audit: AuditSink;
  /** Re-reads the store into the proxy's credential cache (same process). */
  readonly invalidate: () => void;
  /** proxy.toml's credentials, listed read-only. */
  readonly tomlCredentials: () => readonly Credential[];
  readonly clock: Clock;
  /** Absent in the CLI (no logins there). */
  readonly tokens?: AdminTokenSigner | undefined;
  readonly loginLimiter?: LoginLimiter | undefined;
}

/** scrypt runs on libuv's pool (4 threads by default): more at once only queues, and lets one client hog it. */
const MAX_CONCURRENT_LOGINS = 8;

export class AdminService {
  /** Password hashes under way. */
  private hashing = 0;

  constructor(private readonly deps: AdminServiceDeps) {}

  // ------------------------------------------------------------------ sessions

  async login(username: string, password: string, actor: Omit<AdminActor, 'principal' | 'user'>): Promise<IssuedToken & { user: UserView }> {
    const { tokens, loginLimiter } = this.deps;
    if (tokens === undefined) throw new AdminError('NotSupported', 400, 'logins are not available here');
    const address = actor.clientAddress ?? 'unknown';
    const waitMs = loginLimiter?.retryAfterMs(username, address) ?? 0;
    // A name that is no user is not written to the trail: people type passwords there.
    const known = this.deps.store.getUserByUsername(username);
    const base = { ...actor, principal: known === undefined ? 'user:(unknown)' : `user:${known.username}`, user: undefined };
    if (waitMs > 0) {
      this.audit(base, 'admin.session.login', 'denied', 429, { reason: 'too many failed logins' }, 'TooManyRequests');
      throw new AdminError('TooManyRequests', 429, 'too many failed logins: wait before trying again', undefined, Math.ceil(waitMs / 1000));
    }
    if (this.hashing >= MAX_CONCURRENT_LOGINS) {
      this.audit(base, 'admin.session.login', 'denied', 429, { reason: 'too many logins at once' }, 'TooManyRequests');
      throw new AdminError('TooManyRequests', 429, 'too many logins at once: try again in a moment', undefined, 1);
    }
    // Counted as a failure before the (slow) hash, so guesses sent in parallel cannot all pass
    // the check above; a success takes it back.
    loginLimiter?.recordFailure(username, address);
    this.hashing++;
    let user: UserRecord | undefined;
    try {
      user = await this.deps.store.verifyPassword(username, password);
    } finally {
      this.hashing--;
    }
    if (user === undefined || !user.isActive) {
      this.audit(base, 'admin.session.login', 'denied', 401, { reason: user === undefined ? 'wrong username or password' : 'user is inactive' }, 'InvalidCredentials');
      // One message for every cause: no hint whether the username exists.
      throw new AdminError('InvalidCredentials', 401, 'wrong username or password, or the user is inactive');
    }
    loginLimiter?.recordSuccess(username, address);
    const issued = tokens.issue(user.id, user.updatedAtMs);
    this.audit({ ...base, principal: `user:${user.username}` }, 'admin.session.login', 'success', 200, { user_id: user.id });
    return { ...issued, user: this.userView(user) };
  }

  /** The acting user behind a bearer token, or an AdminError 401. */
  authenticate(token: string | undefined): { user: UserRecord; claims: TokenClaims } {
    const claims = token === undefined ? undefined : this.deps.tokens?.verify(token);
    if (claims === undefined) throw new AdminError('Unauthorized', 401, 'missing, invalid or expired bearer token: POST /admin/api/login for a new one');
    const user = this.deps.store.getUser(claims.sub);
    if (user === undefined || !user.isActive || user.updatedAtMs !== claims.ver) {
      throw new AdminError('Unauthorized', 401, 'the token is no longer valid (the user changed, was deactivated or deleted): log in again');
    }
    return { user, claims };
  }

  logout(claims: TokenClaims, actor: AdminActor): void {
    this.deps.tokens?.revoke(claims);
    this.audit(actor, 'admin.session.logout', 'success', 204, {});
  }

  /** SuperUsers manage keys and users; everyone else may only see themselves. */
  requireSuperUser(actor: AdminActor): void {
    if (actor.user !== undefined && !canAdminister(actor.user.role)) {
      this.audit(actor, 'admin.access.denied', 'denied', 403, { role: actor.user.role }, 'AccessDenied');
      throw new AdminError('AccessDenied', 403, `only SuperUsers may do this (you are a ${actor.user.role})`);
    }
  }

  me(user: UserRecord): UserView {
    return this.userView(user);
  }

  // ------------------------------------------------------------------ credentials

  listCredentials(): CredentialView[] {
    const toml = this.deps.tomlCredentials().map((c) => tomlView(c));
    const stored = this.deps.store.listCredentials().map((r) => storedView(r));
    return [...toml, ...stored];
  }

  getCredential(accessKeyId: string): CredentialView {
    const stored = this.deps.store.getCredential(accessKeyId);
    if (stored !== undefined) return storedView(stored);
    const toml = this.deps.tomlCredentials().find((c) => c.accessKeyId === accessKeyId);
    if (toml !== undefined) return tomlView(toml);
    throw notFound('credential', accessKeyId);
  }

  createCredential(body: CreateCredentialBody, actor: AdminActor): IssuedCredentialView {
    if (body.expires_at !== undefined && body.expires_at <= this.deps.clock()) {
      throw new AdminError('InvalidRequest', 400, 'expires_at is in the past', 'expires_at');
    }
    const issued = this.deps.store.createCredential({
      description: body.description,
      scopes: toAccessScopes(body.scopes),
      expiresAtMs: body.expires_at,
      createdBy: actor.principal,
    });
    this.deps.invalidate();
    this.audit(actor, 'admin.credential.create', 'success', 201, { access_key_id: issued.record.accessKeyId, description: body.description, scopes: body.scopes }, undefined, issued.record.accessKeyId);
    return issuedView(issued);
  }

  updateCredential(accessKeyId: string, body: PatchCredentialBody, actor: AdminActor): CredentialView {
    this.refuseToml(accessKeyId, actor, 'admin.credential.update');
    if (typeof body.expires_at === 'number' && body.expires_at <= this.deps.clock()) {
      throw new AdminError('InvalidRequest', 400, 'expires_at is in the past', 'expires_at');
    }
    const existing = this.deps.store.getCredential(accessKeyId);
    if (existing === undefined) throw notFound('credential', accessKeyId);
    if (body.scopes !== undefined && existing.userId !== undefined) {
      throw new AdminError('InvalidRequest', 400, "a user's key takes its scopes from the user: change the user's role or scopes instead", 'scopes');
    }
    const updated = this.deps.store.updateCredential(accessKeyId, {
      description: body.description,
      scopes: body.scopes === undefined ? undefined : toAccessScopes(body.scopes),
      enabled: body.enabled,
      expiresAtMs: body.expires_at,
    });
    if (updated === undefined) throw notFound('credential', accessKeyId);
    this.deps.invalidate();
    const verb = body.enabled === false ? 'disable' : body.enabled === true ? 'enable' : 'update';
    this.audit(actor, `admin.credential.${verb}`, 'success', 200, { access_key_id: accessKeyId, changed: Object.keys(body) }, undefined, accessKeyId);
    return storedView(updated);
  }

  revokeCredential(accessKeyId: string, actor: AdminActor): void {
    this.refuseToml(accessKeyId, actor, 'admin.credential.revoke');
    if (!this.deps.store.deleteCredential(accessKeyId)) throw notFound('credential', accessKeyId);
    this.deps.invalidate();
    this.audit(actor, 'admin.credential.revoke', 'success', 204, { access_key_id: accessKeyId }, undefined, accessKeyId);
  }

  rotateCredential(accessKeyId: string, actor: AdminActor): IssuedCredentialView {
    this.refuseToml(accessKeyId, actor, 'admin.credential.rotate');
    const issued = this.deps.store.rotateCredential(accessKeyId);
    if (issued === undefined) throw notFound('credential', accessKeyId);
    this.deps.invalidate();
    this.audit(actor, 'admin.credential.rotate', 'success', 200, { access_key_id: accessKeyId }, undefined, accessKeyId);
    return issuedView(issued);
  }

  // ------------------------------------------------------------------ users

  listUsers(): UserView[] {
    return this.deps.store.listUsers().map((u) => this.userView(u));
  }

  getUser(id: string): UserView {
    return this.userView(this.userOr404(id));
  }

  async createUser(body: CreateUserBody, actor: AdminActor): Promise<UserView> {
    let user: UserRecord;
    try {
      user = await this.deps.store.createUser({
        username: body.username,
        password: body.password,
        role: body.role,
        scopes: toUserScopes(body.scopes),
        isActive: body.is_active,
      });
    } catch (err) {
      if (err instanceof StoreConflictError) throw new AdminError('Conflict', 409, err.message, err.field);
      throw err;
    }
    this.audit(actor, 'admin.user.create', 'success', 201, { user_id: user.id, username: user.username, role: user.role });
    return this.userView(user);
  }

  async updateUser(id: string, body: PatchUserBody, actor: AdminActor): Promise<UserView> {
    const existing = this.userOr404(id);
    const losesAdmin = (body.role !== undefined && body.role !== 'SuperUser') || body.is_active === false;
    const field = body.is_active === false ? 'is_active' : 'role';
    // A friendly early answer; the store checks it again inside its write transaction, where
    // no other request or process can slip in between (e.g. while a password hashes).
    if (losesAdmin && existing.role === 'SuperUser' && existing.isActive) this.keepOneSuperUser(existing, field);
    let updated: UserRecord | undefined;
    try {
      updated = await this.deps.store.updateUser(id, {
        role: body.role,
        isActive: body.is_active,
        scopes: body.scopes === undefined ? undefined : toUserScopes(body.scopes),
        password: body.password,
      });
    } catch (err) {
      throw conflictAs409(err);
    }
    if (updated === undefined) throw notFound('user', id);
    this.deps.invalidate();
    const verb = body.is_active === false ? 'deactivate' : body.is_active === true ? 'activate' : 'update';
    const changed = Object.keys(body).map((k) => (k === 'password' ? 'password' : k));
    this.audit(actor, `admin.user.${verb}`, 'success', 200, { user_id: id, username: updated.username, changed });
    return this.userView(updated);
  }

  deleteUser(id: string, actor: AdminActor): void {
    const existing = this.userOr404(id);
    if (existing.role === 'SuperUser' && existing.isActive) this.keepOneSuperUser(existing, 'id');
    const key = this.deps.store.getUserCredential(id);
    let deleted: boolean;
    try {
      deleted = this.deps.store.deleteUser(id);
    } catch (err) {
      throw conflictAs409(err);
    }
    if (!deleted) throw notFound('user', id);
    this.deps.invalidate();
    this.audit(actor, 'admin.user.delete', 'success', 204, { user_id: id, username: existing.username, access_key_id: key?.accessKeyId ?? null }, undefined, key?.accessKeyId);
  }

  issueUserCredential(id: string, actor: AdminActor): IssuedCredentialView {
    const user = this.userOr404(id);
    const previous = this.deps.store.getUserCredential(id);
    const issued = this.deps.store.issueUserCredential(id, actor.principal);
    if (issued === undefined) throw notFound('user', id);
    this.deps.invalidate();
    this.audit(actor, 'admin.user_credential.issue', 'success', 201, { user_id: id, username: user.username, access_key_id: issued.record.accessKeyId, replaced_access_key_id: previous?.accessKeyId ?? null }, undefined, issued.record.accessKeyId);
    return issuedView(issued);
  }

  getUserCredential(id: string): CredentialView {
    this.userOr404(id);
    const record = this.deps.store.getUserCredential(id);
    if (record === undefined) throw new AdminError('NotFound', 404, `user ${id} has no key pair (POST /admin/api/users/${id}/credentials makes one)`);
    return storedView(record);
  }

  revokeUserCredential(id: string, actor: AdminActor): void {
    const user = this.userOr404(id);
    const record = this.deps.store.getUserCredential(id);
    if (record === undefined || !this.deps.store.deleteUserCredential(id)) {
      throw new AdminError('NotFound', 404, `user ${id} has no key pair`);
    }
    this.deps.invalidate();
    this.audit(actor, 'admin.user_credential.revoke', 'success', 204, { user_id: id, username: user.username, access_key_id: record.accessKeyId }, undefined, record.accessKeyId);
  }

  // ------------------------------------------------------------------ helpers

  userView(user: UserRecord): UserView {
    const key = this.deps.store.getUserCredential(user.id);
    return {
      id: user.id,
      username: user.username,
      role: user.role,
      is_active: user.isActive,
      scopes: user.scopes,
      access_key_id: key?.accessKeyId ?? null,
      created_at: iso(user.createdAtMs),
      updated_at: iso(user.updatedAtMs),
    };
  }

  private userOr404(id: string): UserRecord {
    const user = this.deps.store.getUser(id);
    if (user === undefined) throw notFound('user', id);
    return user;
  }

  private keepOneSuperUser(user: UserRecord, field: string): void {
    const others = this.deps.store.listUsers().filter((u) => u.id !== user.id && u.role === 'SuperUser' && u.isActive);
    if (others.length === 0) {
      throw new AdminError('Conflict', 409, `${user.username} is the last active SuperUser: create another SuperUser first`, field);
    }
  }

  private refuseToml(accessKeyId: string, actor: AdminActor, action: string): void {
    if (this.deps.store.getCredential(accessKeyId) !== undefined) return;
    if (this.deps.tomlCredentials().some((c) => c.accessKeyId === accessKeyId)) {
      this.audit(actor, action, 'denied', 409, { access_key_id: accessKeyId, reason: 'defined in proxy.toml' }, 'ReadOnlyCredential', accessKeyId);
      throw new AdminError('ReadOnlyCredential', 409, `${accessKeyId} is defined in proxy.toml: edit the file (it is reloaded without a restart)`);
    }
  }

  /** Every admin action leaves a row; never a secret or a password in it. */
  audit(
    actor: AdminActor,
    action: string,
    outcome: AuditOutcome,
    status: number,
    detail: Record<string, unknown>,
    errorCode?: string,
    accessKeyId?: string,
  ): void {
    const record: AuditRecord = {
      timeMs: this.deps.clock(),
      requestId: actor.requestId,
      action,
      outcome,
      status,
      errorCode,
      principal: actor.principal,
      accessKeyId,
      clientAddress: actor.clientAddress,
      detail,
    };
    this.deps.audit.record(record);
  }
}

/** The store's own invariants (unique username, one active SuperUser) are 409s; anything else passes through. */
function conflictAs409(err: unknown): unknown {
  return err instanceof StoreConflictError ? new AdminError('Conflict', 409, err.message, err.field) : err;
}

function notFound(what: string, id: string): AdminError {
  return new AdminError('NotFound', 404, `no ${what} ${id}`);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function storedView(r: StoredCredentialRecord): CredentialView {
  return {
    access_key_id: r.accessKeyId,
    source: 'store',
    read_only: false,
    description: r.description,
    user_id: r.userId ?? null,
    scopes: r.scopes,
    enabled: r.enabled,
    expires_at: r.expiresAtMs === undefined ? null : iso(r.expiresAtMs),
    created_at: iso(r.createdAtMs),
    updated_at: iso(r.updatedAtMs),
    created_by: r.createdBy ?? null,
  };
}

function tomlView(c: Credential): CredentialView {
  return {
    access_key_id: c.accessKeyId,
    source: 'toml',
    read_only: true,
    description: c.principalName,
    user_id: null,
    scopes: c.scopes,
    enabled: c.enabled,
    expires_at: c.expiresAtMs === undefined ? null : iso(c.expiresAtMs),
    created_at: c.createdAtMs === undefined ? null : iso(c.createdAtMs),
    updated_at: null,
    created_by: 'proxy.toml',
  };
}

function issuedView(issued: IssuedCredential): IssuedCredentialView {
  return { ...storedView(issued.record), secret_access_key: issued.secretAccessKey };
}
