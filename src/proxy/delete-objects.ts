/**
 * DeleteObjects authorises every key of its XML body: allowed keys go upstream in a
 * rebuilt body, denied ones come back as per-key AccessDenied errors, merged into the
 * upstream's DeleteResult. The body is small (≤ 1000 keys) and bounded, so it is read whole.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
 */
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream';
import { escapeXml } from '../core/xml-escape.js';
import { evaluateRequest } from '../policy/evaluate-access.js';
import { S3Error } from '../s3/s3-error.js';
import { buildDeleteResultXml, parseDeleteObjectsXml } from '../s3/xml.js';
import { createPayloadVerifier } from '../sigv4/payload-verifier.js';
import { buildUpstreamRequest } from '../upstream/resign-request.js';
import { fetchUpstream } from '../upstream/forward-request.js';
import { buildForwardHeaders } from './forward-headers.js';
import { forwardedQuery, type S3Call } from './handle-s3-request.js';
import { sendXml } from './respond.js';

interface ObjectRef {
  readonly key: string;
  readonly versionId?: string | undefined;
}

export async function handleDeleteObjects(call: S3Call, maxBodyBytes: number): Promise<{ bytesIn: number }> {
  const { req, verified, op } = call;
  const credential = verified.credential;
  if (credential === undefined || op.bucket === undefined) throw new S3Error('AccessDenied');
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > maxBodyBytes * 2) throw new S3Error('EntityTooLarge', `A DeleteObjects body may be at most ${maxBodyBytes} bytes.`);
  const body = await readVerifiedBody(call, maxBodyBytes);
  const md5 = req.headers['content-md5'];
  if (typeof md5 === 'string' && createHash('md5').update(body).digest('base64') !== md5.trim()) {
    throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.');
  }
  const request = parseDeleteObjectsXml(body.toString('utf8'));

  const allowed: ObjectRef[] = [];
  const denied: ObjectRef[] = [];
  for (const object of request.objects) {
    const decision = evaluateRequest(credential.scopes, {
      ...op,
      operation: 'DeleteObject',
      action: object.versionId === undefined ? 'delete_object' : 'delete_object_version',
      key: object.key,
    });
    (decision.allowed ? allowed : denied).push(object);
  }

  const deniedXml = denied
    .map(
      (o) =>
        `<Error><Key>${escapeXml(o.key)}</Key>${o.versionId === undefined ? '' : `<VersionId>${escapeXml(o.versionId)}</VersionId>`}<Code>AccessDenied</Code><Message>Access Denied</Message></Error>`,
    )
    .join('');

  if (allowed.length === 0) {
    const xml = buildDeleteResultXml({
      deleted: [],
      errors: denied.map((o) => ({ key: o.key, versionId: o.versionId, code: 'AccessDenied', message: 'Access Denied' })),
    });
    sendXml(call.res, 200, xml, call.responseHeaders, 'POST');
    return { bytesIn: body.length };
  }

  const upstreamBody = Buffer.from(buildDeleteRequestXml(allowed, request.quiet), 'utf8');
  const headers = buildForwardHeaders(req.headers, { kind: 'unsigned' });
  for (const name of Object.keys(headers)) {
    if (name === 'content-md5' || name.startsWith('x-amz-checksum-') || name === 'x-amz-sdk-checksum-algorithm' || name === 'content-encoding') delete headers[name];
  }
  headers['content-md5'] = createHash('md5').update(upstreamBody).digest('base64');
  headers['content-length'] = String(upstreamBody.length);
  const backend = call.runtime.backends.backendFor(op.bucket);
  const upstream = await buildUpstreamRequest(
    backend,
    {
      method: 'POST',
      bucket: op.bucket,
      key: undefined,
      query: forwardedQuery(call.query),
      headers,
      payloadHash: createHash('sha256').update(upstreamBody).digest('hex'),
    },
    call.now,
  );
  const response = await fetchUpstream(backend, upstream, upstreamBody);
  let text = response.body.toString('utf8');
  if (response.status === 200 && deniedXml !== '') {
    const end = text.lastIndexOf('</DeleteResult>');
    if (end !== -1) text = text.slice(0, end) + deniedXml + text.slice(end);
  }
  const passHeaders: Record<string, string> = { ...call.responseHeaders };
  const contentType = response.headers['content-type'];
  call.res.writeHead(response.status, { ...passHeaders, 'content-type': typeof contentType === 'string' ? contentType : 'application/xml', 'content-length': Buffer.byteLength(text) });
  call.res.end(text);
  return { bytesIn: body.length };
}

function buildDeleteRequestXml(objects: readonly ObjectRef[], quiet: boolean): string {
  const items = objects
    .map((o) => `<Object><Key>${escapeXml(o.key)}</Key>${o.versionId === undefined ? '' : `<VersionId>${escapeXml(o.versionId)}</VersionId>`}</Object>`)
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${quiet ? '<Quiet>true</Quiet>' : ''}${items}</Delete>`;
}

async function readVerifiedBody(call: S3Call, maxBodyBytes: number): Promise<Buffer> {
  const verifier = pipeline(call.req, createPayloadVerifier(call.verified.payload, {}), () => {});
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of verifier) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) {
      verifier.destroy();
      throw new S3Error('EntityTooLarge', `A DeleteObjects body may be at most ${maxBodyBytes} bytes.`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
