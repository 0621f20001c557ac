/**
 * The admin API's request shapes (JSON, snake_case, strict: an unknown field is an error),
 * shared by the HTTP routes, the CLI and the OpenAPI document. Bucket names, prefixes and
 * actions are checked by the same rules as proxy.toml, so a scope the file would refuse is
 * refused here too, with the same message.
 */
import { z } from 'zod';
import { actionProblem, bucketPatternProblem, isScopeAction, parseDateTime, prefixProblem } from '../config/config-schema.js';
import { USER_ROLES } from '../policy/roles.js';
import type { AccessScope } from '../policy/scope.js';
import type { UserScope } from '../policy/roles.js';

function checked(check: (value: string) => string | undefined) {
  return z.string().superRefine((value, ctx) => {
    const problem = check(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });
}

const dateTime = z
  .string()
  .describe('ISO 8601 date-time with a time zone, e.g. 2030-01-15T00:00:00Z')
  .transform((value, ctx) => {
    const parsed = parseDateTime(value);
    if ('problem' in parsed) {
      ctx.addIssue({ code: 'custom', message: parsed.problem });
      return z.NEVER;
    }
    return parsed.ms;
  });

export const scopeSchema = z.strictObject({
  bucket: checked(bucketPatternProblem).describe('bucket name or glob (`team-*`)'),
  prefixes: z.array(checked(prefixProblem)).default([]).describe('key prefixes, matched on "/" boundaries; [] = whole bucket'),
  actions: z
    .array(checked(actionProblem))
    .min(1, 'no actions (list at least one, e.g. ["get_object", "head_object", "list_bucket"], or ["*"])')
    .describe('actions, as in proxy.toml (docs/actions.md)'),
});

export const userScopeSchema = z.strictObject({
  bucket: checked(bucketPatternProblem),
  prefixes: z.array(checked(prefixProblem)).default([]),
});

const description = z.string().trim().min(1, 'empty description (say who or what the key is for)').max(256, 'description is longer than 256 characters');
const username = z
  .string()
  .regex(/^[A-Za-z0-9_.@-]{1,64}$/, 'username must be 1-64 characters of A-Z, a-z, 0-9, "_", ".", "@" and "-"');
const password = z.string().min(12, 'password is shorter than 12 characters').max(1024, 'password is longer than 1024 characters');
const role = z.enum(USER_ROLES, { message: `role must be one of ${USER_ROLES.join(', ')}` });

export const loginBodySchema = z.strictObject({
  username: z.string().min(1, 'empty username').max(64, 'username is longer than 64 characters'),
  password: z.string().min(1, 'empty password').max(1024, 'password is longer than 1024 characters'),
});

export const createCredentialBodySchema = z.strictObject({
  description,
  scopes: z.array(scopeSchema).min(1, 'no scopes (a key without scopes can do nothing: add at least one {bucket, prefixes, actions})'),
  expires_at: dateTime.optional(),
});

export const patchCredentialBodySchema = z
  .strictObject({
    description: description.optional(),
    scopes: z.array(scopeSchema).min(1, 'no scopes (to stop the key working, set enabled = false or revoke it)').optional(),
    enabled: z.boolean().optional(),
    expires_at: dateTime.nullable().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { message: 'nothing to change (send at least one of description, scopes, enabled, expires_at)' });

export const createUserBodySchema = z.strictObject({
  username,
  password,
  role,
  scopes: z.array(userScopeSchema).default([]),
  is_active: z.boolean().default(true),
});

export const patchUserBodySchema = z
  .strictObject({
    role: role.optional(),
    is_active: z.boolean().optional(),
    scopes: z.array(userScopeSchema).optional(),
    password: password.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { message: 'nothing to change (send at least one of role, is_active, scopes, password)' });

export const AUDIT_OUTCOMES = ['success', 'denied', 'error'] as const;

export const auditQuerySchema = z.strictObject({
  action: z.string().max(128).optional().describe('action prefix, e.g. "s3.proxy." or "admin.credential."'),
  access_key_id: z.string().max(128).optional(),
  principal: z.string().max(256).optional(),
  outcome: z.enum(AUDIT_OUTCOMES, { message: `outcome must be one of ${AUDIT_OUTCOMES.join(', ')}` }).optional(),
  since: dateTime.optional(),
  until: dateTime.optional(),
  limit: z.coerce.number().int().min(1, 'limit must be 1-1000').max(1000, 'limit must be 1-1000').default(100),
  cursor: z.string().max(200).optional(),
});

export type CreateCredentialBody = z.output<typeof createCredentialBodySchema>;
export type PatchCredentialBody = z.output<typeof patchCredentialBodySchema>;
export type CreateUserBody = z.output<typeof createUserBodySchema>;
export type PatchUserBody = z.output<typeof patchUserBodySchema>;
export type AuditQuery = z.output<typeof auditQuerySchema>;

/** Scopes as the proxy reads them (the schema already refused unknown actions). */
export function toAccessScopes(scopes: readonly z.output<typeof scopeSchema>[]): AccessScope[] {
  return scopes.map((s) => ({ bucket: s.bucket, prefixes: s.prefixes, actions: s.actions.filter(isScopeAction) }));
}

export function toUserScopes(scopes: readonly z.output<typeof userScopeSchema>[]): UserScope[] {
  return scopes.map((s) => ({ bucket: s.bucket, prefixes: s.prefixes }));
}
