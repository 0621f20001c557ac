/**
 * `s3gate keys ...`: minted access keys in the store (create, list, show, disable, enable,
 * revoke, rotate), through AdminService so they are validated and audited as the admin API's
 * are. proxy.toml's keys are listed read-only. A secret is printed once, at create/rotate.
 */
import type { CredentialView, IssuedCredentialView } from '../admin/admin-service.js';
import { createCredentialBodySchema, patchCredentialBodySchema } from '../admin/admin-schemas.js';
import { parseInput } from '../http/admin-validation.js';
import { UsageError } from './cli-errors.js';
import { formatFields, formatTable, shortTime } from './format-table.js';
import type { CliStore } from './open-cli-store.js';
import { positional, requiredOption } from './parse-arguments.js';
import { formatScope, KEY_SCOPE_SYNTAX, parseScopeArgument } from './scope-argument.js';
import { CONFIG_OPTION_HELP, type CommandIo, emit, SECRET_WARNING, type StoreCommand, withStore } from './store-command.js';

const ID = ['access-key-id'];

export const KEY_COMMANDS: readonly StoreCommand[] = [
  {
    name: 'keys create',
    usage: `keys create --description <text> --scope ${KEY_SCOPE_SYNTAX} [--scope ...] [--expires-at <iso>]`,
    summary: 'mint an access key (the secret is printed once)',
    help: `Mints an access key in the store and prints its access key id and secret access key ONCE:
the secret is stored only encrypted and cannot be shown again.

Scopes (one --scope each, repeat for more; a request is allowed when any scope allows it):
  --scope '${KEY_SCOPE_SYNTAX}'
    The bucket (or a glob such as team-*) ends at the first "/"; the actions follow the LAST
    ":" (comma-separated action names from docs/actions.md, or * for all); everything in
    between is one key prefix, matched on "/" boundaries.
    --scope 'photos:get_object,head_object,list_bucket'   read the bucket photos
    --scope 'logs/2024/:*'                                everything under logs/2024/

Options:
  --description <text>   who or what the key is for (required)
  --scope <scope>        required, repeatable
  --expires-at <iso>     e.g. 2030-01-15T00:00:00Z (default: never)
${CONFIG_OPTION_HELP}`,
    spec: { positionals: [], options: { description: 'string', scope: 'repeated', 'expires-at': 'string' } },
    run: async (args, io) => {
      const command = 'keys create';
      const description = requiredOption(args, 'description', command, '"nightly backup job"');
      const scopeArgs = args.repeated.get('scope') ?? [];
      if (scopeArgs.length === 0) throw new UsageError(`--scope is required (e.g. --scope 'photos:get_object,list_bucket')`, command);
      const expiresAt = args.strings.get('expires-at');
      const body = parseInput(
        createCredentialBodySchema,
        { description, scopes: scopeArgs.map((s) => parseScopeArgument(s, command)), ...(expiresAt === undefined ? {} : { expires_at: expiresAt }) },
        'body',
      );
      const issued = await withStore(args, io, (s) => s.service.createCredential(body, s.actor));
      printIssued(io, args, issued, `Created access key ${issued.access_key_id}`);
    },
  },
  {
    name: 'keys list',
    usage: 'keys list',
    summary: "list every key: the store's and proxy.toml's (read-only); never a secret",
    help: `Lists the access keys s3gate serves: those in the store, and those of proxy.toml (marked
toml, read-only: edit the file to change them). Secrets are never shown.

Options:
${CONFIG_OPTION_HELP}`,
    spec: { positionals: [], options: {} },
    run: async (args, io) => {
      const { credentials, owners } = await withStore(args, io, (s) => ({ credentials: s.service.listCredentials(), owners: ownersOf(s) }));
      emit(io, args, { credentials }, () => {
        if (credentials.length === 0) return 'No access keys yet (s3gate keys create --help).';
        return formatTable(
          ['ACCESS KEY ID', 'SOURCE', 'STATUS', 'EXPIRES', 'DESCRIPTION', 'SCOPES'],
          credentials.map((c) => [c.access_key_id, c.source, status(c), shortTime(c.expires_at), describeOwner(c, owners), scopesText(c)]),
        );
      });
    },
  },
  {
    name: 'keys show',
    usage: 'keys show <access-key-id>',
    summary: 'one key in detail (never its secret)',
    help: `Shows one access key: source, status, scopes, dates, who created it. Never the secret.

Options:
${CONFIG_OPTION_HELP}`,
    spec: { positionals: ID, options: {} },
    run: async (args, io) => {
      const id = positional(args, 'access-key-id');
      const { view, owners } = await withStore(args, io, (s) => ({ view: s.service.getCredential(id), owners: ownersOf(s) }));
      emit(io, args, view, () => formatCredential(view, owners));
    },
  },
  toggle('disable', false),
  toggle('enable', true),
  {
    name: 'keys revoke',
    usage: 'keys revoke <access-key-id>',
    summary: 'delete a key for good (running servers refuse it within ~250 ms)',
    help: `Deletes an access key from the store: requests signed with it are refused from now on
(running servers notice within their store poll interval, 250 ms by default). There is no
undo: to stop a key for a while, use keys disable.

Options:
${CONFIG_OPTION_HELP}`,
    spec: { positionals: ID, options: {} },
    run: async (args, io) => {
      const id = positional(args, 'access-key-id');
      await withStore(args, io, (s) => s.service.revokeCredential(id, s.actor));
      emit(io, args, { access_key_id: id, revoked: true }, () => `Revoked ${id}: it no longer works.`);
    },
  },
  {
    name: 'keys rotate',
    usage: 'keys rotate <access-key-id>',
    summary: 'new secret for the same key id (printed once); the old secret stops working',
    help: `Gives the key a new secret access key and prints it ONCE. The access key id, scopes and
expiry stay; the old secret stops working (on running servers within ~250 ms).

Options:
${CONFIG_OPTION_HELP}`,
    spec: { positionals: ID, options: {} },
    run: async (args, io) => {
      const id = positional(args, 'access-key-id');
      const issued = await withStore(args, io, (s) => s.service.rotateCredential(id, s.actor));
      printIssued(io, args, issued, `Rotated ${id}: the old secret no longer works`);
    },
  },
];

function toggle(verb: 'disable' | 'enable', enabled: boolean): StoreCommand {
  return {
    name: `keys ${verb}`,
    usage: `keys ${verb} <access-key-id>`,
    summary: enabled ? 'serve a disabled key again' : 'refuse a key until it is enabled again (AccessDenied)',
    help: `${enabled ? 'Enables' : 'Disables'} a stored access key${enabled ? '' : ': requests signed with it are refused (AccessDenied) until keys enable'}.
Running servers see the change within ~250 ms. proxy.toml keys are read-only (edit the file).

Options:
${CONFIG_OPTION_HELP}`,
    spec: { positionals: ID, options: {} },
    run: async (args, io) => {
      const id = positional(args, 'access-key-id');
      const body = parseInput(patchCredentialBodySchema, { enabled }, 'body');
      const { view, owners } = await withStore(args, io, (s) => ({ view: s.service.updateCredential(id, body, s.actor), owners: ownersOf(s) }));
      emit(io, args, view, () => `${enabled ? 'Enabled' : 'Disabled'} ${id}.\n\n${formatCredential(view, owners)}`);
    },
  };
}

/** user id → "alice (Writer)", for keys that belong to a user. */
type Owners = ReadonlyMap<string, string>;

function ownersOf(s: CliStore): Owners {
  return new Map(s.opened.store.listUsers().map((u) => [u.id, `${u.username} (${u.role}${u.isActive ? '' : ', inactive'})`]));
}

function describeOwner(c: CredentialView, owners: Owners): string {
  if (c.user_id !== null) return `user ${owners.get(c.user_id) ?? c.user_id}`;
  return c.description;
}

function scopesText(c: CredentialView): string {
  if (c.user_id !== null) return "(the user's role and scopes)";
  if (c.scopes.length === 0) return '(none)';
  return c.scopes.map((s) => formatScope(s)).join(' ');
}

function status(c: CredentialView): string {
  if (!c.enabled) return 'disabled';
  if (c.expires_at !== null && Date.parse(c.expires_at) <= Date.now()) return 'expired';
  return 'enabled';
}

function formatCredential(c: CredentialView, owners: Owners): string {
  return formatFields([
    ['access key id', c.access_key_id],
    ['source', c.read_only ? `${c.source} (read-only: edit proxy.toml)` : c.source],
    ['status', status(c)],
    [c.user_id === null ? 'description' : 'user', describeOwner(c, owners)],
    ['scopes', scopesText(c)],
    ['expires', c.expires_at ?? 'never'],
    ['created', c.created_at ?? '-'],
    ['updated', c.updated_at ?? '-'],
    ['created by', c.created_by ?? '-'],
  ]);
}

export function printIssued(io: CommandIo, args: Parameters<StoreCommand['run']>[0], issued: IssuedCredentialView, headline: string): void {
  emit(io, args, issued, () =>
    [
      `${headline}.`,
      '',
      `  access key id:      ${issued.access_key_id}`,
      `  secret access key:  ${issued.secret_access_key}`,
    ].join('\n'),
  );
  io.stderr.write(`\n${SECRET_WARNING}\n`);
}
