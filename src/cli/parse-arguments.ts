/**
 * A small, strict argv parser for the store commands: declared options only (an unknown one
 * is a usage error naming it), `--name value` or `--name=value`, repeatable options collected
 * in order, and exactly the declared positionals.
 */
import { UsageError } from './cli-errors.js';

export type OptionKind = 'string' | 'boolean' | 'repeated';

export interface ArgumentSpec {
  /** Positional argument names, in order, all required (e.g. ['username']). */
  readonly positionals: readonly string[];
  /** Option names without the leading `--`. */
  readonly options: Readonly<Record<string, OptionKind>>;
}

export interface ParsedArguments {
  readonly positionals: Readonly<Record<string, string>>;
  readonly strings: ReadonlyMap<string, string>;
  readonly booleans: ReadonlySet<string>;
  readonly repeated: ReadonlyMap<string, readonly string[]>;
}

/** Options every store command accepts. */
export const COMMON_OPTIONS: Readonly<Record<string, OptionKind>> = { config: 'string', json: 'boolean' };

/** Passwords never come from argv (visible in `ps` and shell history). */
const PASSWORD_OPTIONS = new Set(['password', 'pass', 'passwd', 'pw']);

export function parseArguments(args: readonly string[], spec: ArgumentSpec, command: string): ParsedArguments {
  const options = { ...COMMON_OPTIONS, ...spec.options };
  const positionals: string[] = [];
  const strings = new Map<string, string>();
  const booleans = new Set<string>();
  const repeated = new Map<string, string[]>();
  let onlyPositionals = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (onlyPositionals || !arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    if (arg === '--') {
      onlyPositionals = true;
      continue;
    }
    if (!arg.startsWith('--')) throw new UsageError(`unknown option "${arg}" (options are spelled --name)`, command);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (PASSWORD_OPTIONS.has(name)) {
      throw new UsageError(
        `passwords are never taken from the command line (other users see it in "ps" and it stays in shell history): pipe it with --password-stdin, or run on a terminal to be prompted`,
        command,
      );
    }
    const kind = options[name];
    if (kind === undefined) throw new UsageError(`unknown option "--${name}"`, command);
    if (kind === 'boolean') {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`, command);
      booleans.add(name);
      continue;
    }
    let value: string;
    if (eq !== -1) {
      value = arg.slice(eq + 1);
    } else {
      const next = args[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) throw new UsageError(`--${name} needs a value`, command);
      value = next;
      i++;
    }
    if (kind === 'repeated') {
      const list = repeated.get(name) ?? [];
      list.push(value);
      repeated.set(name, list);
    } else {
      if (strings.has(name)) throw new UsageError(`--${name} is given twice`, command);
      strings.set(name, value);
    }
  }
  if (positionals.length < spec.positionals.length) {
    const missing = spec.positionals.slice(positionals.length).map((p) => `<${p}>`);
    throw new UsageError(`missing ${missing.join(' ')}`, command);
  }
  if (positionals.length > spec.positionals.length) {
    throw new UsageError(`unexpected argument "${positionals[spec.positionals.length]}"`, command);
  }
  const named: Record<string, string> = {};
  for (const [i, name] of spec.positionals.entries()) named[name] = positionals[i] ?? '';
  return { positionals: named, strings, booleans, repeated };
}

/** A required positional (parseArguments already checked it is there). */
export function positional(parsed: ParsedArguments, name: string): string {
  const value = parsed.positionals[name];
  if (value === undefined) throw new Error(`positional <${name}> was not declared`);
  return value;
}

export function requiredOption(parsed: ParsedArguments, name: string, command: string, example: string): string {
  const value = parsed.strings.get(name);
  if (value === undefined) throw new UsageError(`--${name} is required (e.g. --${name} ${example})`, command);
  return value;
}
