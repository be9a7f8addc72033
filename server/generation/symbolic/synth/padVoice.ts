/**
 * One note of a pad: two detuned wavetable oscillators, one leaning left and one right, under
 * an ADSR. Pads are filtered together on the pad bus (one filter, not one per note), which
 * keeps a six-note chord cheap.
 */
import type { Hz } from '../../../../protocol/units.js';
import { ATTACK, DECAY, IDLE, RELEASE, SILENT, adsrRates, type AdsrParams } from './envelope.js';
import { SINE, TABLE_SIZE, midiToHz, waveTable, type Wave } from './tables.js';

export interface PadParams extends AdsrParams {
  kind: 'osc' | 'pluck';
  wave: Wave;
  detuneCents: number;
  cutoffHz: Hz;
  resonance: number;
  level: number;
  send: number;
  /** Voicing centre (MIDI pitch) before brightness moves it. */
  center: number;
  /** Pluck only: ring time in ms (to -60 dB) and brightness of the excitation (0..1). */
  ringMs: number;
  brightness: number;
}

export class PadVoice {
  active = false;
  pitch = -1;
  private readonly sr: Hz;
  private tab: Float32Array = SINE;
  private phL = 0;
  private phR = 0.37;
  private incL = 0;
  private incR = 0;
  private env = 0;
  private stage = IDLE;
  private peak = 0;
  private sustain = 0;
  private attackStep = 0;
  private decayMul = 0;
  private releaseMul = 0;
  private level = 0;

  constructor(sampleRate: Hz) {
    this.sr = sampleRate;
  }

  get releasing(): boolean {
    return this.stage === RELEASE;
  }

  get loudness(): number {
    return this.env;
  }

  noteOn(pitch: number, velocity: number, p: PadParams): void {
    const hz = midiToHz(pitch);
    const d = 2 ** (p.detuneCents / 1200);
    this.tab = waveTable(p.wave, hz * d);
    if (!this.active) {
      // A fresh voice starts its two oscillators at pitch-dependent phases: no phasing unison.
      this.phL = ((pitch * 0.618) % 1 + 1) % 1;
      this.phR = ((pitch * 0.382 + 0.5) % 1 + 1) % 1;
    }
    this.pitch = pitch;
    this.incL = (hz * d) / this.sr;
    this.incR = hz / d / this.sr;
    const rates = adsrRates(p, this.sr);
    this.attackStep = rates.attackStep * velocity;
    this.decayMul = rates.decayMul;
    this.releaseMul = rates.releaseMul;
    this.peak = velocity;
    this.sustain = p.sustain * velocity;
    this.level = p.level;
    this.stage = ATTACK;
    this.active = true;
  }

  noteOff(): void {
    if (this.active) this.stage = RELEASE;
  }

  render(outL: Float32Array, outR: Float32Array, n: number, abs: number): void {
    if (!this.active) return;
    const tab = this.tab;
    const incL = this.incL;
    const incR = this.incR;
    const level = this.level;
    let phL = this.phL;
    let phR = this.phR;
    let env = this.env;
    let stage = this.stage;
    const attackStep = this.attackStep;
    const peak = this.peak;
    const sustain = this.sustain;
    const decayMul = this.decayMul;
    const releaseMul = this.releaseMul;
    for (let i = 0; i < n; i++) {
      phL += incL;
      if (phL >= 1) phL -= 1;
      phR += incR;
      if (phR >= 1) phR -= 1;
      let x = phL * TABLE_SIZE;
      let j = x | 0;
      const a = tab[j]! + (x - j) * (tab[j + 1]! - tab[j]!);
      x = phR * TABLE_SIZE;
      j = x | 0;
      const b = tab[j]! + (x - j) * (tab[j + 1]! - tab[j]!);
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
      const g = env * level;
      outL[i]! += g * (0.8 * a + 0.2 * b);
      outR[i]! += g * (0.2 * a + 0.8 * b);
    }
    this.phL = phL;
    this.phR = phR;
    this.env = env;
    this.stage = stage;
    // Going idle is decided at the end of a 64-sample block of the timeline only, so that
    // chunk borders never change the output.
    if (((abs + n) & 63) === 0 && env < SILENT && (stage === RELEASE || (stage === DECAY && this.sustain < SILENT))) {
      this.active = false;
      this.stage = IDLE;
      this.env = 0;
      this.pitch = -1;
    }
  }
}
