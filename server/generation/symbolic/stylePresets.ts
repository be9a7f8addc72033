/**
 * What the teacher knows about each style: tempo range, swing, form, harmony, and the
 * rhythm templates it fills in step by step.
 *
 * Templates are 16 characters, one per 16th-note step of a 4/4 bar, one per density level
 * (0 = still performer .. 3 = dancing hard):
 * - drums: 'x' hit, 'g' ghost (hit with a probability that rises with energy), '.' none.
 *   Fills are 8 characters for steps 8..15 of a phrase's last bar (the last 4 only at mid energy).
 * - bass: 'r' chord root, 'o' root an octave up, 'f' chord fifth, 'n' next chord's root
 *   (anticipation), 'p' approach note (a scale step next to the next chord's root), '-' hold, '.' rest.
 * - comp (harmony): 'c' chord onset, 'C' onset only when the chord changed (pads), '-' hold, '.' rest.
 */
import type { ChordQuality } from './tokens.js';
import type { Mode, PitchClass } from './theory.js';
import type { StyleName } from './styleNames.js';

export type Bar16 = string;

export interface DrumBar {
  kick?: Bar16;
  snare?: Bar16;
  closedHat?: Bar16;
  openHat?: Bar16;
  clap?: Bar16;
  perc?: Bar16;
}

/** Four density levels of one pattern family. */
export type DrumFamily = readonly [DrumBar, DrumBar, DrumBar, DrumBar];
export type Levels = readonly [Bar16, Bar16, Bar16, Bar16];

/** A scale degree (0 = tonic, chord quality from the scale) or a borrowed chord spelled out. */
export type ProgChord = number | { degree: number; quality: ChordQuality };

export interface LeadStyle {
  /** Probability of an onset on a quarter, an eighth and a sixteenth position when a motif is written. */
  strong: number;
  eighth: number;
  sixteenth: number;
  /** Note lengths in steps, drawn when a motif is written. */
  lengths: readonly number[];
  /** Share of motif notes played at energy 0 and at energy 1. */
  density: readonly [number, number];
  /** Semitones added to the register centre. */
  register: number;
}

export interface StylePreset {
  name: StyleName;
  /** Tempo range in BPM: energy and the prompt's tempo words move within it. */
  tempo: readonly [number, number];
  /** Swing: share by which off-beat 16ths are late (0 = straight, 0.33 = triplet feel). */
  swing: number;
  phraseBars: 4 | 8;
  /** Steps per chord: 8 (two per bar), 16 (one per bar) or 32 (one per two bars). */
  chordSteps: 8 | 16 | 32;
  /** Build seventh chords (else triads). */
  sevenths: boolean;
  /** Chance that a major or minor triad becomes sus2/sus4 (when those tones are in the scale). */
  susChance: number;
  progressions: Readonly<Record<Mode, { verse: readonly ProgChord[][]; chorus: readonly ProgChord[][] }>>;
  /** Pattern families: [0] for verses, [1] (if any) for choruses. */
  drums: readonly DrumFamily[];
  fill: DrumBar;
  /** Open hat + kick on a phrase's first downbeat at higher energy. */
  crash: boolean;
  /** Drum voice mask added on quarter notes when the performer's motion beat is strong. */
  beatAccent: number;
  bass: Levels;
  comp: Levels;
  lead: LeadStyle;
  /** Keys the style picks from (the seed decides). */
  keys: readonly PitchClass[];
}

const KICK = 1;
const PERC = 32;

const nothing: DrumBar = {};

export const STYLE_PRESETS: Readonly<Record<StyleName, StylePreset>> = Object.freeze({
  pop: {
    name: 'pop',
    tempo: [96, 118],
    swing: 0,
    phraseBars: 8,
    chordSteps: 16,
    sevenths: false,
    susChance: 0.1,
    progressions: {
      major: {
        verse: [[0, 4, 5, 3], [0, 5, 3, 4], [5, 3, 0, 4]],
        chorus: [[3, 0, 4, 5], [0, 4, 5, 3], [3, 4, 0, 0]],
      },
      minor: {
        verse: [[0, 5, 2, 6], [0, 3, 5, 6]],
        chorus: [[5, 2, 6, 0], [3, 5, 6, { degree: 4, quality: 'maj' }]],
      },
    },
    drums: [
      [
        { kick: 'x.......x.......', perc: '....x.......x...' },
        { kick: 'x.......x.x.....', snare: '....x.......x...', closedHat: 'x.x.x.x.x.x.x.x.' },
        { kick: 'x.....x.x.x.....', snare: '....x.......x...', closedHat: 'x.x.x.x.x.x.x.x.', openHat: '..............x.' },
        { kick: 'x.....x.x.x...g.', snare: '....x.......x..g', closedHat: 'xgxgxgxgxgxgxgxg', clap: '....x.......x...', openHat: '..............x.' },
      ],
      [
        { kick: 'x.......x.......', perc: '....x.......x...' },
        { kick: 'x..x....x.......', snare: '....x.......x...', closedHat: 'x.x.x.x.x.x.x.x.' },
        { kick: 'x..x....x.x.....', snare: '....x.......x...', closedHat: 'x.xgx.xgx.xgx.xg' },
        { kick: 'x..x..x.x.x.....', snare: '....x.......x...', closedHat: 'xxxxxxxxxxxxxxxx', clap: '....x.......x...' },
      ],
    ],
    fill: { snare: 'x...x.xx', perc: '..x.x...' },
    crash: true,
    beatAccent: KICK,
    bass: ['r-------r-------', 'r-----r-r-------', 'r-r-r-r-r-r-o-r-', 'r.rrr.rrr.ror.rp'],
    comp: ['C---------------', 'C---------------', 'c-------c-------', 'c--c--c-c--c--c-'],
    lead: { strong: 0.85, eighth: 0.45, sixteenth: 0.08, lengths: [2, 2, 3, 4, 4, 6], density: [0.3, 1], register: 0 },
    keys: [0, 2, 4, 5, 7, 9],
  },
  funk: {
    name: 'funk',
    tempo: [98, 112],
    swing: 0.08,
    phraseBars: 8,
    chordSteps: 16,
    sevenths: true,
    susChance: 0,
    progressions: {
      major: {
        verse: [[0, 0, 3, 0], [0, 3, 0, 3]],
        chorus: [[3, 4, 0, 0], [1, 4, 0, 0]],
      },
      minor: {
        verse: [[0, 0, 3, 0], [0, 3, 0, 3]],
        chorus: [[3, 3, 0, 0], [5, 3, 0, { degree: 4, quality: '7' }]],
      },
    },
    drums: [
      [
        { kick: 'x.........x.....', snare: '....g.......g...', closedHat: 'x.x.x.x.x.x.x.x.' },
        { kick: 'x..x......x..x..', snare: '....x.......x...', closedHat: 'x.x.x.x.x.x.x.x.' },
        { kick: 'x..x..x...x..x..', snare: '....x..g.g..x..g', closedHat: 'xgxgxgxgxgxgxgxg' },
        { kick: 'x..x..x...x.xx..', snare: '...gx..g.g.gx.gg', closedHat: 'xxxxxxgxxxxxxxgx', openHat: '......x.......x.', clap: '....x.......x...' },
      ],
    ],
    fill: { snare: '.x.xx.xx', kick: 'x.....x.' },
    crash: true,
    beatAccent: KICK,
    bass: ['r-------........', 'r--.....r-.r....', 'r-.o..r.r-.o.fr.', 'r.or.fo.r.or.fpo'],
    comp: ['C---------------', '..c-....c-..c...', '..c.c-....c..c..', '.cc.c-.c.cc.c-.c'],
    lead: { strong: 0.6, eighth: 0.5, sixteenth: 0.35, lengths: [1, 1, 2, 2, 3], density: [0.3, 1], register: 2 },
    keys: [4, 9, 2, 7],
  },
  house: {
    name: 'house',
    tempo: [120, 128],
    swing: 0.04,
    phraseBars: 8,
    chordSteps: 16,
    sevenths: true,
    susChance: 0,
    progressions: {
      major: {
        verse: [[0, 5, 3, 4], [0, 2, 3, 4]],
        chorus: [[3, 4, 2, 5], [5, 3, 0, 4]],
      },
      minor: {
        verse: [[0, 5, 2, 6], [0, 3, 0, 3]],
        chorus: [[5, 6, 0, 0], [0, 5, 3, 4]],
      },
    },
    drums: [
      [
        { kick: 'x...x...x...x...', closedHat: '..g...g...g...g.' },
        { kick: 'x...x...x...x...', closedHat: '..x...x...x...x.', clap: '....x.......x...' },
        { kick: 'x...x...x...x...', closedHat: 'x...x...x...x...', openHat: '..x...x...x...x.', clap: '....x.......x...', perc: '...........g....' },
        { kick: 'x...x...x...x...', closedHat: 'xgxgxgxgxgxgxgxg', openHat: '..x...x...x...x.', clap: '....x.......x...', perc: '...g..g....g..g.', snare: '...............g' },
      ],
      [
        { kick: 'x...x...x...x...', closedHat: '..g...g...g...g.' },
        { kick: 'x...x...x...x...', closedHat: '..x...x...x...x.', clap: '....x.......x...', perc: '......g.......g.' },
        { kick: 'x...x...x...x...', closedHat: '.gx..gx..gx..gx.', clap: '....x.......x...', perc: '...g.......g....' },
        { kick: 'x...x...x...x...', closedHat: 'xxgxxxgxxxgxxxgx', openHat: '..x...x...x...x.', clap: '....x.......x...', snare: '....x..g....x..g' },
      ],
    ],
    fill: { snare: 'x.x.xxxx' },
    crash: true,
    beatAccent: KICK,
    bass: ['r-------........', '..r-..r-..r-..r-', '..r-..o-..r-..f-', 'r.r.o.r.r.r.o.rp'],
    comp: ['C---------------', '..c-..c-..c-..c-', '..c-..c-..c-..c-', '..c-..c-..c-.cc-'],
    lead: { strong: 0.4, eighth: 0.55, sixteenth: 0.25, lengths: [1, 2, 2, 3], density: [0.25, 1], register: 3 },
    keys: [9, 2, 5, 7, 0],
  },
  'hip-hop': {
    name: 'hip-hop',
    tempo: [84, 96],
    swing: 0.16,
    phraseBars: 8,
    chordSteps: 16,
    sevenths: true,
    susChance: 0,
    progressions: {
      major: {
        verse: [[0, 5, 1, 4], [3, 2, 5, 1]],
        chorus: [[3, 4, 0, 5], [1, 4, 0, 0]],
      },
      minor: {
        verse: [[0, 5, 0, 5], [0, 3, 5, 4]],
        chorus: [[5, 3, 0, 0], [3, 5, 0, { degree: 4, quality: '7' }]],
      },
    },
    drums: [
      [
        { kick: 'x......x..x.....', closedHat: 'x...x...x...x...' },
        { kick: 'x......x..x.....', snare: '....x.......x...', closedHat: 'x.x.x.x.x.x.x.x.' },
        { kick: 'x......x.xx.....', snare: '....x.......x...', closedHat: 'x.x.x.x.x.x.x.xg', perc: '.........g....g.' },
        { kick: 'x.g....x.xx...g.', snare: '....x..g....x...', closedHat: 'xgx.xgx.xgx.xgxx', clap: '....x.......x...', perc: '..g.......g.....' },
      ],
      [
        { kick: 'x.........x.....', closedHat: 'x.x.x.x.x.x.x.x.' },
        { kick: 'x......x..x.....', snare: '........x.......', closedHat: 'x.x.x.x.x.x.x.x.' },
        { kick: 'x......x..x...x.', snare: '........x.......', closedHat: 'x.x.x.x.x.xxx.x.', clap: '........x.......' },
        { kick: 'x.g....x..x...x.', snare: '........x......g', closedHat: 'xxxxx.x.xxxxxxxx', clap: '........x.......', openHat: '.....x..........' },
      ],
    ],
    fill: { snare: '....x..x', kick: '......x.' },
    crash: false,
    beatAccent: KICK,
    bass: ['r-------........', 'r-----.r--......', 'r-----.r--..f-..', 'r--.r-.r--.rf-.p'],
    comp: ['C---------------', 'C---------------', 'c---------------', 'c-------c-------'],
    lead: { strong: 0.5, eighth: 0.3, sixteenth: 0.1, lengths: [2, 3, 4, 6], density: [0.2, 0.85], register: 0 },
    keys: [9, 2, 5, 0, 11],
  },
  ambient: {
    name: 'ambient',
    tempo: [66, 84],
    swing: 0,
    phraseBars: 8,
    chordSteps: 32,
    sevenths: true,
    susChance: 0.5,
    progressions: {
      major: {
        verse: [[0, 3, 0, 3], [0, 5, 3, 4]],
        chorus: [[3, 0, 5, 4], [5, 3, 0, 0]],
      },
      minor: {
        verse: [[0, 5, 0, 5], [0, 3, 5, 2]],
        chorus: [[5, 2, 3, 0], [3, 5, 0, 0]],
      },
    },
    drums: [
      [
        nothing,
        { perc: 'x.......g.......' },
        { kick: 'x...............', perc: 'x.....g.x.....g.', closedHat: '..g...g...g...g.' },
        { kick: 'x.......x.......', snare: '........x.......', closedHat: 'x.x.x.x.x.x.x.x.', perc: 'x..g..x...g..x..' },
      ],
    ],
    fill: { perc: '....x.x.' },
    crash: false,
    beatAccent: PERC,
    bass: ['r---------------', 'r---------------', 'r-------f-------', 'r-------f---o---'],
    comp: ['C---------------', 'C---------------', 'C---------------', 'C---------------'],
    lead: { strong: 0.5, eighth: 0.1, sixteenth: 0, lengths: [6, 8, 12, 16], density: [0.3, 1], register: 2 },
    keys: [2, 4, 9, 0, 5],
  },
  cinematic: {
    name: 'cinematic',
    tempo: [72, 132],
    swing: 0,
    phraseBars: 8,
    chordSteps: 16,
    sevenths: false,
    susChance: 0.25,
    progressions: {
      major: {
        verse: [[0, 5, 3, 4], [0, 2, 3, 4]],
        chorus: [[5, 3, 0, 4], [3, 0, 4, 5]],
      },
      minor: {
        verse: [[0, 5, 2, 6], [0, 5, 3, { degree: 4, quality: 'maj' }]],
        chorus: [[0, 3, 5, 6], [5, 6, 0, { degree: 4, quality: 'maj' }]],
      },
    },
    drums: [
      [
        { perc: 'x...............' },
        { kick: 'x.......x.......', perc: 'x.....x.x.......' },
        { kick: 'x.......x.....x.', snare: '............x...', perc: 'x..x..x.x..x..x.' },
        { kick: 'x..x..x.x..x..x.', snare: '....x.......x...', closedHat: 'x.x.x.x.x.x.x.x.', perc: 'xgxgx.x.xgxgx.x.' },
      ],
    ],
    fill: { perc: 'x.x.xxxx', snare: '....xxxx', kick: 'x...x...' },
    crash: true,
    beatAccent: KICK,
    bass: ['r---------------', 'r-------r-------', 'r-r-r-r-r-r-r-r-', 'rrrrrrrrrrrrrrro'],
    comp: ['C---------------', 'C---------------', 'c-------c-------', 'c---c---c---c---'],
    lead: { strong: 0.7, eighth: 0.25, sixteenth: 0.05, lengths: [4, 6, 8, 12], density: [0.35, 1], register: 0 },
    keys: [2, 9, 0, 7],
  },
  rock: {
    name: 'rock',
    tempo: [110, 144],
    swing: 0,
    phraseBars: 8,
    chordSteps: 16,
    sevenths: false,
    susChance: 0.05,
    progressions: {
      major: {
        verse: [[0, 4, 5, 3], [0, 3, 4, 3], [0, 3, 0, 4]],
        chorus: [[3, 0, 4, 4], [5, 3, 0, 4]],
      },
      minor: {
        verse: [[0, 6, 5, 6], [0, 5, 6, 0]],
        chorus: [[0, 3, 6, 0], [5, 6, 0, 0]],
      },
    },
    drums: [
      [
        { kick: 'x.......x.......', snare: '............x...', closedHat: 'x.x.x.x.x.x.x.x.' },
        { kick: 'x.......x.......', snare: '....x.......x...', closedHat: 'x.x.x.x.x.x.x.x.' },
        { kick: 'x.....x.x.......', snare: '....x.......x...', closedHat: 'x.x.x.x.x.x.x.x.' },
        { kick: 'x.x...x.x.x...x.', snare: '....x.......x...', openHat: 'x.x.x.x.x.x.x.x.' },
      ],
      [
        { kick: 'x.......x.......', snare: '............x...', closedHat: 'x.x.x.x.x.x.x.x.' },
        { kick: 'x.x.....x.......', snare: '....x.......x...', closedHat: 'x.x.x.x.x.x.x.x.' },
        { kick: 'x.x.....x.x.....', snare: '....x.......x...', openHat: 'x.x.x.x.x.x.x.x.' },
        { kick: 'x.x...x.x.x.x.x.', snare: '....x.......x...', openHat: 'x.x.x.x.x.x.x.x.', perc: '...............x' },
      ],
    ],
    fill: { snare: 'x.x.xxxx', perc: '....xx..', kick: 'x...x...' },
    crash: true,
    beatAccent: KICK,
    bass: ['r-------r-------', 'r-r-r-r-r-r-r-r-', 'r.r.r.r.r.r.r.rp', 'rrrrrrrrrrrrrrrp'],
    comp: ['C---------------', 'c-------c-------', 'c---c---c---c---', 'c-c-c-c-c-c-c-c-'],
    lead: { strong: 0.8, eighth: 0.5, sixteenth: 0.1, lengths: [2, 2, 4, 4, 6], density: [0.3, 1], register: -2 },
    keys: [4, 9, 2, 7],
  },
  bossa: {
    name: 'bossa',
    tempo: [118, 136],
    swing: 0.03,
    phraseBars: 8,
    chordSteps: 16,
    sevenths: true,
    susChance: 0,
    progressions: {
      major: {
        verse: [[1, 4, 0, 0], [0, 5, 1, 4]],
        chorus: [[0, 3, 1, 4], [3, 2, 1, 4]],
      },
      minor: {
        verse: [[0, 3, 0, { degree: 4, quality: '7' }], [0, 5, 3, { degree: 4, quality: '7' }]],
        chorus: [[3, { degree: 4, quality: '7' }, 0, 0], [5, 3, 0, 0]],
      },
    },
    drums: [
      [
        { perc: 'x..x..x...x..x..' },
        { perc: 'x..x..x...x..x..', kick: 'x.....x.x.....x.', closedHat: 'x.x.x.x.x.x.x.x.' },
        { perc: 'x..x..x...x..x..', kick: 'x.....x.x.....x.', closedHat: 'xgx.xgx.xgx.xgx.', snare: '....x.......x...' },
        { perc: 'x..x..x...x..x..', kick: 'x.....x.x.....x.', closedHat: 'xxxxxxxxxxxxxxxx', snare: '....x..g....x..g' },
      ],
    ],
    fill: { perc: '...x.x.x', snare: '....x.x.' },
    crash: false,
    beatAccent: KICK,
    bass: ['r-------f-------', 'r-----f-f-------', 'r-----f-f-----n-', 'r-----f-f--r--n-'],
    comp: ['c-------c-------', 'c-------c--c----', 'c--c----c--c----', 'c--c--c-..c--c--'],
    lead: { strong: 0.5, eighth: 0.6, sixteenth: 0.1, lengths: [2, 3, 2, 4], density: [0.3, 1], register: 0 },
    keys: [2, 5, 7, 0, 9],
  },
});

/** Throws when a template is malformed (wrong length or character): run by the tests. */
export function checkStylePreset(preset: StylePreset): void {
  const bad = (what: string, value: string): never => {
    throw new RangeError(`${preset.name}: ${what} must be a template of the right length and characters, but is "${value}"`);
  };
  const checkBar = (what: string, bar: DrumBar, length: number): void => {
    for (const [voice, t] of Object.entries(bar) as [string, string][]) {
      if (t.length !== length || /[^xg.]/.test(t)) bad(`${what}.${voice}`, t);
    }
  };
  preset.drums.forEach((family, f) => family.forEach((bar, l) => checkBar(`drums[${f}][${l}]`, bar, 16)));
  checkBar('fill', preset.fill, 8);
  preset.bass.forEach((t, l) => (t.length !== 16 || /[^rofnp.\-]/.test(t) ? bad(`bass[${l}]`, t) : undefined));
  preset.comp.forEach((t, l) => (t.length !== 16 || /[^cC.\-]/.test(t) ? bad(`comp[${l}]`, t) : undefined));
  if (!(preset.tempo[0] > 0 && preset.tempo[1] >= preset.tempo[0])) throw new RangeError(`${preset.name}: tempo range must be increasing, but is ${preset.tempo.join('..')}`);
}
