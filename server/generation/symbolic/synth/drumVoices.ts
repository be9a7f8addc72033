/**
 * The six synthesised drum voices: kick (sine with a pitch drop + click), snare (tone + noise,
 * or a brush swish), closed and open hats (high-passed noise; a closed hat chokes the open
 * one), clap (band-passed noise in three quick bursts and a tail) and a tunable percussion
 * voice (rim, conga, tom, shaker: a pitched sine plus band-passed noise).
 *
 * Every voice keeps its state across chunk borders and decides to go idle only at the end of
 * a 64-sample block of the timeline (see monoVoice.ts), so chunking never changes the output.
 *
 * Just over 400 lines: five small voices on one DrumVoice base (idle rule, noise, filters), read side by side.
 */
import type { Hz } from '../../../../protocol/units.js';
import { SINE, TABLE_SIZE, decayPerSample } from './tables.js';

export interface KickParams {
  startHz: Hz;
  endHz: Hz;
  pitchMs: number;
  decayMs: number;
  click: number;
  drive: number;
  level: number;
}

export interface SnareParams {
  toneHz: Hz;
  tone: number;
  toneDecayMs: number;
  noise: number;
  noiseHz: Hz;
  decayMs: number;
  /** Brush: a soft swish (slow attack, darker noise) instead of a crack. */
  brush: boolean;
  level: number;
}

export interface HatParams {
  closedMs: number;
  openMs: number;
  hz: Hz;
  level: number;
}

export interface ClapParams {
  hz: Hz;
  decayMs: number;
  level: number;
}

export interface PercParams {
  hz: Hz;
  endHz: Hz;
  pitchMs: number;
  decayMs: number;
  attackMs: number;
  tone: number;
  noise: number;
  noiseHz: Hz;
  level: number;
  /** -1 left .. 1 right. */
  pan: number;
}

const SILENT = 1e-4;

/** Shared noise source and band filter, so each drum is a few lines. */
abstract class DrumVoice {
  active = false;
  protected readonly sr: Hz;
  protected noiseState: number;
  // State-variable filter on the noise.
  protected ic1 = 0;
  protected ic2 = 0;
  protected a1 = 1;
  protected a2 = 0;
  protected a3 = 0;
  protected k = 1.4;

  constructor(sampleRate: Hz, seed: number) {
    this.sr = sampleRate;
    this.noiseState = (seed | 1) >>> 0 || 1;
  }

  protected setFilter(hz: Hz, q: number): void {
    const g = Math.tan((Math.PI * Math.min(hz, 0.42 * this.sr)) / this.sr);
    this.k = 1 / q;
    this.a1 = 1 / (1 + g * (g + this.k));
    this.a2 = g * this.a1;
    this.a3 = g * this.a2;
  }

  protected idleAt(abs: number, n: number, level: number): void {
    if (((abs + n) & 63) === 0 && level < SILENT) {
      this.active = false;
      this.ic1 = 0;
      this.ic2 = 0;
    }
  }
}

export class KickVoice extends DrumVoice {
  private p: KickParams | null = null;
  private phase = 0;
  private env = 0;
  private pitchEnv = 0;
  private clickEnv = 0;
  private amp = 0;
  private envMul = 0;
  private pitchMul = 0;
  private clickMul = 0;

  trigger(velocity: number, p: KickParams): void {
    this.p = p;
    this.amp = velocity * p.level;
    this.phase = 0;
    this.env = 1;
    this.pitchEnv = 1;
    this.clickEnv = p.click;
    this.envMul = decayPerSample(p.decayMs, this.sr);
    this.pitchMul = Math.exp(-1 / ((p.pitchMs / 1000) * this.sr));
    this.clickMul = decayPerSample(4, this.sr);
    this.active = true;
  }

  render(outL: Float32Array, outR: Float32Array, n: number, abs: number): void {
    if (!this.active) return;
    const p = this.p!;
    const invSr = 1 / this.sr;
    const span = p.startHz - p.endHz;
    let phase = this.phase;
    let env = this.env;
    let pitchEnv = this.pitchEnv;
    let clickEnv = this.clickEnv;
    let x = this.noiseState;
    const drive = p.drive;
    for (let i = 0; i < n; i++) {
      phase += (p.endHz + span * pitchEnv) * invSr;
      if (phase >= 1) phase -= 1;
      pitchEnv *= this.pitchMul;
      const t = phase * TABLE_SIZE;
      const j = t | 0;
      let s = (SINE[j]! + (t - j) * (SINE[j + 1]! - SINE[j]!)) * env;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      s += (x | 0) * 4.656612873077393e-10 * clickEnv;
      clickEnv *= this.clickMul;
      env *= this.envMul;
      if (drive > 0) s = (s * (1 + drive)) / (1 + drive * Math.abs(s));
      const out = s * this.amp;
      outL[i]! += out;
      outR[i]! += out;
    }
    this.phase = phase;
    this.env = env;
    this.pitchEnv = pitchEnv;
    this.clickEnv = clickEnv;
    this.noiseState = x;
    this.idleAt(abs, n, env);
  }
}

export class SnareVoice extends DrumVoice {
  private p: SnareParams | null = null;
  private phase = 0;
  private toneEnv = 0;
  private noiseEnv = 0;
  private attack = 0;
  private attackStep = 1;
  private toneMul = 0;
  private noiseMul = 0;
  private amp = 0;

  trigger(velocity: number, p: SnareParams): void {
    this.p = p;
    this.amp = velocity * p.level;
    this.toneEnv = p.tone;
    this.noiseEnv = p.noise;
    this.toneMul = decayPerSample(p.toneDecayMs, this.sr);
    this.noiseMul = decayPerSample(p.decayMs, this.sr);
    this.attack = p.brush ? 0 : 1;
    this.attackStep = p.brush ? 1 / (0.025 * this.sr) : 1;
    this.setFilter(p.noiseHz, p.brush ? 0.5 : 0.8);
    this.active = true;
  }

  render(outL: Float32Array, outR: Float32Array, send: Float32Array, sendLevel: number, n: number, abs: number): void {
    if (!this.active) return;
    const p = this.p!;
    const inc = p.toneHz / this.sr;
    let phase = this.phase;
    let toneEnv = this.toneEnv;
    let noiseEnv = this.noiseEnv;
    let attack = this.attack;
    let ic1 = this.ic1;
    let ic2 = this.ic2;
    let x = this.noiseState;
    const brush = p.brush;
    for (let i = 0; i < n; i++) {
      phase += inc;
      if (phase >= 1) phase -= 1;
      const t = phase * TABLE_SIZE;
      const j = t | 0;
      const tone = (SINE[j]! + (t - j) * (SINE[j + 1]! - SINE[j]!)) * toneEnv;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const w = (x | 0) * 4.656612873077393e-10;
      const v3 = w - ic2;
      const v1 = this.a1 * ic1 + this.a2 * v3;
      const v2 = ic2 + this.a2 * ic1 + this.a3 * v3;
      ic1 = 2 * v1 - ic1;
      ic2 = 2 * v2 - ic2;
      // Brush: band-passed (softer); stick: high-passed (crack).
      const filtered = brush ? v1 : w - this.k * v1 - v2;
      if (attack < 1) attack = Math.min(1, attack + this.attackStep);
      const s = (tone + filtered * noiseEnv * attack) * this.amp;
      toneEnv *= this.toneMul;
      noiseEnv *= this.noiseMul;
      outL[i]! += s;
      outR[i]! += s;
      send[i]! += s * sendLevel;
    }
    this.phase = phase;
    this.toneEnv = toneEnv;
    this.noiseEnv = noiseEnv;
    this.attack = attack;
    this.ic1 = ic1;
    this.ic2 = ic2;
    this.noiseState = x;
    this.idleAt(abs, n, Math.max(toneEnv, noiseEnv));
  }
}

export class HatVoice extends DrumVoice {
  private env = 0;
  private envMul = 0;
  private amp = 0;
  private chokeMul = 0;
  private panL = 1;
  private panR = 1;

  trigger(velocity: number, p: HatParams, open: boolean, pan: number): void {
    this.amp = velocity * p.level;
    this.env = 1;
    this.envMul = decayPerSample(open ? p.openMs : p.closedMs, this.sr);
    this.chokeMul = decayPerSample(25, this.sr);
    this.setFilter(p.hz, 0.7);
    this.panL = 1 - pan;
    this.panR = 1 + pan;
    this.active = true;
  }

  /** A closed hat cuts an open one short (quickly, not instantly). */
  choke(): void {
    if (this.active) this.envMul = Math.min(this.envMul, this.chokeMul);
  }

  render(outL: Float32Array, outR: Float32Array, n: number, abs: number): void {
    if (!this.active) return;
    let env = this.env;
    let ic1 = this.ic1;
    let ic2 = this.ic2;
    let x = this.noiseState;
    const gl = this.amp * this.panL;
    const gr = this.amp * this.panR;
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const w = (x | 0) * 4.656612873077393e-10;
      const v3 = w - ic2;
      const v1 = this.a1 * ic1 + this.a2 * v3;
      const v2 = ic2 + this.a2 * ic1 + this.a3 * v3;
      ic1 = 2 * v1 - ic1;
      ic2 = 2 * v2 - ic2;
      const s = (w - this.k * v1 - v2) * env;
      env *= this.envMul;
      outL[i]! += s * gl;
      outR[i]! += s * gr;
    }
    this.env = env;
    this.ic1 = ic1;
    this.ic2 = ic2;
    this.noiseState = x;
    this.idleAt(abs, n, env);
  }
}

export class ClapVoice extends DrumVoice {
  private env = 0;
  private t = 0;
  private burstMul = 0;
  private tailMul = 0;
  private burstLen = 1;
  private amp = 0;

  trigger(velocity: number, p: ClapParams): void {
    this.amp = velocity * p.level;
    this.env = 1;
    this.t = 0;
    this.burstLen = Math.round(0.011 * this.sr);
    this.burstMul = decayPerSample(9, this.sr);
    this.tailMul = decayPerSample(p.decayMs, this.sr);
    this.setFilter(p.hz, 1.2);
    this.active = true;
  }

  render(outL: Float32Array, outR: Float32Array, send: Float32Array, sendLevel: number, n: number, abs: number): void {
    if (!this.active) return;
    let env = this.env;
    let t = this.t;
    let ic1 = this.ic1;
    let ic2 = this.ic2;
    let x = this.noiseState;
    const bl = this.burstLen;
    for (let i = 0; i < n; i++) {
      if (t === bl || t === 2 * bl || t === 3 * bl) env = 1;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const w = (x | 0) * 4.656612873077393e-10;
      const v3 = w - ic2;
      const v1 = this.a1 * ic1 + this.a2 * v3;
      const v2 = ic2 + this.a2 * ic1 + this.a3 * v3;
      ic1 = 2 * v1 - ic1;
      ic2 = 2 * v2 - ic2;
      const s = v1 * 2.2 * env * this.amp;
      env *= t < 3 * bl ? this.burstMul : this.tailMul;
      t++;
      outL[i]! += s;
      outR[i]! += s;
      send[i]! += s * sendLevel;
    }
    this.env = env;
    this.t = t;
    this.ic1 = ic1;
    this.ic2 = ic2;
    this.noiseState = x;
    this.idleAt(abs, n, t > 3 * bl ? env : 1);
  }
}

export class PercVoice extends DrumVoice {
  private p: PercParams | null = null;
  private phase = 0;
  private env = 0;
  private attack = 1;
  private attackStep = 1;
  private pitchEnv = 0;
  private envMul = 0;
  private pitchMul = 0;
  private amp = 0;

  trigger(velocity: number, p: PercParams): void {
    this.p = p;
    this.amp = velocity * p.level;
    this.phase = 0;
    this.env = 1;
    this.pitchEnv = 1;
    this.attack = p.attackMs > 0 ? 0 : 1;
    this.attackStep = p.attackMs > 0 ? 1 / ((p.attackMs / 1000) * this.sr) : 1;
    this.envMul = decayPerSample(p.decayMs, this.sr);
    this.pitchMul = Math.exp(-1 / ((Math.max(1, p.pitchMs) / 1000) * this.sr));
    this.setFilter(p.noiseHz, 1.5);
    this.active = true;
  }

  render(outL: Float32Array, outR: Float32Array, send: Float32Array, sendLevel: number, n: number, abs: number): void {
    if (!this.active) return;
    const p = this.p!;
    const invSr = 1 / this.sr;
    const span = p.hz - p.endHz;
    const gl = this.amp * (1 - p.pan);
    const gr = this.amp * (1 + p.pan);
    let phase = this.phase;
    let env = this.env;
    let attack = this.attack;
    let pitchEnv = this.pitchEnv;
    let ic1 = this.ic1;
    let ic2 = this.ic2;
    let x = this.noiseState;
    for (let i = 0; i < n; i++) {
      phase += (p.endHz + span * pitchEnv) * invSr;
      if (phase >= 1) phase -= 1;
      pitchEnv *= this.pitchMul;
      const t = phase * TABLE_SIZE;
      const j = t | 0;
      const tone = SINE[j]! + (t - j) * (SINE[j + 1]! - SINE[j]!);
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const w = (x | 0) * 4.656612873077393e-10;
      const v3 = w - ic2;
      const v1 = this.a1 * ic1 + this.a2 * v3;
      const v2 = ic2 + this.a2 * ic1 + this.a3 * v3;
      ic1 = 2 * v1 - ic1;
      ic2 = 2 * v2 - ic2;
      if (attack < 1) attack = Math.min(1, attack + this.attackStep);
      const s = (tone * p.tone + v1 * p.noise * 2) * env * attack;
      env *= this.envMul;
      outL[i]! += s * gl;
      outR[i]! += s * gr;
      send[i]! += s * sendLevel * this.amp;
    }
    this.phase = phase;
    this.env = env;
    this.attack = attack;
    this.pitchEnv = pitchEnv;
    this.ic1 = ic1;
    this.ic2 = ic2;
    this.noiseState = x;
    this.idleAt(abs, n, env);
  }
}
