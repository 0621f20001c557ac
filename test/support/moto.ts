/**
 * Starts a real S3 upstream for a test: moto_server with its SigV4 checks switched on
 * (INITIAL_NO_AUTH_ACTION_COUNT=0), through test/support/moto_server_patched.py which fixes
 * moto's verifier for percent-encoded URIs (see that file). The admin key it prints is the
 * only key moto accepts, so a re-signing bug in s3gate fails the test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { S3Client } from '@aws-sdk/client-s3';

export interface MotoServer {
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** An S3 client talking to moto directly with the admin key (to set up and inspect). */
  readonly admin: S3Client;
  /** Request lines moto logged (e.g. `"PUT /bucket/key HTTP/1.1" 200`), to prove what reached it. */
  readonly requests: string[];
  stop(): Promise<void>;
}

const SCRIPT = fileURLToPath(new URL('./moto_server_patched.py', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startMoto(): Promise<MotoServer> {
  const port = await freePort();
  const child = spawn('python3', [SCRIPT, '--create-admin', '-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, INITIAL_NO_AUTH_ACTION_COUNT: '0', MOTO_ALLOW_NONEXISTENT_REGION: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keys = await waitForStart(child);
  const requests: string[] = [];
  const collect = (data: Buffer): void => {
    for (const line of data.toString().split('\n')) {
      const match = /"([A-Z]+ \S+ HTTP\/1\.1)" (\d+)/.exec(line);
      if (match !== null) requests.push(`${match[1]} ${match[2]}`);
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const endpoint = `http://127.0.0.1:${port}`;
  const admin = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: keys,
  });
  return {
    endpoint,
    ...keys,
    admin,
    requests,
    stop: async () => {
      admin.destroy();
      if (child.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}

function waitForStart(child: ChildProcess): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  return new Promise((resolve, reject) => {
    let keys: { accessKeyId: string; secretAccessKey: string } | undefined;
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`moto_server did not start within 20 s:\n${output}`));
    }, 20_000);
    const onData = (data: Buffer): void => {
      output += data.toString();
      const match = /S3GATE_MOTO_ADMIN (\{.*\})/.exec(output);
      if (match?.[1] !== undefined && keys === undefined) keys = JSON.parse(match[1]) as { accessKeyId: string; secretAccessKey: string };
      if (keys !== undefined && output.includes('Running on')) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stderr?.off('data', onData);
        resolve(keys);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`moto_server exited with ${code}:\n${output}`));
    });
  });
}
