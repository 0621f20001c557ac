/**
 * Where a password comes from: never argv. `--password-stdin` reads one line from stdin
 * (`printf '%s\n' "$PW" | s3gate users create ...`); without it, on a terminal the user is
 * prompted twice with echo off; otherwise the command fails naming --password-stdin.
 */
import { createInterface } from 'node:readline';
import { CliFailure, UsageError } from './cli-errors.js';

export interface ReadPasswordOptions {
  readonly fromStdin: boolean;
  /** What the password is for, in the prompt: `password for alice`. */
  readonly label: string;
  readonly command: string;
  readonly stdin?: NodeJS.ReadStream | undefined;
  readonly stderr?: NodeJS.WriteStream | undefined;
}

export async function readPassword(options: ReadPasswordOptions): Promise<string> {
  const stdin = options.stdin ?? process.stdin;
  const stderr = options.stderr ?? process.stderr;
  if (options.fromStdin) {
    const line = await readFirstLine(stdin);
    if (line === undefined) throw new CliFailure('--password-stdin: stdin was empty (pipe the password, one line)', 'password');
    return line;
  }
  if (!stdin.isTTY) {
    throw new UsageError(
      'no password: pass --password-stdin and pipe it (e.g. printf \'%s\\n\' "$PASSWORD" | s3gate ...), or run on a terminal to be prompted',
      options.command,
    );
  }
  const first = await promptHidden(`New ${options.label}: `, stdin, stderr);
  const second = await promptHidden(`Repeat the ${options.label}: `, stdin, stderr);
  if (first !== second) throw new CliFailure('the two passwords differ: nothing was changed', 'password');
  return first;
}

/** The first line of a stream (without its line ending), or undefined when it ends empty. */
function readFirstLine(input: NodeJS.ReadableStream): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY, terminal: false });
    let done = false;
    lines.once('line', (line) => {
      done = true;
      lines.close();
      resolve(line);
    });
    lines.once('close', () => {
      if (!done) resolve(undefined);
    });
    input.once('error', reject);
  });
}

/** Reads a line from a TTY in raw mode, echoing nothing; Ctrl-C or Ctrl-D aborts. */
function promptHidden(prompt: string, stdin: NodeJS.ReadStream, stderr: NodeJS.WriteStream): Promise<string> {
  return new Promise((resolve, reject) => {
    // Echo off BEFORE the prompt shows: a reply typed the moment the prompt appears would
    // otherwise be echoed by the terminal in between.
    const wasRaw = stdin.isRaw;
    stdin.setRawMode(true);
    stderr.write(prompt);
    stdin.setEncoding('utf8');
    stdin.resume();
    let value = '';
    const finish = (error?: Error): void => {
      stdin.off('data', onData);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      stderr.write('\n');
      if (error === undefined) resolve(value);
      else reject(error);
    };
    const onData = (chunk: string): void => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n') {
          finish();
          return;
        }
        if (char === '\u0003' || char === '\u0004') {
          finish(new CliFailure('cancelled: nothing was changed'));
          return;
        }
        if (char === '\u007f' || char === '\b') {
          value = [...value].slice(0, -1).join('');
          continue;
        }
        if (char === '\u0015') {
          value = ''; // Ctrl-U: start over
          continue;
        }
        if (char < ' ') continue;
        value += char;
      }
    };
    stdin.on('data', onData);
  });
}
