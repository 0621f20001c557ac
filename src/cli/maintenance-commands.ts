/**
 * `s3gate store rotate-master-key` (re-encrypt every stored secret under the current master
 * key) and `s3gate audit tail` (the newest rows of the audit table).
 */
import { buildAuditRowView } from '../admin/audit-row-view.js';
import { auditQuerySchema } from '../admin/admin-schemas.js';
import { AuditQueryError, queryAudit } from '../audit/audit-query.js';
import { MASTER_KEY_ENV, MASTER_KEY_PREVIOUS_ENV } from '../credentials/master-key.js';
import { deriveMasterKeyId } from '../credentials/secret-box.js';
import { parseInput } from '../http/admin-validation.js';
import { CliFailure } from './cli-errors.js';
import { formatTable, shortTime } from './format-table.js';
import { CONFIG_OPTION_HELP, emit, type StoreCommand, withStore } from './store-command.js';

export const STORE_COMMANDS: readonly StoreCommand[] = [
  {
    name: 'store rotate-master-key',
    usage: 'store rotate-master-key',
    summary: 're-encrypt every stored secret under the new master key',
    help: `Re-encrypts every stored secret access key under the CURRENT master key, in one transaction
(all or nothing), and reports how many changed. Run it with the NEW key as the master key
(${MASTER_KEY_ENV}, or [store] master_key_file) and the OLD key as the previous one
(${MASTER_KEY_PREVIOUS_ENV}, or [store] previous_master_key_file). Running it again is harmless.

The whole procedure (docs/cli.md, "Rotating the master key"):
  1. generate the new key:              openssl rand -hex 32
  2. restart the servers with the new key and the old one as previous (no downtime)
  3. s3gate store rotate-master-key     with the new key and the old one as previous
  4. restart the servers with only the new key (admins log in again)
  5. destroy the old key

Options:
${CONFIG_OPTION_HELP}`,
    spec: { positionals: [], options: {} },
    run: async (args, io) => {
      const result = await withStore(args, io, (s) => {
        const total = (s.opened.db.prepare('SELECT count(*) AS n FROM credentials').get() as { n: number }).n;
        const masterKeyId = deriveMasterKeyId(s.opened.masterKey);
        const reencrypted = s.opened.store.reencryptAll();
        s.service.audit(s.actor, 'admin.store.rotate_master_key', 'success', 200, { reencrypted, total, master_key_id: masterKeyId });
        return { reencrypted, total, master_key_id: masterKeyId };
      });
      emit(io, args, result, () => {
        const already = result.total - result.reencrypted;
        return [
          `Re-encrypted ${result.reencrypted} of ${result.total} stored secret(s) under master key ${result.master_key_id}${already > 0 ? ` (${already} already were)` : ''}.`,
          'Next: restart every s3gate server with only the new master key, then destroy the old one.',
          'A server still running with only the old key refuses every stored key until restarted.',
        ].join('\n');
      });
    },
  },
];

export const AUDIT_COMMANDS: readonly StoreCommand[] = [
  {
    name: 'audit tail',
    usage: 'audit tail [--action <prefix>] [--limit <n>] [--principal <p>] [--key <id>] [--outcome <o>] [--since <iso>]',
    summary: 'the newest audit rows (S3 requests, admin actions)',
    help: `Prints the newest rows of the audit table, oldest first so the newest is at the bottom.
With --json: {"items": [...], "next_cursor": ...}, newest first, as GET /admin/api/audit.

Options:
  --action <prefix>    action prefix, e.g. s3.proxy. or admin.credential. (matched literally)
  --limit <n>          how many rows, 1-1000 (default 50)
  --principal <p>      e.g. cli:root, user:alice, or a key's principal name
  --key <id>           one access key id
  --outcome <o>        success, denied or error
  --since <iso>        rows at or after this time, e.g. 2030-01-15T00:00:00Z
${CONFIG_OPTION_HELP}`,
    spec: {
      positionals: [],
      options: { action: 'string', limit: 'string', principal: 'string', key: 'string', outcome: 'string', since: 'string' },
    },
    run: async (args, io) => {
      const raw: Record<string, string> = { limit: args.strings.get('limit') ?? '50' };
      for (const [option, field] of [['action', 'action'], ['principal', 'principal'], ['key', 'access_key_id'], ['outcome', 'outcome'], ['since', 'since']] as const) {
        const value = args.strings.get(option);
        if (value !== undefined) raw[field] = value;
      }
      const q = parseInput(auditQuerySchema, raw, 'query');
      const page = await withStore(args, io, (s) => {
        try {
          return queryAudit(s.opened.db, { actionPrefix: q.action, accessKeyId: q.access_key_id, principal: q.principal, outcome: q.outcome, sinceMs: q.since }, { limit: q.limit });
        } catch (err) {
          if (err instanceof AuditQueryError) throw new CliFailure(err.message, err.code === 'InvalidLimit' ? 'limit' : undefined);
          throw err;
        }
      });
      const items = page.items.map(buildAuditRowView);
      emit(io, args, { items, next_cursor: page.nextCursor ?? null }, () => {
        if (items.length === 0) return 'No audit rows match.';
        return formatTable(
          ['TIME', 'ACTION', 'OUTCOME', 'STATUS', 'PRINCIPAL', 'ACCESS KEY', 'TARGET', 'DETAIL'],
          [...items].reverse().map((r) => [
            shortTime(r.time),
            r.action,
            r.outcome,
            r.status === null ? '-' : String(r.status),
            r.principal ?? '-',
            r.access_key_id ?? '-',
            r.bucket === null ? '-' : r.key === null ? r.bucket : `${r.bucket}/${r.key}`,
            Object.keys(r.detail).length === 0 ? '' : JSON.stringify(r.detail),
          ]),
        );
      });
    },
  },
];
