/** A token bucket: `rate` messages per second sustained, `burst` at once. */
import type { Milliseconds } from '../protocol/units.js';

export class RateLimiter {
  private tokens: number;
  private last: Milliseconds;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: Milliseconds,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** How long since the bucket was last used. */
  idleFor(now: Milliseconds): Milliseconds {
    return now - this.last;
  }

  /** Takes one token; false when the bucket is empty (the caller decides what to do). */
  take(now: Milliseconds): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
