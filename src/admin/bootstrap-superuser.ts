/**
 * The first SuperUser, from the environment: with S3GATE_ADMIN_USERNAME and
 * S3GATE_ADMIN_PASSWORD set and no SuperUser in the store yet, one is created at start-up.
 * Once a SuperUser exists the variables are ignored (changing them does not reset a
 * password: use `s3gate users set-password`). The CLI equivalent is `s3gate admin create-user`.
 */
import type { Logger } from 'pino';
import { type CredentialStore, StoreConflictError } from '../credentials/credential-store.js';

export const ADMIN_USERNAME_ENV = 'S3GATE_ADMIN_USERNAME';
export const ADMIN_PASSWORD_ENV = 'S3GATE_ADMIN_PASSWORD';

export async function bootstrapSuperUser(store: CredentialStore, env: Readonly<Record<string, string | undefined>>, log: Logger): Promise<void> {
  const username = env[ADMIN_USERNAME_ENV];
  const password = env[ADMIN_PASSWORD_ENV];
  const hasSuperUser = store.listUsers().some((u) => u.role === 'SuperUser' && u.isActive);
  if (username === undefined || username === '' || password === undefined || password === '') {
    if (!hasSuperUser) {
      log.warn(
        `no SuperUser yet: set ${ADMIN_USERNAME_ENV} and ${ADMIN_PASSWORD_ENV} before starting, or run "s3gate admin create-user <name>", to use the admin API`,
      );
    }
    return;
  }
  if (hasSuperUser) return;
  let user: Awaited<ReturnType<CredentialStore['createUser']>>;
  try {
    user = await store.createUser({ username, password, role: 'SuperUser' });
  } catch (err) {
    // Another process starting at the same moment created it first.
    if (err instanceof StoreConflictError && store.getUserByUsername(username) !== undefined) return;
    throw err;
  }
  log.info({ username: user.username, userId: user.id }, `SuperUser created from ${ADMIN_USERNAME_ENV}/${ADMIN_PASSWORD_ENV}`);
}
