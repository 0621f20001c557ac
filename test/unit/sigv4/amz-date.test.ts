import { describe, expect, it } from 'vitest';
import { formatAmzDate, parseAmzDate, parseHttpDate } from '../../../src/sigv4/amz-date.js';

describe('parseAmzDate', () => {
  it('parses the ISO 8601 basic form', () => {
    expect(parseAmzDate('20150830T123600Z')).toBe(Date.UTC(2015, 7, 30, 12, 36, 0));
  });

  it.each(['2015-08-30T12:36:00Z', '20150830T123600', '20150830T1236Z', '20151330T123600Z', '20150230T000000Z', '20150830T243600Z', '20150830T126000Z', ' 20150830T123600Z', ''])(
    'rejects %j',
    (text) => {
      expect(parseAmzDate(text)).toBeUndefined();
    },
  );
});

describe('parseHttpDate', () => {
  it.each([
    ['Sun, 06 Nov 1994 08:49:37 GMT', Date.UTC(1994, 10, 6, 8, 49, 37)],
    ['Sun, 6 Nov 1994 08:49:37 GMT', Date.UTC(1994, 10, 6, 8, 49, 37)],
    ['Tue, 27 Mar 2007 21:20:26 +0000', Date.UTC(2007, 2, 27, 21, 20, 26)],
    ['Fri, 24 May 2013 00:00:00 UTC', Date.UTC(2013, 4, 24)],
  ])('parses %j', (text, expected) => {
    expect(parseHttpDate(text)).toBe(expected);
  });

  it.each(['Sunday, 06-Nov-94 08:49:37 GMT', 'Sun Nov  6 08:49:37 1994', 'Sun, 31 Feb 1994 08:49:37 GMT', 'Sun, 06 Nov 1994 08:49:37 PST', '20150830T123600Z'])(
    'rejects %j',
    (text) => {
      expect(parseHttpDate(text)).toBeUndefined();
    },
  );
});

describe('formatAmzDate', () => {
  it('formats without milliseconds and round-trips', () => {
    const ms = Date.UTC(2025, 0, 1, 2, 3, 4, 567);
    expect(formatAmzDate(ms)).toBe('20250101T020304Z');
    expect(parseAmzDate(formatAmzDate(ms))).toBe(Date.UTC(2025, 0, 1, 2, 3, 4));
  });
});
