/**
 * The tracking rate as the server receives it: landmark frames per second over the last second,
 * and how long a frame takes from capture (client clock, mapped through the session's clock
 * offset) to arrival here. Computed server-side so the `stats` message shows what the music
 * actually gets, whatever the client claims about its own tracker.
 */
import type { TrackingStats } from '../../protocol/messages.js';
import type { Milliseconds } from '../../protocol/units.js';
import type { ClockSync } from '../controls/clockSync.js';
import { RecentValues } from '../../protocol/statistics.js';

/** The rate counts arrivals in this window (ms). */
const RATE_WINDOW_MS = 1000;
/** Capture-to-arrival delays kept for the median (about 3 s of frames at 30 fps). */
const DELAY_WINDOW = 96;
/** A frame rate is bounded by the protocol's frame limits; the ring never holds more than this. */
const MAX_ARRIVALS = 256;

export class FrameArrivals {
  private readonly arrivals: Milliseconds[] = [];
  private readonly delays = new RecentValues(DELAY_WINDOW);

  constructor(private readonly clock: ClockSync) {}

  /** One frame arrived at server time `arrivalMs`, captured at client time `captureTimeMs`. */
  push(captureTimeMs: Milliseconds, arrivalMs: Milliseconds): void {
    this.arrivals.push(arrivalMs);
    if (this.arrivals.length > MAX_ARRIVALS) this.arrivals.shift();
    // Before the first clock sample the offset is unknown: a delay would be meaningless.
    if (this.clock.sampleCount > 0) this.delays.push(arrivalMs - (captureTimeMs + this.clock.offsetMs));
  }

  stats(now: Milliseconds): TrackingStats {
    while (this.arrivals.length > 0 && this.arrivals[0]! <= now - RATE_WINDOW_MS) this.arrivals.shift();
    const fps = (this.arrivals.length * 1000) / RATE_WINDOW_MS;
    return { fps, captureToArrivalMs: this.delays.count > 0 ? Math.max(0, this.delays.percentile(50)) : null };
  }
}
