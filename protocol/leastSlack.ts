/**
 * The chunk that arrived with the least time to spare since the last playback report (protocol 2's
 * `leastSlack`), kept the same way by the browser's player and the harness's virtual listener.
 */
import { clamp } from './numbers.js';
import { MAX_SLACK_MS } from './messages.js';
import type { Milliseconds, Samples } from './units.js';

export class LeastSlack {
  private least: { sample: Samples; ms: Milliseconds } | null = null;

  /** A chunk starting at `sample` arrived `ms` before it was needed (below 0: late). */
  note(sample: Samples, ms: Milliseconds): void {
    if (this.least === null || ms < this.least.ms) this.least = { sample, ms };
  }

  /** The report's field (within what the protocol allows), and a fresh start; null when nothing arrived. */
  take(): { sample: Samples; ms: Milliseconds } | null {
    const l = this.least;
    this.least = null;
    return l && { sample: l.sample, ms: clamp(l.ms, -MAX_SLACK_MS, MAX_SLACK_MS) };
  }
}
