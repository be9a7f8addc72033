/**
 * Units as named types, so that signatures read like the domain (Tone.js habit).
 * They are plain numbers at run time; the names document which clock or scale a value is on.
 */

/** Wall-clock milliseconds on some clock (client or server: the name of the field says which). */
export type Milliseconds = number;
/** Seconds. */
export type Seconds = number;
/** A count of audio sample frames (one frame = one sample per channel), or an index on a session's audio timeline. */
export type Samples = number;
/** Frequency in hertz. */
export type Hz = number;
/** Beats per minute. */
export type Bpm = number;
/** Index of a generator step (a 16th note for symbolic packs, a codec frame for MusicGen packs). */
export type StepIndex = number;
/** Sequence number of a landmark frame, assigned by the client, strictly increasing per session. */
export type FrameSeq = number;
/** A value in [0, 1]. */
export type Unit = number;
