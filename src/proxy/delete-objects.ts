/**
 * DeleteObjects authorises every key of its XML body: allowed keys go upstream in a
 * rebuilt body, denied ones come back as per-key AccessDenied errors, merged into the
 * upstream's DeleteResult. The body is small (≤ 1000 keys) and bounded, so it is read whole.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
 */
import { createHash } from 'node:crypto';
import { recordBytesOut } from '../core/response-bytes.js';
import { evaluateDeleteObjects } from '../policy/evaluate-access.js';
import { S3Error } from '../s3/s3-error.js';
import { buildDeleteObjectsXml, buildDeleteResultXml, parseDeleteObjectsXml } from '../s3/xml.js';
import { createPayloadVerifier } from '../sigv4/payload-verifier.js';
import { buildUpstreamRequest } from '../upstream/resign-request.js';
import { fetchUpstream } from '../upstream/forward-request.js';
import { buildForwardHeaders } from './forward-headers.js';
import { forwardedQuery, type S3Call } from './handle-s3-request.js';
import { sendXml } from './respond.js';
import { chainBody } from './body-chain.js';

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

  const { allowed, denied } = evaluateDeleteObjects(credential.scopes, op.bucket, request.objects, op.additionalActions ?? []);
  const deniedErrors = denied.map((o) => ({ key: o.key, versionId: o.versionId, code: 'AccessDenied', message: 'Access Denied' }));

  if (allowed.length === 0) {
    sendXml(call.res, 200, buildDeleteResultXml({ deleted: [], errors: deniedErrors }), call.responseHeaders, 'POST');
    return { bytesIn: body.length };
  }

  const upstreamBody = Buffer.from(buildDeleteObjectsXml({ quiet: request.quiet, objects: allowed }), 'utf8');
  const headers = buildForwardHeaders(req.headers, { kind: 'unsigned' });
  for (const name of Object.keys(headers)) {
    if (name === 'content-md5' || name.startsWith('x-amz-checksum-') || name === 'x-amz-sdk-checksum-algorithm' || name === 'content-encoding') delete headers[name];
  }
  headers['content-md5'] = createHash('md5').update(upstreamBody).digest('base64');
  headers['content-length'] = String(upstreamBody.length);
  const backend = call.runtime.backends.backendFor(op.bucket);
  const upstream = buildUpstreamRequest(
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
  if (response.status === 200 && deniedErrors.length > 0) {
    // Splice the denied keys' <Error> elements into the upstream's own DeleteResult.
    const end = text.lastIndexOf('</DeleteResult>');
    const deniedXml = buildDeleteResultXml({ deleted: [], errors: deniedErrors }).replace(/^[\s\S]*?<DeleteResult[^>]*>|<\/DeleteResult>$/g, '');
    if (end !== -1) text = text.slice(0, end) + deniedXml + text.slice(end);
  }
  const passHeaders: Record<string, string> = { ...call.responseHeaders };
  const contentType = response.headers['content-type'];
  recordBytesOut(call.res, Buffer.byteLength(text));
  call.res.writeHead(response.status, { ...passHeaders, 'content-type': typeof contentType === 'string' ? contentType : 'application/xml', 'content-length': Buffer.byteLength(text) });
  call.res.end(text);
  return { bytesIn: body.length };
}

async function readVerifiedBody(call: S3Call, maxBodyBytes: number): Promise<Buffer> {
  const verifier = chainBody(call.req, [createPayloadVerifier(call.verified.payload, {})]);
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
