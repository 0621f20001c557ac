/**
 * `s3gate users ...` and `s3gate admin create-user`: IAM-style users (role Reader, Writer or
 * SuperUser, optional bucket/prefix scopes, one key pair each), addressed by username, through
 * AdminService. Passwords come from --password-stdin or a no-echo prompt, never from argv.
 */
import type { UserView } from '../admin/admin-service.js';
import { createUserBodySchema, patchUserBodySchema } from '../admin/admin-schemas.js';
import type { UserRecord } from '../credentials/credential-store.js';
import { parseInput } from '../http/admin-validation.js';
import { USER_ROLES } from '../policy/roles.js';
import { CliFailure } from './cli-errors.js';
import { formatFields, formatTable, shortTime } from './format-table.js';
import { printIssued } from './key-commands.js';
import type { CliStore } from './open-cli-store.js';
import { type ParsedArguments, positional, requiredOption } from './parse-arguments.js';
import { readPassword } from './read-password.js';
import { formatScope, parseUserScopeArgument, USER_SCOPE_SYNTAX } from './scope-argument.js';
import { CONFIG_OPTION_HELP, type CommandIo, emit, type StoreCommand, withStore } from './store-command.js';

const USERNAME = ['username'];
const ROLES = USER_ROLES.join('|');
/** Stands in for the password while the other fields are checked, before anyone is prompted. */
const PLACEHOLDER_PASSWORD = 'x'.repeat(12);

const PASSWORD_HELP = `Password (12-1024 characters), never on the command line:
  --password-stdin   read it from the first line of stdin:
                       printf '%s\\n' "$PASSWORD" | s3gate ...
  (none)             on a terminal, prompted for twice with echo off`;

export const USER_COMMANDS: readonly StoreCommand[] = [
  {
    name: 'users create',
    usage: `users create <username> --role ${ROLES} [--scope ${USER_SCOPE_SYNTAX}]... [--password-stdin]`,
    summary: 'create a user (admin API login; S3 access through their key pair)',
    help: `Creates a user. The role decides what the user's key pair may do on S3 (Reader: list and
download; Writer: also upload and delete; SuperUser: everything, and the admin API); --scope
narrows it to buckets or prefixes (default: every bucket). Give the user a key pair with
"s3gate users create-key <username>".

Options:
  --role <role>        ${USER_ROLES.join(', ')} (required)
  --scope <scope>      '${USER_SCOPE_SYNTAX}', repeatable: --scope photos --scope logs/2024/
  --password-stdin     see below
${CONFIG_OPTION_HELP}

${PASSWORD_HELP}`,
    spec: { positionals: USERNAME, options: { role: 'string', scope: 'repeated', 'password-stdin': 'boolean' } },
    run: async (args, io) => {
      const command = 'users create';
      const role = requiredOption(args, 'role', command, 'Reader');
      const scopes = (args.repeated.get('scope') ?? []).map((s) => parseUserScopeArgument(s, command));
      await createUser(args, io, command, { username: positional(args, 'username'), role, scopes });
    },
  },
  {
    name: 'users list',
    usage: 'users list',
    summary: 'every user, with role, status and access key id',
    help: `Lists the users: username, role, active or not, scopes and their access key id (never a
secret or a password hash).

Options:
${CONFIG_OPTION_HELP}`,
    spec: { positionals: [], options: {} },
    run: async (args, io) => {
      const users = await withStore(args, io, (s) => s.service.listUsers());
      emit(io, args, { users }, () => {
        if (users.length === 0) return 'No users yet (s3gate users create --help, or s3gate admin create-user <name> for the first admin).';
        return formatTable(
          ['USERNAME', 'ROLE', 'STATUS', 'SCOPES', 'ACCESS KEY ID', 'CREATED'],
          users.map((u) => [u.username, u.role, u.is_active ? 'active' : 'inactive', userScopesText(u), u.access_key_id ?? '-', shortTime(u.created_at)]),
        );
      });
    },
  },
  {
    name: 'users show',
    usage: 'users show <username>',
    summary: 'one user in detail',
    help: `Shows one user: id, role, status, scopes, and their key pair's access key id and status.

Options:
${CONFIG_OPTION_HELP}`,
    spec: { positionals: USERNAME, options: {} },
    run: async (args, io) => {
      const { view, key } = await withStore(args, io, (s) => {
        const user = userByName(s, positional(args, 'username'));
        const record = s.opened.store.getUserCredential(user.id);
        return { view: s.service.getUser(user.id), key: record === undefined ? null : s.service.getUserCredential(user.id) };
      });
      emit(io, args, { ...view, credential: key }, () =>
        formatFields([
          ['username', view.username],
          ['id', view.id],
          ['role', view.role],
          ['status', view.is_active ? 'active' : 'inactive'],
          ['scopes', userScopesText(view)],
          ['access key id', key === null ? '- (s3gate users create-key makes one)' : `${key.access_key_id} (${key.enabled ? 'enabled' : 'disabled'}, created ${key.created_at})`],
          ['created', view.created_at],
          ['updated', view.updated_at],
        ]),
      );
    },
  },
  {
    name: 'users set-role',
    usage: `users set-role <username> <${ROLES}>`,
    summary: "change a user's role (and so what their key may do)",
    help: `Changes a user's role. Their key pair's permissions change with it (running servers within
~250 ms) and their admin API sessions end (they log in again). The last active SuperUser
cannot be demoted.

Options:
${CONFIG_OPTION_HELP}`,
    spec: { positionals: [...USERNAME, 'role'], options: {} },
    run: async (args, io) => {
      await updateUser(args, io, { role: positional(args, 'role') }, (u) => `${u.username} is now a ${u.role}.`);
    },
  },
  {
    name: 'users deactivate',
    usage: 'users deactivate <username>',
    summary: 'refuse the user (login and key pair) until activated again',
    help: `Deactivates a user: their logins and their key pair are refused until "users activate"
(running servers within ~250 ms). The last active SuperUser cannot be deactivated.

Options:
${CONFIG_OPTION_HELP}`,
    spec: { positionals: USERNAME, options: {} },
    run: async (args, io) => {
      await updateUser(args, io, { is_active: false }, (u) => `${u.username} is deactivated: logins and their key pair are refused.`);
    },
  },
  {
    name: 'users activate',
    usage: 'users activate <username>',
    summary: 'serve a deactivated user again',
    help: `Activates a user again: logins and their key pair work again.

Options:
${CONFIG_OPTION_HELP}`,
    spec: { positionals: USERNAME, options: {} },
    run: async (args, io) => {
      await updateUser(args, io, { is_active: true }, (u) => `${u.username} is active again.`);
    },
  },
  {
    name: 'users set-password',
    usage: 'users set-password <username> [--password-stdin]',
    summary: "set a user's admin API password",
    help: `Sets a user's password. Their admin API sessions end (they log in again).

Options:
  --password-stdin     see below
${CONFIG_OPTION_HELP}

${PASSWORD_HELP}`,
    spec: { positionals: USERNAME, options: { 'password-stdin': 'boolean' } },
    run: async (args, io) => {
      const username = positional(args, 'username');
      await withStore(args, io, async (s) => {
        const user = userByName(s, username);
        const password = await readPassword({ fromStdin: args.booleans.has('password-stdin'), label: `password for ${user.username}`, command: 'users set-password' });
        const body = parseInput(patchUserBodySchema, { password }, 'body');
        const view = await s.service.updateUser(user.id, body, s.actor);
        emit(io, args, view, () => `Password of ${view.username} changed.`);
      });
    },
  },
  {
    name: 'users delete',
    usage: 'users delete <username>',
    summary: 'delete a user and their key pair',
    help: `Deletes a user and their key pair (refused on running servers within ~250 ms). The last
active SuperUser cannot be deleted.

Options:
${CONFIG_OPTION_HELP}`,
    spec: { positionals: USERNAME, options: {} },
    run: async (args, io) => {
      const username = positional(args, 'username');
      const deleted = await withStore(args, io, (s) => {
        const user = userByName(s, username);
        const key = s.opened.store.getUserCredential(user.id);
        s.service.deleteUser(user.id, s.actor);
        return { username: user.username, user_id: user.id, access_key_id: key?.accessKeyId ?? null, deleted: true };
      });
      emit(io, args, deleted, () => `Deleted user ${deleted.username}${deleted.access_key_id === null ? '' : ` and their key ${deleted.access_key_id}`}.`);
    },
  },
  {
    name: 'users create-key',
    usage: 'users create-key <username>',
    summary: "issue the user's key pair (printed once); replaces the previous one",
    help: `Issues a key pair for the user and prints it ONCE. A user has at most one: an existing key
pair is replaced and stops working (on running servers within ~250 ms). The key may do what
the user's role allows, within the user's scopes.

Options:
${CONFIG_OPTION_HELP}`,
    spec: { positionals: USERNAME, options: {} },
    run: async (args, io) => {
      const username = positional(args, 'username');
      const { issued, replaced, name } = await withStore(args, io, (s) => {
        const user = userByName(s, username);
        const previous = s.opened.store.getUserCredential(user.id);
        return { issued: s.service.issueUserCredential(user.id, s.actor), replaced: previous?.accessKeyId, name: user.username };
      });
      const note = replaced === undefined ? '' : ` (it replaces ${replaced}, which no longer works)`;
      printIssued(io, args, issued, `Issued a key pair for ${name}${note}`);
    },
  },
  {
    name: 'users revoke-key',
    usage: 'users revoke-key <username>',
    summary: "delete the user's key pair",
    help: `Deletes the user's key pair: requests signed with it are refused (on running servers within
~250 ms). The user keeps their login; "users create-key" issues a new pair.

Options:
${CONFIG_OPTION_HELP}`,
    spec: { positionals: USERNAME, options: {} },
    run: async (args, io) => {
      const username = positional(args, 'username');
      const revoked = await withStore(args, io, (s) => {
        const user = userByName(s, username);
        const key = s.opened.store.getUserCredential(user.id);
        if (key === undefined) throw new CliFailure(`user ${user.username} has no key pair (s3gate users create-key ${user.username} makes one)`, 'username');
        s.service.revokeUserCredential(user.id, s.actor);
        return { username: user.username, access_key_id: key.accessKeyId, revoked: true };
      });
      emit(io, args, revoked, () => `Revoked ${revoked.access_key_id}, the key pair of ${revoked.username}: it no longer works.`);
    },
  },
];

export const ADMIN_COMMANDS: readonly StoreCommand[] = [
  {
    name: 'admin create-user',
    usage: 'admin create-user <username> [--password-stdin]',
    summary: 'create a SuperUser (the first admin of the admin API)',
    help: `Creates a SuperUser: they may log in to the admin API (POST /admin/api/login) and manage
keys and users there. The way to make the first admin (or set S3GATE_ADMIN_USERNAME and
S3GATE_ADMIN_PASSWORD before the first start). Same as: users create <username> --role SuperUser.

Options:
  --password-stdin     see below
${CONFIG_OPTION_HELP}

${PASSWORD_HELP}`,
    spec: { positionals: USERNAME, options: { 'password-stdin': 'boolean' } },
    run: async (args, io) => {
      await createUser(args, io, 'admin create-user', { username: positional(args, 'username'), role: 'SuperUser', scopes: [] });
    },
  },
];

async function createUser(
  args: ParsedArguments,
  io: CommandIo,
  command: string,
  fields: { username: string; role: string; scopes: readonly { bucket: string; prefixes: string[] }[] },
): Promise<void> {
  // Every other field first, so nobody types a password twice for a typo in the role.
  parseInput(createUserBodySchema, { ...fields, password: PLACEHOLDER_PASSWORD }, 'body');
  const view = await withStore(args, io, async (s) => {
    const existing = s.opened.store.getUserByUsername(fields.username);
    if (existing !== undefined) throw new CliFailure(`username "${existing.username}" is taken (s3gate users show ${existing.username})`, 'username');
    const password = await readPassword({ fromStdin: args.booleans.has('password-stdin'), label: `password for ${fields.username}`, command });
    const body = parseInput(createUserBodySchema, { ...fields, password }, 'body');
    return s.service.createUser(body, s.actor);
  });
  emit(io, args, view, () =>
    [
      `Created ${view.role} ${view.username} (${view.id}).`,
      view.role === 'SuperUser' ? 'They can log in to the admin API: POST /admin/api/login.' : `Give them a key pair: s3gate users create-key ${view.username}`,
    ].join('\n'),
  );
}

async function updateUser(args: ParsedArguments, io: CommandIo, patch: Record<string, unknown>, done: (u: UserView) => string): Promise<void> {
  const body = parseInput(patchUserBodySchema, patch, 'body');
  const view = await withStore(args, io, (s) => s.service.updateUser(userByName(s, positional(args, 'username')).id, body, s.actor));
  emit(io, args, view, () => done(view));
}

/** Users are addressed by username on the command line (case-insensitive, as logins are). */
function userByName(s: CliStore, username: string): UserRecord {
  const user = s.opened.store.getUserByUsername(username);
  if (user === undefined) throw new CliFailure(`no user "${username}" (s3gate users list shows them)`, 'username');
  return user;
}

function userScopesText(u: UserView): string {
  if (u.scopes.length === 0) return '(every bucket)';
  return u.scopes.map((s) => formatScope(s)).join(' ');
}
