/**
 * What a listener would check in a symbolic performance, measured from the steps a stream
 * emitted (tokens, their sample positions) and the controls in effect at each step. Every
 * engine (teacher, base, adaptor) is measured the same way, from its tokens only: the tonic,
 * mode and key are heard (clipTonic, KeyFinder), never read from the composer.
 */
import { C, CONTROL_SIZE } from '../../protocol/controlVector.js';
import { KeyFinder } from '../../server/generation/symbolic/keyFinder.js';
import type { EmittedStep } from '../../server/generation/symbolic/symbolicStream.js';
import { inScale } from '../../server/generation/symbolic/theory.js';
import { CHORD_INTERVALS, KICK, STREAM_COUNT, decodeStep, drumVoiceCount, isValidToken } from '../../server/generation/symbolic/tokens.js';

/** One clip's steps with the full control vector in effect at each (steps x CONTROL_SIZE). */
export interface MeasuredClip {
  steps: readonly EmittedStep[];
  controls: Float32Array;
  /** Performer beat times (samples) for periodic clips, else empty. */
  beats: readonly number[];
}

/** Paired observations pooled over clips, for the correlations. */
export class AdherenceSamples {
  readonly barEnergy: number[] = [];
  readonly barDensity: number[] = [];
  readonly leadHand: number[] = [];
  readonly leadPitch: number[] = [];
  readonly chordArms: number[] = [];
  readonly chordTones: number[] = [];
  /** Bars with a clear valence (|v| > 0.3): whether the heard mode matches its sign. */
  modeAgree = 0;
  modeBars = 0;
  readonly beatOffsets: number[] = [];
  beatsHit = 0;
  beatsTotal = 0;

  /** Skips the first `warmupBars`: the teacher and the models both start from nothing. */
  add(clip: MeasuredClip, sampleRate: number, warmupBars = 1): void {
    const steps = clip.steps;
    const tonic = clipTonic(steps);
    let thirds = [0, 0]; // minor third, major third above the tonic, sounding in this bar
    const control = (i: number, c: number): number => clip.controls[i * CONTROL_SIZE + c]!;
    let barOnsets = 0;
    let barEnergy = 0;
    let barValence = 0;
    let barSteps = 0;
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i]!;
      const e = decodeStep(s.tokens);
      for (const p of soundingPitchClasses(e)) {
        if (p === (tonic + 3) % 12) thirds[0]!++;
        if (p === (tonic + 4) % 12) thirds[1]!++;
      }
      const warm = s.bar >= warmupBars;
      const onsets = drumVoiceCount(e.drums) + (e.bass.type === 'note' ? 1 : 0) + (e.harmony.type === 'chord' ? 1 : 0) + (e.lead.type === 'note' ? 1 : 0);
      barOnsets += onsets;
      barEnergy += control(i, C.energy);
      barValence += control(i, C.valence);
      barSteps++;
      if (warm && e.lead.type === 'note') {
        this.leadPitch.push(e.lead.pitch);
        this.leadHand.push(control(i, C.handHeight));
      }
      if (warm && e.harmony.type === 'chord') {
        this.chordTones.push(CHORD_INTERVALS[e.harmony.quality].length);
        this.chordArms.push(control(i, C.armOpenness));
      }
      if (s.stepInBar === 15) {
        if (warm && control(i, C.presence) > 0.6) {
          this.barDensity.push(barOnsets / barSteps);
          this.barEnergy.push(barEnergy / barSteps);
          const v = barValence / barSteps;
          if (Math.abs(v) > 0.3 && thirds[0] !== thirds[1]) {
            this.modeBars++;
            if (thirds[1]! > thirds[0]! === v > 0) this.modeAgree++;
          }
        }
        barOnsets = barEnergy = barValence = barSteps = 0;
        thirds = [0, 0];
      }
    }
    if (clip.beats.length > 0) {
      const kicks = steps.filter((s) => (decodeStep(s.tokens).drums & KICK) !== 0).map((s) => s.sample);
      const firstWarm = steps.find((s) => s.bar >= warmupBars)?.sample ?? Infinity;
      const period = clip.beats.length > 1 ? clip.beats[1]! - clip.beats[0]! : sampleRate;
      for (const beat of clip.beats) {
        if (beat < firstWarm || beat > (steps[steps.length - 1]?.sample ?? 0)) continue;
        this.beatsTotal++;
        let best = Infinity;
        for (const k of kicks) if (Math.abs(k - beat) < Math.abs(best)) best = k - beat;
        if (Math.abs(best) <= period / 2) {
          const ms = (Math.abs(best) / sampleRate) * 1000;
          this.beatOffsets.push(ms);
          if (ms <= 60) this.beatsHit++;
        }
      }
    }
  }
}

/** Pitch classes of the step's onsets: bass and lead notes, chord tones. */
function soundingPitchClasses(e: ReturnType<typeof decodeStep>): number[] {
  const out: number[] = [];
  if (e.bass.type === 'note') out.push(e.bass.pitch % 12);
  if (e.lead.type === 'note') out.push(e.lead.pitch % 12);
  if (e.harmony.type === 'chord') for (const iv of CHORD_INTERVALS[e.harmony.quality]) out.push((e.harmony.root + iv) % 12);
  return out;
}

/**
 * The clip's tonic as heard: the pitch class the bass and the chord roots dwell on. Mode is then
 * judged per bar by which third above it sounds more (parallel major / minor, as the teacher
 * switches), which a key-profile match confuses with the relative key.
 */
function clipTonic(steps: readonly EmittedStep[]): number {
  const weight = new Float64Array(12);
  for (const s of steps) {
    const e = decodeStep(s.tokens);
    if (e.bass.type === 'note') weight[e.bass.pitch % 12]! += 1;
    if (e.harmony.type === 'chord') weight[e.harmony.root]! += 1;
  }
  let best = 0;
  for (let p = 1; p < 12; p++) if (weight[p]! > weight[best]!) best = p;
  return best;
}

/** Musical sanity of one engine's steps over all clips. */
export class SanityCounts {
  tokens = 0;
  invalid = 0;
  /** hold right after a rest (tolerated, never written by the teacher). */
  orphanHolds = 0;
  noteOnsets = 0;
  notesInKey = 0;
  /** Bass or lead notes held for more than four bars. */
  stuckNotes = 0;
  bars = 0;
  /** Bars whose drum pattern repeats the bar before. */
  repeatedDrumBars = 0;
  /** Distinct bars (all four streams). */
  readonly distinctBars = new Set<string>();

  add(steps: readonly EmittedStep[]): void {
    const keys = new KeyFinder();
    const held = [0, 0];
    const prev = ['rest', 'rest', 'rest', 'rest'];
    let bar: number[] = [];
    let barTokens: number[] = [];
    let lastBar = '';
    for (const s of steps) {
      keys.push(s.tokens);
      for (let k = 0; k < STREAM_COUNT; k++) {
        this.tokens++;
        if (!isValidToken(k, s.tokens[k]!)) this.invalid++;
      }
      const e = decodeStep(s.tokens);
      const key = keys.key;
      const streams = [e.bass, e.harmony, e.lead] as const;
      streams.forEach((ev, j) => {
        if (ev.type === 'hold' && prev[j + 1] === 'rest') this.orphanHolds++;
        prev[j + 1] = ev.type === 'hold' ? prev[j + 1]! : ev.type;
      });
      for (const [j, ev] of [[0, e.bass], [1, e.lead]] as const) {
        if (ev.type === 'note') {
          this.noteOnsets++;
          if (inScale(ev.pitch, key.root, key.mode)) this.notesInKey++;
          held[j] = 0;
        } else if (ev.type === 'hold') {
          if (++held[j]! === 64) this.stuckNotes++;
        } else held[j] = 0;
      }
      bar.push(e.drums);
      barTokens.push(...s.tokens);
      if (s.stepInBar === 15) {
        const pattern = bar.join(',');
        this.bars++;
        if (pattern === lastBar) this.repeatedDrumBars++;
        this.distinctBars.add(barTokens.join(','));
        lastBar = pattern;
        bar = [];
        barTokens = [];
      }
    }
  }
}
