/**
 * The CLI's two failure kinds and how any error becomes a message and an exit code:
 *   0 ok, 1 the operation failed (not found, conflict, validation, bad config), 2 usage error.
 * Validation problems are printed as `s3gate: <field>: <message>`, the field named as the
 * admin API names it (`scopes[0].actions[1]`), so the CLI and the API read the same.
 */
import { AdminError } from '../admin/admin-service.js';
import { AuditQueryError } from '../audit/audit-query.js';
import { ConfigError } from '../config/config-error.js';
import { StoreConflictError } from '../credentials/credential-store.js';
import { MasterKeyError } from '../credentials/master-key.js';
import { SecretBoxError } from '../credentials/secret-box.js';
import { StoreValidationError } from '../credentials/sqlite-credential-store.js';
import { AdminValidationError } from '../http/admin-validation.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Wrong arguments: exit 2, with a pointer to the command's --help. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose --help to point at, e.g. `keys create`. */
    readonly command?: string | undefined,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The operation could not be done: exit 1. `field` names the input at fault, when one is. */
export class CliFailure extends Error {
  constructor(
    message: string,
    readonly field?: string | undefined,
  ) {
    super(message);
    this.name = 'CliFailure';
  }
}

/** The lines to print on stderr and the exit code for an error thrown by a command. */
export function describeError(err: unknown): { lines: string[]; exitCode: number } {
  if (err instanceof UsageError) {
    const help = err.command === undefined ? 's3gate --help' : `s3gate ${err.command} --help`;
    return { lines: [`s3gate: ${err.message} (see ${help})`], exitCode: EXIT_USAGE };
  }
  if (err instanceof AdminValidationError) {
    return { lines: err.problems.map((p) => `s3gate: ${p.field}: ${p.message}`), exitCode: EXIT_FAILED };
  }
  if (err instanceof AdminError || err instanceof CliFailure || err instanceof StoreValidationError || err instanceof StoreConflictError) {
    return { lines: [withField(err.field, err.message)], exitCode: EXIT_FAILED };
  }
  if (err instanceof ConfigError) {
    return { lines: [...err.problems], exitCode: EXIT_FAILED };
  }
  if (err instanceof MasterKeyError || err instanceof SecretBoxError || err instanceof AuditQueryError) {
    return { lines: [`s3gate: ${err.message}`], exitCode: EXIT_FAILED };
  }
  return { lines: [`s3gate: ${err instanceof Error ? err.message : String(err)}`], exitCode: EXIT_FAILED };
}

function withField(field: string | undefined, message: string): string {
  if (field === undefined || message.startsWith(`${field}: `)) return `s3gate: ${message}`;
  return `s3gate: ${field}: ${message}`;
}
