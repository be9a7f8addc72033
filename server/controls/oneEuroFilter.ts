/**
 * The One Euro filter (Casiez, Roussel, Vogel: "1€ Filter: A Simple Speed-based Low-pass Filter
 * for Noisy Input in Interactive Systems", CHI 2012), over a vector of values.
 *
 * Each element is an adaptive first-order low-pass: its cutoff rises with the (low-passed) speed
 * of that element, so a still landmark is smoothed hard (cutoff `minCutoff`) while a fast one
 * follows with little lag (cutoff `minCutoff + beta * |speed|`). Per sample, with dt the time
 * since that element's previous sample:
 *
 *   alpha(fc) = 1 / (1 + tau / dt),  tau = 1 / (2 pi fc)
 *   dx  = (x - xHat_prev) / dt;          dxHat = dxHat_prev + alpha(dCutoff) * (dx - dxHat_prev)
 *   fc  = minCutoff + beta * |dxHat|;    xHat  = xHat_prev  + alpha(fc)      * (x  - xHat_prev)
 *
 * Scale. `unit` (per call, default 1) is the size that speeds are measured in: with
 * cutoff = minCutoff + beta * |dxHat| / unit, a caller that passes the current face size or
 * shoulder width gets the same filtering whatever the distance to the camera (beta is then
 * per face size or shoulder width per second).
 *
 * Variable frame intervals are handled by computing alpha from each element's own dt. Every
 * element keeps its own timestamp, so a caller may update only some elements (a landmark that
 * is not visible this frame keeps its state) and an element whose gap exceeds `maxGapMs`
 * restarts from its new value instead of smoothing across the gap.
 *
 * Allocation-free after construction; `copyFrom` snapshots state for the tracker's reorder replay.
 */
import type { Hz, Milliseconds } from '../../protocol/units.js';

export interface OneEuroOptions {
  /** Cutoff (Hz) of a still signal: lower = smoother and laggier at rest. */
  minCutoff: Hz;
  /** Cutoff increase (Hz) per unit of speed, speed in `unit`s per second: higher = less lag on fast motion. */
  beta: number;
  /** Cutoff (Hz) of the low-pass on the speed estimate. */
  dCutoff: Hz;
  /** An element not updated for longer than this restarts from its next value (no smoothing across the gap). */
  maxGapMs: Milliseconds;
}

const TWO_PI = 2 * Math.PI;

function alphaFor(cutoff: Hz, dtSeconds: number): number {
  const tau = 1 / (TWO_PI * cutoff);
  return 1 / (1 + tau / dtSeconds);
}

export class OneEuroFilter {
  static getDefaults(): OneEuroOptions {
    return { minCutoff: 1.0, beta: 0.5, dCutoff: 1.0, maxGapMs: 500 };
  }

  readonly size: number;
  readonly options: Readonly<OneEuroOptions>;
  /** Filtered values (valid where `hasState`). */
  readonly value: Float64Array;
  /** Low-passed speed per element, in input units per second. */
  readonly derivative: Float64Array;
  private readonly lastTimeMs: Float64Array;
  private readonly hasState: Uint8Array;

  constructor(size: number, options: Partial<OneEuroOptions> = {}) {
    if (!Number.isInteger(size) || size <= 0) {
      throw new RangeError(`size must be a positive integer, but is ${size}`);
    }
    const o = { ...OneEuroFilter.getDefaults(), ...options };
    if (!(o.minCutoff > 0)) throw new RangeError(`minCutoff must be > 0 Hz, but is ${o.minCutoff}`);
    if (!(o.dCutoff > 0)) throw new RangeError(`dCutoff must be > 0 Hz, but is ${o.dCutoff}`);
    if (!(o.beta >= 0)) throw new RangeError(`beta must be >= 0, but is ${o.beta}`);
    if (!(o.maxGapMs > 0)) throw new RangeError(`maxGapMs must be > 0, but is ${o.maxGapMs}`);
    this.size = size;
    this.options = Object.freeze(o);
    this.value = new Float64Array(size);
    this.derivative = new Float64Array(size);
    this.lastTimeMs = new Float64Array(size);
    this.hasState = new Uint8Array(size);
  }

  /** Filters every element: `output[i]` (may be `input`) receives the filtered value. */
  filter(timeMs: Milliseconds, input: ArrayLike<number>, output: { [i: number]: number }, unit = 1): void {
    this.filterRange(timeMs, input, output, 0, this.size, unit);
  }

  /**
   * Filters elements [start, start + count). `input` and `output` are indexed like the filter
   * (element i at index i). A sample not newer than the element's last one leaves the state
   * unchanged and outputs the current value. Speeds are measured in `unit`s (see above).
   */
  filterRange(
    timeMs: Milliseconds,
    input: ArrayLike<number>,
    output: { [i: number]: number },
    start: number,
    count: number,
    unit = 1,
  ): void {
    const { minCutoff, dCutoff, maxGapMs } = this.options;
    const beta = this.options.beta / (unit > 0 ? unit : 1);
    const end = start + count;
    for (let i = start; i < end; i++) {
      const x = input[i];
      if (this.hasState[i] === 0 || timeMs - this.lastTimeMs[i] > maxGapMs) {
        this.value[i] = x;
        this.derivative[i] = 0;
        this.lastTimeMs[i] = timeMs;
        this.hasState[i] = 1;
        output[i] = x;
        continue;
      }
      const dtMs = timeMs - this.lastTimeMs[i];
      if (!(dtMs > 0)) {
        output[i] = this.value[i];
        continue;
      }
      const dt = dtMs / 1000;
      const prev = this.value[i];
      const dx = (x - prev) / dt;
      const dPrev = this.derivative[i];
      const dHat = dPrev + alphaFor(dCutoff, dt) * (dx - dPrev);
      const cutoff = minCutoff + beta * Math.abs(dHat);
      const xHat = prev + alphaFor(cutoff, dt) * (x - prev);
      this.derivative[i] = dHat;
      this.value[i] = xHat;
      this.lastTimeMs[i] = timeMs;
      output[i] = xHat;
    }
  }

  /** True when element i has been filtered at least once since its last reset. */
  has(i: number): boolean {
    return this.hasState[i] === 1;
  }

  /** Time of element i's last sample (ms), or NaN without state. */
  lastTime(i: number): Milliseconds {
    return this.hasState[i] === 1 ? this.lastTimeMs[i] : NaN;
  }

  reset(): void {
    this.hasState.fill(0);
    this.derivative.fill(0);
  }

  resetRange(start: number, count: number): void {
    this.hasState.fill(0, start, start + count);
    this.derivative.fill(0, start, start + count);
  }

  /** Copies the state (not the options) of a filter of the same size. */
  copyFrom(other: OneEuroFilter): void {
    if (other.size !== this.size) {
      throw new RangeError(`copyFrom needs a filter of size ${this.size}, but got ${other.size}`);
    }
    this.value.set(other.value);
    this.derivative.set(other.derivative);
    this.lastTimeMs.set(other.lastTimeMs);
    this.hasState.set(other.hasState);
  }
}
