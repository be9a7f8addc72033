/**
 * A neural pack's step source: the MusicGen-contract decode loop (lm/decodeLoop.ts) writing
 * the four symbolic token streams, one decoder position per 16th-note step.
 *
 * Timing: the delay pattern puts the lead (stream 3) three positions behind the drums, so a
 * step's tokens are complete only once position step + 3 is sampled. That position is decoded
 * when the step starts to sound (prepare() at its first sample), with the controls of that
 * moment; the pack was trained with the same alignment (position j sees the controls of step
 * j - 3, tools/train_default_pack.py), so nothing waits and nothing is decided ahead.
 *
 * Beat phase: a stream may start anywhere in a bar (the pack was trained on crops that start on
 * any 16th), so the composer hears where its beats fall (kick, snare and clap onsets by step
 * modulo 4 over the last two bars) and reports it as `beatOffset`: the step clock puts those steps
 * on the quarter notes, and so the beat lock onto the performer's beats. Bar counting follows it.
 *
 * Controls: each position carries the last `window` per-step control vectors (oldest first),
 * held at the first one before the stream had that many.
 *
 * Decoding ahead (where other sessions share the decode loop): after a chunk, a step that starts
 * within the next chunk is decoded at once with the controls of the chunk's end (decodeAhead), as
 * a relaxed step that waits a little for other sessions' steps to run with (lm/stepBatcher.ts).
 * The chunk that plays it no longer waits for the decoder, and one worker's steps batch: at real
 * pace they seldom met otherwise. The cost is that the step is decided from controls up to one
 * chunk (21 ms) older. A lone session decodes each step when it starts, as before.
 */
import { clamp01 } from '../../../protocol/numbers.js';
import { C, CONTROL_SIZE, finiteControls, type ControlVector } from '../../../protocol/controlVector.js';
import type { ControlSource, DecodeLoop, GeneratorState } from '../lm/decodeLoop.js';
import type { BeatAccentPrior } from './beatAccentPrior.js';
import { StyleGroovePrior } from './styleGroovePrior.js';
import type { ControlSteering } from './controlSteering.js';
import { KeyFinder } from './keyFinder.js';
import { STYLE_PRESETS } from './stylePresets.js';
import type { PromptReading } from './prompt.js';
import type { ComposedStep, ComposerControls, StepSource } from './stepSource.js';
import type { Chord, Mode, PitchClass } from './theory.js';
import { CLAP, KICK, SNARE, STREAM_COUNT, decodeStep, type StepTokens } from './tokens.js';
import type { StyleName } from './styleNames.js';

const STEPS_PER_BAR = 16;
export class NeuralComposer implements StepSource {
  private readonly generator: Promise<{ loop: DecodeLoop; state: GeneratorState }>;
  private readonly window: number;
  private reading: PromptReading;
  private pending: PromptReading | null = null;
  private promptToEncode: string | null = null;
  private styleNow: StyleName;
  private readonly queue: StepTokens[] = [];
  private readonly recentControls: Float32Array[] = [];
  private stepIndex = 0;
  private prepares = 0;
  private energy = 0;
  private started = false;
  private readonly keys = new KeyFinder();
  private chord: Chord = { root: 0, quality: 'maj' };
  private offset = 0;
  /** Beat weight per step modulo 4, decaying (about two bars). */
  private readonly beatWeight = new Float64Array(4);

  private readonly accent: BeatAccentPrior | null;
  private readonly groove: StyleGroovePrior | null;
  private readonly steering: ControlSteering | null;
  /** The step being decoded ahead, and what went wrong with one (thrown by the next prepare). */
  private ahead: Promise<void> | null = null;
  private aheadError: unknown = null;
  /** The prefill pass idle() started (it runs after its chunk went out); a decode hurries it and waits (both feed the same state). */
  private prefilling: Promise<void> | null = null;
  /** The decode loop and this stream's state, once loaded (decodeAhead asks the loop whether other sessions share it; idle() needs both at once). */
  private decoder: { loop: DecodeLoop; state: GeneratorState } | null = null;
  /** The step decoding ahead is needed now: its remaining passes run without waiting. */
  private hurried = false;
  private released = false;

  /**
   * `priors`: the session's beat accent prior, style groove prior and control steering, where its
   * decode loop state runs them (this composer keeps them up to date).
   */
  constructor(
    generator: Promise<{ loop: DecodeLoop; state: GeneratorState }>,
    reading: PromptReading,
    window: number,
    priors: { accent?: BeatAccentPrior | null; groove?: StyleGroovePrior | null; steering?: ControlSteering | null } = {},
  ) {
    this.generator = generator;
    this.reading = reading;
    this.styleNow = reading.style;
    this.window = window;
    this.accent = priors.accent ?? null;
    this.groove = priors.groove ?? null;
    this.steering = priors.steering ?? null;
    generator.then(
      (decoder) => {
        this.decoder = decoder;
      },
      () => undefined, // reported by prepare()
    );
  }

  get style(): StyleName {
    return this.styleNow;
  }

  get key(): PitchClass {
    return this.keys.key.root;
  }

  get mode(): Mode {
    return this.keys.key.mode;
  }

  get promptReading(): PromptReading {
    return this.reading;
  }

  get beatOffset(): number {
    return this.offset;
  }

  get energyLevel(): number {
    return clamp01(this.energy + 0.25 * this.reading.energy);
  }

  /** A new prompt: the text conditioning changes at the next decoded position, the synth preset at the next bar. */
  setPrompt(reading: PromptReading): void {
    this.pending = reading;
    this.promptToEncode = reading.prompt;
  }

  /** Steps decoded so far, on demand or ahead (the stream tells a chunk that decoded none by it). */
  get prepared(): number {
    return this.prepares;
  }

  ready(): boolean {
    return this.queue.length > 0;
  }

  /** Makes the next step ready: the one decoding ahead, hurried; else decoded now with the controls in effect now. */
  async prepare(controls: ControlVector): Promise<void> {
    if (this.ahead !== null) {
      this.hurried = true;
      this.decoder?.loop.batcher?.hurry();
      await this.ahead;
    }
    if (this.aheadError !== null) throw this.aheadError;
    if (this.queue.length > 0) return;
    await this.decode(controls, false);
  }

  /**
   * Starts decoding the next step now with `controls`, where other sessions share the decode loop
   * (see the file's comment); the stream calls it after a chunk when the next step starts within
   * the next chunk. Does nothing when the next step is ready or already under way.
   */
  decodeAhead(controls: ControlVector): void {
    const loop = this.decoder?.loop;
    if (!loop || loop.batcher === null || loop.sessions < 2) return;
    if (this.queue.length > 0 || this.ahead !== null || this.aheadError !== null) return;
    const ahead: Promise<void> = this.decode(controls, true)
      .catch((err: unknown) => {
        this.aheadError = err ?? new Error('decoding ahead failed');
      })
      .finally(() => {
        if (this.ahead === ahead) this.ahead = null;
      });
    this.ahead = ahead;
  }

  /** The session ended: the loop stops counting it among the sessions sharing it. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.generator.then(({ loop }) => loop.releaseState(), () => undefined);
  }

  /** Decodes the next step with `controls`; `relaxed`: ahead of need (it may wait for company). */
  private async decode(controls: ControlVector, relaxed: boolean): Promise<void> {
    this.prepares++;
    this.hurried = false;
    if (this.prefilling !== null) {
      if (!relaxed) this.decoder?.loop.batcher?.hurry();
      await this.prefilling;
    }
    if (this.aheadError !== null) throw this.aheadError;
    const { loop, state } = await this.generator;
    if (this.promptToEncode !== null) {
      const prompt = this.promptToEncode;
      this.promptToEncode = null;
      await loop.changePrompt(state, prompt);
    }
    this.remember(controls);
    const now = this.recentControls[this.recentControls.length - 1]!;
    this.steering?.follow(
      { valence: now[C.valence]!, energy: now[C.energy]!, handHeight: now[C.handHeight]!, armOpenness: now[C.armOpenness]!, presence: now[C.presence]!, beatStrength: now[C.beatStrength]! },
      this.reading,
      this.styleNow,
    );
    if (this.accent !== null) {
      // The drums decoded now sound three steps on: accents go where the clock will start quarters.
      this.accent.offset = this.offset;
      this.accent.beatStrength = now[C.beatStrength]!;
      this.accent.accent = STYLE_PRESETS[this.styleNow].beatAccent;
    }
    if (this.groove !== null) {
      this.groove.offset = this.offset;
      this.groove.style = this.styleNow;
      if (this.groove.options.followsPerformer) this.groove.moving = StyleGroovePrior.movingEnough(this.energyLevel, now[C.presence]!);
    }
    const windowed = this.windowed();
    const source: ControlSource = () => windowed;
    const target = this.stepIndex + this.queue.length + 1;
    while (loop.pack.pattern.framesCompleteAt(state.history.newest) < target) await loop.step(state, source, relaxed && !this.hurried);
    const frames = loop.takeFrames(state);
    for (let i = 0; i < frames.length; i += STREAM_COUNT) this.queue.push(Array.from(frames.subarray(i, i + STREAM_COUNT)) as StepTokens);
  }

  next(c: ComposerControls): ComposedStep {
    const tokens = this.queue.shift();
    if (tokens === undefined) throw new Error('internal: next() before prepare()');
    const step = this.stepIndex++;
    const stepInBar = (((step - this.offset) % STEPS_PER_BAR) + STEPS_PER_BAR) % STEPS_PER_BAR;
    if (stepInBar === 0 && this.pending !== null) {
      this.reading = this.pending;
      this.styleNow = this.pending.style;
      this.pending = null;
    }
    this.energy = this.started ? this.energy + (clamp01(c.energy) - this.energy) * 0.2 : clamp01(c.energy);
    this.started = true;
    const event = decodeStep(tokens);
    this.hearBeat(step, event.drums);
    this.keys.push(tokens);
    this.steering?.hear(tokens);
    if (event.harmony.type === 'chord') this.chord = { root: event.harmony.root, quality: event.harmony.quality };
    const key = this.keys.key;
    return {
      step,
      bar: Math.floor((step - this.offset) / STEPS_PER_BAR),
      stepInBar,
      tokens,
      event,
      style: this.styleNow,
      keyRoot: key.root,
      mode: key.mode,
      section: 'verse',
      chord: this.chord,
      level: 0,
      fill: false,
    };
  }

  /**
   * Background work for a moment without a step (the stream calls it after a chunk in which no
   * step was decoded): the decode loop builds its next context window ahead, a few positions per
   * call, so that the window's slide costs one ordinary step (DecodeLoop.prefill). The pass starts
   * here and the chunk goes out without it; it waits for other sessions' passes like a step decoded
   * ahead (stepBatcher.ts), so it neither holds its chunk nor breaks up the steps waiting to batch;
   * the next decode hurries it and waits for it.
   */
  idle(): void {
    // Not while a step decodes ahead or a prefill runs: they feed the same state.
    const d = this.decoder;
    if (d === null || this.ahead !== null || this.prefilling !== null || this.aheadError !== null || d.loop.prefillDue(d.state) === null) return;
    const prefilling: Promise<void> = d.loop
      .prefill(d.state, d.loop.batcher !== null && d.loop.sessions >= 2)
      .then(
        () => undefined,
        (err: unknown) => {
          this.aheadError = err ?? new Error('prefill failed');
        },
      )
      .finally(() => {
        if (this.prefilling === prefilling) this.prefilling = null;
      });
    this.prefilling = prefilling;
  }

  /** Moves the beat offset to the 16th (mod 4) the drums accent, when it clearly wins. */
  private hearBeat(step: number, drums: number): void {
    for (let i = 0; i < 4; i++) this.beatWeight[i]! *= 0.97;
    this.beatWeight[step % 4]! += (drums & KICK ? 2 : 0) + (drums & (SNARE | CLAP) ? 1 : 0);
    let best = this.offset;
    for (let i = 0; i < 4; i++) if (this.beatWeight[i]! > this.beatWeight[best]!) best = i;
    if (best !== this.offset && this.beatWeight[best]! > 1.5 * this.beatWeight[this.offset]! + 1) this.offset = best;
  }

  private remember(controls: ControlVector): void {
    this.recentControls.push(finiteControls(controls.subarray(0, CONTROL_SIZE)));
    if (this.recentControls.length > this.window) this.recentControls.shift();
  }

  /** The last `window` control vectors, oldest first, the oldest repeated while there are fewer. */
  private windowed(): Float32Array {
    const out = new Float32Array(this.window * CONTROL_SIZE);
    const have = this.recentControls.length;
    for (let w = 0; w < this.window; w++) {
      const i = Math.max(0, have - this.window + w);
      out.set(this.recentControls[i]!, w * CONTROL_SIZE);
    }
    return out;
  }
}
