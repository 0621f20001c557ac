/**
 * s3cmd (Debian package, SigV4 with a full sha256 of every body) against s3gate over http
 * and https, configured by a temporary .s3cfg plus flags. s3cmd asks GetBucketLocation
 * before bucket operations; `s3cmd signurl` makes SigV2 presigned URLs.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
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

const FULL: TestKey = { accessKeyId: 'SGE2ES3CMDFULL000001', secretAccessKey: 's3cmd-full-secret-0000000000000000000000' };
const TOGGLED: TestKey = { accessKeyId: 'SGE2ES3CMDTOGGLE0001', secretAccessKey: 's3cmd-toggle-secret-00000000000000000000' };

function credentials(toggledEnabled: boolean): string {
  return [
    credentialToml(FULL, [{ bucket: 'alpha', actions: ['*'] }, { bucket: 'beta', actions: ['get_object', 'list_bucket'] }]),
    credentialToml(TOGGLED, [{ bucket: 'alpha', actions: ['get_object', 'head_object', 'list_bucket'] }], { enabled: toggledEnabled }),
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
  reportModes('s3cmd', recorder, proxies);
  recorder.close();
  await moto?.stop();
});

function describeOver(scheme: 'http' | 'https'): void {
  describe(`s3cmd over ${scheme}`, () => {
    let p: E2EProxy;
    let work: string;
    const base = `${scheme}/`;

    beforeAll(async () => {
      p = await startE2EProxy(moto, credentials(true), scheme);
      proxies.push(p);
      work = tempDir(`s3cmd-${scheme}`);
    });
    afterAll(async () => {
      await p?.proxy.stop();
    });

    function s3cmd(key: TestKey, args: readonly string[]): Promise<ClientResult> {
      const host = new URL(p.url).host;
      const config = join(work, `s3cfg-${key.accessKeyId}`);
      writeFileSync(
        config,
        [
          '[default]',
          `access_key = ${key.accessKeyId}`,
          `secret_key = ${key.secretAccessKey}`,
          `host_base = ${host}`,
          `host_bucket = ${host}`,
          'bucket_location = us-east-1',
          'signature_v2 = False',
          `use_https = ${p.tls === undefined ? 'False' : 'True'}`,
          'check_ssl_certificate = True',
          'check_ssl_hostname = True',
          'progress_meter = False',
          '',
        ].join('\n'),
      );
      const tls = p.tls === undefined ? ['--no-ssl'] : ['--ssl', `--ca-certs=${p.tls.certPath}`];
      return runClient('s3cmd', ['-c', config, ...tls, ...args], sealedEnv());
    }

    async function s3cmdOk(key: TestKey, args: readonly string[]): Promise<ClientResult> {
      const result = await s3cmd(key, args);
      expect(result.code, `s3cmd ${args.join(' ')} failed:\n${result.stderr}`).toBe(0);
      return result;
    }

    it('ls lists only the scoped buckets', async () => {
      const { stdout } = await s3cmdOk(FULL, ['ls']);
      expect(stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).at(-1))).toEqual(['s3://alpha', 's3://beta']);
    });

    it('puts a 40 MiB file in 5 MiB parts and gets it back', async () => {
      const file = randomFile(work, 'forty.bin', 40 * 1024 * 1024);
      const key = `${base}big/forty.bin`;
      const before = recorder.seen.length;
      await s3cmdOk(FULL, ['put', '--multipart-chunk-size-mb=5', file.path, `s3://alpha/${key}`]);
      const seen = recorder.seen.slice(before).filter((r) => r.port === p.port);
      expect(seen.some((r) => r.method === 'POST' && r.url.includes('?uploads'))).toBe(true);
      expect(seen.filter((r) => r.method === 'PUT' && r.url.includes('partNumber=')).length).toBe(8);
      const stored = await upstreamObject(moto, 'alpha', key);
      expect(stored?.length).toBe(file.bytes.length);
      expect(sha256Hex(stored!)).toBe(file.sha256);
      const back = join(work, 'forty.back');
      await s3cmdOk(FULL, ['get', '--force', `s3://alpha/${key}`, back]);
      expect(await fileSha256(back)).toBe(file.sha256);
    }, 150_000);

    it('syncs a directory tree, with --delete-removed on the second run', async () => {
      const tree = join(work, 'tree');
      const files = ['a/one.txt', 'a/b/two.txt', 'c.bin', 'with space/x+y ü.txt'];
      const made = files.map((name, i) => ({ name, ...randomFile(tree, name, 1500 + i * 3001) }));
      await s3cmdOk(FULL, ['sync', `${tree}/`, `s3://alpha/${base}tree/`]);
      expect(await upstreamKeys(moto, 'alpha', `${base}tree/`)).toEqual(files.map((f) => `${base}tree/${f}`).sort());
      for (const f of made) expect((await upstreamObject(moto, 'alpha', `${base}tree/${f.name}`))?.equals(f.bytes), f.name).toBe(true);
      rmSync(join(tree, 'c.bin'));
      await s3cmdOk(FULL, ['sync', '--delete-removed', `${tree}/`, `s3://alpha/${base}tree/`]);
      expect(await upstreamExists(moto, 'alpha', `${base}tree/c.bin`)).toBe(false);
      expect(await upstreamKeys(moto, 'alpha', `${base}tree/`)).toHaveLength(3);
    });

    it('deletes one object and a prefix recursively', async () => {
      for (const k of ['d/1', 'd/2', 'd/sub/3', 'single']) await moto.admin.send(new PutObjectCommand({ Bucket: 'alpha', Key: `${base}del/${k}`, Body: k }));
      await s3cmdOk(FULL, ['del', `s3://alpha/${base}del/single`]);
      expect(await upstreamExists(moto, 'alpha', `${base}del/single`)).toBe(false);
      await s3cmdOk(FULL, ['del', '--recursive', '--force', `s3://alpha/${base}del/d/`]);
      expect(await upstreamKeys(moto, 'alpha', `${base}del/`)).toEqual([]);
    });

    it('signurl makes a SigV2 presigned URL that returns the bytes; a tampered one is refused', async () => {
      const body = Buffer.from(`s3cmd signurl over ${scheme}`);
      const key = `${base}signed/file.txt`;
      await moto.admin.send(new PutObjectCommand({ Bucket: 'alpha', Key: key, Body: body }));
      const { stdout } = await s3cmdOk(FULL, ['signurl', `s3://alpha/${key}`, '+300']);
      const url = stdout.trim().split('\n').at(-1) ?? '';
      expect(url).toContain('Signature=');
      expect(url).not.toContain('X-Amz-Signature');
      // s3cmd prints http:// URLs unless told otherwise; fetch from the proxy's own scheme and port.
      const fixed = new URL(url);
      const proxyUrl = new URL(p.url);
      fixed.protocol = proxyUrl.protocol;
      fixed.host = proxyUrl.host;
      const got = await fetchUrl(fixed.toString(), { caPem: p.tls?.certPem });
      expect(got.status, got.body.toString()).toBe(200);
      expect(got.body.equals(body)).toBe(true);
      const tampered = await fetchUrl(fixed.toString().replace('file.txt', 'file.tx'), { caPem: p.tls?.certPem });
      expect(tampered.status).toBe(403);
    });

    it('refuses a bucket outside the scopes and writes to a read-only bucket', async () => {
      const since = moto.requests.length;
      const file = randomFile(work, 'denied.txt', 100);
      const denied = await s3cmd(FULL, ['put', file.path, 's3://gamma/denied.txt']);
      expect(denied.code).not.toBe(0);
      expect(denied.stderr).toContain('AccessDenied');
      expect(upstreamSawBucket(moto, 'gamma', since)).toBe(false);
      const list = await s3cmd(FULL, ['ls', 's3://gamma/']);
      expect(list.code).not.toBe(0);
      expect(list.stderr).toContain('AccessDenied');
      const readOnly = await s3cmd(FULL, ['put', file.path, 's3://beta/denied.txt']);
      expect(readOnly.code).not.toBe(0);
      expect(readOnly.stderr).toContain('AccessDenied');
      expect(await upstreamExists(moto, 'beta', 'denied.txt')).toBe(false);
    });

    it('refuses a key disabled by a config reload', async () => {
      await moto.admin.send(new PutObjectCommand({ Bucket: 'alpha', Key: `${base}toggle.txt`, Body: 'toggle' }));
      const out = join(work, 'toggle.out');
      await s3cmdOk(TOGGLED, ['get', '--force', `s3://alpha/${base}toggle.txt`, out]);
      expect(readFileSync(out, 'utf8')).toBe('toggle');
      await p.proxy.rewriteConfig(credentials(false));
      try {
        const refused = await s3cmd(TOGGLED, ['ls', `s3://alpha/${base}`]);
        expect(refused.code).not.toBe(0);
        expect(refused.stderr).toContain('AccessDenied');
      } finally {
        await p.proxy.rewriteConfig(credentials(true));
      }
      await s3cmdOk(TOGGLED, ['ls', `s3://alpha/${base}`]);
    });
  });
}

describeOver('http');
describeOver('https');
