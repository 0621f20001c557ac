/**
 * `npx tsx bench/compare.ts --src before=../s3gate-before --src after=. [--rounds 8] [--seconds 5] [--connections 64] [--put] [--large-mib N [--large-only]]`
 * (`--src NAME=DIR@warn` runs that tree at log level warn)
 *
 * Before/after comparison of s3gate source trees on a shared, noisy machine: every tree's
 * s3gate runs at the same time next to the bare pass-through (bench/bare-proxy.ts), and short
 * 1 KiB GET loads (optionally 64 KiB PUTs, and single large aws-chunked PUTs) go to each of
 * them in turn, in a fresh random order every round, so drift and other sessions' load hit
 * all of them alike. Prints every round and the median (and min–max) of req/s and server CPU
 * µs per request, and each tree's ratio to bare. Same pinning as bench/run.ts: wrk and the
 * upstream on CPU 0, the proxies on CPU 1. Not a substitute for `npm run bench` (the
 * reference figures); a tool to tell whether a change helps.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { EMPTY_SHA256, type BenchKey, sha256Hex, signRequest } from './sigv4-sign.js';
import { putStreamingObject, readCpuSeconds, sampleRss } from './transfer.js';
import { runWrk } from './wrk.js';

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i === -1 ? undefined : argv[i + 1];
};
/** `--src NAME=DIR[@LOGLEVEL]`: a tree to build s3gate from, and its log level (default info). */
const sources: { name: string; dir: string; logLevel: string }[] = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] !== '--src') continue;
  const m = /^([^=]+)=([^@]+)(?:@(\w+))?$/.exec(argv[i + 1] ?? '');
  if (m?.[1] === undefined || m[2] === undefined) throw new Error('--src NAME=DIR[@LOGLEVEL]');
  sources.push({ name: m[1], dir: resolve(m[2]), logLevel: m[3] ?? 'info' });
}
if (sources.length === 0) sources.push({ name: 'this', dir: resolve(fileURLToPath(new URL('..', import.meta.url))), logLevel: 'info' });
const rounds = Number(option('--rounds') ?? 8);
const seconds = Number(option('--seconds') ?? 5);
const withPut = argv.includes('--put');
/** Only the large transfers (the proxies stay fresh: their RSS is the transfers' alone). */
const largeOnly = argv.includes('--large-only');
const largeMiB = Number(option('--large-mib') ?? 0);
const nodeFlags = (option('--node-flags') ?? '').split(' ').filter((f) => f !== '');
const CONNECTIONS = Number(option('--connections') ?? 64);

const here = fileURLToPath(new URL('.', import.meta.url));
const root = resolve(here, '..');
const workDir = mkdtempSync(join(tmpdir(), 's3gate-compare-'));
const pinned = spawnSync('taskset', ['-V']).status === 0 && cpus().length >= 2;
const CLIENT_CPU = pinned ? '0' : undefined;
const PROXY_CPU = pinned ? '1' : undefined;
const KEY: BenchKey = { accessKeyId: 'AKBENCH0000000000001', secretAccessKey: 'bench/secret/key/0000000000000000000000', region: 'us-east-1' };
const BUCKET = 'bench';

interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number;
  readonly port: number;
  readonly url: string;
}
const children: Child[] = [];

function log(message: string): void {
  process.stderr.write(`[compare ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

const BENCH_FILES = ['child-ready.ts', 'child-profiler.ts', 'upstream-server.ts', 'bare-proxy.ts', 's3gate-server.ts'];

/** DIR/src and this tree's bench servers, transpiled one file to one file into BUILD/NAME (as bench/run.ts does). */
async function buildTree(name: string, dir: string): Promise<string> {
  const out = join(here, '.build', 'compare', name);
  rmSync(out, { recursive: true, force: true });
  const src = readdirSync(join(dir, 'src'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(dir, 'src', f));
  const common = { format: 'esm', platform: 'node', target: 'node20', bundle: false, sourcemap: false, logLevel: 'warning' } as const;
  await build({ ...common, entryPoints: src, outdir: join(out, 'src'), outbase: join(dir, 'src') });
  await build({ ...common, entryPoints: BENCH_FILES.map((f) => join(here, f)), outdir: join(out, 'bench'), outbase: here });
  return out;
}

async function startChild(name: string, script: string, args: string[], env: Record<string, string>, cpu: string | undefined, flags: string[] = []): Promise<Child> {
  const nodeArgs = [...flags, script, ...args];
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
  const c = { name, process: child, pid: child.pid, port, url: `http://127.0.0.1:${port}` };
  children.push(c);
  return c;
}

function proxyToml(upstreamUrl: string, logLevel: string): string {
  return `[server]
listen = "127.0.0.1:0"

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
bucket = "${BUCKET}"
prefixes = []
actions = ["*"]

[log]
level = "${logLevel}"
`;
}

function rawRequest(method: string, path: string, headers: Record<string, string>, body?: Buffer): Buffer {
  let head = `${method} ${path} HTTP/1.1\r\n`;
  for (const [n, v] of Object.entries(headers)) head += `${n}: ${v}\r\n`;
  head += '\r\n';
  return body === undefined ? Buffer.from(head) : Buffer.concat([Buffer.from(head), body]);
}

function getBatch(target: Child): Buffer[] {
  const now = new Date();
  const host = `127.0.0.1:${target.port}`;
  return Array.from({ length: 1000 }, (_, i) => {
    const path = `/${BUCKET}/small/size-1024/obj-${i}`;
    return rawRequest('GET', path, signRequest(KEY, 'GET', path, { host }, EMPTY_SHA256, now).headers);
  });
}

const PUT_BODY = Buffer.alloc(64 * 1024, 'b');
const PUT_SHA = sha256Hex(PUT_BODY);
function putBatch(target: Child): Buffer[] {
  const now = new Date();
  const host = `127.0.0.1:${target.port}`;
  return Array.from({ length: 64 }, (_, i) => {
    const path = `/${BUCKET}/put/obj-${i}`;
    return rawRequest('PUT', path, signRequest(KEY, 'PUT', path, { host, 'content-length': String(PUT_BODY.length) }, PUT_SHA, now).headers, PUT_BODY);
  });
}

interface Sample {
  rps: number;
  cpuUs: number;
  /** Peak RSS during a large transfer. */
  rssBytes?: number;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] ?? Number.NaN) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

function shuffle<T>(xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [xs[i], xs[j]] = [xs[j] as T, xs[i] as T];
  }
  return xs;
}

async function load(t: Child, kind: 'get' | 'put', durationSeconds: number): Promise<Sample> {
  const cpu0 = readCpuSeconds(t.pid);
  const r = await runWrk({ url: t.url, requests: kind === 'get' ? getBatch(t) : putBatch(t), connections: CONNECTIONS, durationSeconds, cpu: CLIENT_CPU, workDir, name: `${kind}-${t.name}` });
  if (r.non2xx > 0) throw new Error(`${t.name} ${kind}: ${r.non2xx} non-2xx answers`);
  return { rps: r.requestsPerSecond, cpuUs: ((readCpuSeconds(t.pid) - cpu0) * 1e6) / r.requests };
}

async function large(t: Child): Promise<Sample> {
  const cpu0 = readCpuSeconds(t.pid);
  const sampler = sampleRss(t.pid);
  const r = await putStreamingObject(t.url, KEY, `/${BUCKET}/large/compare`, largeMiB * 1048576);
  return { rps: r.mibPerSecond, cpuUs: ((readCpuSeconds(t.pid) - cpu0) * 1e6) / largeMiB, rssBytes: sampler.stop() };
}

async function main(): Promise<void> {
  log(`${sources.map((s) => `${s.name}=${s.dir}@${s.logLevel}`).join(', ')}; ${rounds} rounds × ${seconds} s; ${pinned ? 'pinned' : 'NOT pinned'}${nodeFlags.length > 0 ? `; s3gate node flags ${nodeFlags.join(' ')}` : ''}`);
  const builds = [];
  for (const s of sources) builds.push({ ...s, out: await buildTree(s.name, s.dir) });
  const first = builds[0];
  if (first === undefined) return;
  const upstream = await startChild('upstream', join(first.out, 'bench', 'upstream-server.js'), [], {}, CLIENT_CPU);
  const bare = await startChild('bare', join(first.out, 'bench', 'bare-proxy.js'), [], { BENCH_UPSTREAM: upstream.url, BENCH_CONNECTIONS: String(CONNECTIONS) }, PROXY_CPU);
  const targets = [bare];
  for (const b of builds) {
    const configPath = join(workDir, `${b.name}.toml`);
    writeFileSync(configPath, proxyToml(upstream.url, b.logLevel));
    targets.push(await startChild(b.name, join(b.out, 'bench', 's3gate-server.js'), [configPath], {}, PROXY_CPU, nodeFlags));
  }

  const kinds: ('get' | 'put' | 'large')[] = largeOnly ? ['large'] : ['get', ...(withPut ? (['put'] as const) : []), ...(largeMiB > 0 ? (['large'] as const) : [])];
  const samples = new Map<string, Sample[]>();
  for (const t of targets) for (const k of kinds) samples.set(`${t.name}/${k}`, []);
  for (const t of largeOnly ? [] : targets) {
    await load(t, 'get', 2);
    if (withPut) await load(t, 'put', 2);
  }
  for (let r = 0; r < rounds; r++) {
    const line: string[] = [];
    for (const t of shuffle([...targets])) {
      for (const k of kinds) {
        const s = k === 'large' ? await large(t) : await load(t, k, seconds);
        samples.get(`${t.name}/${k}`)?.push(s);
        line.push(`${t.name} ${k} ${s.rps.toFixed(0)}${k === 'large' ? ' MiB/s' : '/s'} ${s.cpuUs.toFixed(0)}${k === 'large' ? ` µs/MiB, RSS peak ${((s.rssBytes ?? 0) / 1048576).toFixed(0)} MiB` : ' µs'}`);
      }
    }
    log(`round ${r + 1}/${rounds}: ${line.join(' | ')}`);
  }
  const spread = (xs: number[]): string => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;
  for (const k of kinds) {
    const unit = k === 'large' ? ['MiB/s', 'CPU µs/MiB'] : ['req/s', 'CPU µs/req'];
    console.log(`\n${k === 'get' ? '1 KiB GET' : k === 'put' ? '64 KiB PUT' : `${largeMiB} MiB aws-chunked PUT`}, medians of ${rounds} (min–max):\n`);
    console.log(`| target | ${unit[0]} | ${unit[1]} | throughput / bare | bare CPU / CPU |${k === 'large' ? ' peak RSS (MiB, median, max) |' : ''}\n| --- | ---: | ---: | ---: | ---: |${k === 'large' ? ' ---: |' : ''}`);
    const bareSamples = samples.get(`bare/${k}`) ?? [];
    const bRps = median(bareSamples.map((s) => s.rps));
    const bCpu = median(bareSamples.map((s) => s.cpuUs));
    for (const t of targets) {
      const xs = samples.get(`${t.name}/${k}`) ?? [];
      const rps = xs.map((s) => s.rps);
      const cpu = xs.map((s) => s.cpuUs);
      // Per-round ratios too: within one round the machine's state is most alike.
      const perRound = xs.map((s, i) => s.rps / (bareSamples[i]?.rps ?? Number.NaN));
      console.log(
        `| ${t.name} | ${median(rps).toFixed(0)} (${spread(rps)}) | ${median(cpu).toFixed(0)} (${spread(cpu)}) | ${((median(rps) / bRps) * 100).toFixed(0)} % (per round ${(Math.min(...perRound) * 100).toFixed(0)}–${(Math.max(...perRound) * 100).toFixed(0)} %) | ${((bCpu / median(cpu)) * 100).toFixed(0)} % |${k === 'large' ? ` ${(median(xs.map((s) => s.rssBytes ?? 0)) / 1048576).toFixed(0)}, ${(Math.max(...xs.map((s) => s.rssBytes ?? 0)) / 1048576).toFixed(0)} |` : ''}`,
      );
    }
  }
}

try {
  await main();
} finally {
  for (const c of children) c.process.kill('SIGTERM');
  rmSync(workDir, { recursive: true, force: true });
}
