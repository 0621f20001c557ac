/**
 * The OpenAPI document and the admin app cannot drift: every route the app serves is in
 * `paths` with its method, and every documented operation is served.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { AdminService } from '../../../src/admin/admin-service.js';
import type { SqliteDatabase } from '../../../src/db/open-database.js';
import { buildAdminOpenApi } from '../../../src/http/admin-openapi.js';
import { createAdminApp } from '../../../src/http/create-admin-app.js';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

async function servedRoutes(): Promise<string[]> {
  // Routes are only registered, never called: the service and database are not touched.
  const app = createAdminApp({ service: {} as AdminService, db: {} as SqliteDatabase, log: pino({ enabled: false }) });
  const routes: string[] = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    // fastify adds a HEAD for every GET by itself; it is not an operation of its own.
    for (const m of methods) if (m !== 'HEAD') routes.push(`${m.toLowerCase()} ${route.url.replace(/:(\w+)/g, '{$1}')}`);
  });
  await app.ready();
  await app.close();
  return routes.sort();
}

function documentedOperations(doc: Record<string, unknown>): string[] {
  const paths = doc.paths as Record<string, Record<string, unknown>>;
  return Object.entries(paths)
    .flatMap(([path, item]) => Object.keys(item).filter((k) => METHODS.includes(k)).map((m) => `${m} ${path}`))
    .sort();
}

describe('admin OpenAPI document', () => {
  it('is OpenAPI 3.1.0 and survives a JSON round trip', () => {
    const doc = buildAdminOpenApi();
    expect(doc.openapi).toBe('3.1.0');
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });

  it('lists exactly the routes the app serves', async () => {
    const served = await servedRoutes();
    expect(served.length).toBeGreaterThan(15);
    expect(documentedOperations(buildAdminOpenApi())).toEqual(served);
  });

  it('every $ref points at a component that exists', () => {
    const doc = buildAdminOpenApi();
    const text = JSON.stringify(doc);
    const refs = [...text.matchAll(/"\$ref":"#\/components\/(\w+)\/(\w+)"/g)];
    expect(refs.length).toBeGreaterThan(0);
    const components = doc.components as Record<string, Record<string, unknown>>;
    for (const [, kind, name] of refs) expect(components[kind!]?.[name!], `${kind}/${name}`).toBeDefined();
    expect(text).not.toMatch(/"\$ref":"#\/(?!components\/)/);
  });

  it('every path parameter in a template is declared', () => {
    const paths = buildAdminOpenApi().paths as Record<string, { parameters?: { name: string; in: string }[] }>;
    for (const [path, item] of Object.entries(paths)) {
      for (const [, name] of path.matchAll(/\{(\w+)\}/g)) {
        expect(item.parameters?.some((p) => p.in === 'path' && p.name === name), `${path} {${name}}`).toBe(true);
      }
    }
  });
});
