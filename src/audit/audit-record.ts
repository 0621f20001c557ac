/**
 * One row of the audit trail, as the use cases hand it to an AuditSink, and the sink contract.
 * Columns of the `audit` table (src/db/migrations.ts) in camelCase; `detail` is stored as JSON.
 * Actions are named `s3.proxy.<Operation>` (S3 requests, e.g. `s3.proxy.PutObject`) and
 * `admin.<thing>.<verb>` (admin actions, e.g. `admin.credential.create`).
 * Never put secrets, signatures or session tokens in a record: the trail is readable by admins.
 */
import type { S3AuditEvent } from './s3-audit-row.js';

/** `denied`: refused for authentication or authorisation; `error`: failed for any other reason. */
export type AuditOutcome = 'success' | 'denied' | 'error';

export interface AuditRecord {
  /** Epoch milliseconds. */
  readonly timeMs: number;
  readonly requestId: string;
  readonly action: string;
  readonly outcome: AuditOutcome;
  /** HTTP status answered (an integer). */
  readonly status?: number | undefined;
  readonly errorCode?: string | undefined;
  readonly principal?: string | undefined;
  readonly accessKeyId?: string | undefined;
  readonly bucket?: string | undefined;
  readonly key?: string | undefined;
  /** An integer; what it counts depends on the action (documented where the record is built). */
  readonly bytes?: number | undefined;
  readonly clientAddress?: string | undefined;
  /** JSON-serialisable, snake_case keys. */
  readonly detail: Record<string, unknown>;
  /**
   * True for a successful read recorded only because it was sampled: a sink under memory
   * pressure may drop it. Writes, deletes, denials, errors and admin actions leave it unset and
   * are never dropped. Not stored.
   */
  readonly sampled?: boolean | undefined;
}

export interface AuditSink {
  /** Queues a record. Never throws, never waits on I/O (safe on the request path). */
  record(r: AuditRecord): void;
  /**
   * Optional: queues an S3 request's row from its event, the record built later by the sink
   * (ThreadedAuditSink builds it on its writer thread). Callers without it use
   * record(buildS3AuditRecord(event, timeMs, sampled)).
   */
  recordS3?(event: S3AuditEvent, timeMs: number, sampled: boolean): void;
  /** Writes everything queued now, synchronously. */
  flush(): void;
  /**
   * Flushes and stops the sink's timers. Records arriving later are written one by one while
   * the sink's connection is open (SqliteAuditSink), or logged as lost (ThreadedAuditSink): the
   * server closes the store only after its in-flight requests finished.
   */
  close(): void;
}

/** What the sinks log through: a pino Logger, or the audit writer thread's forwarder. */
export interface AuditLog {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}
