/**
 * Runs s3gate as a real, separate OS process — `node --import tsx src/cli/main.ts serve
 * --config <file>` — for tests about what only another process shows: a second process on
 * the same SQLite database, SIGTERM and graceful shutdown, the exit code.
 *
 * Start-up is over when the CLI writes "s3gate listening on <url>" to stderr (and, when
 * asked, when the pino line "admin API listening" with the admin URL reached stdout, which
 * s3gate writes in batches: up to ~500 ms later). `stop()` sends SIGTERM and waits for the
 * exit; a process still alive after the timeout is killed and the call fails.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
const CLI_ENTRY = resolve(REPO_ROOT, 'src/cli/main.ts');

export interface S3gateProcessOptions {
  readonly configPath: string;
  /** Added to a minimal environment (PATH, HOME, TMPDIR): S3GATE_MASTER_KEY and the like. */
  readonly env?: Readonly<Record<string, string>>;
  /** Also wait for the admin API's URL in the log (default false). */
  readonly waitForAdmin?: boolean;
  /** Default 60 s: tsx compiles the sources on first start, slow on a busy 2-core machine. */
  readonly startTimeoutMs?: number;
}

export interface S3gateExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface S3gateProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The S3 listener, e.g. http://127.0.0.1:40123 */
  readonly url: string;
  /** The admin API, when `waitForAdmin` was set. */
  readonly adminUrl: string | undefined;
  /** Complete stdout lines so far (pino JSON). */
  readonly stdoutLines: string[];
  /** Complete stderr lines so far. */
  readonly stderrLines: string[];
  /** Resolves once the process has exited. */
  readonly exited: Promise<S3gateExit>;
  /** The stdout lines that parse as JSON and whose `msg` is `msg`. */
  logged(msg: string): Record<string, unknown>[];
  /** SIGTERM, then waits up to `timeoutMs` (default 30 s) for the exit; SIGKILL and throw after. */
  stop(timeoutMs?: number): Promise<S3gateExit & { readonly elapsedMs: number }>;
  /** SIGKILL if still running (for afterAll clean-up after a failed test). */
  kill(): void;
}

/** Splits a stream into lines, pushing each complete line to `lines` and calling `onLine`. */
function collectLines(stream: NodeJS.ReadableStream, lines: string[], onLine: () => void): void {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) if (line !== '') lines.push(line);
    onLine();
  });
  stream.on('end', () => {
    if (partial !== '') lines.push(partial);
    partial = '';
    onLine();
  });
}

function parseJsonLine(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export async function startS3gateProcess(options: S3gateProcessOptions): Promise<S3gateProcess> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    TMPDIR: process.env.TMPDIR ?? '/tmp',
    ...options.env,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, 'serve', '--config', options.configPath], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('s3gate did not spawn');

  const stdoutLines: string[] = [];
  const stderrLines: string[] = [];
  const exited = new Promise<S3gateExit>((resolveExit) => {
    child.once('exit', (code, signal) => resolveExit({ code, signal }));
  });
  let exitResult: S3gateExit | undefined;
  void exited.then((r) => {
    exitResult = r;
  });

  const findUrl = (): string | undefined => {
    for (const line of stderrLines) {
      const match = /s3gate listening on (\S+)/.exec(line);
      if (match?.[1] !== undefined) return match[1];
    }
    return undefined;
  };
  const findAdminUrl = (): string | undefined => {
    for (const line of stdoutLines) {
      const parsed = parseJsonLine(line);
      if (parsed?.msg === 'admin API listening' && typeof parsed.url === 'string') return parsed.url;
    }
    return undefined;
  };

  const timeoutMs = options.startTimeoutMs ?? 60_000;
  const started = await new Promise<{ url: string; adminUrl: string | undefined }>((resolveStart, reject) => {
    let settled = false;
    const output = (): string => `stderr:\n${stderrLines.join('\n')}\nstdout:\n${stdoutLines.join('\n')}`;
    const finish = (err: Error | undefined, value?: { url: string; adminUrl: string | undefined }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err !== undefined) reject(err);
      else if (value !== undefined) resolveStart(value);
    };
    const check = (): void => {
      const url = findUrl();
      if (url === undefined) return;
      const adminUrl = findAdminUrl();
      if (options.waitForAdmin === true && adminUrl === undefined) return;
      finish(undefined, { url, adminUrl });
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(new Error(`s3gate (pid ${pid}) did not start within ${timeoutMs} ms\n${output()}`));
    }, timeoutMs);
    collectLines(child.stdout!, stdoutLines, check);
    collectLines(child.stderr!, stderrLines, check);
    void exited.then((r) => finish(new Error(`s3gate (pid ${pid}) exited during start-up (code ${r.code}, signal ${r.signal})\n${output()}`)));
  });

  return {
    child,
    pid,
    url: started.url,
    adminUrl: started.adminUrl,
    stdoutLines,
    stderrLines,
    exited,
    logged: (msg) => stdoutLines.map(parseJsonLine).filter((l): l is Record<string, unknown> => l !== undefined && l.msg === msg),
    stop: async (stopTimeoutMs = 30_000) => {
      const t0 = performance.now();
      if (exitResult !== undefined) return { ...exitResult, elapsedMs: 0 };
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((r) => {
        timer = setTimeout(() => r('timeout'), stopTimeoutMs);
      });
      const result = await Promise.race([exited, timedOut]);
      clearTimeout(timer);
      if (result === 'timeout') {
        child.kill('SIGKILL');
        await exited;
        throw new Error(`s3gate (pid ${pid}) did not exit within ${stopTimeoutMs} ms of SIGTERM; killed\nstderr:\n${stderrLines.join('\n')}`);
      }
      return { ...result, elapsedMs: performance.now() - t0 };
    },
    kill: () => {
      if (exitResult === undefined) child.kill('SIGKILL');
    },
  };
}
