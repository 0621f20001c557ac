/**
 * Behind a trusted reverse proxy every admin request comes from the proxy's address: the
 * login lockout and the audit trail must use the client address from X-Forwarded-For, or
 * one attacker would lock every user out for everyone.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN_PASSWORD, ADMIN_USERNAME, eventually, startStoreProxy, type StoreProxy } from '../support/admin.js';
import { startMoto, type MotoServer } from '../support/moto.js';

let moto: MotoServer;
let proxy: StoreProxy;

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startStoreProxy(moto, { serverToml: 'trusted_proxies = ["127.0.0.1", "::1"]' });
});

afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
});

const loginFrom = (address: string, password: string) =>
  proxy.admin.request('POST', '/login', { username: ADMIN_USERNAME, password }, undefined, { 'x-forwarded-for': address });

it('locks out the forwarded client address, not the reverse proxy, and audits that address', async () => {
  for (let i = 0; i < 5; i++) expect((await loginFrom('203.0.113.7', `wrong password ${i}`)).status).toBe(401);
  expect((await loginFrom('203.0.113.7', ADMIN_PASSWORD)).status).toBe(429);
  // Another client behind the same reverse proxy still logs in.
  const ok = await loginFrom('198.51.100.2', ADMIN_PASSWORD);
  expect(ok.status).toBe(200);
  const root = proxy.admin.as(String(ok.body.token));
  await eventually(async () => {
    const res = await root.get('/audit?action=admin.session.login&outcome=denied');
    const addresses = (res.body.items as Array<{ client_address: string }>).map((r) => r.client_address);
    expect(addresses).toContain('203.0.113.7');
    expect(addresses).not.toContain('127.0.0.1');
  });
});
