/**
 * A session's timers: every callback runs through the session's guard (whatever it throws ends
 * that session, never the process), and all of them are cleared together when the session closes.
 */
import type { Milliseconds } from '../../protocol/units.js';

export class SessionTimers {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly guard: (fn: () => void) => void) {}

  after(ms: Milliseconds, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.guard(fn);
    }, ms);
    this.timers.add(t);
    return t;
  }

  every(ms: Milliseconds, fn: () => void): void {
    const t = setInterval(() => this.guard(fn), ms);
    this.timers.add(t);
  }

  cancel(t: NodeJS.Timeout): void {
    clearTimeout(t);
    this.timers.delete(t);
  }

  clear(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
