import { describe, expect, it } from 'vitest';
import { findClaimedAccessKeyId } from '../../../src/sigv4/claimed-access-key.js';

describe('findClaimedAccessKeyId', () => {
  it.each([
    ['AWS4-HMAC-SHA256 Credential=SGAKABCDEFGH23456789/20261123/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00', '', 'SGAKABCDEFGH23456789'],
    ['AWS SGAKABCDEFGH23456789:c2lnbmF0dXJl', '', 'SGAKABCDEFGH23456789'],
    [undefined, 'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=SGAKABCDEFGH23456789%2F20261123%2Fus-east-1%2Fs3%2Faws4_request', 'SGAKABCDEFGH23456789'],
    [undefined, 'AWSAccessKeyId=SGAKABCDEFGH23456789&Expires=1&Signature=x', 'SGAKABCDEFGH23456789'],
    [undefined, 'list-type=2', undefined],
    ['Bearer something', '', undefined],
    [undefined, 'X-Amz-Credential=bad%00id%2F', undefined],
  ])('%j %j → %j', (authorization, query, expected) => {
    expect(findClaimedAccessKeyId(authorization, query)).toBe(expected);
  });
});
