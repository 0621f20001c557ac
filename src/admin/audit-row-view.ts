/**
 * An audit row as the admin API and `s3gate audit tail --json` show it: snake_case, ISO time,
 * null for an empty column. One shape for both, so a script reads either the same way.
 */
import type { AuditRow } from '../audit/audit-query.js';

export interface AuditRowView {
  readonly id: number;
  readonly time: string;
  readonly request_id: string;
  readonly action: string;
  readonly outcome: AuditRow['outcome'];
  readonly status: number | null;
  readonly error_code: string | null;
  readonly principal: string | null;
  readonly access_key_id: string | null;
  readonly bucket: string | null;
  readonly key: string | null;
  readonly bytes: number | null;
  readonly client_address: string | null;
  readonly detail: Record<string, unknown>;
}

export function buildAuditRowView(row: AuditRow): AuditRowView {
  return {
    id: row.id,
    time: new Date(row.timeMs).toISOString(),
    request_id: row.requestId,
    action: row.action,
    outcome: row.outcome,
    status: row.status ?? null,
    error_code: row.errorCode ?? null,
    principal: row.principal ?? null,
    access_key_id: row.accessKeyId ?? null,
    bucket: row.bucket ?? null,
    key: row.key ?? null,
    bytes: row.bytes ?? null,
    client_address: row.clientAddress ?? null,
    detail: row.detail,
  };
}
