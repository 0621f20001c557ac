/**
 * `npm run bench:audit` — what the audit trail costs the small-GET path (issue 3: "with audit
 * sampling at 0 and at 1 the proxy's small-GET throughput drops no more than 5 %").
 *
 * One run, one upstream (bench/upstream-server.ts), four servers measured under the same
 * 1 KiB GET load, interleaved within each repeat:
 *   bare        the fastify + undici pass-through (the yardstick of bench/run.ts)
 *   s3gate      proxy.toml keys only: no store, no audit table (the core issue's figure)
 *   audit-0     [store] + [audit] read_sample_rate = 0 (successful GETs are not recorded)
 *   audit-1     [store] + [audit] read_sample_rate = 1 (every GET is a row, batched into SQLite)
 * Pinned like bench/run.ts: wrk and the upstream on CPU 0, the server under test on CPU 1
 * (its audit writes share that core). Every round runs the four in a new random order; besides
 * the medians of req/s and server CPU µs per request it prints the per-round ratios to
 * `s3gate` (median and quartiles): on this shared machine one server's CPU cost drifts by
 * ±25 % between minutes, and a ratio taken within one round cancels most of that drift.
 *
 * Threads: by default each server's event-loop thread has CPU 1 and its other threads (V8's GC
 * and compiler helpers, libuv's pool, s3gate's audit writer) are moved to CPU 0 next to wrk and
 * the upstream — as on any multi-core host, where helper threads use the spare cores. The same
 * placement for all four servers. `--one-core` keeps every thread on CPU 1 instead: then CPU
 * µs per request is the whole cost of each server on one core.
 *
 *   --one-core           every thread of the servers on CPU 1
 *   --quick              3 s loads, 1 round
 *   --repeats N          rounds (default 12)
 *   --seconds N          seconds per load (default 5)
 *   --cpu-prof-dir DIR   V8 CPU profiles of the three s3gate servers (DIR/<server>/*.cpuprofile)
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { build } from 'esbuild';
import { type BenchKey, EMPTY_SHA256, signRequest } from './sigv4-sign.js';
import { readCpuSeconds } from './transfer.js';
import { runWrk } from './wrk.js';

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i === -1 ? undefined : argv[i + 1];
};
const quick = argv.includes('--quick');
const repeats = Number(option('--repeats') ?? (quick ? 1 : 12));
const seconds = Number(option('--seconds') ?? (quick ? 3 : 5));
const CONNECTIONS = 64;

const here = fileURLToPath(new URL('.', import.meta.url));
const root = resolve(here, '..');
const BUILD_DIR = join(here, '.build-audit');
const workDir = mkdtempSync(join(tmpdir(), 's3gate-bench-audit-'));
const pinned = spawnSync('taskset', ['-V']).status === 0 && cpus().length >= 2;
const CLIENT_CPU = pinned ? '0' : undefined;
const PROXY_CPU = pinned ? '1' : undefined;
const oneCore = argv.includes('--one-core');

/** The server's threads other than its event loop to CPU 0 (see the header); main thread stays on CPU 1. */
function moveHelperThreads(pid: number): number {
  if (!pinned || oneCore) return 0;
  let moved = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    if (tid === String(pid)) continue;
    if (spawnSync('taskset', ['-p', '-c', '0', tid], { stdio: 'ignore' }).status === 0) moved++;
  }
  return moved;
}
const KEY: BenchKey = { accessKeyId: 'AKBENCH0000000000001', secretAccessKey: 'bench/secret/key/0000000000000000000000', region: 'us-east-1' };
const MASTER_KEY = 'ab'.repeat(32);

type Variant = 'bare' | 's3gate' | 'audit-0' | 'audit-1';
const VARIANTS: readonly Variant[] = ['bare', 's3gate', 'audit-0', 'audit-1'];

interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number;
  readonly port: number;
  readonly url: string;
}
const children: Child[] = [];

function log(message: string): void {
  process.stderr.write(`[bench-audit ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

async function buildChildren(): Promise<void> {
  const src = readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(root, 'src', f));
  const benchFiles = ['child-ready.ts', 'child-profiler.ts', 'upstream-server.ts', 'bare-proxy.ts', 's3gate-server.ts'].map((f) => join(here, f));
  rmSync(BUILD_DIR, { recursive: true, force: true });
  const common = { format: 'esm', platform: 'node', target: 'node20', bundle: false, sourcemap: false, logLevel: 'warning' } as const;
  await build({ ...common, entryPoints: src, outdir: join(BUILD_DIR, 'src'), outbase: join(root, 'src') });
  await build({ ...common, entryPoints: benchFiles, outdir: join(BUILD_DIR, 'bench'), outbase: here });
}

async function startChild(name: string, script: string, args: string[], env: Record<string, string>, cpu: string | undefined, nodeFlags: string[] = []): Promise<Child> {
  const nodeArgs = [...nodeFlags, join(BUILD_DIR, 'bench', script.replace(/\.ts$/, '.js')), ...args];
  const [cmd, cmdArgs] = cpu === undefined ? [process.execPath, nodeArgs] : ['taskset', ['-c', cpu, process.execPath, ...nodeArgs]];
  const child = spawn(cmd, cmdArgs, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', openSync('/dev/null', 'w'), 'inherit', 'ipc'] });
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

async function stopAll(): Promise<void> {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((ok) => {
          if (c.process.exitCode !== null) return ok();
          c.process.once('exit', () => ok());
          c.process.kill('SIGTERM');
        }),
    ),
  );
}

function proxyToml(upstreamUrl: string, store: { dir: string; rate: number } | undefined): string {
  const storeToml =
    store === undefined
      ? ''
      : `[store]\npath = "${store.dir}"\n\n[admin]\nenabled = false\n\n[audit]\nread_sample_rate = ${store.rate}\n`;
  return `[server]
listen = "127.0.0.1:0"

${storeToml}
[[backends]]
name = "default"
endpoint = "${upstreamUrl}"
region = "us-east-1"
access_key_id = "UPSTREAMADMIN"
secret_access_key = "upstream/admin/secret/000000000000000000"
path_style = true
connections = ${CONNECTIONS}

[[credentials]]
access_key_id = "${KEY.accessKeyId}"
secret_access_key = "${KEY.secretAccessKey}"
principal_name = "bench"
created_at = "2025-01-01T00:00:00Z"
enabled = true

[[credentials.allowed_scopes]]
bucket = "bench"
prefixes = []
actions = ["*"]

[log]
level = "info"
`;
}

async function startS3gate(name: Variant, upstreamUrl: string, store: { dir: string; rate: number } | undefined): Promise<Child> {
  const configPath = join(workDir, `${name}.toml`);
  writeFileSync(configPath, proxyToml(upstreamUrl, store));
  const profileDir = option('--cpu-prof-dir');
  const flags = profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${resolve(profileDir, name)}`];
  return startChild(name, 's3gate-server.ts', [configPath], { S3GATE_MASTER_KEY: MASTER_KEY }, PROXY_CPU, flags);
}

function getBatch(target: Child): Buffer[] {
  const now = new Date();
  const host = `127.0.0.1:${target.port}`;
  return Array.from({ length: 1000 }, (_, i) => {
    const path = `/bench/small/size-1024/obj-${i}`;
    let head = `GET ${path} HTTP/1.1\r\n`;
    for (const [n, v] of Object.entries(signRequest(KEY, 'GET', path, { host }, EMPTY_SHA256, now).headers)) head += `${n}: ${v}\r\n`;
    return Buffer.from(`${head}\r\n`);
  });
}

/** Linear-interpolated quantile, q in [0, 1]. */
function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (s[lo] ?? 0) + ((s[hi] ?? 0) - (s[lo] ?? 0)) * (pos - lo);
}

function shuffled<T>(xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] ?? Number.NaN) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

async function main(): Promise<void> {
  if (pinned) spawnSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
  const placement = oneCore ? 'every server thread on CPU 1' : "server event loops on CPU 1, the servers' other threads on CPU 0";
  log(`node ${process.version}, ${pinned ? `pinned: wrk + upstream CPU 0, ${placement}` : 'NOT pinned'}, ${repeats} × ${seconds} s, ${CONNECTIONS} connections`);
  await buildChildren();
  const upstream = await startChild('upstream', 'upstream-server.ts', [], {}, CLIENT_CPU);
  const dirs = { 'audit-0': join(workDir, 'data-0'), 'audit-1': join(workDir, 'data-1') };
  const targets: Record<Variant, Child> = {
    bare: await startChild('bare', 'bare-proxy.ts', [], { BENCH_UPSTREAM: upstream.url, BENCH_CONNECTIONS: String(CONNECTIONS) }, PROXY_CPU),
    s3gate: await startS3gate('s3gate', upstream.url, undefined),
    'audit-0': await startS3gate('audit-0', upstream.url, { dir: dirs['audit-0'], rate: 0 }),
    'audit-1': await startS3gate('audit-1', upstream.url, { dir: dirs['audit-1'], rate: 1 }),
  };
  for (const v of VARIANTS) {
    const moved = moveHelperThreads(targets[v].pid);
    if (moved > 0) log(`${v}: ${moved} helper threads moved to CPU 0`);
  }
  const rps: Record<Variant, number[]> = { bare: [], s3gate: [], 'audit-0': [], 'audit-1': [] };
  const cpuUs: Record<Variant, number[]> = { bare: [], s3gate: [], 'audit-0': [], 'audit-1': [] };
  for (const v of VARIANTS) {
    await runWrk({ url: targets[v].url, requests: getBatch(targets[v]), connections: CONNECTIONS, durationSeconds: quick ? 1 : 2, cpu: CLIENT_CPU, workDir, name: `warm-${v}` });
  }
  for (let r = 0; r < repeats; r++) {
    for (const v of shuffled(VARIANTS)) {
      const t = targets[v];
      const cpu0 = readCpuSeconds(t.pid);
      const res = await runWrk({ url: t.url, requests: getBatch(t), connections: CONNECTIONS, durationSeconds: seconds, cpu: CLIENT_CPU, workDir, name: `get-${v}` });
      if (res.non2xx > 0) throw new Error(`${v}: ${res.non2xx} non-2xx answers: the measurement is invalid`);
      rps[v].push(res.requestsPerSecond);
      cpuUs[v].push(((readCpuSeconds(t.pid) - cpu0) * 1e6) / res.requests);
      log(`round ${r + 1}/${repeats} ${v}: ${res.requestsPerSecond.toFixed(0)} req/s, ${cpuUs[v].at(-1)?.toFixed(0)} CPU µs/req`);
    }
  }
  await stopAll();
  // Proof the variants did what they claim: rate 0 wrote no GET rows, rate 1 one per request.
  const rows = (dir: string): number => {
    const db = new Database(join(dir, 's3gate.db'), { readonly: true });
    // Successful GETs only: wrk hangs up on the requests in flight when a load ends, and those
    // are always recorded (ClientClosedRequest).
    const n = (db.prepare("SELECT count(*) AS n FROM audit WHERE action = 's3.proxy.GetObject' AND outcome = 'success'").get() as { n: number }).n;
    db.close();
    return n;
  };
  // Per round: the variant's req/s over s3gate's, and s3gate's CPU µs/req over the variant's.
  const perRound = (v: Variant, figures: Record<Variant, number[]>, invert: boolean): number[] =>
    figures[v].map((x, i) => {
      const base = figures.s3gate[i] ?? Number.NaN;
      return invert ? base / x : x / base;
    });
  const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
  const spread = (xs: readonly number[]): string => `${pct(median(xs))} (${pct(quantile(xs, 0.25))}–${pct(quantile(xs, 0.75))})`;
  const line = (v: Variant): string =>
    `| ${v} | ${median(rps[v]).toFixed(0)} | ${median(cpuUs[v]).toFixed(0)} | ${spread(perRound(v, rps, false))} | ${spread(perRound(v, cpuUs, true))} |`;
  process.stdout.write(
    [
      '',
      `s3gate audit overhead — ${new Date().toISOString()} — ${repeats} rounds × ${seconds} s, 1 KiB GET, ${CONNECTIONS} connections, ${pinned ? placement : 'not pinned'}`,
      '',
      '| server | req/s (median) | CPU µs/req (median) | req/s vs s3gate, per round: median (quartiles) | CPU efficiency vs s3gate, per round: median (quartiles) |',
      '| --- | ---: | ---: | ---: | ---: |',
      ...VARIANTS.map(line),
      '',
      `successful GetObject audit rows: audit-0 ${rows(dirs['audit-0'])}, audit-1 ${rows(dirs['audit-1'])}`,
      '',
    ].join('\n'),
  );
}

main().then(
  () => process.exit(0),
  async (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    await stopAll();
    process.exit(1);
  },
);
