import { describe, expect, it } from 'vitest';
import { parseAddressing } from '../../../src/s3/addressing.js';
import { S3Error } from '../../../src/s3/s3-error.js';

const domains = ['s3.example.com', 'S3.Other.Test'];

describe('parseAddressing', () => {
  it.each([
    // host, rawPath, bucket, key, style
    ['s3.example.com', '/bucket/key', 'bucket', 'key', 'path'],
    ['s3.example.com:9000', '/bucket/dir/key.txt', 'bucket', 'dir/key.txt', 'path'],
    ['localhost:9000', '/bucket', 'bucket', undefined, 'path'],
    ['localhost', '/bucket/', 'bucket', undefined, 'path'],
    ['localhost', '/', undefined, undefined, 'path'],
    ['localhost', '', undefined, undefined, 'path'],
    ['localhost', '/bucket//a//b/', 'bucket', '/a//b/', 'path'],
    ['localhost', '/bucket/a%20b+c', 'bucket', 'a b+c', 'path'],
    ['localhost', '/bucket/%E2%82%AC/%2F', 'bucket', '€//', 'path'],
    ['localhost', '/bucket/a/../b', 'bucket', 'a/../b', 'path'],
    ['[::1]:9000', '/bucket/k', 'bucket', 'k', 'path'],
    ['127.0.0.1:9000', '/bucket/k', 'bucket', 'k', 'path'],
    ['evil-s3.example.com', '/bucket/k', 'bucket', 'k', 'path'],
    ['s3.example.com', '/b', 'b', undefined, 'path'],
    ['.s3.example.com', '/b/k', 'b', 'k', 'path'],
    ['bucket.s3.example.com', '/key', 'bucket', 'key', 'virtual-host'],
    ['bucket.s3.example.com:443', '/dir/key', 'bucket', 'dir/key', 'virtual-host'],
    ['Bucket.S3.Example.COM', '/Key', 'bucket', 'Key', 'virtual-host'],
    ['bucket.s3.example.com.', '/k', 'bucket', 'k', 'virtual-host'],
    ['my.dotted.bucket.s3.example.com', '/k', 'my.dotted.bucket', 'k', 'virtual-host'],
    ['bucket.s3.other.test', '/k', 'bucket', 'k', 'virtual-host'],
    ['bucket.s3.example.com', '/', 'bucket', undefined, 'virtual-host'],
    ['bucket.s3.example.com', '', 'bucket', undefined, 'virtual-host'],
    ['bucket.s3.example.com', '//a', 'bucket', '/a', 'virtual-host'],
    ['bucket.s3.example.com', '/a%2Bb+c%25', 'bucket', 'a+b+c%', 'virtual-host'],
  ] as const)('%s %s → bucket %s key %s (%s)', (host, rawPath, bucket, key, style) => {
    expect(parseAddressing({ host, rawPath, virtualHostDomains: domains })).toEqual({ bucket, key, style });
  });

  it('prefers the longest matching domain and treats a bare domain as path style', () => {
    const nested = ['example.com', 's3.example.com'];
    expect(parseAddressing({ host: 'b.s3.example.com', rawPath: '/k', virtualHostDomains: nested })).toEqual({ bucket: 'b', key: 'k', style: 'virtual-host' });
    expect(parseAddressing({ host: 's3.example.com', rawPath: '/b/k', virtualHostDomains: nested })).toEqual({ bucket: 'b', key: 'k', style: 'path' });
    expect(parseAddressing({ host: 'x.example.com', rawPath: '/k', virtualHostDomains: nested })).toEqual({ bucket: 'x', key: 'k', style: 'virtual-host' });
  });

  it('is path style without a Host header or without configured domains', () => {
    expect(parseAddressing({ host: undefined, rawPath: '/b/k', virtualHostDomains: domains })).toEqual({ bucket: 'b', key: 'k', style: 'path' });
    expect(parseAddressing({ host: 'b.s3.example.com', rawPath: '/x/k', virtualHostDomains: [] })).toEqual({ bucket: 'x', key: 'k', style: 'path' });
  });

  it.each(['/bucket/%zz', '/bucket/%E2%82', '/bucket/%', '/%zz/k'])('rejects bad percent-encoding in %s with InvalidURI', (rawPath) => {
    const run = () => parseAddressing({ host: 'localhost', rawPath, virtualHostDomains: domains });
    expect(run).toThrow(S3Error);
    expect(run).toThrow(expect.objectContaining({ code: 'InvalidURI', status: 400 }));
  });

  it('rejects bad percent-encoding in virtual-host keys too', () => {
    expect(() => parseAddressing({ host: 'b.s3.example.com', rawPath: '/%G0', virtualHostDomains: domains })).toThrow(
      expect.objectContaining({ code: 'InvalidURI' }),
    );
  });

  it('rejects a path-style bucket that decodes to a slash', () => {
    expect(() => parseAddressing({ host: 'localhost', rawPath: '/a%2Fb/k', virtualHostDomains: domains })).toThrow(
      expect.objectContaining({ code: 'InvalidBucketName' }),
    );
  });

  it.each(['logs-a/secret.s3.example.com', 'a@b.s3.example.com', '..s3.example.com', 'a%2fb.s3.example.com'])(
    'rejects a virtual-host bucket that is not a host label: %s',
    (host) => {
      expect(() => parseAddressing({ host, rawPath: '/k', virtualHostDomains: domains })).toThrow(
        expect.objectContaining({ code: 'InvalidBucketName' }),
      );
    },
  );
});
