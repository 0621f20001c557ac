import { describe, expect, it } from 'vitest';
import { isS3Action } from '../../../src/s3/actions.js';
import { parseAddressing } from '../../../src/s3/addressing.js';
import { classifyOperation } from '../../../src/s3/classify-operation.js';
import { OPERATIONS, type OperationRow } from '../../../src/s3/operations.js';

const DOMAIN = 's3.example.com';
const BUCKET = 'my-bucket';
const RAW_KEY = 'dir/my%20key+plus%E2%82%AC';
const KEY = 'dir/my key+plus€';
const SAMPLE_VALUES: Record<string, string> = { versionId: 'v1', uploadId: 'up-1', partNumber: '3', id: 'cfg-1' };

const rows: readonly OperationRow[] = OPERATIONS;

function queryFor(row: OperationRow): URLSearchParams {
  const q = new URLSearchParams();
  for (const token of row.query?.split('&') ?? []) {
    const [name = '', value] = token.split('=');
    q.set(name, value ?? SAMPLE_VALUES[name] ?? '');
  }
  q.set('x-id', row.name); // SDK noise: must not matter
  return q;
}

function requestFor(row: OperationRow, style: 'path' | 'virtual-host') {
  let host: string;
  let rawPath: string;
  if (row.target === 'service') {
    host = `${DOMAIN}:9000`;
    rawPath = '/';
  } else if (style === 'path') {
    host = `${DOMAIN}:9000`;
    rawPath = row.target === 'bucket' ? `/${BUCKET}` : `/${BUCKET}/${RAW_KEY}`;
  } else {
    host = `${BUCKET}.${DOMAIN}:9000`;
    rawPath = row.target === 'bucket' ? '/' : `/${RAW_KEY}`;
  }
  const addressing = parseAddressing({ host, rawPath, virtualHostDomains: [DOMAIN] });
  const headers: Record<string, string> = {};
  if (row.header !== undefined) headers[row.header] = '/src-bucket/src%20key';
  return { addressing, input: { method: row.method, bucket: addressing.bucket, key: addressing.key, query: queryFor(row), headers } };
}

const cases = rows.flatMap((row) =>
  (['path', 'virtual-host'] as const).map((style) => ({ label: `${row.name} ${row.method} ${row.target} ?${row.query ?? ''} ${row.header ?? ''} (${style})`, row, style })),
);

describe('operation table', () => {
  it('uses only known actions', () => {
    for (const row of rows) expect(isS3Action(row.action), row.name).toBe(true);
  });

  it('has no two rows with the same selector', () => {
    const seen = new Set<string>();
    for (const row of rows) {
      const selector = `${row.method} ${row.target} ${row.query ?? ''} ${row.header ?? ''}`;
      expect(seen.has(selector), selector).toBe(false);
      seen.add(selector);
    }
  });

  it('covers every S3 action except the synthesized/implicit ones', async () => {
    const { S3_ACTIONS } = await import('../../../src/s3/actions.js');
    const used = new Set(rows.map((r) => r.action));
    expect(S3_ACTIONS.filter((a) => !used.has(a))).toEqual([]);
  });

  it.each(cases)('classifies $label', ({ row, style }) => {
    const { addressing, input } = requestFor(row, style);
    if (row.target !== 'service') expect(addressing.style).toBe(style);
    const op = classifyOperation(input);
    expect(op).toBeDefined();
    expect(op?.operation).toBe(row.name);
    expect(op?.action).toBe(row.action);
    expect(op?.access).toBe(row.access);
    expect(op?.target).toBe(row.target);
    if (row.target !== 'service') expect(op?.bucket).toBe(BUCKET);
    expect(op?.key).toBe(row.target === 'object' ? KEY : undefined);
    if (row.header !== undefined) expect(op?.copySource).toEqual({ bucket: 'src-bucket', key: 'src key' });
  });

  it.each(rows.filter((r) => r.target !== 'service'))('does not classify $name on the wrong target', (row) => {
    const wrong = row.target === 'object' ? { bucket: BUCKET, key: undefined } : { bucket: BUCKET, key: 'k' };
    const headers: Record<string, string> = row.header === undefined ? {} : { [row.header]: '/b/k' };
    const op = classifyOperation({ method: row.method, ...wrong, query: queryFor(row), headers });
    expect(op?.operation === row.name && op.action === row.action).toBe(false);
  });
});
