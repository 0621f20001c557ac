/**
 * The shape of one store command (`keys create`, `users list`, ...) and the helpers they
 * share: opening the store for the length of one command (closed, audit rows flushed, even
 * when the command fails) and printing either a table or --json.
 */
import type { MasterKeyEnv } from '../credentials/master-key.js';
import { type CliStore, openCliStore } from './open-cli-store.js';
import type { ArgumentSpec, ParsedArguments } from './parse-arguments.js';

export interface CommandIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadStream;
  readonly env: MasterKeyEnv;
}

export interface StoreCommand {
  /** `keys create` */
  readonly name: string;
  /** The synopsis after `s3gate `. */
  readonly usage: string;
  /** One line for the group's help. */
  readonly summary: string;
  /** The rest of `--help`: what it does, options, examples. */
  readonly help: string;
  readonly spec: ArgumentSpec;
  run(args: ParsedArguments, io: CommandIo): Promise<void>;
}

export async function withStore<T>(
  args: ParsedArguments,
  io: CommandIo,
  work: (store: CliStore) => Promise<T> | T,
): Promise<T> {
  const store = await openCliStore({ configPath: args.strings.get('config'), env: io.env });
  try {
    return await work(store);
  } finally {
    store.close();
  }
}

export function wantsJson(args: ParsedArguments): boolean {
  return args.booleans.has('json');
}

/** --json: the value, pretty-printed; otherwise the human text. */
export function emit(io: CommandIo, args: ParsedArguments, value: unknown, human: () => string): void {
  io.stdout.write(wantsJson(args) ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}

export const SECRET_WARNING =
  'Save the secret access key now: it is stored only encrypted and will NOT be shown again (if it is lost, rotate the key for a new one).';

export const CONFIG_OPTION_HELP = `  --config <file>   the configuration whose [store] to use (default ./proxy.toml)
  --json            print JSON (for scripts) instead of a table`;
