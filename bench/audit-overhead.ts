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
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { BENCH_DIR, benchScript, buildBenchChildren, type Child, canPin, median, pinProcess, proxyToml, quantile, REPO_ROOT, shuffled, signedGetBatch, startChild as startChildProcess, stopChildren } from './children.js';
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

const BUILD_DIR = join(BENCH_DIR, '.build-audit');
const workDir = mkdtempSync(join(tmpdir(), 's3gate-bench-audit-'));
const pinned = canPin();
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
const MASTER_KEY = 'ab'.repeat(32);

type Variant = 'bare' | 's3gate' | 'audit-0' | 'audit-1';
const VARIANTS: readonly Variant[] = ['bare', 's3gate', 'audit-0', 'audit-1'];

const children: Child[] = [];

function log(message: string): void {
  process.stderr.write(`[bench-audit ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function startChild(name: string, script: string, args: string[], env: Record<string, string>, cpu: string | undefined, nodeFlags: string[] = []): Promise<Child> {
  return startChildProcess({ name, script: benchScript(BUILD_DIR, script), args, env, cpu, nodeFlags, children });
}

const storeSections = (store: { dir: string; rate: number }): string =>
  `[store]\npath = "${store.dir}"\n\n[admin]\nenabled = false\n\n[audit]\nread_sample_rate = ${store.rate}\n`;

async function startS3gate(name: Variant, upstreamUrl: string, store: { dir: string; rate: number } | undefined): Promise<Child> {
  const configPath = join(workDir, `${name}.toml`);
  const extraSections = store === undefined ? '' : storeSections(store);
  writeFileSync(configPath, proxyToml({ upstreamUrl, connections: CONNECTIONS, logLevel: 'info', extraSections }));
  const profileDir = option('--cpu-prof-dir');
  const flags = profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${resolve(profileDir, name)}`];
  return startChild(name, 's3gate-server.ts', [configPath], { S3GATE_MASTER_KEY: MASTER_KEY }, PROXY_CPU, flags);
}

async function main(): Promise<void> {
  if (pinned) pinProcess(process.pid, CLIENT_CPU);
  const placement = oneCore ? 'every server thread on CPU 1' : "server event loops on CPU 1, the servers' other threads on CPU 0";
  log(`node ${process.version}, ${pinned ? `pinned: wrk + upstream CPU 0, ${placement}` : 'NOT pinned'}, ${repeats} × ${seconds} s, ${CONNECTIONS} connections`);
  await buildBenchChildren({ srcRoot: REPO_ROOT, outDir: BUILD_DIR });
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
  /** CPU µs per request of the event-loop thread alone (the rest is GC helpers, libuv, the audit writer). */
  const loopUs: Record<Variant, number[]> = { bare: [], s3gate: [], 'audit-0': [], 'audit-1': [] };
  for (const v of VARIANTS) {
    await runWrk({ url: targets[v].url, requests: signedGetBatch(targets[v]), connections: CONNECTIONS, durationSeconds: quick ? 1 : 2, cpu: CLIENT_CPU, workDir, name: `warm-${v}` });
  }
  for (let r = 0; r < repeats; r++) {
    for (const v of shuffled(VARIANTS)) {
      const t = targets[v];
      const cpu0 = readCpuSeconds(t.pid);
      const loop0 = readCpuSeconds(t.pid, t.pid);
      const res = await runWrk({ url: t.url, requests: signedGetBatch(t), connections: CONNECTIONS, durationSeconds: seconds, cpu: CLIENT_CPU, workDir, name: `get-${v}` });
      if (res.non2xx > 0) throw new Error(`${v}: ${res.non2xx} non-2xx answers: the measurement is invalid`);
      rps[v].push(res.requestsPerSecond);
      cpuUs[v].push(((readCpuSeconds(t.pid) - cpu0) * 1e6) / res.requests);
      loopUs[v].push(((readCpuSeconds(t.pid, t.pid) - loop0) * 1e6) / res.requests);
      log(`round ${r + 1}/${repeats} ${v}: ${res.requestsPerSecond.toFixed(0)} req/s, ${cpuUs[v].at(-1)?.toFixed(0)} CPU µs/req (event loop ${loopUs[v].at(-1)?.toFixed(0)})`);
    }
  }
  await stopChildren(children);
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
    `| ${v} | ${median(rps[v]).toFixed(0)} | ${median(cpuUs[v]).toFixed(0)} | ${median(loopUs[v]).toFixed(0)} | ${(median(cpuUs[v]) - median(loopUs[v])).toFixed(0)} | ${spread(perRound(v, rps, false))} | ${spread(perRound(v, cpuUs, true))} |`;
  process.stdout.write(
    [
      '',
      `s3gate audit overhead — ${new Date().toISOString()} — ${repeats} rounds × ${seconds} s, 1 KiB GET, ${CONNECTIONS} connections, ${pinned ? placement : 'not pinned'}`,
      '',
      '| server | req/s (median) | CPU µs/req (median) | of which event loop | other threads | req/s vs s3gate, per round: median (quartiles) | CPU efficiency vs s3gate, per round: median (quartiles) |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
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
    await stopChildren(children);
    process.exit(1);
  },
);
