/**
 * What the benchmark runners (bench/run.ts, bench/compare.ts, bench/audit-overhead.ts) share:
 * building s3gate and the bench servers to plain JavaScript, starting them as child processes
 * (optionally pinned to a CPU) and waiting for their ready message, stopping them, the
 * proxy.toml they run s3gate from, signed request batches for wrk, and small statistics.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { openSync, readdirSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { type BenchKey, EMPTY_SHA256, sha256Hex, signRequest } from './sigv4-sign.js';

/** This folder (bench/) and the repository root (the children's working directory). */
export const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
export const REPO_ROOT = resolve(BENCH_DIR, '..');

// ---------------------------------------------------------------------------------------
// build

/** The bench servers the runners start (and the modules they import). */
export const BENCH_CHILD_FILES: readonly string[] = ['child-ready.ts', 'child-profiler.ts', 'upstream-server.ts', 'bare-proxy.ts', 's3gate-server.ts'];

/**
 * The servers run as plain JavaScript, as in the Docker image (tsc output): each file of
 * SRCROOT/src and the bench servers transpiled one to one (not bundled, so profiles keep file
 * names) by esbuild, which tsx brings, into OUTDIR/src and OUTDIR/bench (so the bench
 * servers' `../src/…` imports resolve whichever tree SRCROOT is). Running them under tsx
 * would add its loader thread (~40 MB RSS) to every figure. OUTDIR is emptied first.
 */
export async function buildBenchChildren(options: { srcRoot: string; outDir: string; benchFiles?: readonly string[] }): Promise<string> {
  const { srcRoot, outDir, benchFiles = BENCH_CHILD_FILES } = options;
  const src = readdirSync(join(srcRoot, 'src'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(srcRoot, 'src', f));
  rmSync(outDir, { recursive: true, force: true });
  const common = { format: 'esm', platform: 'node', target: 'node20', bundle: false, sourcemap: false, logLevel: 'warning' } as const;
  await build({ ...common, entryPoints: src, outdir: join(outDir, 'src'), outbase: join(srcRoot, 'src') });
  await build({ ...common, entryPoints: benchFiles.map((f) => join(BENCH_DIR, f)), outdir: join(outDir, 'bench'), outbase: BENCH_DIR });
  return outDir;
}

/** Where buildBenchChildren put a bench server: `benchScript(out, 'bare-proxy.ts')` → OUT/bench/bare-proxy.js. */
export function benchScript(outDir: string, file: string): string {
  return join(outDir, 'bench', file.replace(/\.ts$/, '.js'));
}

// ---------------------------------------------------------------------------------------
// child processes

export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number;
  readonly port: number;
  readonly url: string;
}

export interface StartChildOptions {
  readonly name: string;
  /** The built JavaScript file to run (see benchScript). */
  readonly script: string;
  readonly args?: readonly string[];
  /** Added to this process's environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Start it under `taskset -c CPU`; undefined: not pinned. */
  readonly cpu?: string | undefined;
  /** node's own flags, before the script. */
  readonly nodeFlags?: readonly string[];
  /** Where the started child is recorded (for stopChildren). */
  readonly children: Child[];
}

/**
 * Starts `node [nodeFlags] script [args]` in the repository root with stdout to /dev/null and
 * stderr inherited, waits (30 s at most) for its IPC ready message `{"port": N}` (see
 * bench/child-ready.ts) and records it in `children`.
 */
export async function startChild(options: StartChildOptions): Promise<Child> {
  const { name, script, args = [], env = {}, cpu, nodeFlags = [], children } = options;
  const nodeArgs = [...nodeFlags, script, ...args];
  const [cmd, cmdArgs] = cpu === undefined ? [process.execPath, nodeArgs] : ['taskset', ['-c', cpu, process.execPath, ...nodeArgs]];
  const child = spawn(cmd, cmdArgs, { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', openSync('/dev/null', 'w'), 'inherit', 'ipc'] });
  const port = await new Promise<number>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`${name} did not start in 30 s`)), 30_000);
    child.once('message', (m) => {
      clearTimeout(timer);
      ok((JSON.parse(String(m)) as { port: number }).port);
    });
    child.once('exit', (code) => fail(new Error(`${name} exited with ${code} before it was ready`)));
  });
  if (child.pid === undefined) throw new Error(`${name} has no pid`);
  const c: Child = { name, process: child, pid: child.pid, port, url: `http://127.0.0.1:${port}` };
  children.push(c);
  return c;
}

const exited = (c: Child): boolean => c.process.exitCode !== null || c.process.signalCode !== null;

/** SIGTERM, SIGKILL if it has not exited 10 s later; resolves once it has exited and is out of `children`. */
export async function stopChild(c: Child, children: Child[]): Promise<void> {
  if (!exited(c)) {
    await new Promise<void>((ok) => {
      const timer = setTimeout(() => c.process.kill('SIGKILL'), 10_000);
      c.process.once('exit', () => {
        clearTimeout(timer);
        ok();
      });
      c.process.kill('SIGTERM');
    });
  }
  const i = children.indexOf(c);
  if (i !== -1) children.splice(i, 1);
}

/** stopChild for every child in the list, all at once; the list is empty afterwards. */
export async function stopChildren(children: Child[]): Promise<void> {
  await Promise.all([...children].map((c) => stopChild(c, children)));
}

/** SIGKILL to every child in the list, at once and without waiting (for SIGINT handlers). */
export function killChildren(children: readonly Child[]): void {
  for (const c of children) c.process.kill('SIGKILL');
}

// ---------------------------------------------------------------------------------------
// pinning

/** Whether taskset is there and there are two CPUs to pin to. */
export function canPin(): boolean {
  return spawnSync('taskset', ['-V']).status === 0 && cpus().length >= 2;
}

/** Every thread of process `pid` to `cpu` (`taskset -a -p -c`); undefined: nothing. */
export function pinProcess(pid: number, cpu: string | undefined): void {
  if (cpu === undefined) return;
  spawnSync('taskset', ['-a', '-p', '-c', cpu, String(pid)], { stdio: 'ignore' });
}

// ---------------------------------------------------------------------------------------
// what the children serve

export const BENCH_KEY: BenchKey = { accessKeyId: 'AKBENCH0000000000001', secretAccessKey: 'bench/secret/key/0000000000000000000000', region: 'us-east-1' };
export const BENCH_BUCKET = 'bench';

/** s3gate's proxy.toml for the benchmarks: one backend (the upstream stand-in), BENCH_KEY allowed everything in BENCH_BUCKET. */
export function proxyToml(options: {
  upstreamUrl: string;
  connections: number;
  logLevel: string;
  /** Sections between [server] and [[backends]] ([store], [admin], [audit]), each ending in a newline. */
  extraSections?: string;
}): string {
  const { upstreamUrl, connections, logLevel, extraSections = '' } = options;
  return `[server]
listen = "127.0.0.1:0"

${extraSections === '' ? '' : `${extraSections}\n`}[[backends]]
name = "default"
endpoint = "${upstreamUrl}"
region = "us-east-1"
access_key_id = "UPSTREAMADMIN"
secret_access_key = "upstream/admin/secret/000000000000000000"
path_style = true
connections = ${connections}

[[credentials]]
access_key_id = "${BENCH_KEY.accessKeyId}"
secret_access_key = "${BENCH_KEY.secretAccessKey}"
principal_name = "bench"
created_at = "2025-01-01T00:00:00Z"
enabled = true

[[credentials.allowed_scopes]]
bucket = "${BENCH_BUCKET}"
prefixes = []
actions = ["*"]

[log]
level = "${logLevel}"
`;
}

// ---------------------------------------------------------------------------------------
// signed request batches for wrk

export function rawRequest(method: string, path: string, headers: Record<string, string>, body?: Buffer): Buffer {
  let head = `${method} ${path} HTTP/1.1\r\n`;
  for (const [n, v] of Object.entries(headers)) head += `${n}: ${v}\r\n`;
  head += '\r\n';
  return body === undefined ? Buffer.from(head) : Buffer.concat([Buffer.from(head), body]);
}

/** 1000 fresh, validly signed GETs of /bench/small/size-SIZE/obj-I for `target` (the host header is the target's). */
export function signedGetBatch(target: Child, size = 1024): Buffer[] {
  const now = new Date();
  const host = `127.0.0.1:${target.port}`;
  return Array.from({ length: 1000 }, (_, i) => {
    const path = `/${BENCH_BUCKET}/small/size-${size}/obj-${i}`;
    return rawRequest('GET', path, signRequest(BENCH_KEY, 'GET', path, { host }, EMPTY_SHA256, now).headers);
  });
}

const PUT_BODY = Buffer.alloc(64 * 1024, 'b');
const PUT_BODY_SHA256 = sha256Hex(PUT_BODY);

/** 64 fresh, validly signed 64 KiB PUTs of /bench/put/obj-I for `target`. */
export function signedPutBatch(target: Child): Buffer[] {
  const now = new Date();
  const host = `127.0.0.1:${target.port}`;
  return Array.from({ length: 64 }, (_, i) => {
    const path = `/${BENCH_BUCKET}/put/obj-${i}`;
    const signed = signRequest(BENCH_KEY, 'PUT', path, { host, 'content-length': String(PUT_BODY.length) }, PUT_BODY_SHA256, now);
    return rawRequest('PUT', path, signed.headers, PUT_BODY);
  });
}

// ---------------------------------------------------------------------------------------
// statistics

/** Median; NaN for no values. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? Number.NaN : s.length % 2 === 1 ? (s[m] ?? Number.NaN) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

/** Linear-interpolated quantile, q in [0, 1]; NaN for no values. */
export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (s[lo] ?? 0) + ((s[hi] ?? 0) - (s[lo] ?? 0)) * (pos - lo);
}

/** A copy of `xs` in random order (Fisher–Yates). */
export function shuffled<T>(xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
