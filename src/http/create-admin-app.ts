/**
 * The admin API (JSON under /admin/api/), on its own listener (docs/decisions/0008): the S3
 * listener keeps every path for buckets. Bearer-token authentication on every route but
 * login, health and the OpenAPI document; SuperUser for everything that manages keys, users
 * or reads the audit trail. Errors are `{error: {code, message, field?}}` with the request id
 * in `x-request-id`; responses are never cached (they can hold a secret or a token).
 */
import { buildAuditRowView } from '../admin/audit-row-view.js';
import { readFileSync } from 'node:fs';
import type { BlockList } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { SqliteDatabase } from '../db/open-database.js';
import { AuditQueryError, queryAudit } from '../audit/audit-query.js';
import { createRequestId } from '../core/request-id.js';
import { type AdminActor, AdminError, type AdminService } from '../admin/admin-service.js';
import {
  auditQuerySchema,
  createCredentialBodySchema,
  createUserBodySchema,
  loginBodySchema,
  patchCredentialBodySchema,
  patchUserBodySchema,
} from '../admin/admin-schemas.js';
import type { TokenClaims } from '../admin/admin-tokens.js';
import type { UserRecord } from '../credentials/credential-store.js';
import { resolveForwarded } from '../proxy/client-address.js';
import { buildAdminOpenApi } from './admin-openapi.js';
import { AdminValidationError, EMPTY_JSON_BODY, parseInput } from './admin-validation.js';

export interface AdminAppOptions {
  readonly service: AdminService;
  readonly db: SqliteDatabase;
  readonly log: Logger;
  readonly tls?: { readonly certFile: string; readonly keyFile: string } | undefined;
  /** Peers whose X-Forwarded-For is honoured for the client address (login lockout, audit). */
  readonly trustedProxies?: BlockList | undefined;
}

interface Session {
  readonly actor: AdminActor;
  readonly user: UserRecord;
  readonly claims: TokenClaims;
}

declare module 'fastify' {
  interface FastifyRequest {
    adminRequestId: string;
    /** Set by the onRequest hook for every route but the public ones (login, health, OpenAPI). */
    adminSession: Session | null;
    /** The error code answered, for the refusal audit row. */
    adminErrorCode: string | undefined;
    adminErrorField: string | undefined;
  }
}

const ACCESS_KEY_ID = /^[A-Za-z0-9]{3,128}$/;
const ADMIN_REQUEST_TIMEOUT_MS = 30_000;
const ADMIN_IDLE_TIMEOUT_MS = 60_000;
const USER_ID = /^usr_[a-z2-7]{20}$/;

export function createAdminApp(options: AdminAppOptions): FastifyInstance {
  const { service, db, log } = options;
  const https = options.tls === undefined ? null : { cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile) };
  const app = Fastify({
    logger: false,
    bodyLimit: 1024 * 1024,
    // proxy.toml access key ids may be 128 characters (fastify's default stops at 100);
    // longer ones reach frameworkErrors below and are a JSON 404 like any unknown id.
    routerOptions: { maxParamLength: 128 },
    // Errors the router raises before any hook runs (an over-long id, broken percent-encoding)
    // get the same JSON shape, request id and no-store as every other answer.
    frameworkErrors: (error: Error & { code?: string }, _request: FastifyRequest, reply: FastifyReply) => {
      const requestId = createRequestId();
      void reply.header('x-request-id', requestId).header('cache-control', 'no-store');
      if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
        return reply.code(404).send({ error: { code: 'NotFound', message: 'no such resource (the id is longer than any id this API issues)', request_id: requestId } });
      }
      return reply.code(400).send({ error: { code: 'InvalidRequest', message: 'the URL is not valid (check its percent-encoding)', request_id: requestId } });
    },
    ...(https === null ? {} : { https }),
    return503OnClosing: true,
    // A client trickling its request cannot hold a connection (or a graceful shutdown) open.
    requestTimeout: ADMIN_REQUEST_TIMEOUT_MS,
    connectionTimeout: ADMIN_IDLE_TIMEOUT_MS,
    keepAliveTimeout: 5_000,
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;
  (app.server as { headersTimeout?: number }).headersTimeout = ADMIN_REQUEST_TIMEOUT_MS;
  const openApi = buildAdminOpenApi();
  // JSON only: fastify also parses text/plain by default, which would turn a body sent
  // with the wrong Content-Type into a confusing 400 instead of 415.
  app.removeContentTypeParser('text/plain');
  // An empty body sent as application/json (many clients send one on DELETE or a bodiless
  // POST) is no body to routes that take none; parseInput refuses it where a body is needed.
  // Everything else goes to fastify's own parser (which also refuses __proto__ poisoning).
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') {
      done(null, EMPTY_JSON_BODY);
      return;
    }
    parseJson(request, typeof body === 'string' ? body : body.toString('utf8'), done);
  });

  app.decorateRequest('adminRequestId', '');
  app.decorateRequest('adminSession', null);
  app.decorateRequest('adminErrorCode', undefined);
  app.decorateRequest('adminErrorField', undefined);
  app.addHook('onRequest', async (request, reply) => {
    request.adminRequestId = createRequestId();
    void reply.header('x-request-id', request.adminRequestId).header('cache-control', 'no-store');
  });

  // Refusals the use cases do not audit themselves (a bad or expired token anywhere; a change
  // refused as invalid, unknown or conflicting) still leave a row, with the error code.
  app.addHook('onResponse', async (request, reply) => {
    const status = reply.statusCode;
    const code = request.adminErrorCode;
    if (code === undefined || status < 400) return;
    const isLogin = request.routeOptions.url === '/admin/api/login';
    const tokenRefused = status === 401 && !isLogin;
    const changeRefused = request.method !== 'GET' && request.method !== 'HEAD' && !isLogin && [400, 404, 409, 413, 415].includes(status) && code !== 'ReadOnlyCredential';
    if (!tokenRefused && !changeRefused) return;
    const user = request.adminSession?.user;
    service.audit(
      actorOf(request, user),
      tokenRefused ? 'admin.session.rejected' : 'admin.request.refused',
      tokenRefused ? 'denied' : 'error',
      status,
      { method: request.method, route: request.routeOptions.url ?? request.url.split('?')[0], ...(request.adminErrorField === undefined ? {} : { field: request.adminErrorField }) },
      code,
    );
  });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    const requestId = request.adminRequestId || createRequestId();
    request.adminErrorCode = error instanceof AdminError ? error.code : 'InvalidRequest';
    if (error instanceof AdminError) request.adminErrorField = error.field;
    if (error instanceof AdminValidationError) {
      return reply.code(400).send({ error: { code: error.code, message: error.message, field: error.field, problems: error.problems, request_id: requestId } });
    }
    if (error instanceof AdminError) {
      if (error.retryAfterSeconds !== undefined) void reply.header('retry-after', String(error.retryAfterSeconds));
      return reply.code(error.status).send({ error: { code: error.code, message: error.message, ...(error.field === undefined ? {} : { field: error.field }), request_id: requestId } });
    }
    if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) {
      return reply.code(400).send({ error: { code: 'MalformedJSON', message: 'the request body is not valid JSON', field: '(body)', request_id: requestId } });
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply.code(415).send({ error: { code: 'UnsupportedMediaType', message: 'send the body as Content-Type: application/json', field: '(body)', request_id: requestId } });
    }
    if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
      return reply.code(400).send({ error: { code: 'MalformedJSON', message: 'the body is empty (send a JSON object)', field: '(body)', request_id: requestId } });
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send({ error: { code: 'PayloadTooLarge', message: 'the body is larger than 1 MiB', request_id: requestId } });
    }
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).send({ error: { code: 'InvalidRequest', message: error.message, request_id: requestId } });
    }
    log.error({ err: error, requestId }, 'admin API internal error');
    return reply.code(500).send({ error: { code: 'InternalError', message: `internal error (request id ${requestId})`, request_id: requestId } });
  });

  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: { code: 'NotFound', message: `no route ${request.method} ${request.url.split('?')[0]}`, request_id: request.adminRequestId } });
  });

  const actorOf = (request: FastifyRequest, user?: UserRecord): AdminActor => ({
    principal: user === undefined ? 'anonymous' : `user:${user.username}`,
    user,
    requestId: request.adminRequestId,
    clientAddress: resolveForwarded(request.raw, options.trustedProxies).clientAddress,
  });

  const authenticate = (request: FastifyRequest): Session => {
    const header = request.headers.authorization;
    const token = typeof header === 'string' && /^Bearer /i.test(header) ? header.slice(7).trim() : undefined;
    const { user, claims } = service.authenticate(token);
    return { actor: actorOf(request, user), user, claims };
  };

  // The token is checked before the body is read, so an unauthenticated caller learns
  // nothing from 400/413/415 answers about the body.
  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config as { public?: boolean } | undefined;
    if (request.routeOptions.url === undefined || config?.public === true) return;
    request.adminSession = authenticate(request);
  });

  // Checked again once the body has arrived: a user deleted, deactivated or demoted while
  // their request's body was still on its way must not act.
  const session = (request: FastifyRequest): Session => {
    if (request.adminSession === null) throw new Error('unreachable: a protected admin route ran without a session');
    request.adminSession = authenticate(request);
    return request.adminSession;
  };

  const superUser = (request: FastifyRequest): AdminActor => {
    const s = session(request);
    service.requireSuperUser(s.actor);
    return s.actor;
  };

  const accessKeyParam = (request: FastifyRequest): string => {
    const id = (request.params as { id?: string }).id ?? '';
    if (!ACCESS_KEY_ID.test(id)) throw new AdminError('NotFound', 404, `no credential ${id}`);
    return id;
  };
  const userParam = (request: FastifyRequest): string => {
    const id = (request.params as { id?: string }).id ?? '';
    if (!USER_ID.test(id)) throw new AdminError('NotFound', 404, `no user ${id}`);
    return id;
  };

  const created = (reply: FastifyReply, body: unknown) => reply.code(201).send(body);
  const noContent = (reply: FastifyReply) => reply.code(204).send();

  app.register(
    async (api) => {
      const PUBLIC = { config: { public: true } };
      api.get('/openapi.json', PUBLIC, async () => openApi);
      api.get('/health', PUBLIC, async () => ({ status: 'ok' }));

      api.post('/login', PUBLIC, async (request) => {
        const body = parseInput(loginBodySchema, request.body, 'body');
        const result = await service.login(body.username, body.password, { requestId: request.adminRequestId, clientAddress: resolveForwarded(request.raw, options.trustedProxies).clientAddress });
        return { token: result.token, token_type: 'Bearer', expires_at: new Date(result.expiresAtMs).toISOString(), user: result.user };
      });
      api.post('/logout', async (request, reply) => {
        const s = session(request);
        service.logout(s.claims, s.actor);
        return noContent(reply);
      });
      api.get('/me', async (request) => service.me(session(request).user));

      api.get('/credentials', async (request) => {
        superUser(request);
        return { credentials: service.listCredentials() };
      });
      api.post('/credentials', async (request, reply) => {
        const actor = superUser(request);
        return created(reply, service.createCredential(parseInput(createCredentialBodySchema, request.body, 'body'), actor));
      });
      api.get('/credentials/:id', async (request) => {
        superUser(request);
        return service.getCredential(accessKeyParam(request));
      });
      api.patch('/credentials/:id', async (request) => {
        const actor = superUser(request);
        return service.updateCredential(accessKeyParam(request), parseInput(patchCredentialBodySchema, request.body, 'body'), actor);
      });
      api.delete('/credentials/:id', async (request, reply) => {
        const actor = superUser(request);
        service.revokeCredential(accessKeyParam(request), actor);
        return noContent(reply);
      });
      api.post('/credentials/:id/rotate', async (request) => {
        const actor = superUser(request);
        return service.rotateCredential(accessKeyParam(request), actor);
      });

      api.get('/users', async (request) => {
        superUser(request);
        return { users: service.listUsers() };
      });
      api.post('/users', async (request, reply) => {
        const actor = superUser(request);
        return created(reply, await service.createUser(parseInput(createUserBodySchema, request.body, 'body'), actor));
      });
      api.get('/users/:id', async (request) => {
        superUser(request);
        return service.getUser(userParam(request));
      });
      api.patch('/users/:id', async (request) => {
        const actor = superUser(request);
        return service.updateUser(userParam(request), parseInput(patchUserBodySchema, request.body, 'body'), actor);
      });
      api.delete('/users/:id', async (request, reply) => {
        const actor = superUser(request);
        service.deleteUser(userParam(request), actor);
        return noContent(reply);
      });
      api.post('/users/:id/credentials', async (request, reply) => {
        const actor = superUser(request);
        return created(reply, service.issueUserCredential(userParam(request), actor));
      });
      api.get('/users/:id/credentials', async (request) => {
        superUser(request);
        return service.getUserCredential(userParam(request));
      });
      api.delete('/users/:id/credentials', async (request, reply) => {
        const actor = superUser(request);
        service.revokeUserCredential(userParam(request), actor);
        return noContent(reply);
      });

      api.get('/audit', async (request) => {
        superUser(request);
        const q = parseInput(auditQuerySchema, request.query, 'query');
        let page: ReturnType<typeof queryAudit>;
        try {
          page = queryAudit(
            db,
            { actionPrefix: q.action, accessKeyId: q.access_key_id, principal: q.principal, outcome: q.outcome, sinceMs: q.since, untilMs: q.until },
            { limit: q.limit, cursor: q.cursor },
          );
        } catch (err) {
          if (err instanceof AuditQueryError) {
            const field = { InvalidLimit: 'limit', InvalidCursor: 'cursor', InvalidOutcome: 'outcome', InvalidTimeRange: 'since' }[err.code];
            throw new AdminError('InvalidRequest', 400, err.message, field);
          }
          throw err;
        }
        return { items: page.items.map(buildAuditRowView), next_cursor: page.nextCursor ?? null };
      });
    },
    { prefix: '/admin/api' },
  );

  return app;
}
