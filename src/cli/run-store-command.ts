/**
 * Dispatch for the commands that work on the store's database (keys, users, admin, store,
 * audit): `--help` at every level, argument parsing, and errors turned into `s3gate: ...`
 * lines and exit codes (0 ok, 1 failed, 2 usage).
 */
import { describeError, EXIT_OK, UsageError } from './cli-errors.js';
import { KEY_COMMANDS } from './key-commands.js';
import { AUDIT_COMMANDS, STORE_COMMANDS } from './maintenance-commands.js';
import { parseArguments } from './parse-arguments.js';
import type { CommandIo, StoreCommand } from './store-command.js';
import { ADMIN_COMMANDS, USER_COMMANDS } from './user-commands.js';

interface CommandGroup {
  readonly summary: string;
  readonly commands: readonly StoreCommand[];
}

export const STORE_COMMAND_GROUPS: Readonly<Record<string, CommandGroup>> = {
  keys: { summary: 'access keys in the store', commands: KEY_COMMANDS },
  users: { summary: 'users (admin API logins, one key pair each)', commands: USER_COMMANDS },
  admin: { summary: 'the first admin', commands: ADMIN_COMMANDS },
  store: { summary: 'store maintenance', commands: STORE_COMMANDS },
  audit: { summary: 'the audit trail', commands: AUDIT_COMMANDS },
};

const COMMON_HELP = `These commands work directly on the database named by [store] in the configuration
(--config <file>, default ./proxy.toml), as the user running them (audited as cli:<user>).
Run them with the server's master key (S3GATE_MASTER_KEY or [store] master_key_file).
Running servers on the same database see changes within ~250 ms. Exit codes: 0 ok,
1 the operation failed, 2 usage error. Docs: docs/cli.md`;

export function isStoreCommandGroup(name: string): boolean {
  return Object.hasOwn(STORE_COMMAND_GROUPS, name);
}

export function groupHelp(groupName: string): string {
  const group = STORE_COMMAND_GROUPS[groupName];
  if (group === undefined) throw new Error(`no command group ${groupName}`);
  const width = Math.max(...group.commands.map((c) => c.name.length));
  return [
    `Usage: s3gate ${groupName} <command> [options]   (${group.summary})`,
    '',
    'Commands:',
    ...group.commands.map((c) => `  s3gate ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    `"s3gate ${groupName} <command> --help" for a command's options.`,
    '',
    COMMON_HELP,
  ].join('\n');
}

export function commandHelp(command: StoreCommand): string {
  return `Usage: s3gate ${command.usage}\n\n${command.help}`;
}

/** Runs `s3gate <group> <sub> ...args`; returns the exit code (errors already printed). */
export async function runStoreCommand(groupName: string, args: readonly string[], io: CommandIo): Promise<number> {
  const group = STORE_COMMAND_GROUPS[groupName];
  try {
    if (group === undefined) throw new UsageError(`unknown command "${groupName}"`);
    const [sub, ...rest] = args;
    if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
      if (sub === undefined) throw new UsageError(`${groupName} needs a command: ${group.commands.map((c) => c.name.split(' ')[1]).join(', ')}`, groupName);
      io.stdout.write(`${groupHelp(groupName)}\n`);
      return EXIT_OK;
    }
    const command = group.commands.find((c) => c.name === `${groupName} ${sub}`);
    if (command === undefined) {
      throw new UsageError(`unknown command "${groupName} ${sub}" (one of: ${group.commands.map((c) => c.name.split(' ')[1]).join(', ')})`, groupName);
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout.write(`${commandHelp(command)}\n`);
      return EXIT_OK;
    }
    await command.run(parseArguments(rest, command.spec, command.name), io);
    return EXIT_OK;
  } catch (err) {
    const { lines, exitCode } = describeError(err);
    for (const line of lines) io.stderr.write(`${line}\n`);
    return exitCode;
  }
}
