/**
 * The low-band onsets a listener heard (kicks and bass carry the beat), on the client clock, for
 * beat alignment: each chunk's audio goes through the onset detector as it arrives and only the
 * detector's running sums are kept, not the samples. (Keeping every chunk's samples of minutes of
 * many sessions made the listener threads' garbage collector run full passes every second, and
 * those took the cores the harness measures and held its arrival stamps.)
 */
import type { AudioChunkHeader } from '../protocol/audioChunk.js';
import type { Milliseconds } from '../protocol/units.js';
import { OnsetDetector, type Onset } from './analysis/onsets.js';

/** Kicks and bass: what sounds below this (Hz) carries the beat. */
const LOW_BAND_HZ = 150;

export class HeardLowOnsets {
  private detector: OnsetDetector | null = null;
  private sampleRate = 0;
  /** Each chunk's first frame in the audio heard so far, and when it was heard (client clock). */
  private readonly starts: number[] = [];
  private readonly heardMs: Milliseconds[] = [];
  private frames = 0;

  /** A chunk as it arrives (in stream order), and when its first sample is heard. */
  add(header: Pick<AudioChunkHeader, 'sampleRate' | 'channels'>, pcm: Float32Array, heardMs: Milliseconds): void {
    if (this.detector === null) {
      this.detector = new OnsetDetector(header.sampleRate, header.channels, { lowpassHz: LOW_BAND_HZ });
      this.sampleRate = header.sampleRate;
    }
    this.starts.push(this.frames);
    this.heardMs.push(heardMs);
    this.detector.push(pcm);
    this.frames += pcm.length / header.channels;
  }

  /** The onsets so far, each at the client time it was heard. */
  onsets(): Onset[] {
    if (this.detector === null) return [];
    const { starts, heardMs, sampleRate } = this;
    let k = 0;
    return this.detector.onsets().map(({ ms, strength }) => {
      const frame = (ms / 1000) * sampleRate;
      while (k + 1 < starts.length && starts[k + 1]! <= frame) k++;
      return { ms: heardMs[k]! + ((frame - starts[k]!) / sampleRate) * 1000, strength };
    });
  }
}
