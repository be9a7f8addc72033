/**
 * The output of the pipeline: every control moves toward neutral + p (live - neutral), p the
 * presence glide of its group, by at most its rate (beatPhase free-runs instead). Between frames
 * the output holds; once no frame came for the stale time it follows the glide to NEUTRAL in
 * SUBSTEP_MS steps, both when read (evaluate) and when the next frame arrives (followGap), so a
 * reader sees the same values either way. The output of each frame is kept in a history for the
 * resampler.
 */
import { C, CONTROL_NAMES, CONTROL_RANGES, CONTROL_SIZE, NEUTRAL, type ControlVector } from '../../protocol/controlVector.js';
import { clamp } from '../../protocol/numbers.js';
import type { Milliseconds } from '../../protocol/units.js';
import { CONTROL_GROUP, G_ANY, GROUPS } from './controlGroups.js';
import { ControlHistory } from './controlHistory.js';
import { staleAfterMs, type PipelineState } from './pipelineState.js';
import type { ControlTrackerOptions } from './trackerOptions.js';

/** Output substep while no frame comes (glides are followed at this resolution). */
const SUBSTEP_MS = 50;

export class ControlOutput {
  /** Output of recent frames and substeps (replayed by 'delayed-linear', slopes for 'extrapolate'). */
  readonly history: ControlHistory;
  /** Largest change per ms of each control. */
  readonly rates: Float64Array;
  readonly lo: Float64Array;
  readonly hi: Float64Array;
  private readonly options: Readonly<ControlTrackerOptions>;
  /** After the glide-out, every rate-limited control is at NEUTRAL this much later (max range / rate). */
  private readonly settleMs: Milliseconds;
  private readonly neutral: Float64Array;
  private readonly weights = new Float64Array(GROUPS);

  constructor(options: Readonly<ControlTrackerOptions>) {
    this.options = options;
    // 30 fps frames plus substeps while absent, with margin
    this.history = new ControlHistory(Math.ceil((options.historyMs / 1000) * 120) + 64, CONTROL_SIZE);
    this.rates = Float64Array.from(CONTROL_NAMES, (n) => options.maxRatePerSecond[n] / 1000);
    this.settleMs =
      Math.max(...CONTROL_RANGES.map((r, i) => (i === C.beatPhase ? 0 : (r[1] - r[0]) / this.rates[i]))) + SUBSTEP_MS;
    this.neutral = Float64Array.from(CONTROL_NAMES, (n) => NEUTRAL[n]);
    this.lo = Float64Array.from(CONTROL_RANGES, (r) => r[0]);
    this.hi = Float64Array.from(CONTROL_RANGES, (r) => r[1]);
  }

  /**
   * One output step of `dtMs` ending at `timeMs`: every control moves toward
   * neutral + p (live - neutral) by at most its rate (beatPhase is not stepped).
   */
  step(s: PipelineState, y: Float64Array, dtMs: Milliseconds, timeMs: Milliseconds, staleFromMs: Milliseconds): void {
    const wts = this.weights;
    for (let g = 0; g < GROUPS; g++) wts[g] = s.groups.weight(g, timeMs, staleFromMs);
    for (let i = 0; i < CONTROL_SIZE; i++) {
      if (i === C.beatPhase) continue;
      const g = CONTROL_GROUP[i];
      const n = this.neutral[i];
      const target = i === C.presence ? wts[G_ANY] : n + wts[g] * (s.live[i] - n);
      const maxStep = this.rates[i] * dtMs;
      let d = target - y[i];
      if (d > maxStep) d = maxStep;
      else if (d < -maxStep) d = -maxStep;
      y[i] = clamp(y[i] + d, this.lo[i], this.hi[i]);
    }
  }

  /**
   * A frame at `t` after a gap longer than the stale time: the output was held until staleFrom,
   * then every group glided out. Follows that glide through the gap (values held) exactly as
   * evaluate() showed it. Does nothing after a short gap or before the first frame.
   */
  followGap(s: PipelineState, t: Milliseconds): void {
    if (Number.isNaN(s.tLast) || !(t - s.tLast > staleAfterMs(this.options, s))) return;
    const staleFrom = s.tLast + staleAfterMs(this.options, s);
    s.groups.markAllAbsent(staleFrom);
    s.yTime = staleFrom;
    const settleAt = staleFrom + this.options.glideOutMs + this.settleMs;
    // Counted, not open-ended: at most the glide's own number of substeps, whatever t is.
    const steps = Math.min(Math.ceil((t - staleFrom) / SUBSTEP_MS) - 2, Math.ceil((settleAt - staleFrom) / SUBSTEP_MS));
    for (let i = 1; i <= steps; i++) {
      const next = staleFrom + i * SUBSTEP_MS;
      this.step(s, s.y, SUBSTEP_MS, next, Infinity);
      s.yTime = next;
      this.record(s, next);
    }
    if (t - s.yTime > 2 * SUBSTEP_MS) {
      s.y.set(this.neutral); // settled: the same shortcut as evaluate()
      s.yTime = t - SUBSTEP_MS;
    }
  }

  /** Appends the output at `t` to the history, after the entries `s` knows of (a replay overwrites). */
  record(s: PipelineState, t: Milliseconds): void {
    this.rewind(s);
    this.history.push(t, s.y);
    s.histHead = this.history.headIndex;
    s.histSize = this.history.size;
  }

  /** Puts the history back to where it was at state `s`. */
  rewind(s: PipelineState): void {
    this.history.rewind(s.histHead, s.histSize);
  }

  /**
   * Output at client time tau >= yTime (pure). Between frames the output holds (it moves only
   * when a frame comes, so every change is bounded by rate x frame interval); once no frame has
   * come for the stale time, it follows the glide to NEUTRAL in SUBSTEP_MS steps, as followGap()
   * will when the next frame arrives.
   */
  evaluate(s: PipelineState, tau: Milliseconds, y: Float64Array): void {
    y.set(s.y);
    if (Number.isNaN(s.tLast)) return;
    const staleFrom = s.tLast + staleAfterMs(this.options, s);
    if (!(tau > staleFrom)) return;
    const settleAt = staleFrom + this.options.glideOutMs + this.settleMs;
    if (tau >= settleAt) {
      // every group has glided out and every control has reached NEUTRAL
      y.set(this.neutral);
      return;
    }
    // Counted substeps (tau < settleAt here, so at most the glide's own number of them).
    const steps = Math.max(0, Math.ceil((tau - staleFrom) / SUBSTEP_MS) - 1);
    let tt = staleFrom;
    for (let i = 1; i <= steps; i++) {
      this.step(s, y, SUBSTEP_MS, staleFrom + i * SUBSTEP_MS, staleFrom);
      tt = staleFrom + i * SUBSTEP_MS;
    }
    if (tau > tt) this.step(s, y, tau - tt, tau, staleFrom);
  }

  /** Output at any client time: history interpolation before the newest output, evaluate() after. */
  valueAt(s: PipelineState, tau: Milliseconds, y: Float64Array): void {
    if (!(tau < s.yTime) || !this.history.sample(tau, y)) this.evaluate(s, Math.max(tau, s.yTime), y);
  }

  /** beatPhase at client time tau (0 before any lock; stops at 0 on the first wrap after the glide-out). */
  phaseAt(s: PipelineState, tau: Milliseconds): number {
    const beat = s.beat;
    if (!beat.locked || Number.isNaN(s.tLast)) return 0;
    const period = beat.periodMs as number;
    const anchor = beat.anchor as number;
    const since = s.groups.absentSince(G_ANY, tau, s.tLast + this.options.staleAfterMs);
    if (!Number.isNaN(since)) {
      const freezeFrom = since + this.options.glideOutMs;
      if (tau >= freezeFrom && Math.floor((tau - anchor) / period) > Math.floor((freezeFrom - anchor) / period)) return 0;
    }
    return beat.phaseAt(tau);
  }

  /** `y` with beatPhase `phase`, as a control vector. */
  write(y: Float64Array, phase: number, out: ControlVector): ControlVector {
    for (let i = 0; i < CONTROL_SIZE; i++) out[i] = y[i];
    out[C.beatPhase] = phase;
    return out;
  }
}
