/**
 * The client -> server clock offset the tracker converts times with (server = client + offset).
 * In order of preference: a fixed offset set by the caller, the session's ClockSync once it has
 * a sample, or the smallest (arrival - capture) of the last 64 frames, which includes the
 * smallest one-way delay.
 */
import type { Milliseconds } from '../../protocol/units.js';
import type { ClockSync } from './clockSync.js';

const FALLBACK_OFFSET_WINDOW = 64;

export class ArrivalClock {
  private readonly sync: ClockSync | null;
  private manualOffset: Milliseconds | null = null;
  private readonly arrivalDelays = new Float64Array(FALLBACK_OFFSET_WINDOW);
  private arrivalHead = 0;
  private arrivalCount = 0;
  private fallbackOffset = 0;

  constructor(sync: ClockSync | null) {
    this.sync = sync;
  }

  /** Offset in use: server = client + offsetMs. */
  get offsetMs(): Milliseconds {
    if (this.manualOffset !== null) return this.manualOffset;
    if (this.sync !== null && this.sync.sampleCount > 0) return this.sync.offsetMs;
    return this.fallbackOffset;
  }

  /** Fixes the offset; null returns to ClockSync / arrival estimate. */
  setManual(offsetMs: Milliseconds | null): void {
    if (offsetMs !== null && !Number.isFinite(offsetMs)) throw new RangeError(`offsetMs must be finite, but is ${offsetMs}`);
    this.manualOffset = offsetMs;
  }

  /** A frame arrived `delay` ms (server clock) after its capture time (client clock). */
  noteArrival(delay: Milliseconds): void {
    this.arrivalDelays[this.arrivalHead] = delay;
    this.arrivalHead = (this.arrivalHead + 1) % FALLBACK_OFFSET_WINDOW;
    if (this.arrivalCount < FALLBACK_OFFSET_WINDOW) this.arrivalCount++;
    let min = Infinity;
    for (let i = 0; i < this.arrivalCount; i++) if (this.arrivalDelays[i] < min) min = this.arrivalDelays[i];
    this.fallbackOffset = min;
  }

  /** Forgets the arrival estimate (a manual offset is kept). */
  reset(): void {
    this.arrivalHead = 0;
    this.arrivalCount = 0;
    this.fallbackOffset = 0;
  }
}
