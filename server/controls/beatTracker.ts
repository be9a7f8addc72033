// Over 400 lines on purpose: one algorithm (autocorrelation tempo, fundamental phase, phase-locked anchor) over one state, headed by its 35-line explanation.
/**
 * A causal motion-beat tracker: tempo, phase and periodicity strength of vertical motion.
 *
 * Input. Per camera frame, one velocity per channel (e.g. head, left wrist, right wrist), each
 * the mean vertical velocity over the interval since the previous push, positive = moving
 * down the image. Frames come at irregular times; the velocities are resampled onto a regular
 * `sampleRateHz` grid, each frame's mean velocity placed at the middle of its interval and linear
 * between (so the newest half interval waits for the next frame). Holding each velocity over its
 * interval instead (a staircase) adds images of the motion at the frame rate minus its tempo,
 * strong at 6-12 fps, that pull the autocorrelation peak: a 95 BPM bob tracked at 6 fps read 90.
 *
 * Tempo. An exponentially weighted autocorrelation (memory `memoryMs`) is kept for every lag
 * between 60/maxBpm and 60/minBpm seconds, summed over channels (so channels combine by their
 * energy, and channels moving in anti-phase do not cancel). It is normalised into a correlation
 * coefficient r(L) = A(L) / sqrt(E(n) E(n - L)), E being the weighted energy, so a signal that
 * just started is not penalised. The chosen lag maximises w(L) r(L) over local maxima of r,
 * where w = 1 inside [preferredMinBpm, preferredMaxBpm] and falls linearly to `edgeWeight` at
 * minBpm and maxBpm: this settles the half/double ambiguity toward 80-160 BPM (a motion at
 * 120 BPM also correlates at 60 BPM: 120 wins; a motion at 170 BPM also correlates at 85 BPM:
 * 85 wins). Parabolic interpolation around the peak gives sub-sample lag precision.
 *
 * The tempo is then refined on the peak near the largest multiple k of that lag within
 * `refineSpanMs` that the signal spans k + 1/2 times: that peak's lag divided by k. At a low
 * tracking rate a period is only a few frames long and the single-period peak comes out a few
 * per cent off (a 108 BPM nod at 6 fps read 110.5; three periods are ten whole frames); k
 * periods divide that error by k.
 *
 * A lag counts only once the signal spans `minPeriods` of it (a repetition must be seen, and
 * early estimates from a few samples are noisy). Strength = clamp((r - correlationFloor) /
 * (correlationFull - correlationFloor)) times an energy gate on the recent RMS velocity
 * (one-pole, `gateMs`; 0 below `minRms`, 1 from 2 x minRms): noise gives r near 0, a still
 * performer (or one who just stopped) no energy, a steady periodic motion r near 1.
 *
 * Phase. The complex fundamental of the recent signal at the tracked tempo (Hann window over
 * the last `phaseWindowPeriods` periods, summed over channels) gives the phase of the motion;
 * the beat is put where the position of that fundamental is lowest in the image (the end of the
 * down-stroke: the bottom of a nod, the low point of an arm pump). A first-order phase-locked
 * loop (`phaseGain` per update) smooths the beat anchor. Tempo and anchor are updated only while
 * strength >= `lockStrength`; otherwise they are held (free-running).
 *
 * Limits: one beat per motion period (a pendulum arm swing that hits on both extremes reads as
 * half tempo); beats at the top of a motion are read as off-beats; tempo changes are followed
 * over about `memoryMs`.
 */
import { clamp, clamp01 } from '../../protocol/numbers.js';
import type { Bpm, Hz, Milliseconds } from '../../protocol/units.js';

export interface BeatTrackerOptions {
  /** Number of input channels (velocities per push). */
  channels: number;
  /** Internal resampling rate. */
  sampleRateHz: Hz;
  minBpm: Bpm;
  maxBpm: Bpm;
  preferredMinBpm: Bpm;
  preferredMaxBpm: Bpm;
  /** Preference weight at minBpm and maxBpm (1 inside the preferred range). */
  edgeWeight: number;
  /** Time constant of the autocorrelation's exponential memory. */
  memoryMs: Milliseconds;
  /** Correlation at which strength starts rising from 0, and where it reaches 1. */
  correlationFloor: number;
  correlationFull: number;
  /** Energy gate, in input units (RMS velocity): below it strength is 0, from twice it the gate is open. */
  minRms: number;
  /** Time constant of the RMS the energy gate looks at. */
  gateMs: Milliseconds;
  /** The tempo is refined on the autocorrelation at whole multiples of the period up to this lag. */
  refineSpanMs: Milliseconds;
  /** A lag is considered only once the signal is this many lags long. */
  minPeriods: number;
  /** Strength needed to update tempo and phase. */
  lockStrength: number;
  /** Length of the phase window, in beat periods. */
  phaseWindowPeriods: number;
  /** Phase-locked loop gain per update, in (0, 1]. */
  phaseGain: number;
  /** A gap between pushes longer than this is filled with zero velocity; longer than memoryMs resets. */
  maxGapMs: Milliseconds;
}

export class BeatTracker {
  static getDefaults(): BeatTrackerOptions {
    return {
      channels: 1,
      sampleRateHz: 100,
      minBpm: 60,
      maxBpm: 180,
      preferredMinBpm: 80,
      preferredMaxBpm: 160,
      edgeWeight: 0.8,
      memoryMs: 3000,
      correlationFloor: 0.45,
      correlationFull: 0.85,
      minRms: 0.02,
      gateMs: 500,
      refineSpanMs: 2000,
      minPeriods: 2,
      lockStrength: 0.25,
      phaseWindowPeriods: 2,
      phaseGain: 0.3,
      maxGapMs: 400,
    };
  }

  readonly options: Readonly<BeatTrackerOptions>;
  private readonly tickMs: Milliseconds;
  private readonly decay: number;
  private readonly gateDecay: number;
  private readonly lagMin: number;
  private readonly lagMax: number;
  /** Longest lag refinement looks at (acf is kept up to acfMax + 1). */
  private readonly acfMax: number;
  private readonly ringSize: number;
  private readonly mask: number;
  /** ring[c * ringSize + i]: channel c's sample with index i (mod ringSize). */
  private readonly ring: Float64Array;
  /** Weighted energy after each sample. */
  private readonly energyRing: Float64Array;
  /** acf[L] for L in [0, acfMax + 1]. */
  private readonly acf: Float64Array;
  private readonly corr: Float64Array;
  private readonly weights: Float64Array;
  /** The sample being added; the newest frame's velocities; the previous frame's, at the middle of its interval. */
  private readonly current: Float64Array;
  private readonly incoming: Float64Array;
  private readonly previous: Float64Array;
  private previousMidMs = NaN;

  private sampleCount = 0;
  private energy = 0;
  private recentMeanSquare = 0;
  private lastPushMs = NaN;
  private nextTickMs = NaN;
  private lastTickMs = NaN;
  private bpm = NaN;
  private anchorMs = NaN;
  private strengthValue = 0;
  private correlationValue = 0;

  constructor(options: Partial<BeatTrackerOptions> = {}) {
    const o = { ...BeatTracker.getDefaults(), ...options };
    if (!Number.isInteger(o.channels) || o.channels < 1) {
      throw new RangeError(`channels must be a positive integer, but is ${o.channels}`);
    }
    if (!(o.sampleRateHz > 0)) throw new RangeError(`sampleRateHz must be > 0, but is ${o.sampleRateHz}`);
    if (!(o.minBpm > 0 && o.maxBpm > o.minBpm)) {
      throw new RangeError(`need 0 < minBpm < maxBpm, but got ${o.minBpm} and ${o.maxBpm}`);
    }
    if (!(o.correlationFull > o.correlationFloor)) {
      throw new RangeError(`correlationFull must exceed correlationFloor, but is ${o.correlationFull}`);
    }
    if (!(o.refineSpanMs >= 0)) throw new RangeError(`refineSpanMs must be >= 0, but is ${o.refineSpanMs}`);
    if (!(o.phaseGain > 0 && o.phaseGain <= 1)) throw new RangeError(`phaseGain must be in (0, 1], but is ${o.phaseGain}`);
    this.options = Object.freeze(o);
    this.tickMs = 1000 / o.sampleRateHz;
    this.decay = Math.exp(-this.tickMs / o.memoryMs);
    this.gateDecay = Math.exp(-this.tickMs / o.gateMs);
    this.lagMin = Math.max(2, Math.floor((o.sampleRateHz * 60) / o.maxBpm));
    this.lagMax = Math.ceil((o.sampleRateHz * 60) / o.minBpm);
    this.acfMax = Math.max(this.lagMax, Math.ceil((o.refineSpanMs * o.sampleRateHz) / 1000));
    const need = Math.max(this.acfMax + 2, Math.ceil(o.phaseWindowPeriods * this.lagMax) + 2);
    let size = 1;
    while (size < need) size *= 2;
    this.ringSize = size;
    this.mask = size - 1;
    this.ring = new Float64Array(o.channels * size);
    this.energyRing = new Float64Array(size);
    this.acf = new Float64Array(this.acfMax + 2);
    this.corr = new Float64Array(this.lagMax + 2);
    this.weights = new Float64Array(this.lagMax + 2);
    for (let lag = this.lagMin; lag <= this.lagMax; lag++) this.weights[lag] = this.preference((o.sampleRateHz * 60) / lag);
    this.current = new Float64Array(o.channels);
    this.incoming = new Float64Array(o.channels);
    this.previous = new Float64Array(o.channels);
  }

  /** Tempo estimate (held while not periodic), or null before the first lock. */
  get tempoBpm(): Bpm | null {
    return Number.isNaN(this.bpm) ? null : this.bpm;
  }

  /** Beat period (ms), or null before the first lock. */
  get periodMs(): Milliseconds | null {
    return Number.isNaN(this.bpm) ? null : 60_000 / this.bpm;
  }

  /** Periodicity confidence in [0, 1] as of the last push. */
  get strength(): number {
    return this.strengthValue;
  }

  /** Normalised autocorrelation at the chosen lag (diagnostics). */
  get correlation(): number {
    return this.correlationValue;
  }

  /** True once a tempo and phase have been locked at least once. */
  get locked(): boolean {
    return !Number.isNaN(this.anchorMs);
  }

  /** Phase in [0, 1) at a time (0 = on a beat), or NaN before the first lock. */
  phaseAt(timeMs: Milliseconds): number {
    if (!this.locked) return NaN;
    const p = (timeMs - this.anchorMs) / (60_000 / this.bpm);
    const f = p - Math.floor(p);
    return f >= 1 ? 0 : f;
  }

  /** The first predicted beat at or after a time, or null before the first lock. */
  nextBeatAfter(timeMs: Milliseconds): Milliseconds | null {
    if (!this.locked) return null;
    const period = 60_000 / this.bpm;
    return this.anchorMs + Math.ceil((timeMs - this.anchorMs) / period) * period;
  }

  /** A beat time (the anchor), or null before the first lock. */
  get anchor(): Milliseconds | null {
    return this.locked ? this.anchorMs : null;
  }

  /**
   * Adds one frame: `velocities[c]` is channel c's mean velocity since the previous push
   * (ignored for the first push, which only sets the clock). Pushes must be in time order;
   * one not later than the previous is ignored.
   */
  push(timeMs: Milliseconds, velocities: ArrayLike<number>): void {
    if (!Number.isFinite(timeMs)) return;
    if (Number.isNaN(this.lastPushMs)) {
      this.lastPushMs = timeMs;
      this.nextTickMs = timeMs + this.tickMs;
      return;
    }
    const dt = timeMs - this.lastPushMs;
    if (!(dt > 0)) return;
    const c = this.options.channels;
    if (dt > this.options.memoryMs) {
      this.clearSignal();
      this.lastPushMs = timeMs;
      this.nextTickMs = timeMs + this.tickMs;
      this.estimate();
      return;
    }
    const gap = dt > this.options.maxGapMs;
    for (let k = 0; k < c; k++) {
      const v = velocities[k];
      this.incoming[k] = gap || v === undefined || !Number.isFinite(v) ? 0 : v;
    }
    if (gap) this.previous.fill(0); // the gap is zeros from the last frame's middle on
    const midMs = this.lastPushMs + dt / 2;
    const from = this.previousMidMs;
    // Ticks up to this interval's middle (dt <= memoryMs here, so at most memoryMs / tickMs + 1 of them),
    // linear from the previous frame's velocity (held before there is one).
    const ticks = this.nextTickMs <= midMs ? Math.floor((midMs - this.nextTickMs) / this.tickMs) + 1 : 0;
    for (let i = 0; i < ticks; i++) {
      const u = Number.isNaN(from) ? 1 : (this.nextTickMs - from) / (midMs - from);
      for (let k = 0; k < c; k++) this.current[k] = this.previous[k] + u * (this.incoming[k] - this.previous[k]);
      this.addSample();
      this.lastTickMs = this.nextTickMs;
      this.nextTickMs += this.tickMs;
    }
    this.previous.set(this.incoming);
    this.previousMidMs = midMs;
    this.lastPushMs = timeMs;
    this.estimate();
  }

  reset(): void {
    this.clearSignal();
    this.lastPushMs = NaN;
    this.nextTickMs = NaN;
    this.lastTickMs = NaN;
    this.bpm = NaN;
    this.anchorMs = NaN;
  }

  copyFrom(other: BeatTracker): void {
    if (other.ring.length !== this.ring.length || other.acf.length !== this.acf.length) {
      throw new RangeError('copyFrom needs a BeatTracker with the same options');
    }
    this.ring.set(other.ring);
    this.energyRing.set(other.energyRing);
    this.acf.set(other.acf);
    this.sampleCount = other.sampleCount;
    this.energy = other.energy;
    this.recentMeanSquare = other.recentMeanSquare;
    this.lastPushMs = other.lastPushMs;
    this.nextTickMs = other.nextTickMs;
    this.lastTickMs = other.lastTickMs;
    this.previous.set(other.previous);
    this.previousMidMs = other.previousMidMs;
    this.bpm = other.bpm;
    this.anchorMs = other.anchorMs;
    this.strengthValue = other.strengthValue;
    this.correlationValue = other.correlationValue;
  }

  private clearSignal(): void {
    this.ring.fill(0);
    this.energyRing.fill(0);
    this.acf.fill(0);
    this.sampleCount = 0;
    this.energy = 0;
    this.recentMeanSquare = 0;
    this.strengthValue = 0;
    this.correlationValue = 0;
    this.previous.fill(0);
    this.previousMidMs = NaN;
  }

  private preference(bpm: Bpm): number {
    const o = this.options;
    if (bpm < o.preferredMinBpm) {
      const u = (bpm - o.minBpm) / (o.preferredMinBpm - o.minBpm);
      return o.edgeWeight + (1 - o.edgeWeight) * clamp01(u);
    }
    if (bpm > o.preferredMaxBpm) {
      const u = (o.maxBpm - bpm) / (o.maxBpm - o.preferredMaxBpm);
      return o.edgeWeight + (1 - o.edgeWeight) * clamp01(u);
    }
    return 1;
  }

  private addSample(): void {
    const c = this.options.channels;
    const n = this.sampleCount;
    const size = this.ringSize;
    const mask = this.mask;
    const idx = n & mask;
    const decay = this.decay;
    let e = 0;
    for (let k = 0; k < c; k++) {
      const x = this.current[k];
      this.ring[k * size + idx] = x;
      e += x * x;
    }
    this.energy = decay * this.energy + e;
    this.recentMeanSquare = this.gateDecay * this.recentMeanSquare + (1 - this.gateDecay) * e;
    this.energyRing[idx] = this.energy;
    const acf = this.acf;
    const ring = this.ring;
    const lo = this.lagMin - 1;
    const hi = Math.min(this.acfMax + 1, n);
    for (let lag = lo; lag <= hi; lag++) {
      const j = (n - lag) & mask;
      let s = 0;
      for (let k = 0; k < c; k++) s += this.current[k] * ring[k * size + j];
      acf[lag] = decay * acf[lag] + s;
    }
    for (let lag = hi + 1; lag <= this.acfMax + 1; lag++) acf[lag] *= decay;
    this.sampleCount = n + 1;
  }

  private estimate(): void {
    const o = this.options;
    const n = this.sampleCount;
    this.strengthValue = 0;
    this.correlationValue = 0;
    if (n < o.minPeriods * this.lagMin + 2) return;
    const e0 = this.energy;
    const rms = Math.sqrt(this.recentMeanSquare);
    if (!(rms > o.minRms) || !(e0 > 0)) return;
    const last = n - 1;
    const lo = this.lagMin - 1;
    const hi = this.lagMax + 1;
    const longest = Math.floor(n / o.minPeriods);
    for (let lag = lo; lag <= hi; lag++) {
      if (lag > last || lag > longest + 1) {
        this.corr[lag] = 0;
        continue;
      }
      const eLag = this.energyRing[(last - lag) & this.mask];
      this.corr[lag] = eLag > 0 ? this.acf[lag] / Math.sqrt(e0 * eLag) : 0;
    }
    let best = -1;
    let bestScore = -Infinity;
    const top = Math.min(this.lagMax, longest);
    for (let lag = this.lagMin; lag <= top; lag++) {
      const r = this.corr[lag];
      if (r < this.corr[lag - 1] || r < this.corr[lag + 1]) continue;
      const score = r * this.weights[lag];
      if (score > bestScore) {
        bestScore = score;
        best = lag;
      }
    }
    if (best < 0) return;
    const ym = this.corr[best - 1];
    const y0 = this.corr[best];
    const yp = this.corr[best + 1];
    const denom = ym - 2 * y0 + yp;
    let delta = denom < 0 ? (0.5 * (ym - yp)) / denom : 0;
    if (delta > 0.5) delta = 0.5;
    else if (delta < -0.5) delta = -0.5;
    const peak = y0 - 0.25 * (ym - yp) * delta;
    this.correlationValue = peak;
    const corrPart = (peak - o.correlationFloor) / (o.correlationFull - o.correlationFloor);
    const gate = (rms - o.minRms) / o.minRms;
    const strength = clamp01(corrPart) * clamp01(gate);
    this.strengthValue = strength;
    if (strength < o.lockStrength) return;
    const lagF = this.refinedLag(best + delta);
    const bpm = clamp((o.sampleRateHz * 60) / lagF, o.minBpm, o.maxBpm);
    this.bpm = bpm;
    this.updatePhase(lagF);
  }

  /** Normalised autocorrelation at a lag of the newest sample (lag <= acfMax + 1, within the signal). */
  private corrAt(lag: number): number {
    const eLag = this.energyRing[(this.sampleCount - 1 - lag) & this.mask];
    return eLag > 0 ? this.acf[lag] / Math.sqrt(this.energy * eLag) : 0;
  }

  /** The period (samples) from the autocorrelation peak nearest k * lagF, k the largest multiple allowed. */
  private refinedLag(lagF: number): number {
    const n = this.sampleCount;
    const k = Math.min(Math.floor(this.acfMax / lagF), Math.floor((n - 2) / lagF - 0.5));
    if (k < 2) return lagF;
    // climb to the local maximum from k * lagF, at most a quarter period either way
    const reach = Math.floor(lagF / 4);
    const centre = Math.round(k * lagF);
    let lag = centre;
    const dir = this.corrAt(lag + 1) > this.corrAt(lag) ? 1 : -1;
    while (Math.abs(lag + dir - centre) <= reach && lag + dir >= 1 && lag + dir <= this.acfMax && this.corrAt(lag + dir) > this.corrAt(lag)) lag += dir;
    if (lag - 1 < 0 || lag + 1 > this.acfMax + 1 || this.corrAt(lag - 1) > this.corrAt(lag) || this.corrAt(lag + 1) > this.corrAt(lag)) return lagF;
    const ym = this.corrAt(lag - 1);
    const y0 = this.corrAt(lag);
    const yp = this.corrAt(lag + 1);
    const denom = ym - 2 * y0 + yp;
    const delta = denom < 0 ? clamp((0.5 * (ym - yp)) / denom, -0.5, 0.5) : 0;
    return (lag + delta) / k;
  }

  /** Fundamental of the recent signal at the tracked period (lagF samples) -> beat anchor. */
  private updatePhase(lagF: number): void {
    const o = this.options;
    const c = o.channels;
    const n = this.sampleCount;
    const size = this.ringSize;
    const w = Math.min(n, this.ringSize - 1, Math.round(o.phaseWindowPeriods * lagF));
    if (w < 4) return;
    const omega = (2 * Math.PI) / lagF;
    // phasor e^{i omega k} and Hann window by recurrence
    const cw = Math.cos(omega);
    const sw = Math.sin(omega);
    const hannStep = (2 * Math.PI) / w;
    const ch = Math.cos(hannStep);
    const sh = Math.sin(hannStep);
    let pr = 1;
    let pi = 0;
    let hr = Math.cos(hannStep * 0.5);
    let hi = Math.sin(hannStep * 0.5);
    let re = 0;
    let im = 0;
    const last = n - 1;
    for (let k = 0; k < w; k++) {
      const j = (last - k) & this.mask;
      let x = 0;
      for (let ch2 = 0; ch2 < c; ch2++) x += this.ring[ch2 * size + j];
      const win = 0.5 - 0.5 * hr;
      re += win * x * pr;
      im += win * x * pi;
      const npr = pr * cw - pi * sw;
      pi = pr * sw + pi * cw;
      pr = npr;
      const nhr = hr * ch - hi * sh;
      hi = hr * sh + hi * ch;
      hr = nhr;
    }
    if (re === 0 && im === 0) return;
    const phi = Math.atan2(im, re);
    const periodMs = lagF * this.tickMs;
    // velocity ~ cos(omega (t - t_n) + phi); position ~ sin(...), lowest in the image at omega (t - t_n) + phi = pi/2
    const beatMs = this.lastTickMs + ((Math.PI / 2 - phi) / (2 * Math.PI)) * periodMs;
    if (Number.isNaN(this.anchorMs)) {
      this.anchorMs = beatMs;
    } else {
      let err = (beatMs - this.anchorMs) / periodMs;
      err -= Math.round(err);
      this.anchorMs += o.phaseGain * err * periodMs;
    }
    // keep the anchor near the present (it is a beat time; whole periods do not change the phase)
    this.anchorMs += Math.round((this.lastTickMs - this.anchorMs) / periodMs) * periodMs;
  }
}
