/**
 * Races on the admin API found in review: a session revoked while its request body is on
 * its way, and password guesses sent in parallel past the lockout.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type AdminClient, eventually, startStoreProxy, type StoreProxy } from '../support/admin.js';
import { startMoto, type MotoServer } from '../support/moto.js';

let moto: MotoServer;
let proxy: StoreProxy;
let root: AdminClient;

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startStoreProxy(moto);
  root = await proxy.admin.login();
});

afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
});

/** Sends the request head and `first` bytes of the body; `finish()` sends the rest and resolves to the status. */
function slowRequest(path: string, token: string, body: string, first: number): { finish: () => Promise<number> } {
  const url = new URL(proxy.adminUrl);
  const socket = connect(Number(url.port), url.hostname);
  let response = '';
  socket.on('data', (d: Buffer) => {
    response += d.toString();
  });
  socket.write(
    `POST /admin/api${path} HTTP/1.1\r\nhost: ${url.host}\r\nauthorization: Bearer ${token}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body.slice(0, first)}`,
  );
  return {
    finish: () =>
      new Promise((resolve) => {
        socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0)));
        socket.write(body.slice(first));
      }),
  };
}

it('a SuperUser deleted while their request body is still arriving cannot act (the session is checked again after the body)', async () => {
  const created = await root.post('/users', { username: 'mallory', password: 'mallory-long-password', role: 'SuperUser' });
  expect(created.status).toBe(201);
  const mallory = await proxy.admin.login('mallory', 'mallory-long-password');
  const body = JSON.stringify({ username: 'backdoor', password: 'backdoor-long-password', role: 'SuperUser' });
  const pending = slowRequest('/users', String(mallory.token), body, 10);
  await new Promise((r) => setTimeout(r, 200));
  expect((await root.delete(`/users/${String(created.body.id)}`)).status).toBe(204);
  expect(await pending.finish()).toBe(401);
  const users = (await root.get<{ users: { username: string }[] }>('/users')).body.users.map((u) => u.username);
  expect(users).not.toContain('backdoor');
});

it('password guesses sent in parallel are held to the lockout: at most 5 are tried', async () => {
  expect((await root.post('/users', { username: 'target', password: 'target-long-password', role: 'Reader' })).status).toBe(201);
  const results = await Promise.all(Array.from({ length: 30 }, (_, i) => proxy.admin.post('/login', { username: 'target', password: `guess-number-${i}` })));
  const statuses = results.map((r) => r.status);
  expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
  expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
});

it('refused admin requests leave an audit row: a bad token anywhere, an invalid or unknown change', async () => {
  expect((await proxy.admin.as('s3ga1.forged.token').delete('/credentials/SGAKNOSUCHKEY0000000')).status).toBe(401);
  expect((await root.post('/credentials', { description: 'x', scopes: [{ bucket: 'Bad_Bucket', actions: ['*'] }] })).status).toBe(400);
  expect((await root.delete('/credentials/SGAKNOSUCHKEY0000000')).status).toBe(404);
  await eventually(async () => {
    const rejected = await root.get<{ items: Array<Record<string, unknown>> }>('/audit?action=admin.session.rejected');
    expect(rejected.body.items[0]).toMatchObject({ outcome: 'denied', status: 401, error_code: 'Unauthorized', principal: 'anonymous', detail: { method: 'DELETE' } });
    const refused = await root.get<{ items: Array<Record<string, unknown>> }>('/audit?action=admin.request.refused');
    const rows = refused.body.items.map((r) => [r.status, r.error_code, (r.detail as { field?: string }).field ?? null]);
    expect(rows).toEqual(expect.arrayContaining([[404, 'NotFound', null], [400, 'InvalidRequest', 'scopes[0].bucket']]));
    expect(refused.body.items.every((r) => r.principal === 'user:root')).toBe(true);
  });
});
