/**
 * Slows password guessing: after `maxFailures` wrong passwords for one username from one
 * client address within `lockoutMs`, logins for that pair are refused (429) until the window
 * passes; a success clears the pair. A second, looser bound per client address (10× the
 * failures, any username) stops one address from spraying many usernames. In memory, per
 * process, bounded in size. An IPv6 address counts as its /64: one client holds a whole /64
 * (SLAAC, privacy addresses), and per full address it would get 5 guesses per address.
 */
import { isIP } from 'node:net';
import type { Clock } from '../core/clock.js';

interface Window {
  failures: number;
  firstMs: number;
}

const MAX_TRACKED = 100_000;

export class LoginLimiter {
  private readonly pairs = new Map<string, Window>();
  private readonly addresses = new Map<string, Window>();

  constructor(
    private readonly maxFailures: number,
    private readonly lockoutMs: number,
    private readonly clock: Clock,
  ) {}

  /** Milliseconds until a login may be tried again, or 0 when it may be tried now. */
  retryAfterMs(username: string, clientAddress: string): number {
    const address = addressKey(clientAddress);
    const now = this.clock();
    const pair = this.live(this.pairs, pairKey(username, address), now);
    const byAddress = this.live(this.addresses, address, now);
    let wait = 0;
    if (pair !== undefined && pair.failures >= this.maxFailures) wait = pair.firstMs + this.lockoutMs - now;
    if (byAddress !== undefined && byAddress.failures >= this.maxFailures * 10) {
      wait = Math.max(wait, byAddress.firstMs + this.lockoutMs - now);
    }
    return Math.max(0, wait);
  }

  recordFailure(username: string, clientAddress: string): void {
    const address = addressKey(clientAddress);
    const now = this.clock();
    this.bump(this.pairs, pairKey(username, address), now);
    this.bump(this.addresses, address, now);
  }

  /** Clears the pair and takes back the attempt counted (pessimistically) for the address. */
  recordSuccess(username: string, clientAddress: string): void {
    const address = addressKey(clientAddress);
    this.pairs.delete(pairKey(username, address));
    const byAddress = this.addresses.get(address);
    if (byAddress !== undefined && byAddress.failures > 0) byAddress.failures--;
  }

  private live(map: Map<string, Window>, key: string, now: number): Window | undefined {
    const window = map.get(key);
    if (window !== undefined && now - window.firstMs >= this.lockoutMs) {
      map.delete(key);
      return undefined;
    }
    return window;
  }

  private bump(map: Map<string, Window>, key: string, now: number): void {
    const window = this.live(map, key, now);
    if (window !== undefined) {
      window.failures++;
      return;
    }
    if (map.size >= MAX_TRACKED) {
      // Drop the oldest entry (Map keeps insertion order).
      const oldest = map.keys().next().value;
      if (oldest !== undefined) map.delete(oldest);
    }
    map.set(key, { failures: 1, firstMs: now });
  }
}

function pairKey(username: string, address: string): string {
  return `${username.toLowerCase()}\u0000${address}`;
}

/** What an address is counted as: an IPv4 address as itself (also IPv4-mapped), an IPv6 one as its /64. */
export function addressKey(address: string): string {
  const plain = address.replace(/%.*$/, '');
  if (isIP(plain) !== 6) return address;
  const lower = plain.toLowerCase();
  if (lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4) return lower.slice(7);
  const [head = '', tail] = lower.split('::');
  const groups = (part: string): string[] => (part === '' ? [] : part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])));
  const front = groups(head);
  const back = tail === undefined ? [] : groups(tail);
  const all = tail === undefined ? front : [...front, ...Array<string>(8 - front.length - back.length).fill('0'), ...back];
  return `${all.slice(0, 4).map((g) => Number.parseInt(g, 16).toString(16)).join(':')}::/64`;
}
