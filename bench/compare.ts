/**
 * `npx tsx bench/compare.ts --src before=../s3gate-before --src after=. [--rounds 8] [--seconds 5] [--connections 64] [--put] [--large-mib N [--large-only] [--crc32-trailer]]`
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
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BENCH_BUCKET, BENCH_DIR, BENCH_KEY, benchScript, buildBenchChildren, type Child, canPin, median, proxyToml, REPO_ROOT, shuffled, signedGetBatch, signedPutBatch, startChild, stopChildren } from './children.js';
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
if (sources.length === 0) sources.push({ name: 'this', dir: REPO_ROOT, logLevel: 'info' });
const rounds = Number(option('--rounds') ?? 8);
const seconds = Number(option('--seconds') ?? 5);
const withPut = argv.includes('--put');
/** Only the large transfers (the proxies stay fresh: their RSS is the transfers' alone). */
const largeOnly = argv.includes('--large-only');
const largeMiB = Number(option('--large-mib') ?? 0);
/** The large PUT as STREAMING-UNSIGNED-PAYLOAD-TRAILER with a CRC32 trailer instead of signed chunks. */
const largeMode = argv.includes('--crc32-trailer') ? 'crc32-trailer' : 'signed';
const nodeFlags = (option('--node-flags') ?? '').split(' ').filter((f) => f !== '');
const CONNECTIONS = Number(option('--connections') ?? 64);

const workDir = mkdtempSync(join(tmpdir(), 's3gate-compare-'));
const pinned = canPin();
const CLIENT_CPU = pinned ? '0' : undefined;
const PROXY_CPU = pinned ? '1' : undefined;
const children: Child[] = [];

function log(message: string): void {
  process.stderr.write(`[compare ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** DIR/src and this tree's bench servers, transpiled one file to one file into bench/.build/compare/NAME (as bench/run.ts does). */
function buildTree(name: string, dir: string): Promise<string> {
  return buildBenchChildren({ srcRoot: dir, outDir: join(BENCH_DIR, '.build', 'compare', name) });
}

interface Sample {
  rps: number;
  cpuUs: number;
  /** Peak RSS during a large transfer. */
  rssBytes?: number;
}

async function load(t: Child, kind: 'get' | 'put', durationSeconds: number): Promise<Sample> {
  const cpu0 = readCpuSeconds(t.pid);
  const r = await runWrk({ url: t.url, requests: kind === 'get' ? signedGetBatch(t) : signedPutBatch(t), connections: CONNECTIONS, durationSeconds, cpu: CLIENT_CPU, workDir, name: `${kind}-${t.name}` });
  if (r.non2xx > 0) throw new Error(`${t.name} ${kind}: ${r.non2xx} non-2xx answers`);
  return { rps: r.requestsPerSecond, cpuUs: ((readCpuSeconds(t.pid) - cpu0) * 1e6) / r.requests };
}

async function large(t: Child): Promise<Sample> {
  const cpu0 = readCpuSeconds(t.pid);
  const sampler = sampleRss(t.pid);
  const r = await putStreamingObject(t.url, BENCH_KEY, `/${BENCH_BUCKET}/large/compare`, largeMiB * 1048576, largeMode);
  return { rps: r.mibPerSecond, cpuUs: ((readCpuSeconds(t.pid) - cpu0) * 1e6) / largeMiB, rssBytes: sampler.stop() };
}

async function main(): Promise<void> {
  log(`${sources.map((s) => `${s.name}=${s.dir}@${s.logLevel}`).join(', ')}; ${rounds} rounds × ${seconds} s; ${pinned ? 'pinned' : 'NOT pinned'}${nodeFlags.length > 0 ? `; s3gate node flags ${nodeFlags.join(' ')}` : ''}`);
  const builds = [];
  for (const s of sources) builds.push({ ...s, out: await buildTree(s.name, s.dir) });
  const first = builds[0];
  if (first === undefined) return;
  const upstream = await startChild({ name: 'upstream', script: benchScript(first.out, 'upstream-server.ts'), cpu: CLIENT_CPU, children });
  const bare = await startChild({ name: 'bare', script: benchScript(first.out, 'bare-proxy.ts'), env: { BENCH_UPSTREAM: upstream.url, BENCH_CONNECTIONS: String(CONNECTIONS) }, cpu: PROXY_CPU, children });
  const targets = [bare];
  for (const b of builds) {
    const configPath = join(workDir, `${b.name}.toml`);
    writeFileSync(configPath, proxyToml({ upstreamUrl: upstream.url, connections: CONNECTIONS, logLevel: b.logLevel }));
    targets.push(await startChild({ name: b.name, script: benchScript(b.out, 's3gate-server.ts'), args: [configPath], cpu: PROXY_CPU, nodeFlags, children }));
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
    for (const t of shuffled(targets)) {
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
    console.log(`\n${k === 'get' ? '1 KiB GET' : k === 'put' ? '64 KiB PUT' : `${largeMiB} MiB aws-chunked PUT (${largeMode})`}, medians of ${rounds} (min–max):\n`);
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
  await stopChildren(children);
  rmSync(workDir, { recursive: true, force: true });
}
