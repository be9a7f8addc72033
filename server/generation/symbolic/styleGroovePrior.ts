/**
 * A neural pack's drums keep their style's groove, as the teacher plays it. Every style's
 * patterns (stylePresets.ts) have a backbone and a grammar: hip-hop and bossa put a closed hat on
 * every eighth, house a kick on every quarter; house never kicks off the beat, no style but
 * house-like ones claps between beats, and so on. The default pack learned the backbone only
 * loosely (issue #12: its hip-hop had a closed hat on 71% of the beats where the teacher has one on
 * all, with claps and snares on off-beats the teacher never plays), and a listener, like the
 * evaluation's style classifier, hears that as another style.
 *
 * This logits processor (one session's; lm/decodeLoop.ts runs it after the beat accent prior)
 * applies that grammar softly to the drum stream, by position in the quarter (the composer's beat
 * offset, as for the beat accent): a pattern missing a voice that every one of the style's
 * patterns plays at this position (from density level 1 on, so only while the performer moves
 * enough for the teacher to play it) gives a share `always` of its probability to the pattern
 * with the voice; a pattern with a voice that none of the style's patterns, fills, crashes or
 * beat accents ever plays at this position gives a share `never` to the pattern without it.
 * Everything else (which of the style's variations, ghost notes, fills) is the model's own.
 */
import { clamp01 } from '../../../protocol/numbers.js';
import { moveProbability, type LogitsContext, type LogitsProcessor } from '../lm/logitsProcessors.js';
import { quarterPosition } from './stepClock.js';
import { STYLE_PRESETS, type StylePreset } from './stylePresets.js';
import { STYLE_NAMES, type StyleName } from './styleNames.js';
import { CLOSED_HAT, DRUM_MASK_ALL, DRUM_VOICES, KICK, OPEN_HAT, SYMBOLIC_VOCAB } from './tokens.js';

export interface StyleGrooveOptions {
  /** Share of a pattern's probability moved to the pattern with the style's backbone voices at this position. Default 0.8. */
  always?: number;
  /** Share of a pattern's probability moved to the pattern without voices the style never plays at this position. Default 0.9. */
  never?: number;
  /**
   * Whether the backbone waits for the performer to move (`moving`, kept up to date by the
   * composer). Default true; false for a pack without controls: it plays the backbone always, and
   * its music does not depend on what the performer does.
   */
  followsPerformer?: boolean;
}

export const STYLE_GROOVE_DEFAULTS: Readonly<Required<StyleGrooveOptions>> = Object.freeze({ always: 0.8, never: 0.9, followsPerformer: true });

/** Per position in the quarter (0 = on the beat, 2 = the off-beat eighth, 1 and 3 = 16ths): voice masks. */
export interface StyleGroove {
  always: readonly number[];
  never: readonly number[];
}

const DRUMS = 0;
const DRUMS_FIRST = SYMBOLIC_VOCAB.ranges.drums[0];

/** The style's groove, read from its patterns as the teacher plays them (teacher.ts, drums()). */
export function styleGroove(p: StylePreset): StyleGroove {
  const always = [0, 0, 0, 0];
  const never = [0, 0, 0, 0];
  for (let q = 0; q < 4; q++) {
    let all = DRUM_MASK_ALL;
    let any = 0;
    for (const family of p.drums) {
      family.forEach((bar, level) => {
        for (let s = q; s < 16; s += 4) {
          let hits = 0;
          DRUM_VOICES.forEach((voice, v) => {
            const ch = bar[voice]?.[s] ?? '.';
            if (ch !== '.') any |= 1 << v;
            if (ch === 'x') hits |= 1 << v;
          });
          if (hits & OPEN_HAT) hits &= ~CLOSED_HAT; // the teacher's open hat replaces the closed one
          if (level >= 1) all &= hits;
        }
      });
    }
    // Fills play steps 8..15 of a phrase's last bar; crashes and beat accents fall on beats.
    DRUM_VOICES.forEach((voice, v) => {
      for (let s = 8 + q; s < 16; s += 4) if ((p.fill[voice]?.[s - 8] ?? '.') !== '.') any |= 1 << v;
    });
    if (q === 0) any |= p.beatAccent | (p.crash ? OPEN_HAT | KICK : 0);
    always[q] = all;
    never[q] = DRUM_MASK_ALL & ~any;
  }
  return { always, never };
}

const GROOVES: Readonly<Record<StyleName, StyleGroove>> = Object.fromEntries(STYLE_NAMES.map((s) => [s, styleGroove(STYLE_PRESETS[s])])) as Record<StyleName, StyleGroove>;

function checkShare(name: string, value: number): number {
  if (!(value >= 0 && value <= 1)) throw new RangeError(`\`${name}\` must be in [0, 1], but is ${value}`);
  return value;
}

export class StyleGroovePrior implements LogitsProcessor {
  readonly options: Readonly<Required<StyleGrooveOptions>>;
  /** Which step of each four starts a quarter (the composer's beat offset). */
  offset = 0;
  /** The style being played (the composer's, which changes at bars). */
  style: StyleName | null = null;
  /** Whether the teacher would play drums at density level 1 or more now (energy and presence; see the composer). */
  moving: boolean;

  constructor(options: StyleGrooveOptions = {}) {
    const o = { ...STYLE_GROOVE_DEFAULTS, ...options };
    this.options = Object.freeze({ always: checkShare('always', o.always), never: checkShare('never', o.never), followsPerformer: o.followsPerformer });
    this.moving = !o.followsPerformer;
  }

  /** The teacher's density level from 1 on: its energy (with the prompt's bias) scaled down while the performer is barely there. */
  static movingEnough(energyLevel: number, presence: number): boolean {
    const presenceScale = clamp01((presence - 0.15) / 0.45);
    return presence >= 0.15 && clamp01(energyLevel) * (0.4 + 0.6 * presenceScale) >= 0.2;
  }

  process(row: Float32Array, codebook: number, context?: LogitsContext): void {
    if (codebook !== DRUMS || context === undefined || this.style === null) return;
    const groove = GROOVES[this.style];
    const q = quarterPosition(context.frame, this.offset);
    const add = this.moving ? groove.always[q]! : 0;
    const remove = groove.never[q]!;
    if (add === 0 && remove === 0) return;
    for (let m = 0; m <= DRUM_MASK_ALL; m++) {
      // An open hat stands for the closed one, as in the teacher's patterns (unless it is about to go).
      const wanted = m & OPEN_HAT & ~remove ? add & ~CLOSED_HAT : add;
      const withAdded = m | wanted;
      if (withAdded !== m && this.options.always > 0) moveProbability(row, DRUMS_FIRST + m, DRUMS_FIRST + withAdded, this.options.always);
    }
    if (remove === 0 || this.options.never === 0) return;
    for (let m = 0; m <= DRUM_MASK_ALL; m++) {
      if (m & remove) moveProbability(row, DRUMS_FIRST + m, DRUMS_FIRST + (m & ~remove), this.options.never);
    }
  }
}
