/**
 * The access key id a request claims, read without verifying anything: for the log line and
 * the audit row of a request refused before (or by) signature verification — a revoked,
 * disabled or unknown key, or a wrong secret — so the trail says which key was tried.
 * Never used for a decision. Covers SigV4 and SigV2, header and presigned.
 */
const V4_HEADER = /Credential=([A-Za-z0-9]{1,128})\//;
const V2_HEADER = /^AWS ([A-Za-z0-9]{1,128}):/;
const V4_QUERY = /(?:^|&)X-Amz-Credential=([A-Za-z0-9]{1,128})(?:%2F|\/)/i;
const V2_QUERY = /(?:^|&)AWSAccessKeyId=([A-Za-z0-9]{1,128})(?:&|$)/;

export function findClaimedAccessKeyId(authorization: string | undefined, rawQuery: string): string | undefined {
  if (authorization !== undefined) {
    const match = V4_HEADER.exec(authorization) ?? V2_HEADER.exec(authorization);
    if (match !== null) return match[1];
  }
  if (rawQuery === '') return undefined;
  const match = V4_QUERY.exec(rawQuery) ?? V2_QUERY.exec(rawQuery);
  return match?.[1];
}
