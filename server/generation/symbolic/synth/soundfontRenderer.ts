/**
 * Sampled General MIDI instruments for the symbolic streams: each step's tokens become MIDI
 * events (gmPrograms.ts says which kit, programs and keys) played by spessasynth_core on the
 * worker's shared bank (soundfontBank.ts), then the project's own reverb, master level and
 * limiter, as for the built-in synthesiser.
 *
 * Controls act the way a player's would: velocity from energy and the quarter-note accent
 * (beatStrength), CC11 expression from presence, CC74 brightness from energy and valence, CC91
 * reverb sends per part and style (they feed the project's FDN reverb: the library's own
 * reverb and chorus are off, they cost 2-3x the voices), chord voicing from arm openness and
 * valence exactly as the built-in synthesiser voices them. Presence also gates the master level
 * (gliding to the idle level when nobody is there), and a session fades in over its first 5 ms.
 *
 * Chunk invariance: the library renders whatever piece it is asked for, so the renderer never
 * lets chunk borders decide the pieces. It renders whole 64-frame blocks of the timeline, each
 * cut only at its own events' samples, once the block's last sample has been reached, and plays
 * them one block (1.33 ms) late. A step's events land on their exact sample.
 */
import type { Hz, Samples } from '../../../../protocol/units.js';
import { clamp } from '../../../../protocol/numbers.js';
import { InterpolationTypes, SpessaSynthProcessor, type BasicSoundBank } from 'spessasynth_core';
import type { StyleName } from '../styleNames.js';
import type { SymbolicStep } from '../tokens.js';
import { GM_CHANNELS, GM_STYLES, gmDrumKeys, type GmPart, type GmStyle } from './gmPrograms.js';
import { Limiter } from './limiter.js';
import { SOUND_PRESETS } from './presets.js';
import { Reverb } from './reverb.js';
import { RENDER_BLOCK, type StepRenderer, type StepRendererOptions, type SynthControls, type TriggerResult } from './stepRenderer.js';
import { voiceChord } from './voicing.js';

/** The speed knobs (`npm run bench:soundfont` measures what each buys). */
export interface SoundfontTuning {
  /**
   * Most voices sounding at once; the library steals one beyond it. Default 32: funk (the busiest
   * style) costs RTF 0.023 at 32 against 0.032 at 48 with the same RMS to 0.01 dB.
   */
  voiceCap?: number;
  /** Sample interpolation: 'linear' (default, cheaper) or 'hermite'. */
  interpolation?: 'linear' | 'hermite';
}

export interface SoundfontRendererOptions extends StepRendererOptions, SoundfontTuning {
  /** Master level glide time constant, ms. Default 120. */
  presenceGlideMs?: number;
}

const PARTS: readonly GmPart[] = ['bass', 'harmony', 'lead', 'drums'];
/** Drum notes are released this long after they start, so their voices end (ms). */
const DRUM_RELEASE_MS = 300;
/** Fade-in at the session's first sample, frames (5 ms at 48 kHz). */
const FADE_IN_FRAMES = 240;
/** Master level of the sampled mix (the bank's voices are quieter than the built-in synthesiser's). */
const MASTER = 1.6;
/** Control changes, MIDI numbers. */
const CC = { volume: 7, expression: 11, brightness: 74 } as const;

type MidiEvent =
  | { at: Samples; kind: 'on'; channel: number; key: number; velocity: number }
  | { at: Samples; kind: 'off'; channel: number; key: number }
  | { at: Samples; kind: 'program'; channel: number; program: number };

const midi7 = (x: number): number => Math.round(clamp(x, 0, 127));

export class SoundfontRenderer implements StepRenderer {
  readonly sampleRate: Hz;
  private readonly synth: SpessaSynthProcessor;
  private readonly reverb: Reverb;
  private readonly limiter: Limiter;
  private readonly idleGain: number;
  private readonly presenceK: number;
  /** The style's sounds for new notes; `pendingStyle` switches programs at the next trigger. */
  private gm: Readonly<GmStyle>;
  private style: StyleName;
  private pendingStyle: StyleName | null = null;
  /** Events not yet rendered, in time order (equal times keep their order). */
  private queue: MidiEvent[] = [];
  private readonly drumRelease: Samples;
  /** Per-channel dry outputs (the library routes channel c to pair c % 16). */
  private readonly outputs: Float32Array[][];
  private readonly effectsL = new Float32Array(RENDER_BLOCK);
  private readonly effectsR = new Float32Array(RENDER_BLOCK);
  private readonly mixL = new Float32Array(RENDER_BLOCK);
  private readonly mixR = new Float32Array(RENDER_BLOCK);
  private readonly send = new Float32Array(RENDER_BLOCK);
  /** The last rendered block, interleaved, played during the next one. */
  private readonly delayed = new Float32Array(RENDER_BLOCK * 2);
  private readonly sends: Record<GmPart, number>;

  // Smoothed controls (block rate), as in the built-in synthesiser.
  private started = false;
  private energy = 0;
  private valence = 0;
  private spread = 0.3;
  private beat = 0;
  private presence = 0;
  private gain = 0;
  private gainStep = 0;
  private expression = -1;
  private brightness = -1;
  private fadeIn = 0;

  private bassKey = -1;
  private leadKey = -1;
  private chord: number[] = [];
  private voicing: number[] | null = null;

  /** Waits for the library to be ready (it resolves at once once the bank is added). */
  static async create(bank: BasicSoundBank, options: SoundfontRendererOptions): Promise<SoundfontRenderer> {
    const synth = new SpessaSynthProcessor(options.sampleRate ?? 48000, { effectsEnabled: false, eventsEnabled: false, maxBufferSize: RENDER_BLOCK });
    synth.soundBankManager.addSoundBank(bank, 'gm');
    await synth.processorInitialized;
    return new SoundfontRenderer(synth, options);
  }

  private constructor(synth: SpessaSynthProcessor, options: SoundfontRendererOptions) {
    this.synth = synth;
    this.sampleRate = synth.sampleRate;
    const sr = this.sampleRate;
    synth.setSystemParameter('voiceCap', options.voiceCap ?? 32);
    synth.setSystemParameter('interpolationType', options.interpolation === 'hermite' ? InterpolationTypes.hermite : InterpolationTypes.linear);
    this.outputs = Array.from({ length: 16 }, () => [new Float32Array(RENDER_BLOCK), new Float32Array(RENDER_BLOCK)]);
    this.style = options.style;
    this.gm = GM_STYLES[options.style];
    this.sends = { ...this.gm.reverb };
    this.reverb = new Reverb(sr, SOUND_PRESETS[options.style].reverb);
    this.limiter = new Limiter(sr);
    this.idleGain = Math.pow(10, (options.idleLevelDb ?? -60) / 20);
    this.presenceK = 1 - Math.exp(-RENDER_BLOCK / (((options.presenceGlideMs ?? 120) / 1000) * sr));
    this.drumRelease = Math.round((DRUM_RELEASE_MS / 1000) * sr);
    this.applyStyle(options.style);
  }

  /** New notes use the style's kit and programs from the next step on; ringing notes finish with theirs. */
  setStyle(style: StyleName): void {
    if (style !== this.style) this.pendingStyle = style;
  }

  /** Called at every block boundary, when the blocks before have been rendered: changes apply from here. */
  setControls(c: SynthControls): void {
    const energy = clamp(c.energy, 0, 1);
    const valence = clamp(c.valence, -1, 1);
    const presence = clamp(c.presence, 0, 1);
    const target = MASTER * (this.idleGain + (1 - this.idleGain) * Math.min(1, presence / 0.3));
    if (!this.started) {
      this.started = true;
      this.energy = energy;
      this.valence = valence;
      this.spread = clamp(c.armOpenness, 0, 1);
      this.beat = clamp(c.beatStrength, 0, 1);
      this.presence = presence;
      this.gain = target;
    }
    this.energy += (energy - this.energy) * 0.08;
    this.valence += (valence - this.valence) * 0.05;
    this.spread += (clamp(c.armOpenness, 0, 1) - this.spread) * 0.1;
    this.beat += (clamp(c.beatStrength, 0, 1) - this.beat) * 0.1;
    this.presence += (presence - this.presence) * this.presenceK;

    // Presence: expression (how strongly the parts play) and a gate to the idle level when nobody is there.
    const next = this.gain + (target - this.gain) * this.presenceK;
    this.gainStep = (next - this.gain) / RENDER_BLOCK;
    const expression = midi7(127 * (0.45 + 0.55 * this.presence));
    if (expression !== this.expression) {
      this.expression = expression;
      for (const part of PARTS) this.synth.controllerChange(GM_CHANNELS[part], CC.expression, expression);
    }
    // Brightness: energy opens the filter, valence brightens (banks that map CC74 to the filter).
    const brightness = midi7(64 + 50 * (this.energy - 0.4) + 24 * this.valence);
    if (brightness !== this.brightness) {
      this.brightness = brightness;
      for (const part of PARTS) if (part !== 'drums') this.synth.controllerChange(GM_CHANNELS[part], CC.brightness, brightness);
    }
    this.reverb.glide();
  }

  trigger(step: SymbolicStep, stepInBar: number, sample: Samples): TriggerResult {
    if (this.pendingStyle !== null) {
      this.switchStyle(this.pendingStyle, sample);
      this.pendingStyle = null;
    }
    const gm = this.gm;
    const metric = stepInBar === 0 ? 1 : stepInBar % 4 === 0 ? 0.9 : stepInBar % 2 === 0 ? 0.78 : 0.66;
    const accent = stepInBar % 4 === 0 ? 1 + 0.3 * this.beat : 1;
    const velocity = Math.min(1.25, (0.5 + 0.5 * this.energy) * metric * accent);
    const drumVelocity = midi7(20 + (107 * velocity) / 1.25);
    for (const key of gmDrumKeys(step.drums, gm)) {
      // A release still pending for an earlier hit of this key would cut the new hit short: it moves.
      this.queue = this.queue.filter((e) => !(e.kind === 'off' && e.channel === GM_CHANNELS.drums && e.key === key));
      this.push({ at: sample, kind: 'on', channel: GM_CHANNELS.drums, key, velocity: drumVelocity });
      this.push({ at: sample + this.drumRelease, kind: 'off', channel: GM_CHANNELS.drums, key });
    }

    const noteVelocity = Math.min(1.2, (0.6 + 0.4 * this.energy) * (stepInBar % 4 === 0 ? 1 + 0.15 * this.beat : 0.9));
    const noteMidi = midi7(30 + (97 * noteVelocity) / 1.2);
    this.bassKey = this.mono(GM_CHANNELS.bass, this.bassKey, step.bass, 0, noteMidi, sample);
    this.leadKey = this.mono(GM_CHANNELS.lead, this.leadKey, step.lead, 12 * gm.leadOctave, noteMidi, sample);

    let voicing: number[] | null = null;
    if (step.harmony.type === 'chord') {
      voicing = voiceChord(step.harmony, this.spread, this.valence, SOUND_PRESETS[this.style].pad.center, this.voicing);
      this.voicing = voicing;
      this.playChord(voicing, midi7(127 * (0.55 + 0.3 * this.energy)), sample);
    } else if (step.harmony.type === 'rest') {
      this.releaseChord(sample);
    }
    return { voicing, velocity };
  }

  render(out: Float32Array, frame: number, n: Samples, abs: Samples): void {
    const offset = abs % RENDER_BLOCK;
    out.set(this.delayed.subarray(offset * 2, (offset + n) * 2), frame * 2);
    if ((abs + n) % RENDER_BLOCK === 0) this.renderBlock(abs + n - RENDER_BLOCK);
  }

  takeLimiterReductionDb(): number {
    return this.limiter.takeReductionDb();
  }

  private applyStyle(style: StyleName): void {
    const gm = GM_STYLES[style];
    for (const part of PARTS) {
      const channel = GM_CHANNELS[part];
      this.synth.programChange(channel, part === 'drums' ? gm.kit : gm[part]);
      this.synth.controllerChange(channel, CC.volume, gm.volume[part]);
    }
  }

  private switchStyle(style: StyleName, sample: Samples): void {
    this.style = style;
    const gm = (this.gm = GM_STYLES[style]);
    for (const part of PARTS) {
      this.push({ at: sample, kind: 'program', channel: GM_CHANNELS[part], program: part === 'drums' ? gm.kit : gm[part] });
      this.sends[part] = gm.reverb[part];
    }
    // Volumes follow at once (control changes apply at the block being filled).
    for (const part of PARTS) this.synth.controllerChange(GM_CHANNELS[part], CC.volume, gm.volume[part]);
    this.reverb.set(SOUND_PRESETS[style].reverb);
  }

  /** A monophonic part: a new note releases the previous one, a rest releases it, a hold keeps it. */
  private mono(channel: number, current: number, token: SymbolicStep['bass'], shift: number, velocity: number, sample: Samples): number {
    if (token.type === 'hold') return current;
    if (current >= 0) this.push({ at: sample, kind: 'off', channel, key: current });
    if (token.type !== 'note') return -1;
    const key = clamp(token.pitch + shift, 0, 127);
    this.push({ at: sample, kind: 'on', channel, key, velocity });
    return key;
  }

  private playChord(pitches: readonly number[], velocity: number, sample: Samples): void {
    this.releaseChord(sample);
    const strum = Math.round((this.gm.strumMs / 1000) * this.sampleRate);
    const ring = Math.round((this.gm.chordRingMs / 1000) * this.sampleRate);
    pitches.forEach((pitch, i) => {
      const key = clamp(pitch, 0, 127);
      const at = sample + i * strum;
      this.push({ at, kind: 'on', channel: GM_CHANNELS.harmony, key, velocity: i === 0 ? velocity : midi7(velocity * 0.9) });
      if (ring > 0) this.push({ at: at + ring, kind: 'off', channel: GM_CHANNELS.harmony, key });
    });
    this.chord = [...pitches];
  }

  private releaseChord(sample: Samples): void {
    const channel = GM_CHANNELS.harmony;
    // Releases still scheduled for the old chord would cut the new one short: they happen now.
    this.queue = this.queue.filter((e) => !(e.kind === 'off' && e.channel === channel && e.at > sample));
    for (const key of this.chord) this.push({ at: sample, kind: 'off', channel, key });
    this.chord = [];
  }

  private push(event: MidiEvent): void {
    const q = this.queue;
    let i = q.length;
    while (i > 0 && q[i - 1]!.at > event.at) i--;
    q.splice(i, 0, event);
  }

  private apply(e: MidiEvent): void {
    if (e.kind === 'on') this.synth.noteOn(e.channel, e.key, e.velocity);
    else if (e.kind === 'off') this.synth.noteOff(e.channel, e.key);
    else this.synth.programChange(e.channel, e.program);
  }

  /** Renders the block starting at timeline sample `start` into `delayed`, cut at its events. */
  private renderBlock(start: Samples): void {
    const end = start + RENDER_BLOCK;
    for (const part of PARTS) {
      const [l, r] = this.outputs[GM_CHANNELS[part]]!;
      l!.fill(0);
      r!.fill(0);
    }
    let pos = 0;
    while (this.queue.length > 0 && this.queue[0]!.at < end) {
      const e = this.queue.shift()!;
      const at = Math.max(0, e.at - start);
      if (at > pos) {
        this.synth.processSplit(this.outputs, this.effectsL, this.effectsR, pos, at - pos);
        pos = at;
      }
      this.apply(e);
    }
    if (pos < RENDER_BLOCK) this.synth.processSplit(this.outputs, this.effectsL, this.effectsR, pos, RENDER_BLOCK - pos);

    const { mixL, mixR, send } = this;
    mixL.fill(0);
    mixR.fill(0);
    send.fill(0);
    for (const part of PARTS) {
      const [l, r] = this.outputs[GM_CHANNELS[part]]!;
      const s = this.sends[part] / 127;
      for (let i = 0; i < RENDER_BLOCK; i++) {
        mixL[i]! += l![i]!;
        mixR[i]! += r![i]!;
        send[i]! += (l![i]! + r![i]!) * 0.5 * s;
      }
    }
    this.reverb.process(send, mixL, mixR, RENDER_BLOCK);
    let gain = this.gain;
    const step = this.gainStep;
    for (let i = 0; i < RENDER_BLOCK; i++) {
      gain += step;
      const fade = this.fadeIn < FADE_IN_FRAMES ? this.fadeIn++ / FADE_IN_FRAMES : 1;
      mixL[i] = mixL[i]! * gain * fade;
      mixR[i] = mixR[i]! * gain * fade;
    }
    this.gain = gain;
    this.limiter.process(mixL, mixR, this.delayed, 0, RENDER_BLOCK);
  }
}
