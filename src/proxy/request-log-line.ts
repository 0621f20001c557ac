/**
 * The per-request log line's fields as JSON members, in the event's field order, undefined
 * fields left out (as pino leaves them out). The request id (our hex), the numbers and the
 * boolean need no escaping; every string is escaped with JSON.stringify.
 */
import type { S3RequestEvent } from './handle-s3-request.js';

const json = JSON.stringify;

export function formatRequestEvent(e: S3RequestEvent): string {
  let s = `,"requestId":"${e.requestId}","method":${json(e.method)}`;
  if (e.accessKeyId !== undefined) s += `,"accessKeyId":${json(e.accessKeyId)}`;
  if (e.principal !== undefined) s += `,"principal":${json(e.principal)}`;
  if (e.operation !== undefined) s += `,"operation":${json(e.operation)}`;
  if (e.action !== undefined) s += `,"action":${json(e.action)}`;
  if (e.bucket !== undefined) s += `,"bucket":${json(e.bucket)}`;
  if (e.key !== undefined) s += `,"key":${json(e.key)}`;
  s += `,"status":${number(e.status)}`;
  if (e.errorCode !== undefined) s += `,"errorCode":${json(e.errorCode)}`;
  s += `,"bytesIn":${number(e.bytesIn)},"bytesOut":${number(e.bytesOut)},"latencyMs":${number(e.latencyMs)}`;
  if (e.clientAddress !== undefined) s += `,"clientAddress":${json(e.clientAddress)}`;
  s += `,"forwarded":${e.forwarded ? 'true' : 'false'}`;
  return s;
}

function number(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}
