/**
 * The symbolic token vocabulary: four parallel streams on a 16th-note grid (DEFAULT-PACK.md).
 *
 * One decoder step = one 16th note. Every step carries exactly one token per stream, in this
 * order: drums, bass, harmony, lead (they play the role of MusicGen's four codebooks). All four
 * streams share ONE vocabulary of `SYMBOLIC_VOCAB.size` ids, split into disjoint per-stream
 * ranges, so that an id means the same thing wherever it appears and a sampler masks a stream's
 * logits down to its range. As in MusicGen, the pad/start token is the id right after the last
 * real one (`padId === size`), so an embedding table has `size + 1` rows and the logits `size`.
 *
 * Layout (version 1, never reorder: packs are trained on these ids):
 *
 * | stream  | ids       | meaning                                                            |
 * | ------- | --------- | ------------------------------------------------------------------ |
 * | drums   | 0..63     | id = 6-bit voice mask (bit 0 kick, 1 snare, 2 closed hat, 3 open hat, 4 clap, 5 perc); 0 = no hit |
 * | bass    | 64..97    | 64 rest, 65 hold, 66 + (pitch - 28) onset of MIDI pitch 28..59 (E1..B3) |
 * | harmony | 98..195   | 98 rest, 99 hold, 100 + root * 8 + quality onset (root 0..11 = C..B; quality index in CHORD_QUALITIES) |
 * | lead    | 196..245  | 196 rest, 197 hold, 198 + (pitch - 48) onset of MIDI pitch 48..95 (C3..B6) |
 * | (pad)   | 246       | pad = start token, never sampled                                   |
 *
 * "hold" keeps the previous onset sounding; "rest" silences the stream. A hold after a rest
 * is a rest (decoders must tolerate it; the teacher never writes it).
 *
 * Worked example: a step with kick + closed hat, bass onset on A1 (MIDI 33), an A minor chord
 * onset (root 9, quality 'min' = index 1) and the lead holding its note:
 *
 *   encodeStep({ drums: KICK | CLOSED_HAT, bass: { type: 'note', pitch: 33 },
 *                harmony: { type: 'chord', root: 9, quality: 'min' }, lead: { type: 'hold' } })
 *   = [5, 71, 173, 197]
 *     drums   1 | 4 = 5
 *     bass    66 + (33 - 28) = 71
 *     harmony 100 + 9 * 8 + 1 = 173
 *     lead    197 (hold)
 */

export const STREAM_NAMES = ['drums', 'bass', 'harmony', 'lead'] as const;
export type StreamName = (typeof STREAM_NAMES)[number];
export const STREAM_COUNT = STREAM_NAMES.length;

/** Drum voices in bit order. */
export const DRUM_VOICES = ['kick', 'snare', 'closedHat', 'openHat', 'clap', 'perc'] as const;
export type DrumVoice = (typeof DRUM_VOICES)[number];
export const KICK = 1;
export const SNARE = 2;
export const CLOSED_HAT = 4;
export const OPEN_HAT = 8;
export const CLAP = 16;
export const PERC = 32;
export const DRUM_MASK_ALL = 63;

/** How many voices a drum mask strikes. */
export function drumVoiceCount(mask: number): number {
  let n = 0;
  for (let v = mask & DRUM_MASK_ALL; v > 0; v >>= 1) n += v & 1;
  return n;
}

export const CHORD_QUALITIES = ['maj', 'min', '7', 'maj7', 'm7', 'sus2', 'sus4', 'dim'] as const;
export type ChordQuality = (typeof CHORD_QUALITIES)[number];

/** Chord tones as semitones above the root, per quality. */
export const CHORD_INTERVALS: Readonly<Record<ChordQuality, readonly number[]>> = Object.freeze({
  maj: [0, 4, 7],
  min: [0, 3, 7],
  '7': [0, 4, 7, 10],
  maj7: [0, 4, 7, 11],
  m7: [0, 3, 7, 10],
  sus2: [0, 2, 7],
  sus4: [0, 5, 7],
  dim: [0, 3, 6],
});

/** Inclusive MIDI pitch ranges of the note streams. */
export const BASS_PITCH_RANGE: readonly [number, number] = [28, 59];
export const LEAD_PITCH_RANGE: readonly [number, number] = [48, 95];

const DRUMS_FIRST = 0;
const BASS_FIRST = 64;
const BASS_ONSET = BASS_FIRST + 2;
const BASS_LAST = BASS_ONSET + BASS_PITCH_RANGE[1] - BASS_PITCH_RANGE[0];
const HARMONY_FIRST = BASS_LAST + 1;
const HARMONY_ONSET = HARMONY_FIRST + 2;
const HARMONY_LAST = HARMONY_ONSET + 12 * CHORD_QUALITIES.length - 1;
const LEAD_FIRST = HARMONY_LAST + 1;
const LEAD_ONSET = LEAD_FIRST + 2;
const LEAD_LAST = LEAD_ONSET + LEAD_PITCH_RANGE[1] - LEAD_PITCH_RANGE[0];
const VOCAB_SIZE = LEAD_LAST + 1;

export interface SymbolicVocab {
  version: number;
  /** Number of real token ids (the logits' width); ids are 0..size-1. */
  size: number;
  /** Pad = start token (= size, as MusicGen's pad = bos = 2048). */
  padId: number;
  startId: number;
  /** Rows of an embedding table: size + 1 (the pad). */
  embeddingSize: number;
  streams: readonly StreamName[];
  /** Inclusive [first, last] id of each stream. */
  ranges: Readonly<Record<StreamName, readonly [number, number]>>;
  /** Rest and hold ids of the note and chord streams. */
  rest: Readonly<Record<Exclude<StreamName, 'drums'>, number>>;
  hold: Readonly<Record<Exclude<StreamName, 'drums'>, number>>;
  bassPitchRange: readonly [number, number];
  leadPitchRange: readonly [number, number];
  chordQualities: readonly ChordQuality[];
  drumVoices: readonly DrumVoice[];
  stepsPerBeat: number;
  stepsPerBar: number;
}

export const SYMBOLIC_VOCAB: SymbolicVocab = Object.freeze({
  version: 1,
  size: VOCAB_SIZE,
  padId: VOCAB_SIZE,
  startId: VOCAB_SIZE,
  embeddingSize: VOCAB_SIZE + 1,
  streams: STREAM_NAMES,
  ranges: Object.freeze({
    drums: [DRUMS_FIRST, DRUMS_FIRST + DRUM_MASK_ALL] as const,
    bass: [BASS_FIRST, BASS_LAST] as const,
    harmony: [HARMONY_FIRST, HARMONY_LAST] as const,
    lead: [LEAD_FIRST, LEAD_LAST] as const,
  }),
  rest: Object.freeze({ bass: BASS_FIRST, harmony: HARMONY_FIRST, lead: LEAD_FIRST }),
  hold: Object.freeze({ bass: BASS_FIRST + 1, harmony: HARMONY_FIRST + 1, lead: LEAD_FIRST + 1 }),
  bassPitchRange: BASS_PITCH_RANGE,
  leadPitchRange: LEAD_PITCH_RANGE,
  chordQualities: CHORD_QUALITIES,
  drumVoices: DRUM_VOICES,
  stepsPerBeat: 4,
  stepsPerBar: 16,
});

export type NoteEvent = { type: 'rest' } | { type: 'hold' } | { type: 'note'; pitch: number };
export type ChordEvent =
  | { type: 'rest' }
  | { type: 'hold' }
  | { type: 'chord'; root: number; quality: ChordQuality };

/** One step, decoded. */
export interface SymbolicStep {
  /** 6-bit drum voice mask. */
  drums: number;
  bass: NoteEvent;
  harmony: ChordEvent;
  lead: NoteEvent;
}

/** One token id per stream, in STREAM_NAMES order. */
export type StepTokens = [drums: number, bass: number, harmony: number, lead: number];

export const REST: NoteEvent & ChordEvent = Object.freeze({ type: 'rest' }) as { type: 'rest' };
export const HOLD: NoteEvent & ChordEvent = Object.freeze({ type: 'hold' }) as { type: 'hold' };

function checkInt(name: string, value: number, lo: number, hi: number): void {
  if (!Number.isInteger(value) || value < lo || value > hi) {
    throw new RangeError(`${name} must be an integer in [${lo}, ${hi}], but is ${value}`);
  }
}

export function encodeDrums(mask: number): number {
  checkInt('drum mask', mask, 0, DRUM_MASK_ALL);
  return DRUMS_FIRST + mask;
}

export function decodeDrums(id: number): number {
  checkInt('drums token', id, DRUMS_FIRST, DRUMS_FIRST + DRUM_MASK_ALL);
  return id - DRUMS_FIRST;
}

function encodeNote(stream: 'bass' | 'lead', event: NoteEvent): number {
  const first = stream === 'bass' ? BASS_FIRST : LEAD_FIRST;
  const [lo, hi] = stream === 'bass' ? BASS_PITCH_RANGE : LEAD_PITCH_RANGE;
  switch (event.type) {
    case 'rest':
      return first;
    case 'hold':
      return first + 1;
    case 'note':
      checkInt(`${stream} pitch`, event.pitch, lo, hi);
      return first + 2 + event.pitch - lo;
  }
}

function decodeNote(stream: 'bass' | 'lead', id: number): NoteEvent {
  const first = stream === 'bass' ? BASS_FIRST : LEAD_FIRST;
  const last = stream === 'bass' ? BASS_LAST : LEAD_LAST;
  const lo = stream === 'bass' ? BASS_PITCH_RANGE[0] : LEAD_PITCH_RANGE[0];
  checkInt(`${stream} token`, id, first, last);
  if (id === first) return REST;
  if (id === first + 1) return HOLD;
  return { type: 'note', pitch: id - first - 2 + lo };
}

export const encodeBass = (event: NoteEvent): number => encodeNote('bass', event);
export const decodeBass = (id: number): NoteEvent => decodeNote('bass', id);
export const encodeLead = (event: NoteEvent): number => encodeNote('lead', event);
export const decodeLead = (id: number): NoteEvent => decodeNote('lead', id);

export function encodeHarmony(event: ChordEvent): number {
  switch (event.type) {
    case 'rest':
      return HARMONY_FIRST;
    case 'hold':
      return HARMONY_FIRST + 1;
    case 'chord': {
      checkInt('chord root', event.root, 0, 11);
      const q = CHORD_QUALITIES.indexOf(event.quality);
      if (q < 0) throw new RangeError(`chord quality must be one of ${CHORD_QUALITIES.join(', ')}, but is ${String(event.quality)}`);
      return HARMONY_ONSET + event.root * CHORD_QUALITIES.length + q;
    }
  }
}

export function decodeHarmony(id: number): ChordEvent {
  checkInt('harmony token', id, HARMONY_FIRST, HARMONY_LAST);
  if (id === HARMONY_FIRST) return REST;
  if (id === HARMONY_FIRST + 1) return HOLD;
  const k = id - HARMONY_ONSET;
  return { type: 'chord', root: Math.floor(k / CHORD_QUALITIES.length), quality: CHORD_QUALITIES[k % CHORD_QUALITIES.length]! };
}

export function encodeStep(step: SymbolicStep): StepTokens {
  return [encodeDrums(step.drums), encodeBass(step.bass), encodeHarmony(step.harmony), encodeLead(step.lead)];
}

export function decodeStep(tokens: readonly number[]): SymbolicStep {
  if (tokens.length !== STREAM_COUNT) throw new RangeError(`a step has ${STREAM_COUNT} tokens, but got ${tokens.length}`);
  return {
    drums: decodeDrums(tokens[0]!),
    bass: decodeBass(tokens[1]!),
    harmony: decodeHarmony(tokens[2]!),
    lead: decodeLead(tokens[3]!),
  };
}

/**
 * The token grammar beyond the per-stream ranges: per stream (STREAM_NAMES order), the hold id,
 * the ids it may never follow in that stream (a rest, and the pad/start before the stream's first
 * token: nothing is sounding to hold) and the rest it is heard as there. The drums have no hold.
 * A decoder's sampler masks by it (lm/logitsProcessors.ts ContinuationMask).
 */
export const HOLD_RULES: readonly ({ hold: number; after: readonly number[]; into: number } | null)[] = Object.freeze(
  [null, ...(['bass', 'harmony', 'lead'] as const).map((s) => ({
    hold: SYMBOLIC_VOCAB.hold[s],
    after: [SYMBOLIC_VOCAB.rest[s], SYMBOLIC_VOCAB.padId],
    into: SYMBOLIC_VOCAB.rest[s],
  }))],
);

/** Whether `id` is a valid (non-pad) token of stream `stream` (0..3). */
export function isValidToken(stream: number, id: number): boolean {
  const name = STREAM_NAMES[stream];
  if (name === undefined || !Number.isInteger(id)) return false;
  const [first, last] = SYMBOLIC_VOCAB.ranges[name];
  return id >= first && id <= last;
}

/** The stream an id belongs to, or null for the pad and out-of-range ids. */
export function streamOfToken(id: number): StreamName | null {
  for (const name of STREAM_NAMES) {
    const [first, last] = SYMBOLIC_VOCAB.ranges[name];
    if (id >= first && id <= last) return name;
  }
  return null;
}

/** A 0/1 mask over the vocabulary (size entries) of the ids stream `stream` may emit: for samplers. */
export function streamTokenMask(stream: StreamName): Uint8Array {
  const mask = new Uint8Array(VOCAB_SIZE);
  const [first, last] = SYMBOLIC_VOCAB.ranges[stream];
  mask.fill(1, first, last + 1);
  return mask;
}

/** Short human-readable form of one token, for logs: "drums:K+CH", "bass:A1", "harmony:Am", "lead:hold". */
export function describeToken(id: number): string {
  const stream = streamOfToken(id);
  if (stream === null) return id === SYMBOLIC_VOCAB.padId ? 'pad' : `invalid:${id}`;
  if (stream === 'drums') {
    const mask = decodeDrums(id);
    if (mask === 0) return 'drums:-';
    const short = ['K', 'S', 'CH', 'OH', 'CL', 'P'];
    return 'drums:' + short.filter((_, i) => (mask >> i) & 1).join('+');
  }
  if (stream === 'harmony') {
    const e = decodeHarmony(id);
    return e.type === 'chord' ? `harmony:${PITCH_NAMES[e.root]}${e.quality === 'maj' ? '' : e.quality === 'min' ? 'm' : e.quality}` : `harmony:${e.type}`;
  }
  const e = decodeNote(stream, id);
  return e.type === 'note' ? `${stream}:${PITCH_NAMES[e.pitch % 12]}${Math.floor(e.pitch / 12) - 1}` : `${stream}:${e.type}`;
}

const PITCH_NAMES = ['C', 'Db', 'D', 'Eb', 'E', 'F', 'F#', 'G', 'Ab', 'A', 'Bb', 'B'];
