/**
 * ListBuckets answered from the credential's scopes: exact bucket names are listed without
 * touching the upstream; glob scopes (team-*) ask each backend and keep the matches.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html
 */
import { createHash } from 'node:crypto';
import { filterBucketsByScopes, hasGlobScopes, visibleBuckets } from '../policy/evaluate-access.js';
import { buildListBucketsXml, parseListAllMyBucketsXml } from '../s3/xml.js';
import { buildUpstreamRequest } from '../upstream/resign-request.js';
import { EMPTY_SHA256 } from '../upstream/resign-request.js';
import { fetchUpstream } from '../upstream/forward-request.js';
import { S3Error } from '../s3/s3-error.js';
import type { S3Call } from './handle-s3-request.js';
import { sendXml } from './respond.js';


export async function answerListBuckets(call: S3Call): Promise<void> {
  const credential = call.verified.credential;
  if (credential === undefined) throw new S3Error('AccessDenied');
  const buckets = new Map<string, Date | string>();
  // The upstream is not asked for exact scopes, so their CreationDate is the key's own.
  const synthesizedDate = new Date(credential.createdAtMs ?? 0);
  for (const name of visibleBuckets(credential.scopes)) buckets.set(name, synthesizedDate);

  if (hasGlobScopes(credential.scopes)) {
    for (const backend of call.runtime.backends.all()) {
      const request = buildUpstreamRequest(backend, { method: 'GET', bucket: undefined, key: undefined, query: [], headers: {}, payloadHash: EMPTY_SHA256 }, call.now);
      const response = await fetchUpstream(backend, request);
      if (response.status !== 200) throw new S3Error('ServiceUnavailable', `The upstream "${backend.name}" could not list its buckets (HTTP ${response.status}).`);
      const listed = parseListAllMyBucketsXml(response.body.toString('utf8'));
      const allowed = new Set(filterBucketsByScopes(credential.scopes, listed.buckets.map((b) => b.name)));
      for (const bucket of listed.buckets) {
        if (allowed.has(bucket.name) && call.runtime.backends.backendFor(bucket.name) === backend) buckets.set(bucket.name, bucket.creationDate);
      }
    }
  }

  const sorted = [...buckets.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const xml = buildListBucketsXml({
    ownerId: createHash('sha256').update(credential.accessKeyId).digest('hex'),
    ownerName: credential.principalName,
    buckets: sorted.map(([name, creationDate]) => ({ name, creationDate })),
  });
  sendXml(call.res, 200, xml, call.responseHeaders, call.req.method ?? 'GET');
}
