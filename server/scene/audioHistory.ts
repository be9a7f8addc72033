/**
 * The last few seconds of a session's audio, mono, in a ring (for the external hook's WAV).
 * One Float32Array allocated up front; writing a chunk copies it, reading unrolls the ring.
 */
export class AudioHistory {
  private readonly ring: Float32Array;
  private write = 0;
  private filled = 0;

  constructor(
    readonly sampleRate: number,
    readonly channels: number,
    seconds: number,
  ) {
    const frames = Math.round(sampleRate * seconds);
    if (!(frames > 0) || !Number.isInteger(channels) || channels < 1) {
      throw new RangeError(`AudioHistory needs a positive length and channel count, but got ${seconds} s at ${sampleRate} Hz, ${channels} channels`);
    }
    this.ring = new Float32Array(frames);
  }

  /** Appends interleaved PCM (downmixed to mono). */
  push(pcm: Float32Array): void {
    const ch = this.channels;
    const frames = Math.floor(pcm.length / ch);
    const size = this.ring.length;
    for (let i = Math.max(0, frames - size); i < frames; i++) {
      let m = 0;
      for (let c = 0; c < ch; c++) m += pcm[i * ch + c]!;
      this.ring[this.write] = m / ch;
      this.write = (this.write + 1) % size;
    }
    this.filled = Math.min(size, this.filled + frames);
  }

  /** Seconds held. */
  get seconds(): number {
    return this.filled / this.sampleRate;
  }

  /** The held audio, oldest first. */
  read(): Float32Array {
    const out = new Float32Array(this.filled);
    const size = this.ring.length;
    const start = (this.write - this.filled + size) % size;
    for (let i = 0; i < this.filled; i++) out[i] = this.ring[(start + i) % size]!;
    return out;
  }
}
