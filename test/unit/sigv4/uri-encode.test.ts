import { describe, expect, it } from 'vitest';
import { percentDecode, percentDecodeToBytes, recodeUriComponent, uriEncode } from '../../../src/sigv4/uri-encode.js';

describe('uriEncode', () => {
  it.each([
    ['abc-._~XYZ019', false, 'abc-._~XYZ019'],
    ['a b', false, 'a%20b'],
    ['a+b', false, 'a%2Bb'],
    ['a/b', false, 'a%2Fb'],
    ['a/b', true, 'a/b'],
    ['ሴ', false, '%E1%88%B4'],
    ['é', false, '%C3%A9'],
    ['*!\'()', false, '%2A%21%27%28%29'],
    ['%', false, '%25'],
    ['', false, ''],
  ])('encodes %j (keepSlash=%s) as %j', (input, keepSlash, expected) => {
    expect(uriEncode(input, keepSlash)).toBe(expected);
  });
});

describe('percentDecode', () => {
  it.each([
    ['a%20b', 'a b'],
    ['a+b', 'a+b'],
    ['%E1%88%B4', 'ሴ'],
    ['%e1%88%b4', 'ሴ'],
    ['plain', 'plain'],
  ])('decodes %j as %j', (input, expected) => {
    expect(percentDecode(input)).toBe(expected);
  });

  it('keeps bytes that are not UTF-8', () => {
    expect([...percentDecodeToBytes('%FF%00a')]).toEqual([0xff, 0, 0x61]);
  });

  it.each(['%', '%2', '%zz', 'a%g0'])('rejects malformed escape %j with InvalidURI', (input) => {
    expect(() => percentDecodeToBytes(input)).toThrow(expect.objectContaining({ code: 'InvalidURI' }));
  });
});

describe('recodeUriComponent', () => {
  it.each([
    ['/a%7eb', true, '/a~b'],
    ['/a%2fb', true, '/a/b'],
    ['/a%2fb', false, '%2Fa%2Fb'],
    ['/a b', true, '/a%20b'],
    ['/a+b', true, '/a%2Bb'],
    ['/a%2Bb', true, '/a%2Bb'],
    ['/a%2bb', true, '/a%2Bb'],
    ['//x/../y/./z', true, '//x/../y/./z'],
    ['/%FF', true, '/%FF'],
    ['/ሴ', true, '/%E1%88%B4'],
  ])('recodes %j (keepSlash=%s) as %j', (input, keepSlash, expected) => {
    expect(recodeUriComponent(input, keepSlash)).toBe(expected);
  });
});
