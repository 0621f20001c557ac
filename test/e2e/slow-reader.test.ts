/**
 * Large GetObjects through s3gate over https, from an upstream that closes its connection
 * after every response (moto/werkzeug always sends `Connection: close`; S3-compatible
 * servers and load balancers do so now and then).
 *
 * Found by the e2e suite (js-sdk.test.ts crashed its worker): when the client side is slower
 * than the upstream (TLS is enough), res.write() backpressure pauses undici's HTTP/1 parser
 * on the last body chunk; the upstream's FIN then reaches Parser.finish(), and undici 7.30.2
 * throws `AssertionError: assert(!this.paused)` from the socket 'end' handler
 * (node_modules/undici/lib/dispatcher/client-h1.js:375) — uncatchable: it kills the s3gate
 * process. Upstream report nodejs/undici#5360, fixed by nodejs/undici#5474.
 * Expected: every body arrives complete and nothing is thrown.
 */
import { Agent } from 'node:https';
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sha256Hex, startE2EProxy, type E2EProxy } from '../support/e2e-env.js';
import { startMoto, type MotoServer } from '../support/moto.js';
import { credentialToml, type TestKey } from '../support/proxy.js';

const KEY: TestKey = { accessKeyId: 'SGE2ESLOWREADER00001', secretAccessKey: 'slow-reader-secret-000000000000000000000' };

let moto: MotoServer;
let p: E2EProxy;
const uncaught: unknown[] = [];
const onUncaught = (err: unknown): void => {
  uncaught.push(err);
};

beforeAll(async () => {
  moto = await startMoto();
  await moto.admin.send(new CreateBucketCommand({ Bucket: 'alpha' }));
  p = await startE2EProxy(moto, credentialToml(KEY, [{ bucket: 'alpha', actions: ['*'] }]), 'https');
  process.on('uncaughtException', onUncaught);
});

afterAll(async () => {
  process.off('uncaughtException', onUncaught);
  await p?.proxy.stop();
  await moto?.stop();
});

it('streams a 20 MiB object over https six times in a row without crashing the proxy', async () => {
  const body = randomBytes(20 * 1024 * 1024);
  await moto.admin.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'big.bin', Body: body }));
  const s3 = p.proxy.client(KEY, { requestHandler: new NodeHttpHandler({ httpsAgent: new Agent({ ca: p.tls!.certPem, keepAlive: true }), requestTimeout: 20_000 }) });
  for (let round = 0; round < 6; round++) {
    const got = await s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'big.bin' }));
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    expect(uncaught.map((e) => String(e)), `round ${round}`).toEqual([]);
    expect(bytes.length).toBe(body.length);
    expect(sha256Hex(bytes)).toBe(sha256Hex(body));
  }
}, 120_000);
