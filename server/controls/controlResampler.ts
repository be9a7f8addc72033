/**
 * Reads the output causally at client times: one vector now (`current`), or one per generator
 * step (`resample`) in one of three modes:
 *  - 'hold': every step = current(now). No added latency; no detail inside the chunk.
 *  - 'delayed-linear': step j = the output at now - count*stepMs + j*stepMs, interpolated from
 *    history: the exact recent trajectory, count*stepMs late.
 *  - 'extrapolate': smooth controls continue their slope over the last `extrapolationWindowMs`
 *    from the newest frame (at most `maxExtrapolationMs` ahead), clamped to their ranges. No
 *    added latency (it even makes up the network delay); overshoots when the motion turns.
 * beatPhase of step j is always the predicted phase at now + j*stepMs, whatever the mode.
 */
import { CONTROL_SIZE, type ControlVector } from '../../protocol/controlVector.js';
import { clamp } from '../../protocol/numbers.js';
import type { Milliseconds } from '../../protocol/units.js';
import { SMOOTH_CONTROLS } from './controlGroups.js';
import type { ControlOutput } from './controlOutput.js';
import type { PipelineState } from './pipelineState.js';
import type { ControlTrackerOptions, ResampleMode } from './trackerOptions.js';

export class ControlResampler {
  private readonly options: Readonly<ControlTrackerOptions>;
  private readonly output: ControlOutput;
  private readonly evalY = new Float64Array(CONTROL_SIZE);
  private readonly evalPast = new Float64Array(CONTROL_SIZE);

  constructor(options: Readonly<ControlTrackerOptions>, output: ControlOutput) {
    this.options = options;
    this.output = output;
  }

  /** The control vector at client time `tau` (never earlier than the newest output). */
  current(s: PipelineState, tau: Milliseconds, out: ControlVector): ControlVector {
    const at = this.notBeforeOutput(s, tau);
    this.output.evaluate(s, at, this.evalY);
    return this.output.write(this.evalY, this.output.phaseAt(s, at), out);
  }

  /** One control `c` of the output at client time `tau` (never earlier than the newest output). */
  controlAt(s: PipelineState, tau: Milliseconds, c: number): number {
    this.output.evaluate(s, this.notBeforeOutput(s, tau), this.evalY);
    return this.evalY[c];
  }

  /** Control vectors for the `count` steps starting at client time `tauNow`, `stepMs` apart (see the file comment). */
  resample(
    s: PipelineState,
    tauNow: Milliseconds,
    stepMs: Milliseconds,
    count: number,
    mode: ResampleMode,
    out?: ControlVector[],
  ): ControlVector[] {
    if (!(stepMs > 0)) throw new RangeError(`stepMs must be > 0, but is ${stepMs}`);
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be a positive integer, but is ${count}`);
    const output = this.output;
    const result = out ?? [];
    for (let j = result.length; j < count; j++) result.push(new Float32Array(CONTROL_SIZE));
    const tau = this.notBeforeOutput(s, tauNow);
    const y = this.evalY;
    if (mode === 'delayed-linear') {
      for (let j = 0; j < count; j++) {
        output.valueAt(s, tau - (count - j) * stepMs, y);
        output.write(y, output.phaseAt(s, tau + j * stepMs), result[j]);
      }
      return result;
    }
    output.evaluate(s, tau, y);
    if (mode === 'hold' || Number.isNaN(s.tLast) || tau - s.tLast > this.options.staleAfterMs) {
      for (let j = 0; j < count; j++) output.write(y, output.phaseAt(s, tau + j * stepMs), result[j]);
      return result;
    }
    // extrapolate from the newest frame's output along the recent slope
    const o = this.options;
    const history = output.history;
    const past = this.evalPast;
    const from = s.tLast - o.extrapolationWindowMs;
    const haveSlope = history.size > 1 && history.oldestMs <= from;
    if (haveSlope) history.sample(from, past);
    for (let j = 0; j < count; j++) {
      const v = result[j];
      output.write(y, output.phaseAt(s, tau + j * stepMs), v);
      if (!haveSlope) continue;
      const ahead = Math.min(tau + j * stepMs - s.tLast, o.maxExtrapolationMs);
      for (const c of SMOOTH_CONTROLS) {
        const rate = output.rates[c];
        const slope = clamp((s.y[c] - past[c]) / o.extrapolationWindowMs, -rate, rate);
        v[c] = clamp(s.y[c] + slope * ahead, output.lo[c], output.hi[c]);
      }
    }
    return result;
  }

  private notBeforeOutput(s: PipelineState, tau: Milliseconds): Milliseconds {
    return Math.max(tau, Number.isNaN(s.yTime) ? -Infinity : s.yTime);
  }
}
