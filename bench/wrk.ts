/**
 * Drives wrk with a fixed set of pre-built raw HTTP requests (each validly SigV4-signed for
 * s3gate; the direct and bare paths get the same requests, which they do not check). The
 * requests live in a binary file that the Lua script slices, so bodies keep their bytes
 * (Lua long strings would rewrite CRLF) and wrk cycles through them without signing
 * anything itself: a signed request may be replayed while its x-amz-date is inside the
 * proxy's 15-minute skew window, and the runner re-signs before every measurement.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface WrkResult {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly socketErrors: number;
}

export interface WrkOptions {
  readonly url: string;
  readonly requests: readonly Buffer[];
  readonly connections: number;
  readonly durationSeconds: number;
  /** taskset CPU list for wrk, e.g. "0"; undefined = not pinned. */
  readonly cpu: string | undefined;
  readonly workDir: string;
  readonly name: string;
}

const LUA = `
local reqs = {}
local lens = LENS
local n = 0
init = function(args)
  local f = assert(io.open(args[1], "rb"))
  local data = f:read("*a")
  f:close()
  local pos = 1
  for i = 1, #lens do
    reqs[i] = string.sub(data, pos, pos + lens[i] - 1)
    pos = pos + lens[i]
  end
end
request = function()
  n = n % #reqs + 1
  return reqs[n]
end
`;

export async function runWrk(options: WrkOptions): Promise<WrkResult> {
  const dataPath = join(options.workDir, `${options.name}.bin`);
  const scriptPath = join(options.workDir, `${options.name}.lua`);
  writeFileSync(dataPath, Buffer.concat(options.requests as Buffer[]));
  writeFileSync(scriptPath, LUA.replace('LENS', `{${options.requests.map((r) => r.length).join(',')}}`));
  const wrkArgs = ['-t1', `-c${options.connections}`, `-d${options.durationSeconds}s`, '--latency', '--timeout', '10s', '-s', scriptPath, options.url, '--', dataPath];
  const [cmd, args] = options.cpu === undefined ? ['wrk', wrkArgs] : ['taskset', ['-c', options.cpu, 'wrk', ...wrkArgs]];
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`wrk exited with ${code}:\n${out}`))));
  });
  return parseWrkOutput(output);
}

function toMs(value: string, unit: string): number {
  const v = Number(value);
  if (unit === 'us') return v / 1000;
  if (unit === 'ms') return v;
  if (unit === 's') return v * 1000;
  if (unit === 'm') return v * 60_000;
  throw new Error(`unknown wrk time unit ${unit}`);
}

export function parseWrkOutput(output: string): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(output);
  const p50 = /^\s+50%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(output);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(output);
  const total = /(\d+) requests in/.exec(output);
  if (rps?.[1] === undefined || p50?.[1] === undefined || p50[2] === undefined || p99?.[1] === undefined || p99[2] === undefined || total?.[1] === undefined) {
    throw new Error(`could not parse wrk output:\n${output}`);
  }
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const socketErrors = sock === null ? 0 : sock.slice(1).reduce((a, b) => a + Number(b), 0);
  return {
    requestsPerSecond: Number(rps[1]),
    p50Ms: toMs(p50[1], p50[2]),
    p99Ms: toMs(p99[1], p99[2]),
    requests: Number(total[1]),
    non2xx: non2xx?.[1] === undefined ? 0 : Number(non2xx[1]),
    socketErrors,
  };
}
