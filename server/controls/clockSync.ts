/**
 * NTP-style clock offset estimation from ping/pong exchanges.
 *
 * Roles: this side ("local", the server) sends a ping at t0 (local clock); the remote side (the
 * client) receives it at t1 and answers at t2 (remote clock); the answer arrives at t3 (local).
 * Per sample:
 *
 *   offsetMs = ((t0 - t1) + (t3 - t2)) / 2      so that   local = remote + offsetMs
 *   rttMs    = (t3 - t0) - (t2 - t1)
 *
 * With one-way delays d_up (local -> remote) and d_down, a sample's offset is off by
 * (d_down - d_up) / 2, which is at most rtt / 2: low-RTT samples are the trustworthy ones.
 *
 * Estimate: keep the `windowSize` most recent samples that are at most `maxAgeMs` old; score each
 * by its error bound, rtt / 2 + age * maxDriftPpm (the bound grows while the two clocks drift
 * apart, as in NTP's dispersion); average the offsets of the `bestCount` best-scored samples.
 * Old samples leave the window, so a slow drift is followed with a lag of a few seconds.
 */
import type { Milliseconds } from '../../protocol/units.js';

export interface ClockSyncOptions {
  /** Most recent samples kept. */
  windowSize: number;
  /** Samples older than this (on the local clock, relative to the newest) are dropped. */
  maxAgeMs: Milliseconds;
  /** How many of the best-scored samples are averaged. */
  bestCount: number;
  /** Assumed worst drift between the clocks, in parts per million: ages a sample's error bound. */
  maxDriftPpm: number;
  /** Samples with a longer round trip are ignored (a stalled connection tells nothing). */
  maxRttMs: Milliseconds;
}

export interface ClockSample {
  offsetMs: Milliseconds;
  rttMs: Milliseconds;
  /** Local time the answer arrived (t3). */
  localMs: Milliseconds;
}

export class ClockSync {
  static getDefaults(): ClockSyncOptions {
    return { windowSize: 32, maxAgeMs: 60_000, bestCount: 3, maxDriftPpm: 100, maxRttMs: 5_000 };
  }

  readonly options: Readonly<ClockSyncOptions>;
  private readonly offsets: Float64Array;
  private readonly rtts: Float64Array;
  private readonly times: Float64Array;
  private readonly scores: Float64Array;
  private readonly order: Int32Array;
  private head = 0;
  private count = 0;
  private estimateOffset = 0;
  private estimateRtt = NaN;

  constructor(options: Partial<ClockSyncOptions> = {}) {
    const o = { ...ClockSync.getDefaults(), ...options };
    if (!Number.isInteger(o.windowSize) || o.windowSize < 1) {
      throw new RangeError(`windowSize must be a positive integer, but is ${o.windowSize}`);
    }
    if (!Number.isInteger(o.bestCount) || o.bestCount < 1) {
      throw new RangeError(`bestCount must be a positive integer, but is ${o.bestCount}`);
    }
    if (!(o.maxAgeMs > 0)) throw new RangeError(`maxAgeMs must be > 0, but is ${o.maxAgeMs}`);
    if (!(o.maxDriftPpm >= 0)) throw new RangeError(`maxDriftPpm must be >= 0, but is ${o.maxDriftPpm}`);
    if (!(o.maxRttMs > 0)) throw new RangeError(`maxRttMs must be > 0, but is ${o.maxRttMs}`);
    this.options = Object.freeze(o);
    this.offsets = new Float64Array(o.windowSize);
    this.rtts = new Float64Array(o.windowSize);
    this.times = new Float64Array(o.windowSize);
    this.scores = new Float64Array(o.windowSize);
    this.order = new Int32Array(o.windowSize);
  }

  /** Offset such that local = remote + offsetMs (0 until the first sample). */
  get offsetMs(): Milliseconds {
    return this.estimateOffset;
  }

  /** Round trip of the best-scored sample in the window (NaN until the first sample). */
  get rttMs(): Milliseconds {
    return this.estimateRtt;
  }

  /** Samples currently in the window. */
  get sampleCount(): number {
    return this.count;
  }

  /**
   * Adds one exchange: t0 local send, t1 remote receive, t2 remote send, t3 local receive.
   * Returns the sample, or null when it was rejected (not finite, negative or too long RTT,
   * or older than the newest sample).
   */
  addSample(t0: Milliseconds, t1: Milliseconds, t2: Milliseconds, t3: Milliseconds): ClockSample | null {
    if (!Number.isFinite(t0) || !Number.isFinite(t1) || !Number.isFinite(t2) || !Number.isFinite(t3)) return null;
    const rtt = t3 - t0 - (t2 - t1);
    if (rtt < 0 || t3 < t0 || t2 < t1 || rtt > this.options.maxRttMs) return null;
    if (this.count > 0 && t3 < this.times[(this.head - 1 + this.options.windowSize) % this.options.windowSize]) return null;
    const offset = (t0 - t1 + (t3 - t2)) / 2;
    const n = this.options.windowSize;
    this.offsets[this.head] = offset;
    this.rtts[this.head] = rtt;
    this.times[this.head] = t3;
    this.head = (this.head + 1) % n;
    if (this.count < n) this.count++;
    this.dropOld(t3);
    this.estimate(t3);
    return { offsetMs: offset, rttMs: rtt, localMs: t3 };
  }

  /** Remote (client) time -> local (server) time. */
  toLocal(remoteMs: Milliseconds): Milliseconds {
    return remoteMs + this.estimateOffset;
  }

  /** Local (server) time -> remote (client) time. */
  toRemote(localMs: Milliseconds): Milliseconds {
    return localMs - this.estimateOffset;
  }

  reset(): void {
    this.head = 0;
    this.count = 0;
    this.estimateOffset = 0;
    this.estimateRtt = NaN;
  }

  /** Samples are stored oldest -> newest ending at head - 1; drop from the old end. */
  private dropOld(nowMs: Milliseconds): void {
    const n = this.options.windowSize;
    while (this.count > 1) {
      const oldest = (this.head - this.count + n) % n;
      if (nowMs - this.times[oldest] <= this.options.maxAgeMs) break;
      this.count--;
    }
  }

  private estimate(nowMs: Milliseconds): void {
    const n = this.options.windowSize;
    const drift = this.options.maxDriftPpm * 1e-6;
    const m = this.count;
    for (let k = 0; k < m; k++) {
      const i = (this.head - 1 - k + n) % n;
      this.order[k] = i;
      this.scores[i] = this.rtts[i] / 2 + (nowMs - this.times[i]) * drift;
    }
    // partial selection sort of the best `bestCount` (m <= windowSize, small)
    const best = Math.min(this.options.bestCount, m);
    for (let a = 0; a < best; a++) {
      let min = a;
      for (let b = a + 1; b < m; b++) {
        if (this.scores[this.order[b]] < this.scores[this.order[min]]) min = b;
      }
      const tmp = this.order[a];
      this.order[a] = this.order[min];
      this.order[min] = tmp;
    }
    let sum = 0;
    for (let a = 0; a < best; a++) sum += this.offsets[this.order[a]];
    this.estimateOffset = sum / best;
    this.estimateRtt = this.rtts[this.order[0]];
  }
}
