/**
 * Request timestamps: SigV4's ISO 8601 basic form `YYYYMMDDTHHMMSSZ` (x-amz-date, X-Amz-Date)
 * and the RFC 1123 form of the HTTP `Date` header (also used by SigV2's x-amz-date).
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
 * https://www.rfc-editor.org/rfc/rfc9110#section-5.6.7
 */

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const HTTP_DATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2}) (?:GMT|UTC|\+0000)$/;
const MONTHS: Readonly<Record<string, number>> = {
  Jan: 1, Feb: 2, Mar: 3, Apr: 4, May: 5, Jun: 6, Jul: 7, Aug: 8, Sep: 9, Oct: 10, Nov: 11, Dec: 12,
};

/** Epoch ms for a valid calendar date-time in UTC, else undefined (rejects 20250230, 25:00, ...). */
function utcMs(year: number, month: number, day: number, hour: number, minute: number, second: number): number | undefined {
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 31 April over to 1 May: a round trip through the day catches that.
  if (new Date(ms).getUTCDate() !== day) return undefined;
  return ms;
}

let lastAmzText = '';
let lastAmzMs: number | undefined;

/** Parses `YYYYMMDDTHHMMSSZ` into epoch ms; undefined when malformed or not a real date. */
export function parseAmzDate(text: string): number | undefined {
  // Requests signed within the same second carry the same text: the last result is kept.
  if (text === lastAmzText) return lastAmzMs;
  const m = AMZ_DATE.exec(text);
  const ms = m === null ? undefined : utcMs(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  lastAmzText = text;
  lastAmzMs = ms;
  return ms;
}

/** Parses an RFC 1123 date (`Sun, 06 Nov 1994 08:49:37 GMT`) into epoch ms; undefined when malformed. */
export function parseHttpDate(text: string): number | undefined {
  const m = HTTP_DATE.exec(text.trim());
  if (m === null) return undefined;
  const month = MONTHS[m[2] ?? ''];
  if (month === undefined) return undefined;
  return utcMs(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
}

let lastSecond = Number.NaN;
let lastFormatted = '';

/** Formats epoch ms as `YYYYMMDDTHHMMSSZ` (milliseconds dropped); the last second is memoised. */
export function formatAmzDate(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastFormatted = new Date(second * 1000).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
    lastSecond = second;
  }
  return lastFormatted;
}
