import { describe, expect, it } from 'vitest';
import { LoginLimiter } from '../../../src/admin/login-limiter.js';

const LOCKOUT_MS = 900_000;

function limiter(startMs = 1_000_000) {
  let now = startMs;
  const l = new LoginLimiter(5, LOCKOUT_MS, () => now);
  return { l, advance: (ms: number) => (now += ms) };
}

describe('LoginLimiter', () => {
  it('locks a username/address pair after 5 failures, for the rest of the window', () => {
    const { l, advance } = limiter();
    for (let i = 0; i < 4; i++) l.recordFailure('alice', '10.0.0.1');
    expect(l.retryAfterMs('alice', '10.0.0.1')).toBe(0);
    advance(1_000);
    l.recordFailure('alice', '10.0.0.1');
    expect(l.retryAfterMs('alice', '10.0.0.1')).toBe(LOCKOUT_MS - 1_000);
    advance(LOCKOUT_MS - 1_001);
    expect(l.retryAfterMs('alice', '10.0.0.1')).toBe(1);
    advance(1);
    expect(l.retryAfterMs('alice', '10.0.0.1')).toBe(0);
    // A fresh window: one more failure does not lock again.
    l.recordFailure('alice', '10.0.0.1');
    expect(l.retryAfterMs('alice', '10.0.0.1')).toBe(0);
  });

  it('treats usernames case-insensitively and keeps other users and addresses apart', () => {
    const { l } = limiter();
    for (let i = 0; i < 5; i++) l.recordFailure(i % 2 === 0 ? 'Alice' : 'ALICE', '10.0.0.1');
    expect(l.retryAfterMs('alice', '10.0.0.1')).toBeGreaterThan(0);
    expect(l.retryAfterMs('bob', '10.0.0.1')).toBe(0);
    expect(l.retryAfterMs('alice', '10.0.0.2')).toBe(0);
  });

  it('a success clears the pair', () => {
    const { l } = limiter();
    for (let i = 0; i < 4; i++) l.recordFailure('alice', '10.0.0.1');
    l.recordSuccess('alice', '10.0.0.1');
    l.recordFailure('alice', '10.0.0.1');
    expect(l.retryAfterMs('alice', '10.0.0.1')).toBe(0);
  });

  it('one address spraying many usernames is stopped after 10× the failures', () => {
    const { l } = limiter();
    for (let i = 0; i < 49; i++) l.recordFailure(`user-${i}`, '10.0.0.9');
    expect(l.retryAfterMs('fresh-user', '10.0.0.9')).toBe(0);
    l.recordFailure('user-49', '10.0.0.9');
    expect(l.retryAfterMs('fresh-user', '10.0.0.9')).toBeGreaterThan(0);
    expect(l.retryAfterMs('fresh-user', '10.0.0.10')).toBe(0);
  });
});
