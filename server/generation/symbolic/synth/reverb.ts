/**
 * A light stereo reverb: two allpass diffusers into a four-line feedback delay network
 * (Householder mixing, a one-pole lowpass in each line for a darker tail). Decay time and
 * damping glide at block rate when a style changes them.
 */
import type { Hz } from '../../../../protocol/units.js';

const LINE_MS = [29.7, 37.1, 41.1, 43.7];
const DIFFUSER_MS = [4.77, 3.59];
const DIFFUSION = 0.62;

export interface ReverbParams {
  /** Time to -60 dB, seconds. */
  rt60: number;
  /** One-pole lowpass coefficient in the loop: 0 (bright) .. 0.9 (dark). */
  damping: number;
}

export class Reverb {
  private readonly sr: Hz;
  private readonly lines: Float32Array[];
  private readonly lengths: number[];
  private readonly pos = [0, 0, 0, 0];
  private readonly lp = new Float64Array(4);
  private readonly gains = new Float64Array(4);
  private readonly targetGains = new Float64Array(4);
  private readonly diffusers: Float32Array[];
  private readonly diffPos = [0, 0];
  private damping = 0.3;
  private targetDamping = 0.3;

  constructor(sampleRate: Hz, params: ReverbParams) {
    this.sr = sampleRate;
    this.lengths = LINE_MS.map((ms) => Math.round((ms / 1000) * sampleRate));
    this.lines = this.lengths.map((n) => new Float32Array(n));
    this.diffusers = DIFFUSER_MS.map((ms) => new Float32Array(Math.round((ms / 1000) * sampleRate)));
    this.set(params);
    this.gains.set(this.targetGains);
    this.damping = this.targetDamping;
  }

  set(params: ReverbParams): void {
    const rt = Math.max(0.05, params.rt60);
    for (let i = 0; i < 4; i++) this.targetGains[i] = Math.pow(10, (-3 * this.lengths[i]!) / (rt * this.sr));
    this.targetDamping = Math.max(0, Math.min(0.9, params.damping));
  }

  /** Called once per 64-sample block: glide toward the target decay. */
  glide(): void {
    for (let i = 0; i < 4; i++) this.gains[i]! += (this.targetGains[i]! - this.gains[i]!) * 0.05;
    this.damping += (this.targetDamping - this.damping) * 0.05;
  }

  /** Adds the wet signal of mono `input` into outL/outR. */
  process(input: Float32Array, outL: Float32Array, outR: Float32Array, n: number): void {
    const [l0, l1, l2, l3] = this.lines as [Float32Array, Float32Array, Float32Array, Float32Array];
    const [n0, n1, n2, n3] = this.lengths as [number, number, number, number];
    const [d0, d1] = this.diffusers as [Float32Array, Float32Array];
    let [p0, p1, p2, p3] = this.pos as [number, number, number, number];
    let [q0, q1] = this.diffPos as [number, number];
    const g0 = this.gains[0]!;
    const g1 = this.gains[1]!;
    const g2 = this.gains[2]!;
    const g3 = this.gains[3]!;
    const damp = this.damping;
    let f0 = this.lp[0]!;
    let f1 = this.lp[1]!;
    let f2 = this.lp[2]!;
    let f3 = this.lp[3]!;
    for (let i = 0; i < n; i++) {
      // Schroeder allpass diffusers.
      let x = input[i]!;
      let z = d0[q0]!;
      let y = z - DIFFUSION * x;
      d0[q0] = x + DIFFUSION * y;
      if (++q0 === d0.length) q0 = 0;
      x = y;
      z = d1[q1]!;
      y = z - DIFFUSION * x;
      d1[q1] = x + DIFFUSION * y;
      if (++q1 === d1.length) q1 = 0;
      x = y;
      // Lines, damped.
      f0 += (l0[p0]! - f0) * (1 - damp);
      f1 += (l1[p1]! - f1) * (1 - damp);
      f2 += (l2[p2]! - f2) * (1 - damp);
      f3 += (l3[p3]! - f3) * (1 - damp);
      const a = f0 * g0;
      const b = f1 * g1;
      const c = f2 * g2;
      const d = f3 * g3;
      const s = 0.5 * (a + b + c + d);
      l0[p0] = x + a - s;
      l1[p1] = x + b - s;
      l2[p2] = x - (c - s);
      l3[p3] = x - (d - s);
      if (++p0 === n0) p0 = 0;
      if (++p1 === n1) p1 = 0;
      if (++p2 === n2) p2 = 0;
      if (++p3 === n3) p3 = 0;
      outL[i]! += 0.5 * (a + c);
      outR[i]! += 0.5 * (b - d);
    }
    this.pos[0] = p0;
    this.pos[1] = p1;
    this.pos[2] = p2;
    this.pos[3] = p3;
    this.diffPos[0] = q0;
    this.diffPos[1] = q1;
    this.lp[0] = f0;
    this.lp[1] = f1;
    this.lp[2] = f2;
    this.lp[3] = f3;
  }
}
