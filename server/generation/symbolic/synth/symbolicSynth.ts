/**
 * The codec of the symbolic pack: token steps -> 48 kHz stereo PCM.
 *
 * Drums, a filtered mono bass, pads (or plucked comping) for harmony, a mono lead, a small
 * FDN reverb and a peak limiter. Everything is state: voices ring across chunk borders,
 * filters and the reverb keep their memory, so the audio does not depend on how the timeline
 * is cut into chunks. Rules that keep that exact:
 * - render() is called on pieces that never cross a BLOCK (64-sample) boundary of the
 *   timeline, and setControls() exactly at each boundary (the engine's loop does both);
 * - per-block work (smoothing, filter coefficients) happens in setControls(), per-sample work
 *   in render(); voices decide to go idle only at block ends.
 *
 * Continuous controls act per block: energy -> velocity and filter cutoffs, valence ->
 * brightness (cutoffs, voicing), presence -> master level (smoothed), arm openness -> voicing
 * spread of the next chord, beatStrength -> accents on quarter notes.
 */
import { clamp01 } from '../../../../protocol/numbers.js';
import type { Hz, Samples } from '../../../../protocol/units.js';
import type { StyleName } from '../styleNames.js';
import { CLAP, CLOSED_HAT, KICK, OPEN_HAT, PERC, SNARE, type SymbolicStep } from '../tokens.js';
import { ClapVoice, HatVoice, KickVoice, PercVoice, SnareVoice } from './drumVoices.js';
import { Limiter } from './limiter.js';
import { MonoVoice } from './monoVoice.js';
import { PadVoice } from './padVoice.js';
import { PluckVoice } from './pluckVoice.js';
import { SOUND_PRESETS, type SoundPreset } from './presets.js';
import { Reverb } from './reverb.js';
import { RENDER_BLOCK, type StepRenderer, type StepRendererOptions, type SynthControls, type TriggerResult } from './stepRenderer.js';
import { decayPerSample } from './tables.js';
import { voiceChord } from './voicing.js';

/** The synthesiser's output: every symbolic pack and the teacher render at this rate and channel count. */
export const SYMBOLIC_AUDIO = Object.freeze({ sampleRate: 48000, channels: 2 });

export const SYNTH_BLOCK = RENDER_BLOCK;
export type { SynthControls, TriggerResult };

export interface SymbolicSynthOptions extends StepRendererOptions {
  /** Master level glide time constant, ms. Default 120. */
  presenceGlideMs?: number;
  /** Pad voices (polyphony of chords, including release tails). Default 16. */
  padVoices?: number;
}

export class SymbolicSynth implements StepRenderer {
  readonly sampleRate: Hz;
  private preset: SoundPreset;
  private readonly idleGain: number;
  private readonly presenceK: number;
  private readonly kick: KickVoice;
  private readonly snare: SnareVoice;
  private readonly closedHat: HatVoice;
  private readonly openHat: HatVoice;
  private readonly clap: ClapVoice;
  private readonly perc: PercVoice;
  private readonly bass: MonoVoice;
  private readonly lead: MonoVoice;
  private readonly pads: PadVoice[];
  private readonly plucks: PluckVoice[];
  private readonly reverb: Reverb;
  private readonly limiter: Limiter;
  private readonly drumL = new Float32Array(SYNTH_BLOCK);
  private readonly drumR = new Float32Array(SYNTH_BLOCK);
  private readonly musL = new Float32Array(SYNTH_BLOCK);
  private readonly musR = new Float32Array(SYNTH_BLOCK);
  private readonly padL = new Float32Array(SYNTH_BLOCK);
  private readonly padR = new Float32Array(SYNTH_BLOCK);
  private readonly send = new Float32Array(SYNTH_BLOCK);

  // Smoothed controls (block rate).
  private energy = 0;
  private valence = 0;
  private spread = 0.3;
  private beat = 0;
  private gain = 0;
  private gainStep = 0;
  private started = false;

  // Pad bus filter (stereo state-variable lowpass), coefficients per block.
  private pa1 = 1;
  private pa2 = 0;
  private pa3 = 0;
  private pk = 2;
  private pic1L = 0;
  private pic2L = 0;
  private pic1R = 0;
  private pic2R = 0;
  private padDrive = 0;

  private pumpEnv = 0;
  // DC blocker (one-pole high-pass at ~12 Hz) before the limiter: kicks and decaying
  // bursts leave a little DC that would otherwise eat headroom.
  private readonly dcR: number;
  private dcXL = 0;
  private dcYL = 0;
  private dcXR = 0;
  private dcYR = 0;
  private readonly pumpMul: number;
  private voicing: number[] | null = null;

  constructor(options: SymbolicSynthOptions) {
    this.sampleRate = options.sampleRate ?? SYMBOLIC_AUDIO.sampleRate;
    const sr = this.sampleRate;
    this.preset = SOUND_PRESETS[options.style];
    this.idleGain = Math.pow(10, (options.idleLevelDb ?? -60) / 20);
    this.presenceK = 1 - Math.exp(-SYNTH_BLOCK / (((options.presenceGlideMs ?? 120) / 1000) * sr));
    const seed = options.seed >>> 0;
    const s = (k: number): number => (Math.imul(seed ^ (0x9e3779b9 * k), 0x85ebca6b) >>> 0) | 1;
    this.kick = new KickVoice(sr, s(1));
    this.snare = new SnareVoice(sr, s(2));
    this.closedHat = new HatVoice(sr, s(3));
    this.openHat = new HatVoice(sr, s(4));
    this.clap = new ClapVoice(sr, s(5));
    this.perc = new PercVoice(sr, s(6));
    this.bass = new MonoVoice(sr);
    this.lead = new MonoVoice(sr);
    this.pads = Array.from({ length: options.padVoices ?? 16 }, () => new PadVoice(sr));
    this.plucks = Array.from({ length: 6 }, (_, i) => new PluckVoice(sr, s(10 + i)));
    this.reverb = new Reverb(sr, this.preset.reverb);
    this.limiter = new Limiter(sr);
    this.pumpMul = decayPerSample(260, sr);
    this.dcR = 1 - (2 * Math.PI * 12) / sr;
    this.padDrive = this.preset.padDrive;
  }

  get style(): SoundPreset {
    return this.preset;
  }

  /** New notes use the style's sounds; ringing notes finish with theirs; global settings glide. */
  setStyle(style: StyleName): void {
    this.preset = SOUND_PRESETS[style];
    this.reverb.set(this.preset.reverb);
  }

  /** Call at every BLOCK boundary of the timeline (and once at the first sample). */
  setControls(c: SynthControls): void {
    const energy = clamp01(c.energy);
    const valence = Math.max(-1, Math.min(1, c.valence));
    const presence = clamp01(c.presence);
    const p = this.preset;
    const target = p.master * (this.idleGain + (1 - this.idleGain) * presence * Math.sqrt(presence));
    if (!this.started) {
      this.started = true;
      this.energy = energy;
      this.valence = valence;
      this.spread = clamp01(c.armOpenness);
      this.beat = clamp01(c.beatStrength);
      this.gain = target;
    }
    this.energy += (energy - this.energy) * 0.08;
    this.valence += (valence - this.valence) * 0.05;
    this.spread += (clamp01(c.armOpenness) - this.spread) * 0.1;
    this.beat += (clamp01(c.beatStrength) - this.beat) * 0.1;
    const next = this.gain + (target - this.gain) * this.presenceK;
    this.gainStep = (next - this.gain) / SYNTH_BLOCK;
    this.padDrive += (p.padDrive - this.padDrive) * 0.05;

    // Brightness: energy opens the filters, valence brightens pads and lead.
    const bright = 2 ** (1.3 * (this.energy - 0.4) + 0.7 * this.valence);
    this.bass.setCutoffScale(2 ** (1.1 * (this.energy - 0.4) + 0.25 * this.valence));
    this.lead.setCutoffScale(bright);
    const fc = Math.min(0.42 * this.sampleRate, p.pad.cutoffHz * bright);
    const g = Math.tan((Math.PI * fc) / this.sampleRate);
    this.pk = 2 - 2 * Math.min(0.9, p.pad.resonance);
    this.pa1 = 1 / (1 + g * (g + this.pk));
    this.pa2 = g * this.pa1;
    this.pa3 = g * this.pa2;
    this.reverb.glide();
  }

  /** Starts what a step's tokens say, at the current sample. */
  trigger(step: SymbolicStep, stepInBar: number): TriggerResult {
    const p = this.preset;
    const metric = stepInBar === 0 ? 1 : stepInBar % 4 === 0 ? 0.9 : stepInBar % 2 === 0 ? 0.78 : 0.66;
    const accent = stepInBar % 4 === 0 ? 1 + 0.3 * this.beat : 1;
    const velocity = Math.min(1.25, (0.5 + 0.5 * this.energy) * metric * accent);
    const d = step.drums;
    if (d & KICK) {
      this.kick.trigger(velocity, p.kick);
      this.pumpEnv = 1;
    }
    if (d & SNARE) this.snare.trigger(velocity, p.snare);
    if (d & CLOSED_HAT) {
      this.openHat.choke();
      this.closedHat.trigger(velocity * (0.75 + 0.25 * this.energy), p.hat, false, 0.25);
    }
    if (d & OPEN_HAT) this.openHat.trigger(velocity, p.hat, true, 0.15);
    if (d & CLAP) this.clap.trigger(velocity, p.clap);
    if (d & PERC) this.perc.trigger(velocity, p.perc);

    const noteVelocity = Math.min(1.2, (0.6 + 0.4 * this.energy) * (stepInBar % 4 === 0 ? 1 : 0.9) * (stepInBar % 4 === 0 ? 1 + 0.15 * this.beat : 1));
    if (step.bass.type === 'note') this.bass.noteOn(step.bass.pitch, noteVelocity, p.bass);
    else if (step.bass.type === 'rest') this.bass.noteOff();

    if (step.lead.type === 'note') this.lead.noteOn(step.lead.pitch, noteVelocity, p.lead);
    else if (step.lead.type === 'rest') this.lead.noteOff();

    let voicing: number[] | null = null;
    if (step.harmony.type === 'chord') {
      voicing = voiceChord(step.harmony, this.spread, this.valence, p.pad.center, this.voicing);
      this.voicing = voicing;
      this.playChord(voicing, 0.75 + 0.25 * this.energy);
    } else if (step.harmony.type === 'rest') {
      for (const v of this.pads) v.noteOff();
      for (const v of this.plucks) v.mute();
    }
    return { voicing, velocity };
  }

  private playChord(pitches: readonly number[], velocity: number): void {
    const p = this.preset;
    if (p.pad.kind === 'pluck') {
      for (const v of this.pads) v.noteOff();
      const strum = Math.round(0.012 * this.sampleRate);
      pitches.forEach((pitch, i) => {
        const voice = this.plucks[i % this.plucks.length]!;
        const pan = (i / Math.max(1, pitches.length - 1) - 0.5) * 0.6;
        voice.pluck(pitch, velocity * (i === 0 ? 1 : 0.85), i * strum, p.pad.ringMs, p.pad.brightness, p.pad.level, pan);
      });
      for (let i = pitches.length; i < this.plucks.length; i++) this.plucks[i]!.mute();
      return;
    }
    for (const v of this.plucks) v.mute();
    for (const v of this.pads) if (v.active && !pitches.includes(v.pitch)) v.noteOff();
    for (const pitch of pitches) {
      let voice = this.pads.find((v) => v.active && v.pitch === pitch);
      if (voice === undefined) voice = this.pads.find((v) => !v.active);
      if (voice === undefined) {
        // Steal the quietest voice (a releasing one, in practice).
        voice = this.pads.reduce((a, b) => (b.loudness < a.loudness ? b : a));
      }
      voice.noteOn(pitch, velocity, p.pad);
    }
  }

  /**
   * Renders n frames (n <= SYNTH_BLOCK, not crossing a block boundary) starting at timeline
   * sample `abs` into interleaved stereo `out` at frame `frame`.
   */
  render(out: Float32Array, frame: number, n: Samples, abs: Samples): void {
    const { drumL, drumR, musL, musR, padL, padR, send } = this;
    drumL.fill(0, 0, n);
    drumR.fill(0, 0, n);
    musL.fill(0, 0, n);
    musR.fill(0, 0, n);
    padL.fill(0, 0, n);
    padR.fill(0, 0, n);
    send.fill(0, 0, n);
    const p = this.preset;
    const ds = p.drumSend;

    this.kick.render(drumL, drumR, n, abs);
    this.snare.render(drumL, drumR, send, ds, n, abs);
    this.closedHat.render(drumL, drumR, n, abs);
    this.openHat.render(drumL, drumR, n, abs);
    this.clap.render(drumL, drumR, send, ds, n, abs);
    this.perc.render(drumL, drumR, send, ds, n, abs);

    this.bass.render(musL, musR, send, n, abs);
    this.lead.render(musL, musR, send, n, abs);
    for (const v of this.pads) v.render(padL, padR, n, abs);
    for (const v of this.plucks) v.render(padL, padR, send, 0, n, abs);

    // Pad bus: lowpass (brightness), optional drive, then into the music bus and the send.
    const a1 = this.pa1;
    const a2 = this.pa2;
    const a3 = this.pa3;
    const drive = this.padDrive;
    // Soft clip normalised so that small signals gain (1 + drive) / 2 and large ones saturate.
    const driveGain = drive > 0.01 ? (1 + drive) / (2 * drive) : 1;
    const padSendLevel = p.pad.send;
    let ic1L = this.pic1L;
    let ic2L = this.pic2L;
    let ic1R = this.pic1R;
    let ic2R = this.pic2R;
    let pump = this.pumpEnv;
    const pumpMul = this.pumpMul;
    const pumpDepth = p.pump;
    for (let i = 0; i < n; i++) {
      let v3 = padL[i]! - ic2L;
      let v1 = a1 * ic1L + a2 * v3;
      let yL = ic2L + a2 * ic1L + a3 * v3;
      ic1L = 2 * v1 - ic1L;
      ic2L = 2 * yL - ic2L;
      v3 = padR[i]! - ic2R;
      v1 = a1 * ic1R + a2 * v3;
      let yR = ic2R + a2 * ic1R + a3 * v3;
      ic1R = 2 * v1 - ic1R;
      ic2R = 2 * yR - ic2R;
      if (drive > 0.01) {
        yL = ((yL * drive) / (1 + Math.abs(yL * drive))) * driveGain;
        yR = ((yR * drive) / (1 + Math.abs(yR * drive))) * driveGain;
      }
      const duck = 1 - pumpDepth * pump;
      pump *= pumpMul;
      musL[i] = (musL[i]! + yL) * duck;
      musR[i] = (musR[i]! + yR) * duck;
      send[i]! += (yL + yR) * 0.5 * padSendLevel;
    }
    this.pic1L = ic1L;
    this.pic2L = ic2L;
    this.pic1R = ic1R;
    this.pic2R = ic2R;
    this.pumpEnv = pump;

    // Mix, reverb, master level (ramped per sample), limiter.
    const dl = p.drumLevel;
    for (let i = 0; i < n; i++) {
      musL[i] = musL[i]! + drumL[i]! * dl;
      musR[i] = musR[i]! + drumR[i]! * dl;
    }
    this.reverb.process(send, musL, musR, n);
    let gain = this.gain;
    const step = this.gainStep;
    const R = this.dcR;
    let xl = this.dcXL;
    let yl = this.dcYL;
    let xr = this.dcXR;
    let yr = this.dcYR;
    for (let i = 0; i < n; i++) {
      gain += step;
      const l = musL[i]! * gain;
      const r = musR[i]! * gain;
      yl = l - xl + R * yl;
      xl = l;
      yr = r - xr + R * yr;
      xr = r;
      musL[i] = yl;
      musR[i] = yr;
    }
    this.gain = gain;
    this.dcXL = xl;
    this.dcYL = yl;
    this.dcXR = xr;
    this.dcYR = yr;
    this.limiter.process(musL, musR, out, frame, n);
  }

  /** Largest limiter gain reduction since the last call, dB (<= 0). */
  takeLimiterReductionDb(): number {
    return this.limiter.takeReductionDb();
  }
}
