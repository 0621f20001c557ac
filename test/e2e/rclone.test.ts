/**
 * rclone (Debian package, aws-sdk-go v1 inside) against s3gate over http and https, the
 * remote configured through RCLONE_CONFIG_<NAME>_* environment variables and an empty
 * config file. rclone probes with CreateBucket before uploading: its key has no
 * create_bucket, so s3gate answers 409 BucketAlreadyOwnedByYou for buckets in scope.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
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

const FULL: TestKey = { accessKeyId: 'SGE2ERCLONEFULL00001', secretAccessKey: 'rclone-full-secret-000000000000000000000' };
const TOGGLED: TestKey = { accessKeyId: 'SGE2ERCLONETOGGLE001', secretAccessKey: 'rclone-toggle-secret-0000000000000000000' };

/** Everything rclone needs for files, but no create_bucket. */
const RW_ACTIONS = [
  'get_object', 'head_object', 'put_object', 'copy_object', 'delete_object', 'list_bucket', 'head_bucket', 'get_bucket_location',
  'create_multipart_upload', 'upload_part', 'complete_multipart_upload', 'abort_multipart_upload', 'list_multipart_upload_parts', 'list_bucket_multipart_uploads',
];

function credentials(toggledEnabled: boolean): string {
  return [
    credentialToml(FULL, [{ bucket: 'alpha', actions: RW_ACTIONS }, { bucket: 'beta', actions: ['get_object', 'list_bucket'] }]),
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
  reportModes('rclone', recorder, proxies);
  recorder.close();
  await moto?.stop();
});

function describeOver(scheme: 'http' | 'https'): void {
  describe(`rclone over ${scheme}`, () => {
    let p: E2EProxy;
    let work: string;
    let emptyConfig: string;
    const base = `${scheme}/`;

    beforeAll(async () => {
      p = await startE2EProxy(moto, credentials(true), scheme);
      proxies.push(p);
      work = tempDir(`rclone-${scheme}`);
      emptyConfig = join(work, 'rclone.conf');
      writeFileSync(emptyConfig, '');
    });
    afterAll(async () => {
      await p?.proxy.stop();
    });

    function rclone(key: TestKey, args: readonly string[]): Promise<ClientResult> {
      const env = sealedEnv({
        RCLONE_CONFIG: emptyConfig,
        RCLONE_CONFIG_PX_TYPE: 's3',
        RCLONE_CONFIG_PX_PROVIDER: 'Other',
        RCLONE_CONFIG_PX_ENV_AUTH: 'false',
        RCLONE_CONFIG_PX_ACCESS_KEY_ID: key.accessKeyId,
        RCLONE_CONFIG_PX_SECRET_ACCESS_KEY: key.secretAccessKey,
        RCLONE_CONFIG_PX_ENDPOINT: p.url,
        RCLONE_CONFIG_PX_REGION: 'us-east-1',
        RCLONE_CONFIG_PX_FORCE_PATH_STYLE: 'true',
      });
      const tls = p.tls === undefined ? [] : ['--ca-cert', p.tls.certPath];
      // --s3-no-head: rclone 1.60 re-reads an upload with HEAD ?versionId=null, which moto (not S3) answers 400.
      return runClient('rclone', [...args, ...tls, '--s3-no-head', '--retries', '1', '--low-level-retries', '1', '--contimeout', '10s'], env);
    }

    async function rcloneOk(key: TestKey, args: readonly string[]): Promise<ClientResult> {
      const result = await rclone(key, args);
      expect(result.code, `rclone ${args.join(' ')} failed:\n${result.stderr}`).toBe(0);
      return result;
    }

    it('lsd lists only the scoped buckets', async () => {
      const { stdout } = await rcloneOk(FULL, ['lsd', 'px:']);
      expect(stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).at(-1))).toEqual(['alpha', 'beta']);
    });

    it('copies a 40 MiB file in 5 MiB parts and back; the CreateBucket probe gets 409', async () => {
      const file = randomFile(work, 'forty.bin', 40 * 1024 * 1024);
      const key = `${base}big/forty.bin`;
      const before = recorder.seen.length;
      await rcloneOk(FULL, ['copyto', file.path, `px:alpha/${key}`, '--s3-upload-cutoff', '5M', '--s3-chunk-size', '5M']);
      const seen = recorder.seen.slice(before).filter((r) => r.port === p.port);
      expect(seen.some((r) => r.method === 'POST' && r.url.includes('?uploads'))).toBe(true);
      expect(seen.filter((r) => r.method === 'PUT' && r.url.includes('partNumber=')).length).toBe(8);
      const probes = p.proxy.logLines.filter((l) => l.includes('"operation":"CreateBucket"'));
      expect(probes.length).toBeGreaterThan(0);
      expect(probes.every((l) => l.includes('"status":409') && l.includes('BucketAlreadyOwnedByYou'))).toBe(true);
      const stored = await upstreamObject(moto, 'alpha', key);
      expect(stored?.length).toBe(file.bytes.length);
      expect(sha256Hex(stored!)).toBe(file.sha256);

      const back = join(work, 'forty.back');
      await rcloneOk(FULL, ['copyto', `px:alpha/${key}`, back]);
      expect(await fileSha256(back)).toBe(file.sha256);
    }, 150_000);

    // rclone 1.60 sends its presigned single-part PUT with the Content-Length header twice
    // ("Content-Length: N" and "content-length: N"). S3 accepts that; node's HTTP parser
    // (llhttp) rejects duplicate Content-Length outright, before s3gate sees the request.
    it('--s3-use-presigned-request uploads are refused by the HTTP parser (duplicate Content-Length); nothing stored', async () => {
      const file = randomFile(work, 'presigned.bin', 12_345);
      const result = await rclone(FULL, ['copyto', file.path, `px:alpha/${base}presigned put.bin`, '--s3-use-presigned-request']);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('400 Bad Request');
      expect(await upstreamExists(moto, 'alpha', `${base}presigned put.bin`)).toBe(false);
    });

    // s3gate answers every S3 error as S3 XML; requests node's parser refuses are answered by
    // fastify's default clientError handler with JSON instead.
    it('answers an unparseable request with an S3 XML error, not fastify JSON', async () => {
      const file = randomFile(work, 'presigned2.bin', 100);
      const result = await rclone(FULL, ['copyto', file.path, `px:alpha/${base}presigned2.bin`, '--s3-use-presigned-request']);
      expect(result.code).not.toBe(0);
      expect(result.stderr).not.toContain('"statusCode":400');
    });

    it('syncs a directory tree, including deletions on the second run', async () => {
      const tree = join(work, 'tree');
      const files = ['a/one.txt', 'a/b/two.txt', 'c.bin', 'with space/x+y ü.txt'];
      const made = files.map((name, i) => ({ name, ...randomFile(tree, name, 2000 + i * 1111) }));
      await rcloneOk(FULL, ['sync', tree, `px:alpha/${base}tree`]);
      expect(await upstreamKeys(moto, 'alpha', `${base}tree/`)).toEqual(files.map((f) => `${base}tree/${f}`).sort());
      for (const f of made) expect((await upstreamObject(moto, 'alpha', `${base}tree/${f.name}`))?.equals(f.bytes), f.name).toBe(true);

      rmSync(join(tree, 'c.bin'));
      writeFileSync(join(tree, 'a/one.txt'), 'changed');
      await rcloneOk(FULL, ['sync', tree, `px:alpha/${base}tree`]);
      expect(await upstreamExists(moto, 'alpha', `${base}tree/c.bin`)).toBe(false);
      expect((await upstreamObject(moto, 'alpha', `${base}tree/a/one.txt`))?.toString()).toBe('changed');
    });

    it('deletes a file and purges a prefix', async () => {
      for (const k of ['d/1', 'd/2', 'd/sub/3', 'single']) await moto.admin.send(new PutObjectCommand({ Bucket: 'alpha', Key: `${base}del/${k}`, Body: k }));
      await rcloneOk(FULL, ['deletefile', `px:alpha/${base}del/single`]);
      expect(await upstreamExists(moto, 'alpha', `${base}del/single`)).toBe(false);
      await rcloneOk(FULL, ['delete', `px:alpha/${base}del/d`]);
      expect(await upstreamKeys(moto, 'alpha', `${base}del/`)).toEqual([]);
    });

    it('refuses a bucket outside the scopes and writes to a read-only bucket', async () => {
      const since = moto.requests.length;
      const file = randomFile(work, 'denied.txt', 100);
      const denied = await rclone(FULL, ['copyto', file.path, 'px:gamma/denied.txt']);
      expect(denied.code).not.toBe(0);
      // rclone's first request is a HEAD: a 403 without a body, which it prints as "Forbidden".
      expect(denied.stderr).toMatch(/AccessDenied|Forbidden/);
      expect(denied.stderr).toContain('status code: 403');
      expect(p.proxy.logLines.some((l) => l.includes('"bucket":"gamma"') && l.includes('"errorCode":"AccessDenied"'))).toBe(true);
      expect(upstreamSawBucket(moto, 'gamma', since)).toBe(false);
      const list = await rclone(FULL, ['ls', 'px:gamma']);
      expect(list.code).not.toBe(0);
      expect(list.stderr).toContain('AccessDenied');
      const readOnly = await rclone(FULL, ['copyto', file.path, 'px:beta/denied.txt', '--s3-no-check-bucket']);
      expect(readOnly.code).not.toBe(0);
      expect(readOnly.stderr).toContain('AccessDenied');
      expect(await upstreamExists(moto, 'beta', 'denied.txt')).toBe(false);
    });

    it('refuses a key disabled by a config reload', async () => {
      await moto.admin.send(new PutObjectCommand({ Bucket: 'alpha', Key: `${base}toggle.txt`, Body: 'toggle' }));
      const out = join(work, 'toggle.out');
      await rcloneOk(TOGGLED, ['copyto', `px:alpha/${base}toggle.txt`, out]);
      expect(readFileSync(out, 'utf8')).toBe('toggle');
      rmSync(out);
      await p.proxy.rewriteConfig(credentials(false));
      try {
        const refused = await rclone(TOGGLED, ['ls', `px:alpha/${base}`]);
        expect(refused.code).not.toBe(0);
        expect(refused.stderr).toContain('AccessDenied');
      } finally {
        await p.proxy.rewriteConfig(credentials(true));
      }
      mkdirSync(work, { recursive: true });
      await rcloneOk(TOGGLED, ['copyto', `px:alpha/${base}toggle.txt`, out]);
      expect(readFileSync(out, 'utf8')).toBe('toggle');
    });
  });
}

describeOver('http');
describeOver('https');
