/**
 * A monophonic subtractive voice for bass and lead: two wavetable oscillators (+ a sine sub an
 * octave down) -> a resonant state-variable lowpass with its own envelope -> optional drive
 * -> ADSR amplifier. Legato: a new note keeps the oscillator phases and starts its attack from
 * the current level, so notes join without clicks; optional glide and vibrato.
 *
 * Modulation (filter cutoff, vibrato) is recomputed every 16 samples of the session's
 * timeline (absolute index), so output does not depend on how the timeline is cut into chunks.
 */
import type { Hz } from '../../../../protocol/units.js';
import { ATTACK, DECAY, IDLE, RELEASE, SILENT, adsrRates, type AdsrParams } from './envelope.js';
import { SINE, TABLE_MASK, TABLE_SIZE, decayPerSample, midiToHz, waveTable, type Wave } from './tables.js';

export interface MonoParams extends AdsrParams {
  waveA: Wave;
  waveB: Wave;
  /** Level of oscillator B against A (0..1). */
  mixB: number;
  /** Detune of oscillator B in cents. */
  detuneCents: number;
  /** Level of the sine sub-oscillator an octave down. */
  sub: number;
  cutoffHz: Hz;
  /** 0 (none) .. 0.95 (near self-oscillation). */
  resonance: number;
  /** Filter envelope depth in octaves above the cutoff. */
  envOct: number;
  filterDecayMs: number;
  /** How much the cutoff follows the note (1 = fully, per octave). */
  keyTrack: number;
  /** Soft-clip drive (0 = clean). */
  drive: number;
  glideMs: number;
  vibratoHz: Hz;
  vibratoCents: number;
  level: number;
  /** Reverb send level. */
  send: number;
}

const MOD_MASK = 15;

export class MonoVoice {
  active = false;
  private readonly sr: Hz;
  private p: MonoParams | null = null;
  private tabA: Float32Array = SINE;
  private tabB: Float32Array = SINE;
  private phA = 0;
  private phB = 0;
  private phS = 0;
  private inc = 0;
  private incTarget = 0;
  private glideMul = 0;
  private detune = 1;
  private mixB = 0;
  private sub = 0;
  private env = 0;
  private stage = IDLE;
  private peak = 0;
  private sustain = 0;
  private attackStep = 0;
  private decayMul = 0;
  private releaseMul = 0;
  private fenv = 0;
  private fenvMul = 0;
  private ic1 = 0;
  private ic2 = 0;
  private a1 = 1;
  private a2 = 0;
  private a3 = 0;
  private k = 2;
  private cutoffScale = 1;
  private vibPhase = 0;
  private vibMul = 1;
  /** Key tracking of the cutoff for the current note (a factor). */
  private track = 1;
  private drive = 0;
  private driveNorm = 1;

  constructor(sampleRate: Hz) {
    this.sr = sampleRate;
  }

  noteOn(pitch: number, velocity: number, p: MonoParams): void {
    const wasSounding = this.active && this.stage !== RELEASE;
    this.p = p;
    this.track = 2 ** ((p.keyTrack * (pitch - 60)) / 12);
    const hz = midiToHz(pitch);
    const top = hz * 2 ** ((Math.abs(p.detuneCents) + p.vibratoCents) / 1200);
    this.tabA = waveTable(p.waveA, top);
    this.tabB = waveTable(p.waveB, top);
    this.incTarget = hz / this.sr;
    if (!this.active || p.glideMs <= 0 || !wasSounding) this.inc = this.incTarget;
    this.glideMul = p.glideMs > 0 ? 1 - Math.exp(-1 / ((p.glideMs / 1000) * this.sr)) : 1;
    this.detune = 2 ** (p.detuneCents / 1200);
    this.mixB = p.mixB;
    this.sub = p.sub;
    const rates = adsrRates(p, this.sr);
    this.attackStep = rates.attackStep * velocity;
    this.decayMul = rates.decayMul;
    this.releaseMul = rates.releaseMul;
    this.peak = velocity;
    this.sustain = p.sustain * velocity;
    this.stage = ATTACK;
    this.fenv = 1;
    this.fenvMul = decayPerSample(p.filterDecayMs, this.sr) ** 16;
    this.k = 2 - 2 * Math.min(0.97, Math.max(0, p.resonance));
    this.drive = p.drive;
    this.driveNorm = p.drive > 0 ? (1 + p.drive) / p.drive : 1;
    this.active = true;
    this.updateFilter();
  }

  noteOff(): void {
    if (this.active) this.stage = RELEASE;
  }

  /** Block-rate brightness (energy, valence): multiplies the cutoff. */
  setCutoffScale(scale: number): void {
    this.cutoffScale = scale;
  }

  private updateFilter(): void {
    const p = this.p!;
    let fc = p.cutoffHz * this.cutoffScale * this.track * 2 ** (p.envOct * this.fenv);
    const max = 0.42 * this.sr;
    if (fc > max) fc = max;
    if (fc < 20) fc = 20;
    const g = Math.tan((Math.PI * fc) / this.sr);
    this.a1 = 1 / (1 + g * (g + this.k));
    this.a2 = g * this.a1;
    this.a3 = g * this.a2;
  }

  render(outL: Float32Array, outR: Float32Array, send: Float32Array, n: number, abs: number): void {
    if (!this.active) return;
    const p = this.p!;
    const tabA = this.tabA;
    const tabB = this.tabB;
    const level = p.level;
    const sendLevel = p.send;
    let phA = this.phA;
    let phB = this.phB;
    let phS = this.phS;
    let inc = this.inc;
    let env = this.env;
    let stage = this.stage;
    let ic1 = this.ic1;
    let ic2 = this.ic2;
    let a1 = this.a1;
    let a2 = this.a2;
    let a3 = this.a3;
    let vibMul = this.vibMul;
    const incTarget = this.incTarget;
    const glideMul = this.glideMul;
    const detune = this.detune;
    const mixB = this.mixB;
    const sub = this.sub;
    const drive = this.drive;
    const driveNorm = this.driveNorm;
    const attackStep = this.attackStep;
    const peak = this.peak;
    const sustain = this.sustain;
    const decayMul = this.decayMul;
    const releaseMul = this.releaseMul;
    // Runs of samples between modulation updates (every 16th sample of the timeline): the inner
    // loop carries no per-sample test for it.
    let i = 0;
    while (i < n) {
      if (((abs + i) & MOD_MASK) === 0) {
        this.fenv *= this.fenvMul;
        if (p.vibratoCents > 0) {
          this.vibPhase += (p.vibratoHz * 16) / this.sr;
          if (this.vibPhase >= 1) this.vibPhase -= 1;
          vibMul = 2 ** ((p.vibratoCents / 1200) * SINE[(this.vibPhase * TABLE_SIZE) | 0]!);
        }
        this.updateFilter();
        a1 = this.a1;
        a2 = this.a2;
        a3 = this.a3;
      }
      const runEnd = Math.min(n, i + MOD_MASK + 1 - ((abs + i) & MOD_MASK));
      for (; i < runEnd; i++) {
        inc += (incTarget - inc) * glideMul;
        const f = inc * vibMul;
        phA += f;
        if (phA >= 1) phA -= 1;
        phB += f * detune;
        if (phB >= 1) phB -= 1;
        phS += f * 0.5;
        if (phS >= 1) phS -= 1;
        let x = phA * TABLE_SIZE;
        let j = x | 0;
        let s = tabA[j]! + (x - j) * (tabA[j + 1]! - tabA[j]!);
        x = phB * TABLE_SIZE;
        j = x | 0;
        s += mixB * (tabB[j]! + (x - j) * (tabB[j + 1]! - tabB[j]!));
        if (sub > 0) {
          x = phS * TABLE_SIZE;
          j = x | 0;
          s += sub * (SINE[j]! + (x - j) * (SINE[(j + 1) & TABLE_MASK]! - SINE[j]!));
        }
        // State-variable lowpass (Simper's trapezoidal form).
        const v3 = s - ic2;
        const v1 = a1 * ic1 + a2 * v3;
        const v2 = ic2 + a2 * ic1 + a3 * v3;
        ic1 = 2 * v1 - ic1;
        ic2 = 2 * v2 - ic2;
        let y = v2;
        if (drive > 0) {
          y *= drive;
          y = (y / (1 + Math.abs(y))) * driveNorm * 0.5;
        }
        if (stage === ATTACK) {
          env += attackStep;
          if (env >= peak) {
            env = peak;
            stage = DECAY;
          }
        } else if (stage === DECAY) {
          env = sustain + (env - sustain) * decayMul;
        } else {
          env *= releaseMul;
        }
        const out = y * env * level;
        outL[i]! += out;
        outR[i]! += out;
        send[i]! += out * sendLevel;
      }
    }
    this.phA = phA;
    this.phB = phB;
    this.phS = phS;
    this.inc = inc;
    this.vibMul = vibMul;
    this.env = env;
    this.stage = stage;
    this.ic1 = ic1;
    this.ic2 = ic2;
    // Going idle is decided at the end of a 64-sample block of the timeline only, so that
    // chunk borders never change the output.
    if (((abs + n) & 63) === 0 && env < SILENT && (stage === RELEASE || (stage === DECAY && this.sustain < SILENT))) {
      this.active = false;
      this.stage = IDLE;
      this.env = 0;
      this.ic1 = 0;
      this.ic2 = 0;
    }
  }
}
