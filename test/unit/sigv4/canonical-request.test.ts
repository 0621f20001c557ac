import { describe, expect, it } from 'vitest';
import {
  buildCanonicalHeaders,
  buildCanonicalQuery,
  buildCanonicalRequest,
  buildCanonicalUri,
  canonicalHeaderValue,
  parseQuery,
} from '../../../src/sigv4/canonical-request.js';

describe('buildCanonicalUri', () => {
  it.each([
    ['', '/'],
    ['/', '/'],
    ['/bucket/key', '/bucket/key'],
    ['//double//slash', '//double//slash'],
    ['/a/./b/../c', '/a/./b/../c'],
    ['/key%20with%20space', '/key%20with%20space'],
    ['/key+plus', '/key%2Bplus'],
    ['/tilde%7E', '/tilde~'],
    ['/lower%e1%88%b4', '/lower%E1%88%B4'],
    ['/a%2Fb', '/a/b'],
    ['/eq=and&', '/eq%3Dand%26'],
  ])('%j → %j (S3 does not normalise)', (raw, expected) => {
    expect(buildCanonicalUri(raw)).toBe(expected);
  });
});

describe('parseQuery + buildCanonicalQuery', () => {
  const canonical = (raw: string, exclude?: string): string => buildCanonicalQuery(parseQuery(raw), exclude);

  it.each([
    ['', ''],
    ['acl', 'acl='],
    ['uploads&prefix=a', 'prefix=a&uploads='],
    ['b=2&a=1&a=0', 'a=0&a=1&b=2'],
    ['Param2=value2&Param1=value1', 'Param1=value1&Param2=value2'],
    ['a=x+y', 'a=x%2By'],
    ['a=x%20y', 'a=x%20y'],
    ['a=%7e', 'a=~'],
    ['%E1%88%B4=bar', '%E1%88%B4=bar'],
    ['a=1&&b=2&', 'a=1&b=2'],
    ['a==b', 'a=%3Db'],
    ['prefix=photos/2006/', 'prefix=photos%2F2006%2F'],
    ['B=1&a=1&_=1', 'B=1&_=1&a=1'],
  ])('%j → %j', (raw, expected) => {
    expect(canonical(raw)).toBe(expected);
  });

  it('sorts by encoded name, then value', () => {
    // '%' (0x25) sorts before letters: the encoded form decides, not the decoded one.
    expect(canonical('z=1&%C3%A9=1&a b=1')).toBe('%C3%A9=1&a%20b=1&z=1');
  });

  it('drops the excluded parameter only', () => {
    expect(canonical('X-Amz-Signature=abc&X-Amz-Date=1', 'X-Amz-Signature')).toBe('X-Amz-Date=1');
  });

  it('keeps decoded names and values', () => {
    expect(parseQuery('X-Amz-Credential=AK%2F2025%2Fr&flag')).toEqual([
      { name: 'X-Amz-Credential', value: 'AK/2025/r', encodedName: 'X-Amz-Credential', encodedValue: 'AK%2F2025%2Fr' },
      { name: 'flag', value: '', encodedName: 'flag', encodedValue: '' },
    ]);
  });
});

describe('canonical headers', () => {
  it.each([
    ['value', 'value'],
    ['  padded  ', 'padded'],
    ['"a   b   c"', '"a b c"'],
    ['a\tb', 'a b'],
    ['value1\n  value2\n     value3', 'value1 value2 value3'],
    ['', ''],
  ])('value %j → %j', (value, expected) => {
    expect(canonicalHeaderValue(value)).toBe(expected);
  });

  it('joins repeated values with a comma, in order', () => {
    expect(canonicalHeaderValue(['value2', ' value2', 'value1 '])).toBe('value2,value2,value1');
  });

  it('sorts signed headers and writes absent ones as empty', () => {
    expect(buildCanonicalHeaders({ host: 'h', 'x-amz-date': 'd', other: 'o' }, ['x-amz-date', 'host', 'missing'])).toBe(
      'host:h\nmissing:\nx-amz-date:d\n',
    );
  });

  it('builds the full canonical request', () => {
    expect(
      buildCanonicalRequest({
        method: 'GET',
        canonicalUri: '/',
        canonicalQuery: '',
        canonicalHeaders: 'host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n',
        signedHeaders: 'host;x-amz-date',
        payloadHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      }),
    ).toBe(
      'GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });
});
