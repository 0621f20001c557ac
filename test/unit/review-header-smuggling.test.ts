/**
 * Review: headers and x-amz-* query parameters that can change what the upstream does.
 */
import { describe, expect, it } from 'vitest';
import { buildForwardHeaders } from '../../src/proxy/forward-headers.js';
import { classifyOperation } from '../../src/s3/classify-operation.js';

describe('review: method-override headers are forwarded upstream', () => {
  // A presigned GET URL signs only `host`; its holder may add any non-x-amz header. Backends or
  // front ends that honour method overrides (Google Cloud Storage's XML API, many API gateways)
  // would run a DELETE/PUT the policy classified as GetObject.
  it.each(['x-http-method-override', 'x-http-method', 'x-method-override'])('drops %s', (name) => {
    const out = buildForwardHeaders({ [name]: 'DELETE', 'x-amz-meta-a': 'b' }, { kind: 'unsigned' });
    expect(out['x-amz-meta-a']).toBe('b');
    expect(out[name]).toBeUndefined();
  });
});

describe('review: an x-amz-* header sent both as a header and as a query parameter', () => {
  // classify-operation.ts header(): `headers[name] ?? amzParams.get(name)` — when both are present
  // only the header is looked at, but BOTH are forwarded upstream (forwardedQuery keeps x-amz-*
  // parameters). An upstream that reads the query form (presigned-style) gets public-read
  // although the policy saw `private` and never asked for put_object_acl.
  it('PutObject with x-amz-acl: private header and x-amz-acl=public-read query needs put_object_acl', () => {
    const op = classifyOperation({
      method: 'PUT',
      bucket: 'b',
      key: 'k',
      query: { 'x-amz-acl': 'public-read' },
      headers: { 'x-amz-acl': 'private' },
    });
    // Either refuse the ambiguous request, or require the action for the widest value.
    if (op !== undefined) expect(op.additionalActions ?? []).toContain('put_object_acl');
  });

  it('PutObject with an allowed x-amz-copy-source header and a different one in the query is not classified on the header alone', () => {
    const op = classifyOperation({
      method: 'PUT',
      bucket: 'b',
      key: 'k',
      query: { 'x-amz-copy-source': '/secret-bucket/k' },
      headers: { 'x-amz-copy-source': '/b/public' },
    });
    expect(op === undefined || op.copySource?.bucket === 'secret-bucket').toBe(true);
  });
});
