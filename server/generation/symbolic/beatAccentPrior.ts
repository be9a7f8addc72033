/**
 * A neural pack's beat accent, as the teacher plays it: when the performer's motion has a clear
 * beat, the teacher adds its style's accent voice (the kick for most styles, a percussion hit for
 * ambient) on every quarter note (teacher.ts, `beatAccent`). The default pack learned that only
 * loosely, and it decides its own bar, so its kicks drift between 16ths and the step clock's beat
 * lock follows them late (issue #12: 56% of a dancer's beats had a kick within 60 ms, the
 * teacher 85%).
 *
 * This logits processor (one session's; lm/decodeLoop.ts runs it after the token grammar)
 * applies the teacher's rule softly to the drum stream at the steps that will start a quarter on
 * the step clock (`(frame - offset) % 4 === 0`, the composer's beat offset): each drum pattern
 * without the accent voice gives a share `amount` of its probability to the same pattern with
 * the accent added. The rest of the pattern (hats, snares, claps) is the model's own, off-beat
 * kicks keep their odds, and nothing changes unless the performer's beat is strong: the share
 * rises from 0 at beatStrength 0.4 to `amount` at 0.6 (the teacher's threshold is 0.5).
 */
import { moveProbability, type LogitsContext, type LogitsProcessor } from '../lm/logitsProcessors.js';
import { quarterPosition } from './stepClock.js';
import { DRUM_MASK_ALL, SYMBOLIC_VOCAB } from './tokens.js';

export interface BeatAccentOptions {
  /** Share of a pattern's probability moved to the pattern with the accent, at full beat strength. Default 1 (the harness's
   *  nodding performer at 95 BPM: beat median 5.0-5.5 ms against 6.4-6.8 at 0.85). */
  amount?: number;
}

const DRUMS = 0;
const DRUMS_FIRST = SYMBOLIC_VOCAB.ranges.drums[0];

export class BeatAccentPrior implements LogitsProcessor {
  readonly amount: number;
  /** Which step of each four starts a quarter (the composer's beat offset). */
  offset = 0;
  /** The performer's motion beat confidence (control beatStrength) when the step is decided. */
  beatStrength = 0;
  /** Drum voice mask of the accent (the style's beatAccent); 0 = none. */
  accent = 0;

  constructor(options: BeatAccentOptions = {}) {
    const amount = options.amount ?? 1;
    if (!(amount >= 0 && amount <= 1)) throw new RangeError(`\`amount\` must be in [0, 1], but is ${amount}`);
    this.amount = amount;
  }

  /** The share moved now (0 below beatStrength 0.4, `amount` from 0.6). */
  get share(): number {
    const ramp = Math.max(0, Math.min(1, (this.beatStrength - 0.4) / 0.2));
    return Number.isFinite(ramp) ? this.amount * ramp : 0;
  }

  process(row: Float32Array, codebook: number, context?: LogitsContext): void {
    if (codebook !== DRUMS || context === undefined) return;
    const accent = this.accent & DRUM_MASK_ALL;
    const share = this.share;
    if (accent === 0 || share <= 0 || quarterPosition(context.frame, this.offset) !== 0) return;
    for (let m = 0; m <= DRUM_MASK_ALL; m++) {
      if ((m & accent) === 0) moveProbability(row, DRUMS_FIRST + m, DRUMS_FIRST + (m | accent), share);
    }
  }
}
