/**
 * Micro-benchmark behind proposal 1 in docs/performance.md: what verifying an empty body
 * through `stream.pipeline()` + `for await` costs per request, against a synchronous check,
 * and how many AbortController aborts (each one builds a DOMException with a stack trace)
 * one pipeline performs. Run: `taskset -c 1 npx tsx bench/micro-empty-body.ts`.
 */
import { PassThrough, Readable, pipeline } from 'node:stream';

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const N = 20_000;

function emptyBody(): Readable {
  return new Readable({
    read() {
      this.push(null);
    },
  });
}

async function viaPipeline(): Promise<void> {
  const out = pipeline(emptyBody(), new PassThrough(), () => {});
  for await (const chunk of out) {
    if ((chunk as Buffer).length > 0) throw new Error('not empty');
  }
}

async function viaCheck(declared: string = EMPTY_SHA256): Promise<void> {
  if (declared !== EMPTY_SHA256) throw new Error('XAmzContentSHA256Mismatch');
}

for (const [name, fn] of [
  ['pipeline + for await', viaPipeline],
  ['synchronous check', viaCheck],
] as const) {
  for (let i = 0; i < 2_000; i++) await fn();
  const started = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await fn();
  console.log(`${name}: ${(Number(process.hrtime.bigint() - started) / N / 1000).toFixed(1)} µs per request`);
}

let aborts = 0;
const abort = AbortController.prototype.abort;
AbortController.prototype.abort = function (this: AbortController, reason?: unknown) {
  aborts++;
  abort.call(this, reason);
};
await viaPipeline();
await new Promise((resolve) => setTimeout(resolve, 10));
console.log(`AbortController.abort() calls per pipeline: ${aborts}`);
