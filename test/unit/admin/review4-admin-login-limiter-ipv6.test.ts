/**
 * One IPv6 client holds a whole /64 (SLAAC, privacy addresses): counted per full address, it
 * gets 5 guesses per address for the same username, i.e. no limit at all. Counted per /64.
 */
import { expect, it } from 'vitest';
import { LoginLimiter } from '../../../src/admin/login-limiter.js';

const LOCKOUT_MS = 900_000;

it('wrong passwords from addresses of one IPv6 /64 lock the username for the whole /64', () => {
  const l = new LoginLimiter(5, LOCKOUT_MS, () => 1_000_000);
  for (let i = 1; i <= 5; i++) l.recordFailure('root', `2001:db8:1:2::${i.toString(16)}`);
  expect(l.retryAfterMs('root', '2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe(LOCKOUT_MS);
  expect(l.retryAfterMs('root', '2001:0DB8:0001:0002:0:0:0:abcd')).toBe(LOCKOUT_MS);
  expect(l.retryAfterMs('root', '2001:db8:1:2:0:0:1.2.3.4')).toBe(LOCKOUT_MS);
  // Another /64, and IPv4, are apart.
  expect(l.retryAfterMs('root', '2001:db8:1:3::1')).toBe(0);
  expect(l.retryAfterMs('root', '10.0.0.1')).toBe(0);
});

it('spraying usernames from one /64 hits the per-address bound', () => {
  const l = new LoginLimiter(5, LOCKOUT_MS, () => 1_000_000);
  for (let i = 0; i < 50; i++) l.recordFailure(`user${i}`, `2001:db8::${(i + 1).toString(16)}`);
  expect(l.retryAfterMs('someone-else', '2001:db8::ffff')).toBe(LOCKOUT_MS);
});

it('IPv4-mapped IPv6 addresses count as the IPv4 address, IPv4 addresses one by one', () => {
  const l = new LoginLimiter(5, LOCKOUT_MS, () => 1_000_000);
  for (let i = 0; i < 5; i++) l.recordFailure('root', '::ffff:10.0.0.1');
  expect(l.retryAfterMs('root', '10.0.0.1')).toBe(LOCKOUT_MS);
  expect(l.retryAfterMs('root', '10.0.0.2')).toBe(0);
});
