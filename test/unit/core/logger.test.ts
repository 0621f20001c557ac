import { afterEach, describe, expect, it, vi } from 'vitest';
import { isoTimeMemo } from '../../../src/core/logger.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('isoTimeMemo', () => {
  it.each([0, 7, 42, 999, 1000, 1_700_000_000_001, 1_700_000_000_010, 1_700_000_000_100, 1_700_000_059_999, 1_700_000_060_000])(
    'formats %d ms as toISOString does',
    (ms) => {
      vi.useFakeTimers({ now: ms, toFake: ['Date'] });
      expect(isoTimeMemo()).toBe(`,"time":"${new Date(ms).toISOString()}"`);
    },
  );
});
