/**
 * Races on the admin API found in review: a session revoked while its request body is on
 * its way, and password guesses sent in parallel past the lockout.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type AdminClient, startStoreProxy, type StoreProxy } from '../support/admin.js';
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
