/**
 * The s3gate command line as an operator meets it: --help, config check, and the zero-config
 * demo that `npm start` runs (a real aws CLI lists and uploads through it).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { freePort } from '../support/moto.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const CLI = [join(ROOT, 'node_modules/.bin/tsx'), join(ROOT, 'src/cli/main.ts')] as const;

async function s3gate(args: string[], cwd = ROOT): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(CLI[0], [CLI[1], ...args], { cwd });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('s3gate CLI', () => {
  it('prints help for every command', async () => {
    for (const args of [['--help'], ['serve', '--help'], ['config', '--help']]) {
      const result = await s3gate(args);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/Usage/);
    }
  });

  it('config check accepts proxy.example.toml', async () => {
    const { stdout, stderr, code } = await run(CLI[0], [CLI[1], 'config', 'check', 'proxy.example.toml'], {
      cwd: ROOT,
      env: { ...process.env, S3GATE_UPSTREAM_SECRET_ACCESS_KEY: 'example-secret' },
    }).then((r) => ({ ...r, code: 0 }));
    expect(code).toBe(0);
    expect(stdout + stderr).toMatch(/OK/);
  });

  it('config check names the file, the field and the fix, and exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 's3gate-cli-'));
    const file = join(dir, 'bad.toml');
    writeFileSync(
      file,
      `[[backends]]\nname = "default"\nendpoint = "http://127.0.0.1:9000"\naccess_key_id = "admin"\nsecret_access_key = "adminadmin"\n\n[[credentials]]\naccess_key_id = "AKEXAMPLE"\nsecret_access_key = "secret-secret"\nprincipal_name = "x"\ncreated_at = 2024-01-01T00:00:00Z\nenabled = true\n[[credentials.allowed_scopes]]\nbucket = "data"\nprefixes = []\nactions = ["get_objects"]\n`,
    );
    const result = await s3gate(['config', 'check', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${file}: credentials[0].allowed_scopes[0].actions[0]`);
    expect(result.stderr).toContain('get_object');
  });

  it('npm start without proxy.toml serves a demo the aws CLI can use', async () => {
    const dir = mkdtempSync(join(tmpdir(), 's3gate-demo-'));
    const port = await freePort();
    const child = spawn(CLI[0], [CLI[1], 'serve', '--listen', `127.0.0.1:${port}`], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let banner = '';
      await new Promise<void>((resolveStart, reject) => {
        const timer = setTimeout(() => reject(new Error(`demo did not start:\n${banner}`)), 30_000);
        child.stderr.on('data', (d: Buffer) => {
          banner += d.toString();
          if (banner.includes('secret access key:') && banner.includes('Try:')) {
            clearTimeout(timer);
            resolveStart();
          }
        });
        child.stdout.resume();
      });
      const accessKeyId = /access key id:\s+(\S+)/.exec(banner)?.[1] ?? '';
      const secretAccessKey = /secret access key:\s+(\S+)/.exec(banner)?.[1] ?? '';
      const env = {
        ...process.env,
        AWS_ACCESS_KEY_ID: accessKeyId,
        AWS_SECRET_ACCESS_KEY: secretAccessKey,
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_CONFIG_FILE: join(dir, 'none'),
        AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'),
      };
      const endpoint = `http://127.0.0.1:${port}`;
      const ls = await run('aws', ['--endpoint-url', endpoint, 's3', 'ls'], { env });
      expect(ls.stdout).toMatch(/\bdemo\b/);
      writeFileSync(join(dir, 'hello.txt'), 'hello from the demo');
      await run('aws', ['--endpoint-url', endpoint, 's3', 'cp', join(dir, 'hello.txt'), 's3://demo/hello.txt'], { env });
      const cat = await run('aws', ['--endpoint-url', endpoint, 's3', 'cp', 's3://demo/hello.txt', '-'], { env });
      expect(cat.stdout).toBe('hello from the demo');
    } finally {
      child.kill('SIGTERM');
    }
  });
});
