/**
 * The admin API's OpenAPI 3.1 document, served at /admin/api/openapi.json. Request bodies
 * are generated from the same zod schemas the routes validate with (z.toJSONSchema), so the
 * document cannot drift from what the server accepts.
 * https://spec.openapis.org/oas/v3.1.0
 */
import { z } from 'zod';
import {
  auditQuerySchema,
  createCredentialBodySchema,
  createUserBodySchema,
  loginBodySchema,
  patchCredentialBodySchema,
  patchUserBodySchema,
} from '../admin/admin-schemas.js';
import { USER_ROLES } from '../policy/roles.js';

type Json = Record<string, unknown>;

function input(schema: z.ZodType): Json {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  delete json.$schema;
  return json;
}

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const jsonBody = (schema: Json): Json => ({ required: true, content: { 'application/json': { schema } } });
const jsonResponse = (description: string, schema: Json): Json => ({ description, content: { 'application/json': { schema } } });
const errors = (...codes: number[]): Json =>
  Object.fromEntries(codes.map((code) => [String(code), { $ref: `#/components/responses/Error${code}` }]));

const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid request: malformed JSON, unknown field, invalid value (the field is named)',
  401: 'Missing, invalid or expired bearer token, or wrong username/password',
  403: 'The user is not a SuperUser',
  404: 'No such credential, user or route',
  409: 'Conflict: username taken, last SuperUser, or a read-only proxy.toml credential',
  429: 'Too many failed logins (see Retry-After)',
};

export function buildAdminOpenApi(): Json {
  const auditParams = Object.entries((input(auditQuerySchema).properties ?? {}) as Record<string, Json>).map(([name, schema]) => ({
    name,
    in: 'query',
    required: false,
    schema,
    ...(typeof schema.description === 'string' ? { description: schema.description } : {}),
  }));
  const idParam = (description: string) => [{ name: 'id', in: 'path', required: true, schema: { type: 'string' }, description }];
  const secured = [{ bearer: [] }];

  return {
    openapi: '3.1.0',
    info: {
      title: 's3gate admin API',
      version: '1',
      description:
        'Mint, scope, disable, revoke and rotate S3 keys; manage IAM users (Reader, Writer, SuperUser) and their key pair; read the audit trail. ' +
        'Log in with POST /admin/api/login and send the token as `Authorization: Bearer <token>`. A secret is returned once, when it is created.',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string' },
                message: { type: 'string' },
                field: { type: 'string', description: 'the offending field, e.g. scopes[0].bucket' },
                problems: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } },
                request_id: { type: 'string' },
              },
            },
          },
        },
        Scope: {
          type: 'object',
          properties: { bucket: { type: 'string' }, prefixes: { type: 'array', items: { type: 'string' } }, actions: { type: 'array', items: { type: 'string' } } },
        },
        Credential: {
          type: 'object',
          properties: {
            access_key_id: { type: 'string' },
            source: { enum: ['store', 'toml'] },
            read_only: { type: 'boolean', description: 'true for proxy.toml credentials' },
            description: { type: 'string' },
            user_id: { type: ['string', 'null'] },
            scopes: { type: 'array', items: ref('Scope') },
            enabled: { type: 'boolean' },
            expires_at: { type: ['string', 'null'], format: 'date-time' },
            created_at: { type: ['string', 'null'], format: 'date-time' },
            updated_at: { type: ['string', 'null'], format: 'date-time' },
            created_by: { type: ['string', 'null'] },
          },
        },
        IssuedCredential: {
          allOf: [ref('Credential'), { type: 'object', properties: { secret_access_key: { type: 'string', description: 'shown this once' } } }],
        },
        User: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            username: { type: 'string' },
            role: { enum: [...USER_ROLES] },
            is_active: { type: 'boolean' },
            scopes: { type: 'array', items: { type: 'object', properties: { bucket: { type: 'string' }, prefixes: { type: 'array', items: { type: 'string' } } } } },
            access_key_id: { type: ['string', 'null'] },
            created_at: { type: 'string', format: 'date-time' },
            updated_at: { type: 'string', format: 'date-time' },
          },
        },
        AuditRow: {
          type: 'object',
          properties: Object.fromEntries(
            ['time', 'request_id', 'action', 'outcome', 'error_code', 'principal', 'access_key_id', 'bucket', 'key', 'client_address'].map((k) => [k, { type: ['string', 'null'] }]),
          ),
        },
        LoginBody: input(loginBodySchema),
        CreateCredentialBody: input(createCredentialBodySchema),
        PatchCredentialBody: input(patchCredentialBodySchema),
        CreateUserBody: input(createUserBodySchema),
        PatchUserBody: input(patchUserBodySchema),
      },
      responses: Object.fromEntries(Object.entries(ERROR_TEXT).map(([code, text]) => [`Error${code}`, jsonResponse(text, ref('Error'))])),
    },
    paths: {
      '/admin/api/login': {
        post: {
          summary: 'Log in: a bearer token for the admin API',
          requestBody: jsonBody(ref('LoginBody')),
          responses: {
            200: jsonResponse('A token', { type: 'object', properties: { token: { type: 'string' }, token_type: { const: 'Bearer' }, expires_at: { type: 'string' }, user: ref('User') } }),
            ...errors(400, 401, 429),
          },
        },
      },
      '/admin/api/logout': { post: { summary: 'Invalidate this token', security: secured, responses: { 204: { description: 'Logged out' }, ...errors(401) } } },
      '/admin/api/me': { get: { summary: 'The logged-in user', security: secured, responses: { 200: jsonResponse('The user', ref('User')), ...errors(401) } } },
      '/admin/api/health': { get: { summary: 'Liveness', responses: { 200: { description: 'ok' } } } },
      '/admin/api/openapi.json': { get: { summary: 'This OpenAPI document', responses: { 200: jsonResponse('OpenAPI 3.1', { type: 'object' }) } } },
      '/admin/api/credentials': {
        get: { summary: 'Every credential (proxy.toml ones read-only); never a secret', security: secured, responses: { 200: jsonResponse('Credentials', { type: 'object', properties: { credentials: { type: 'array', items: ref('Credential') } } }), ...errors(401, 403) } },
        post: { summary: 'Mint a credential; the secret is in this response only', security: secured, requestBody: jsonBody(ref('CreateCredentialBody')), responses: { 201: jsonResponse('Minted', ref('IssuedCredential')), ...errors(400, 401, 403) } },
      },
      '/admin/api/credentials/{id}': {
        parameters: idParam('access key id'),
        get: { summary: 'One credential', security: secured, responses: { 200: jsonResponse('The credential', ref('Credential')), ...errors(401, 403, 404) } },
        patch: { summary: 'Enable/disable, re-scope, re-describe, change the expiry', security: secured, requestBody: jsonBody(ref('PatchCredentialBody')), responses: { 200: jsonResponse('Updated', ref('Credential')), ...errors(400, 401, 403, 404, 409) } },
        delete: { summary: 'Revoke: refused from the next request on', security: secured, responses: { 204: { description: 'Revoked' }, ...errors(401, 403, 404, 409) } },
      },
      '/admin/api/credentials/{id}/rotate': {
        parameters: idParam('access key id'),
        post: { summary: 'New secret for the same key id; the old secret is refused', security: secured, responses: { 200: jsonResponse('Rotated', ref('IssuedCredential')), ...errors(401, 403, 404, 409) } },
      },
      '/admin/api/users': {
        get: { summary: 'Every user', security: secured, responses: { 200: jsonResponse('Users', { type: 'object', properties: { users: { type: 'array', items: ref('User') } } }), ...errors(401, 403) } },
        post: { summary: 'Create a user', security: secured, requestBody: jsonBody(ref('CreateUserBody')), responses: { 201: jsonResponse('Created', ref('User')), ...errors(400, 401, 403, 409) } },
      },
      '/admin/api/users/{id}': {
        parameters: idParam('user id'),
        get: { summary: 'One user', security: secured, responses: { 200: jsonResponse('The user', ref('User')), ...errors(401, 403, 404) } },
        patch: { summary: 'Change role, scopes, password; is_active false blocks the user\'s key at once', security: secured, requestBody: jsonBody(ref('PatchUserBody')), responses: { 200: jsonResponse('Updated', ref('User')), ...errors(400, 401, 403, 404, 409) } },
        delete: { summary: 'Delete the user and their key pair', security: secured, responses: { 204: { description: 'Deleted' }, ...errors(401, 403, 404, 409) } },
      },
      '/admin/api/users/{id}/credentials': {
        parameters: idParam('user id'),
        post: { summary: "Generate the user's key pair, replacing any earlier one", security: secured, responses: { 201: jsonResponse('Issued', ref('IssuedCredential')), ...errors(401, 403, 404) } },
        get: { summary: "The user's key pair (no secret)", security: secured, responses: { 200: jsonResponse('The key', ref('Credential')), ...errors(401, 403, 404) } },
        delete: { summary: "Revoke the user's key pair", security: secured, responses: { 204: { description: 'Revoked' }, ...errors(401, 403, 404) } },
      },
      '/admin/api/audit': {
        get: {
          summary: 'The audit trail, newest first',
          security: secured,
          parameters: auditParams,
          responses: { 200: jsonResponse('A page', { type: 'object', properties: { items: { type: 'array', items: ref('AuditRow') }, next_cursor: { type: ['string', 'null'] } } }), ...errors(400, 401, 403) },
        },
      },
    },
  };
}
