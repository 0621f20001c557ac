import { describe, expect, it } from 'vitest';
import { editDistance, findClosestMatch, normalizeName } from '../../../src/config/closest-match.js';

describe('normalizeName', () => {
  it.each([
    ['accessKeyId', 'access_key_id'],
    ['s3:GetObject', 'get_object'],
    ['Access-Key-Id', 'access_key_id'],
    ['  list_bucket ', 'list_bucket'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeName(input)).toBe(expected);
  });
});

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['abc', '', 3],
    ['kitten', 'sitting', 3],
    ['get_objects', 'get_object', 1],
  ])('%s / %s = %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe('findClosestMatch', () => {
  const keys = ['access_key_id', 'secret_access_key', 'secret_access_key_env', 'principal_name', 'enabled'];
  it.each<[string, string | undefined]>([
    ['secret_key', 'secret_access_key'],
    ['secretAccessKey', 'secret_access_key'],
    ['acess_key_id', 'access_key_id'],
    ['enable', 'enabled'],
    ['principal', 'principal_name'],
    ['colour', undefined],
    ['', undefined],
  ])('%s → %s', (input, expected) => {
    expect(findClosestMatch(input, keys)).toBe(expected);
  });

  it('uses aliases after normalising', () => {
    expect(findClosestMatch('ListObjectsV2', ['list_bucket', 'get_object'], { list_objects_v2: 'list_bucket' })).toBe(
      'list_bucket',
    );
  });
});
