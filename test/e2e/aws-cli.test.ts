/**
 * aws-cli v1 (the real `aws` program, botocore 1.43) against s3gate over http and over https
 * (self-signed certificate passed with AWS_CA_BUNDLE), in front of moto with signature
 * checks on. Every test checks what the upstream holds, not only the exit code.
 */
import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fetchUrl,
  fileSha256,
  randomFile,
  reportModes,
  RequestRecorder,
  runClient,
  sealedEnv,
  sha256Hex,
  startE2EProxy,
  tempDir,
  upstreamExists,
  upstreamKeys,
  upstreamObject,
  upstreamSawBucket,
  type ClientResult,
  type E2EProxy,
} from '../support/e2e-env.js';
import { startMoto, type MotoServer } from '../support/moto.js';
import { credentialToml, type TestKey } from '../support/proxy.js';

const FULL: TestKey = { accessKeyId: 'SGE2EAWSCLIFULL00001', secretAccessKey: 'awscli-full-secret-000000000000000000000' };
const PREFIXED: TestKey = { accessKeyId: 'SGE2EAWSCLIPREFIX001', secretAccessKey: 'awscli-prefix-secret-0000000000000000000' };
const TOGGLED: TestKey = { accessKeyId: 'SGE2EAWSCLITOGGLE001', secretAccessKey: 'awscli-toggle-secret-0000000000000000000' };

const PREFIX_ACTIONS = ['get_object', 'head_object', 'put_object', 'list_bucket', 'delete_object', 'create_multipart_upload', 'upload_part', 'complete_multipart_upload', 'abort_multipart_upload'];

function credentials(toggledEnabled: boolean): string {
  return [
    credentialToml(FULL, [{ bucket: 'alpha', actions: ['*'] }, { bucket: 'beta', actions: ['get_object', 'list_bucket'] }]),
    credentialToml(PREFIXED, [{ bucket: 'alpha', prefixes: ['data'], actions: PREFIX_ACTIONS }]),
    credentialToml(TOGGLED, [{ bucket: 'alpha', actions: ['get_object', 'list_bucket'] }], { enabled: toggledEnabled }),
  ].join('\n');
}

let moto: MotoServer;
const recorder = new RequestRecorder();
const proxies: E2EProxy[] = [];

beforeAll(async () => {
  moto = await startMoto();
  for (const bucket of ['alpha', 'beta', 'gamma', 'other']) await moto.admin.send(new CreateBucketCommand({ Bucket: bucket }));
});

afterAll(async () => {
  reportModes('aws-cli', recorder, proxies);
  recorder.close();
  await moto?.stop();
});

function describeOver(scheme: 'http' | 'https'): void {
  describe(`aws-cli over ${scheme}`, () => {
    let p: E2EProxy;
    let work: string;
    const base = `${scheme}/`;

    beforeAll(async () => {
      p = await startE2EProxy(moto, credentials(true), scheme);
      proxies.push(p);
      work = tempDir(`awscli-${scheme}`);
    });
    afterAll(async () => {
      await p?.proxy.stop();
    });

    function aws(key: TestKey, args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<ClientResult> {
      const env = sealedEnv({
        AWS_ACCESS_KEY_ID: key.accessKeyId,
        AWS_SECRET_ACCESS_KEY: key.secretAccessKey,
        ...(p.tls === undefined ? {} : { AWS_CA_BUNDLE: p.tls.certPath }),
        ...extraEnv,
      });
      return runClient('aws', ['--endpoint-url', p.url, ...args], env);
    }

    async function awsOk(key: TestKey, args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<ClientResult> {
      const result = await aws(key, args, extraEnv);
      expect(result.code, `aws ${args.join(' ')} failed:\n${result.stderr}`).toBe(0);
      return result;
    }

    it('s3 ls lists only the buckets in the key scopes, answered without the upstream', async () => {
      const before = moto.requests.filter((l) => l.startsWith('GET / ')).length;
      const { stdout } = await awsOk(FULL, ['s3', 'ls']);
      const names = stdout.trim().split('\n').map((line) => line.trim().split(/\s+/).at(-1));
      expect(names).toEqual(['alpha', 'beta']);
      expect(moto.requests.filter((l) => l.startsWith('GET / ')).length).toBe(before);
      const narrow = await awsOk(PREFIXED, ['s3', 'ls']);
      expect(narrow.stdout.trim().split('\n').map((line) => line.trim().split(/\s+/).at(-1))).toEqual(['alpha']);
    });

    it('s3 cp uploads 50 MiB in parts and downloads it back byte for byte', async () => {
      const file = randomFile(work, 'big.bin', 50 * 1024 * 1024);
      const key = `${base}big/big.bin`;
      const seenBefore = recorder.seen.length;
      await awsOk(FULL, ['s3', 'cp', file.path, `s3://alpha/${key}`]);
      const uploadRequests = recorder.seen.slice(seenBefore).filter((r) => r.port === p.port);
      expect(uploadRequests.some((r) => r.method === 'POST' && r.url.includes('?uploads'))).toBe(true);
      expect(uploadRequests.filter((r) => r.method === 'PUT' && r.url.includes('partNumber=')).length).toBeGreaterThanOrEqual(6);
      const stored = await upstreamObject(moto, 'alpha', key);
      expect(stored?.length).toBe(file.bytes.length);
      expect(sha256Hex(stored!)).toBe(file.sha256);

      const back = join(work, 'big.back.bin');
      await awsOk(FULL, ['s3', 'cp', `s3://alpha/${key}`, back]);
      expect(await fileSha256(back)).toBe(file.sha256);
    }, 150_000);

    it('s3 sync uploads a directory tree, then finds nothing left to do', async () => {
      const tree = join(work, 'tree');
      const files = ['a/one.txt', 'a/b/two.txt', 'c.bin', 'with space/x+y.txt'];
      const made = files.map((name, i) => ({ name, ...randomFile(tree, name, 1000 + i * 4097) }));
      // sync re-uploads a file whose mtime is newer than the object's LastModified, which S3
      // keeps to the second: date the files a minute back so the second sync is not a race.
      const past = new Date(Date.now() - 60_000);
      for (const f of files) utimesSync(join(tree, f), past, past);
      const first = await awsOk(FULL, ['s3', 'sync', '--no-progress', tree, `s3://alpha/${base}tree/`]);
      expect(first.stdout.match(/upload: /g)?.length).toBe(files.length);
      expect(await upstreamKeys(moto, 'alpha', `${base}tree/`)).toEqual(files.map((f) => `${base}tree/${f}`).sort());
      for (const f of made) {
        const stored = await upstreamObject(moto, 'alpha', `${base}tree/${f.name}`);
        expect(stored?.equals(f.bytes), f.name).toBe(true);
      }
      // The second sync lists the prefix through the proxy and compares sizes and times.
      const second = await awsOk(FULL, ['s3', 'sync', '--no-progress', tree, `s3://alpha/${base}tree/`]);
      expect(second.stdout.trim()).toBe('');
    });

    it('s3 rm deletes one object and a whole prefix', async () => {
      await moto.admin.send(new PutObjectCommand({ Bucket: 'alpha', Key: `${base}rm/single.txt`, Body: 'x' }));
      for (const k of ['r/1', 'r/2', 'r/deep/3']) await moto.admin.send(new PutObjectCommand({ Bucket: 'alpha', Key: `${base}rm/${k}`, Body: k }));
      await awsOk(FULL, ['s3', 'rm', `s3://alpha/${base}rm/single.txt`]);
      expect(await upstreamExists(moto, 'alpha', `${base}rm/single.txt`)).toBe(false);
      const result = await awsOk(FULL, ['s3', 'rm', '--recursive', `s3://alpha/${base}rm/r/`]);
      expect(result.stdout.match(/delete: s3:\/\//g)?.length).toBe(3);
      expect(await upstreamKeys(moto, 'alpha', `${base}rm/`)).toEqual([]);
    });

    it('s3 presign makes a SigV2 URL by default that returns the bytes; a tampered one is refused', async () => {
      const body = Buffer.from(`presigned over ${scheme}: ${Math.random()}`);
      const key = `${base}presign/v2 file+1.txt`;
      await moto.admin.send(new PutObjectCommand({ Bucket: 'alpha', Key: key, Body: body }));
      const { stdout } = await awsOk(FULL, ['s3', 'presign', `s3://alpha/${key}`, '--expires-in', '300']);
      const url = stdout.trim();
      expect(url).toContain('AWSAccessKeyId=');
      expect(url).not.toContain('X-Amz-Signature');
      const got = await fetchUrl(url, { caPem: p.tls?.certPem });
      expect(got.status).toBe(200);
      expect(got.body.equals(body)).toBe(true);
      const tampered = url.replace(/Expires=(\d+)/, (_m, e: string) => `Expires=${Number(e) + 1}`);
      const refused = await fetchUrl(tampered, { caPem: p.tls?.certPem });
      expect(refused.status).toBe(403);
      expect(refused.body.toString()).toContain('SignatureDoesNotMatch');
    });

    it('s3 presign with signature_version = s3v4 makes a SigV4 URL that returns the bytes', async () => {
      const body = Buffer.from(`presigned v4 over ${scheme}`);
      const key = `${base}presign/v4 ü.txt`;
      await moto.admin.send(new PutObjectCommand({ Bucket: 'alpha', Key: key, Body: body }));
      const config = join(work, 'aws-config-s3v4');
      writeFileSync(config, '[default]\ns3 =\n    signature_version = s3v4\n');
      const { stdout } = await awsOk(FULL, ['s3', 'presign', `s3://alpha/${key}`], { AWS_CONFIG_FILE: config });
      const url = stdout.trim();
      expect(url).toContain('X-Amz-Signature=');
      const got = await fetchUrl(url, { caPem: p.tls?.certPem });
      expect(got.status).toBe(200);
      expect(got.body.equals(body)).toBe(true);
      const otherKey = await fetchUrl(url.replace('v4%20', 'v5%20'), { caPem: p.tls?.certPem });
      expect(otherKey.status).toBe(403);
      // Another region in the credential scope (s3gate has no `regions` restriction configured).
      const eu = await awsOk(FULL, ['s3', 'presign', `s3://alpha/${key}`, '--region', 'eu-west-1'], { AWS_CONFIG_FILE: config });
      expect(eu.stdout).toContain('%2Feu-west-1%2Fs3%2Faws4_request');
      const euGot = await fetchUrl(eu.stdout.trim(), { caPem: p.tls?.certPem });
      expect(euGot.status, euGot.body.toString()).toBe(200);
      expect(euGot.body.equals(body)).toBe(true);
    });

    it('s3api put-object and get-object with spaces, plus and unicode in the key', async () => {
      const key = `${base}odd/a b+c=d ünï 鍵 (1).txt`;
      const file = randomFile(work, 'odd.bin', 3000);
      await awsOk(FULL, ['s3api', 'put-object', '--bucket', 'alpha', '--key', key, '--body', file.path]);
      expect((await upstreamObject(moto, 'alpha', key))?.equals(file.bytes)).toBe(true);
      const out = join(work, 'odd.back');
      await awsOk(FULL, ['s3api', 'get-object', '--bucket', 'alpha', '--key', key, out]);
      expect(readFileSync(out).equals(file.bytes)).toBe(true);
      const listed = await awsOk(FULL, ['s3api', 'list-objects-v2', '--bucket', 'alpha', '--prefix', `${base}odd/`, '--query', 'Contents[].Key', '--output', 'json']);
      expect(JSON.parse(listed.stdout)).toEqual([key]);
    });

    it('refuses a bucket outside the scopes with AccessDenied, upstream untouched', async () => {
      const since = moto.requests.length;
      const file = randomFile(work, 'denied.txt', 100);
      const put = await aws(FULL, ['s3', 'cp', file.path, 's3://gamma/denied.txt']);
      expect(put.code).not.toBe(0);
      expect(put.stderr).toContain('AccessDenied');
      const list = await aws(FULL, ['s3', 'ls', 's3://gamma/']);
      expect(list.code).not.toBe(0);
      expect(list.stderr).toContain('AccessDenied');
      expect(upstreamSawBucket(moto, 'gamma', since)).toBe(false);
      expect(await upstreamExists(moto, 'gamma', 'denied.txt')).toBe(false);
      // beta is read-only for this key
      const write = await aws(FULL, ['s3', 'cp', file.path, 's3://beta/denied.txt']);
      expect(write.stderr).toContain('AccessDenied');
      expect(await upstreamExists(moto, 'beta', 'denied.txt')).toBe(false);
    });

    it('enforces the key prefix: inside works, outside is AccessDenied', async () => {
      const file = randomFile(work, 'p.txt', 500);
      await awsOk(PREFIXED, ['s3', 'cp', file.path, `s3://alpha/data/${scheme}/p.txt`]);
      expect((await upstreamObject(moto, 'alpha', `data/${scheme}/p.txt`))?.equals(file.bytes)).toBe(true);
      const outside = await aws(PREFIXED, ['s3', 'cp', file.path, `s3://alpha/data-private/${scheme}/p.txt`]);
      expect(outside.code).not.toBe(0);
      expect(outside.stderr).toContain('AccessDenied');
      expect(await upstreamExists(moto, 'alpha', `data-private/${scheme}/p.txt`)).toBe(false);
      const listAll = await aws(PREFIXED, ['s3', 'ls', 's3://alpha/']);
      expect(listAll.code).not.toBe(0);
      expect(listAll.stderr).toContain('AccessDenied');
      const listData = await awsOk(PREFIXED, ['s3', 'ls', `s3://alpha/data/${scheme}/`]);
      expect(listData.stdout).toContain('p.txt');
    });

    it('refuses a wrong secret with SignatureDoesNotMatch', async () => {
      const result = await aws({ ...FULL, secretAccessKey: 'not-the-secret-00000000000000000000000000' }, ['s3', 'ls', 's3://alpha/']);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('SignatureDoesNotMatch');
    });

    it('refuses a key disabled by a config reload, and accepts it again after', async () => {
      await moto.admin.send(new PutObjectCommand({ Bucket: 'alpha', Key: `${base}toggle.txt`, Body: 'toggle' }));
      await awsOk(TOGGLED, ['s3', 'ls', `s3://alpha/${base}`]);
      await p.proxy.rewriteConfig(credentials(false));
      try {
        const refused = await aws(TOGGLED, ['s3', 'cp', `s3://alpha/${base}toggle.txt`, join(work, 'toggle.out')]);
        expect(refused.code).not.toBe(0);
        expect(refused.stderr).toMatch(/AccessDenied|Forbidden|403/);
        const list = await aws(TOGGLED, ['s3', 'ls', `s3://alpha/${base}`]);
        expect(list.code).not.toBe(0);
        expect(list.stderr).toContain('AccessDenied');
      } finally {
        await p.proxy.rewriteConfig(credentials(true));
      }
      await awsOk(TOGGLED, ['s3', 'cp', `s3://alpha/${base}toggle.txt`, join(work, 'toggle.out')]);
      expect(readFileSync(join(work, 'toggle.out'), 'utf8')).toBe('toggle');
    });
  });
}

describeOver('http');
describeOver('https');
