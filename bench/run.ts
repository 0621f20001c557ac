/**
 * `npm run bench` — one run, three paths, one upstream:
 *   direct  client → upstream stand-in
 *   bare    client → bare fastify + undici pass-through (bench/bare-proxy.ts) → upstream
 *   s3gate  client → s3gate (child process, generated proxy.toml) → upstream
 *
 * Workloads: 1 KiB GET (req/s at 64 connections, p50/p99), 64 KiB PUT (req/s), 1 GiB
 * aws-chunked PUT with signed chunks and with unsigned chunks and a CRC32 trailer (what
 * current SDKs send over https), 1 GiB GET (MiB/s, one stream), proxy peak RSS for 64 MiB
 * vs 1 GiB. Flags:
 *   --quick             ~1 minute smoke run (3 s loads, 1 repeat, 256 MiB large objects)
 *   --profile           afterwards, CPU-profile s3gate's small-GET path (V8 profiler, warm window)
 *   --profile-only      only that profile (no measurements)
 *   --small-only        skip the large-object transfers
 *   --profile-large     only CPU profiles of bare and s3gate during one large aws-chunked PUT and GET
 *   --log-level LEVEL   s3gate's log level (default info, as deployed; logs go to /dev/null)
 *   --repeats N, --seconds N, --large-mib N   override the defaults (3, 10, 1024)
 *   --json FILE         also write the raw figures as JSON
 *   --s3gate-src DIR    build s3gate from DIR/src instead of this tree's src/ (before/after
 *                       comparisons: point it at a `git worktree` of the other revision)
 *
 * Pinning (2 cores): wrk and this runner (the large-transfer client) on CPU 0; the proxy
 * under test (bare or s3gate) on CPU 1; the upstream on CPU 0 while a proxy is measured and
 * on CPU 1 for the direct path (moved with `taskset -a -p`), so the process being measured
 * always has a core of its own. Without taskset nothing is pinned (and the report says so).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BENCH_BUCKET, BENCH_DIR, BENCH_KEY, benchScript, buildBenchChildren, type Child, canPin, killChildren, median, pinProcess, proxyToml, REPO_ROOT, signedGetBatch, signedPutBatch, startChild as startChildProcess, stopChild as stopChildProcess, stopChildren } from './children.js';
import { formatProfileSummary, summarizeProfile } from './profile-summary.js';
import { getObject, putStreamingObject, readCpuSeconds, readHwm, readRss, sampleRss } from './transfer.js';
import { runWrk, type WrkResult } from './wrk.js';

// ---------------------------------------------------------------------------------------
// options

const argv = process.argv.slice(2);
const flag = (name: string): boolean => argv.includes(name);
const option = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i === -1 ? undefined : argv[i + 1];
};
const quick = flag('--quick');
const repeats = Number(option('--repeats') ?? (quick ? 1 : 3));
const seconds = Number(option('--seconds') ?? (quick ? 3 : 10));
const warmupSeconds = quick ? 1 : 2;
let largeBytes = Number(option('--large-mib') ?? (quick ? 256 : 1024)) * 1048576;
const flatBytes = 64 * 1048576;
const logLevel = option('--log-level') ?? 'info';
const profile = flag('--profile');
const jsonOut = option('--json');
const s3gateSrc = option('--s3gate-src');
const CONNECTIONS = 64;

const srcRoot = s3gateSrc === undefined ? REPO_ROOT : resolve(s3gateSrc);
const workDir = mkdtempSync(join(tmpdir(), 's3gate-bench-'));
const pinned = canPin();
const CLIENT_CPU = pinned ? '0' : undefined;
const PROXY_CPU = pinned ? '1' : undefined;

const SMALL = 1024;

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

// ---------------------------------------------------------------------------------------
// child processes

const children: Child[] = [];

const BUILD_DIR = join(BENCH_DIR, '.build');

/** s3gate's src/ (this tree's or --s3gate-src's) and the bench servers, as plain JavaScript in bench/.build (see buildBenchChildren). */
async function buildChildren(): Promise<void> {
  await buildBenchChildren({ srcRoot, outDir: BUILD_DIR });
}

function startChild(name: string, script: string, args: string[], env: Record<string, string>, cpu: string | undefined, nodeFlags: string[] = []): Promise<Child> {
  return startChildProcess({ name, script: benchScript(BUILD_DIR, script), args, env, cpu, nodeFlags, children });
}

function stopChild(c: Child): Promise<void> {
  return stopChildProcess(c, children);
}

async function startS3gate(upstreamUrl: string, nodeFlags: string[] = []): Promise<Child> {
  const configPath = join(workDir, 'proxy.toml');
  writeFileSync(configPath, proxyToml({ upstreamUrl, connections: CONNECTIONS, logLevel }));
  return startChild('s3gate', 's3gate-server.ts', [configPath], {}, PROXY_CPU, nodeFlags);
}

/** One request of each kind through `target`, checked, before anything is timed. */
async function sanityCheck(target: Child): Promise<void> {
  const base = target.url;
  log(`sanity check: ${target.name} (${base})`);
  const get = await getObject(base, BENCH_KEY, `/${BENCH_BUCKET}/check/size-${SMALL}`, SMALL);
  if (get.status !== 200) throw new Error(`${target.name}: GET answered ${get.status}`);
  log(`  GET ${get.status}`);
  await putStreamingObject(base, BENCH_KEY, `/${BENCH_BUCKET}/check/chunked`, 200_000);
  log('  aws-chunked PUT 200');
  await putStreamingObject(base, BENCH_KEY, `/${BENCH_BUCKET}/check/chunked-crc32`, 200_000, 'crc32-trailer');
  log('  aws-chunked PUT with a CRC32 trailer 200');
  const put = signedPutBatch(target)[0];
  if (put === undefined) throw new Error('no PUT request');
  const status = await rawStatus(target.port, put);
  if (status !== 200) throw new Error(`${target.name}: 64 KiB PUT answered ${status}`);
}

async function rawStatus(port: number, raw: Buffer): Promise<number> {
  const { connect } = await import('node:net');
  return new Promise((ok, fail) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(raw));
    socket.setTimeout(10_000, () => fail(new Error('no answer in 10 s')));
    let data = '';
    socket.on('data', (d: Buffer) => {
      data += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      if (m?.[1] !== undefined && data.includes('\r\n\r\n')) {
        socket.destroy();
        ok(Number(m[1]));
      }
    });
    socket.on('error', fail);
  });
}

// ---------------------------------------------------------------------------------------
// measurements

type PathName = 'direct' | 'bare' | 's3gate';
const PATHS: readonly PathName[] = ['direct', 'bare', 's3gate'];

interface Figures {
  getRps: number[];
  getP50Ms: number[];
  getP99Ms: number[];
  /** CPU µs (user + system) of the server under test per request: robust to a busy machine. */
  getCpuUs: number[];
  putRps: number[];
  putCpuUs: number[];
  largePutMiBs: number[];
  /** STREAMING-UNSIGNED-PAYLOAD-TRAILER with x-amz-checksum-crc32: what current SDKs send over https. */
  largeTrailerPutMiBs: number[];
  largeGetMiBs: number[];
  rssFlatPut?: number;
  rssFlatGet?: number;
  rssLargePut?: number;
  rssLargeGet?: number;
  rssIdle?: number;
  rssAfterSmall?: number;
  hwm?: number;
}

function checkWrk(path: string, what: string, r: WrkResult): void {
  if (r.non2xx > 0) throw new Error(`${path} ${what}: ${r.non2xx} of ${r.requests} responses were not 2xx: the measurement is invalid`);
  if (r.socketErrors > CONNECTIONS) log(`warning: ${path} ${what}: ${r.socketErrors} socket errors`);
}

async function main(): Promise<void> {
  if (pinned) pinProcess(process.pid, CLIENT_CPU);
  log(`node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ${pinned ? 'pinned: client+wrk CPU 0, proxy CPU 1' : 'NOT pinned'}; ${quick ? 'quick' : 'full'} run: ${seconds} s x ${repeats}, large ${largeBytes / 1048576} MiB, s3gate log level ${logLevel}`);
  await buildChildren();
  const upstream = await startChild('upstream', 'upstream-server.ts', [], {}, CLIENT_CPU);
  const bare = await startChild('bare', 'bare-proxy.ts', [], { BENCH_UPSTREAM: upstream.url, BENCH_CONNECTIONS: String(CONNECTIONS) }, PROXY_CPU);
  const s3gate = await startS3gate(upstream.url);
  const targets: Record<PathName, Child> = { direct: upstream, bare, s3gate };
  for (const p of PATHS) await sanityCheck(targets[p]);
  log('sanity checks passed (signed GET, 64 KiB PUT and aws-chunked PUT on every path)');
  if (flag('--profile-large')) {
    await profileLarge(upstream, bare, s3gate);
    return;
  }
  if (flag('--profile-only')) {
    await stopChild(s3gate);
    await profileSmallGet(upstream, bare);
    return;
  }

  const figures: Record<PathName, Figures> = {
    direct: { getRps: [], getP50Ms: [], getP99Ms: [], getCpuUs: [], putRps: [], putCpuUs: [], largePutMiBs: [], largeTrailerPutMiBs: [], largeGetMiBs: [] },
    bare: { getRps: [], getP50Ms: [], getP99Ms: [], getCpuUs: [], putRps: [], putCpuUs: [], largePutMiBs: [], largeTrailerPutMiBs: [], largeGetMiBs: [] },
    s3gate: { getRps: [], getP50Ms: [], getP99Ms: [], getCpuUs: [], putRps: [], putCpuUs: [], largePutMiBs: [], largeTrailerPutMiBs: [], largeGetMiBs: [] },
  };
  const placeUpstream = (p: PathName): void => pinProcess(upstream.pid, p === 'direct' ? PROXY_CPU : CLIENT_CPU);

  // small requests: paths interleaved within each repeat so drift hits all of them alike
  for (const p of PATHS) {
    placeUpstream(p);
    await runWrk({ url: targets[p].url, requests: signedGetBatch(targets[p]), connections: CONNECTIONS, durationSeconds: warmupSeconds, cpu: CLIENT_CPU, workDir, name: `warm-${p}` });
  }
  for (let r = 0; r < repeats; r++) {
    for (const p of PATHS) {
      placeUpstream(p);
      const t = targets[p];
      let cpu0 = readCpuSeconds(t.pid);
      const get = await runWrk({ url: t.url, requests: signedGetBatch(t), connections: CONNECTIONS, durationSeconds: seconds, cpu: CLIENT_CPU, workDir, name: `get-${p}` });
      checkWrk(p, '1 KiB GET', get);
      figures[p].getRps.push(get.requestsPerSecond);
      figures[p].getP50Ms.push(get.p50Ms);
      figures[p].getP99Ms.push(get.p99Ms);
      figures[p].getCpuUs.push(((readCpuSeconds(t.pid) - cpu0) * 1e6) / get.requests);
      cpu0 = readCpuSeconds(t.pid);
      const put = await runWrk({ url: t.url, requests: signedPutBatch(t), connections: CONNECTIONS, durationSeconds: seconds, cpu: CLIENT_CPU, workDir, name: `put-${p}` });
      checkWrk(p, '64 KiB PUT', put);
      figures[p].putRps.push(put.requestsPerSecond);
      figures[p].putCpuUs.push(((readCpuSeconds(t.pid) - cpu0) * 1e6) / put.requests);
      log(`repeat ${r + 1}/${repeats} ${p}: 1 KiB GET ${get.requestsPerSecond.toFixed(0)} req/s (p50 ${get.p50Ms.toFixed(2)} ms, p99 ${get.p99Ms.toFixed(2)} ms, ${figures[p].getCpuUs.at(-1)?.toFixed(0)} CPU µs/req), 64 KiB PUT ${put.requestsPerSecond.toFixed(0)} req/s (${figures[p].putCpuUs.at(-1)?.toFixed(0)} CPU µs/req)`);
    }
  }
  figures.s3gate.rssAfterSmall = readRss(s3gate.pid);
  figures.bare.rssAfterSmall = readRss(bare.pid);

  if (flag('--small-only')) {
    largeBytes = 0;
  } else {
    await measureLarge(figures, targets, upstream);
  }
  console.log(report(figures));
  if (jsonOut !== undefined) writeFileSync(jsonOut, `${JSON.stringify({ date: new Date().toISOString(), revision: sourceRevision(), node: process.version, cpus: cpus().length, pinned, quick, seconds, repeats, largeBytes, logLevel, figures }, null, 2)}\n`);

  if (profile) {
    await stopChild(targets.s3gate);
    await profileSmallGet(upstream, targets.bare);
  }
}

async function measureLarge(figures: Record<PathName, Figures>, targets: Record<PathName, Child>, upstream: Child): Promise<void> {
  const placeUpstream = (p: PathName): void => pinProcess(upstream.pid, p === 'direct' ? PROXY_CPU : CLIENT_CPU);
  // large objects on fresh proxy processes, so their RSS is the transfers' and not what the
  // 64-connection loads left in the heap: 64 MiB first, then the large size
  await stopChild(targets.bare);
  await stopChild(targets.s3gate);
  targets.bare = await startChild('bare', 'bare-proxy.ts', [], { BENCH_UPSTREAM: upstream.url, BENCH_CONNECTIONS: String(CONNECTIONS) }, PROXY_CPU);
  targets.s3gate = await startS3gate(upstream.url);
  await new Promise((r) => setTimeout(r, 500));
  figures.bare.rssIdle = readRss(targets.bare.pid);
  figures.s3gate.rssIdle = readRss(targets.s3gate.pid);
  for (const p of PATHS) {
    placeUpstream(p);
    const t = targets[p];
    const rssPid = p === 'direct' ? undefined : t.pid;
    const measure = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
      const sampler = rssPid === undefined ? undefined : sampleRss(rssPid);
      const value = await fn();
      return [value, sampler?.stop() ?? 0];
    };
    const [, flatPut] = await measure(() => putStreamingObject(t.url, BENCH_KEY, `/${BENCH_BUCKET}/large/flat-put`, flatBytes));
    const [, flatGet] = await measure(() => getObject(t.url, BENCH_KEY, `/${BENCH_BUCKET}/large/size-${flatBytes}`, flatBytes));
    figures[p].rssFlatPut = flatPut;
    figures[p].rssFlatGet = flatGet;
    let peakPut = 0;
    let peakGet = 0;
    for (let r = 0; r < repeats; r++) {
      const [put, rssPut] = await measure(() => putStreamingObject(t.url, BENCH_KEY, `/${BENCH_BUCKET}/large/big-put`, largeBytes));
      const [trailerPut, rssTrailerPut] = await measure(() => putStreamingObject(t.url, BENCH_KEY, `/${BENCH_BUCKET}/large/big-put-crc32`, largeBytes, 'crc32-trailer'));
      const [get, rssGet] = await measure(() => getObject(t.url, BENCH_KEY, `/${BENCH_BUCKET}/large/size-${largeBytes}`, largeBytes));
      figures[p].largePutMiBs.push(put.mibPerSecond);
      figures[p].largeTrailerPutMiBs.push(trailerPut.mibPerSecond);
      figures[p].largeGetMiBs.push(get.mibPerSecond);
      peakPut = Math.max(peakPut, rssPut, rssTrailerPut);
      peakGet = Math.max(peakGet, rssGet);
      log(`repeat ${r + 1}/${repeats} ${p}: ${largeBytes / 1048576} MiB aws-chunked PUT ${put.mibPerSecond.toFixed(0)} MiB/s, CRC32-trailer PUT ${trailerPut.mibPerSecond.toFixed(0)} MiB/s, GET ${get.mibPerSecond.toFixed(0)} MiB/s${rssPid === undefined ? '' : `, proxy RSS peak ${(Math.max(rssPut, rssGet) / 1048576).toFixed(0)} MiB`}`);
    }
    figures[p].rssLargePut = peakPut;
    figures[p].rssLargeGet = peakGet;
    if (rssPid !== undefined) figures[p].hwm = readHwm(rssPid);
  }
}

/** The commit s3gate was built from, with "+dirty" when src/ has uncommitted changes. */
function sourceRevision(): string {
  const rev = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: srcRoot, encoding: 'utf8' }).stdout.trim();
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src'], { cwd: srcRoot, encoding: 'utf8' }).stdout.trim() !== '';
  return rev === '' ? 'unknown' : `${rev}${dirty ? '+dirty' : ''}`;
}

function report(f: Record<PathName, Figures>): string {
  const mib = (b: number | undefined): string => (b === undefined || b === 0 ? '–' : `${(b / 1048576).toFixed(0)} MiB`);
  const ratio = (a: number, b: number): string => `${((a / b) * 100).toFixed(0)} %`;
  const row = (what: string, get: (x: Figures) => number, digits: number, unit: string): string => {
    const d = get(f.direct);
    const b = get(f.bare);
    const s = get(f.s3gate);
    return `| ${what} | ${d.toFixed(digits)} | ${b.toFixed(digits)} | ${s.toFixed(digits)} | ${unit === 'ms' ? ratio(b, s) : ratio(s, b)} | ${unit === 'ms' ? ratio(d, s) : ratio(s, d)} |`;
  };
  const large = `${largeBytes / 1048576} MiB`;
  const lines = [
    '',
    `s3gate benchmark — ${new Date().toISOString()} — node ${process.version}, ${cpus().length} CPUs, ${pinned ? 'pinned (client CPU 0, proxy CPU 1)' : 'not pinned'}, medians of ${repeats} × ${seconds} s, ${CONNECTIONS} connections, s3gate log level ${logLevel}`,
    '',
    '| workload | direct | bare | s3gate | s3gate/bare | s3gate/direct |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    row('1 KiB GET, req/s', (x) => median(x.getRps), 0, 'rps'),
    row('1 KiB GET, p50 ms (ratio = speed)', (x) => median(x.getP50Ms), 2, 'ms'),
    row('1 KiB GET, p99 ms (ratio = speed)', (x) => median(x.getP99Ms), 2, 'ms'),
    row('1 KiB GET, server CPU µs/req (ratio = efficiency)', (x) => median(x.getCpuUs), 0, 'ms'),
    row('64 KiB PUT, req/s', (x) => median(x.putRps), 0, 'rps'),
    row('64 KiB PUT, server CPU µs/req (ratio = efficiency)', (x) => median(x.putCpuUs), 0, 'ms'),
    ...(largeBytes === 0 ? [] : [row(`${large} aws-chunked PUT (signed chunks), MiB/s`, (x) => median(x.largePutMiBs), 0, 'rps'), row(`${large} aws-chunked PUT (unsigned, CRC32 trailer), MiB/s`, (x) => median(x.largeTrailerPutMiBs), 0, 'rps'), row(`${large} GET, MiB/s`, (x) => median(x.largeGetMiBs), 0, 'rps')]),
    '',
    '| proxy peak RSS | bare | s3gate |',
    '| --- | ---: | ---: |',
    `| after the small-request loads (64 connections) | ${mib(f.bare.rssAfterSmall)} | ${mib(f.s3gate.rssAfterSmall)} |`,
    `| fresh process, idle (large transfers run on fresh processes) | ${mib(f.bare.rssIdle)} | ${mib(f.s3gate.rssIdle)} |`,
    `| during 64 MiB PUT / GET | ${mib(f.bare.rssFlatPut)} / ${mib(f.bare.rssFlatGet)} | ${mib(f.s3gate.rssFlatPut)} / ${mib(f.s3gate.rssFlatGet)} |`,
    `| during ${large} PUT / GET | ${mib(f.bare.rssLargePut)} / ${mib(f.bare.rssLargeGet)} | ${mib(f.s3gate.rssLargePut)} / ${mib(f.s3gate.rssLargeGet)} |`,
    `| VmHWM of the fresh process (over both transfers) | ${mib(f.bare.hwm)} | ${mib(f.s3gate.hwm)} |`,
    '',
  ];
  const getRatio = median(f.s3gate.getRps) / median(f.bare.getRps);
  const verdict = (ok: boolean): string => (ok ? 'MET' : 'NOT MET');
  let targets = `targets: small GET ≥ 90 % of bare: ${(getRatio * 100).toFixed(0)} % ${verdict(getRatio >= 0.9)}`;
  if (largeBytes > 0) {
    const largeRatio = Math.min(median(f.s3gate.largePutMiBs) / median(f.bare.largePutMiBs), median(f.s3gate.largeGetMiBs) / median(f.bare.largeGetMiBs));
    const rssLarge = Math.max(f.s3gate.rssLargePut ?? 0, f.s3gate.rssLargeGet ?? 0);
    targets +=
      `; large ≥ 90 % of bare (worse of PUT/GET): ${(largeRatio * 100).toFixed(0)} % ${verdict(largeRatio >= 0.9)}` +
      `; RSS ≤ 120 MB during ${large}: ${(rssLarge / 1e6).toFixed(0)} MB ${verdict(rssLarge <= 120e6)}`;
    const trailerRatio = Math.min(median(f.s3gate.largeTrailerPutMiBs) / median(f.bare.largeTrailerPutMiBs), median(f.s3gate.largeGetMiBs) / median(f.bare.largeGetMiBs));
    targets += `; large with the CRC32-trailer PUT instead (worse of PUT/GET): ${(trailerRatio * 100).toFixed(0)} % ${verdict(trailerRatio >= 0.9)}`;
  }
  lines.push(targets);
  return lines.join('\n');
}

/**
 * bare and s3gate under the same 1 KiB GET load, each with the V8 CPU profiler over the
 * measured window; prints s3gate's top self-time functions and, per package, the CPU µs
 * per request of both, so the difference is s3gate's own cost.
 */
async function profileSmallGet(upstream: Child, bare: Child): Promise<void> {
  const dir = join(BENCH_DIR, 'profiles');
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const s3gate = await startS3gate(upstream.url);
  pinProcess(upstream.pid, CLIENT_CPU);
  const runs: { name: string; file: string; requests: number }[] = [];
  for (const target of [bare, s3gate]) {
    const file = join(dir, `${target.name}-small-get-${stamp}.cpuprofile`);
    await runWrk({ url: target.url, requests: signedGetBatch(target), connections: CONNECTIONS, durationSeconds: warmupSeconds, cpu: CLIENT_CPU, workDir, name: 'prof-warm' });
    await ask(target, 'profile-start', 'profiling');
    const cpu0 = readCpuSeconds(target.pid);
    const r = await runWrk({ url: target.url, requests: signedGetBatch(target), connections: CONNECTIONS, durationSeconds: seconds, cpu: CLIENT_CPU, workDir, name: 'prof' });
    const cpuUs = ((readCpuSeconds(target.pid) - cpu0) * 1e6) / r.requests;
    await ask(target, `profile-stop ${file}`, 'profiled');
    log(`profiled ${target.name}: ${r.requestsPerSecond.toFixed(0)} req/s, ${cpuUs.toFixed(0)} CPU µs/req under the profiler`);
    runs.push({ name: target.name, file, requests: r.requests });
  }
  await stopChild(s3gate);
  const [b, s] = runs.map((x) => ({ ...x, summary: summarizeProfile(x.file, 30) }));
  if (b === undefined || s === undefined) return;
  console.log(`\nCPU profiles of the measured window (warm): ${b.file}, ${s.file}\n\ns3gate, top self time:\n`);
  console.log(formatProfileSummary(s.summary));
  console.log(`\nsampled CPU µs per request by package (profiled runs): bare ${((b.summary.totalMs * 1000) / b.requests).toFixed(0)}, s3gate ${((s.summary.totalMs * 1000) / s.requests).toFixed(0)}\n`);
  console.log('| package / area | bare µs/req | s3gate µs/req | s3gate − bare |\n| --- | ---: | ---: | ---: |');
  const perReq = (x: typeof b, name: string): number => ((x.summary.packages.find((p) => p.name === name)?.selfMs ?? 0) * 1000) / x.requests;
  const names = [...new Set([...s.summary.packages.map((p) => p.name), ...b.summary.packages.map((p) => p.name)])];
  const rows = names.map((n) => ({ n, bu: perReq(b, n), su: perReq(s, n) })).sort((x, y) => y.su - y.bu - (x.su - x.bu));
  for (const r of rows.slice(0, 20)) console.log(`| ${r.n} | ${r.bu.toFixed(1)} | ${r.su.toFixed(1)} | ${(r.su - r.bu).toFixed(1)} |`);
}

/** bare and s3gate each profiled over one large aws-chunked PUT and one large GET; prints per-package CPU. */
async function profileLarge(upstream: Child, bare: Child, s3gate: Child): Promise<void> {
  const dir = join(BENCH_DIR, 'profiles');
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  pinProcess(upstream.pid, CLIENT_CPU);
  for (const target of [bare, s3gate]) {
    for (const kind of ['put', 'get'] as const) {
      const file = join(dir, `${target.name}-large-${kind}-${stamp}.cpuprofile`);
      await ask(target, 'profile-start', 'profiling');
      const cpu0 = readCpuSeconds(target.pid);
      const r =
        kind === 'put'
          ? await putStreamingObject(target.url, BENCH_KEY, `/${BENCH_BUCKET}/large/prof-put`, largeBytes)
          : await getObject(target.url, BENCH_KEY, `/${BENCH_BUCKET}/large/size-${largeBytes}`, largeBytes);
      const cpu = readCpuSeconds(target.pid) - cpu0;
      await ask(target, `profile-stop ${file}`, 'profiled');
      const summary = summarizeProfile(file, 12);
      log(`profiled ${target.name} ${kind}: ${r.mibPerSecond.toFixed(0)} MiB/s, ${((cpu * 1000) / (largeBytes / 1048576)).toFixed(2)} CPU ms/MiB (profiled)`);
      console.log(`\n${target.name}, ${largeBytes / 1048576} MiB ${kind.toUpperCase()} (${file}):\n`);
      console.log(formatProfileSummary(summary).split('\n').slice(0, 30).join('\n'));
    }
  }
}

function ask(child: Child, message: string, answer: string): Promise<void> {
  return new Promise((ok) => {
    const onMessage = (m: unknown): void => {
      if (String(m) !== answer) return;
      child.process.off('message', onMessage);
      ok();
    };
    child.process.on('message', onMessage);
    child.process.send(message);
  });
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killChildren(children);
    process.exit(130);
  });
}
try {
  await main();
} finally {
  await stopChildren(children);
}
