/**
 * A plucked string (Karplus-Strong with an allpass for exact tuning), for nylon-ish comping
 * and melodies. A pluck can be delayed by a few milliseconds (a strum across the strings);
 * a mute shortens the ring instead of cutting it, so it never clicks.
 */
import type { Hz } from '../../../../protocol/units.js';
import { midiToHz } from './tables.js';

const BUFFER = 4096;
const MASK = BUFFER - 1;

export class PluckVoice {
  active = false;
  pitch = -1;
  private readonly sr: Hz;
  private readonly buf = new Float32Array(BUFFER);
  private write = 0;
  private delay = 100;
  private apC = 0;
  private apX = 0;
  private apY = 0;
  private prev = 0;
  private gain = 0.99;
  private ringGain = 0.99;
  private muteGain = 0.9;
  private level = 0;
  private panL = 1;
  private panR = 1;
  private wait = -1;
  private pendingVelocity = 0;
  private brightness = 0.5;
  private noise: number;
  private quiet = 0;
  private blockPeak = 0;

  constructor(sampleRate: Hz, seed: number) {
    this.sr = sampleRate;
    this.noise = (seed | 1) >>> 0 || 1;
  }

  /** Plucks `pitch` after `delaySamples` samples (0 = now). */
  pluck(pitch: number, velocity: number, delaySamples: number, ringMs: number, brightness: number, level: number, pan: number): void {
    const hz = midiToHz(pitch);
    const period = this.sr / hz;
    const n = Math.max(2, Math.floor(period - 0.6));
    const frac = period - 0.5 - n;
    this.delay = Math.min(BUFFER - 2, n);
    this.apC = (1 - frac) / (1 + frac);
    this.ringGain = Math.pow(10, (-3 * period) / ((ringMs / 1000) * this.sr));
    this.muteGain = Math.pow(10, (-3 * period) / (0.09 * this.sr));
    this.gain = this.ringGain;
    this.brightness = brightness;
    this.level = level;
    this.panL = Math.min(1, 1 - pan);
    this.panR = Math.min(1, 1 + pan);
    this.pitch = pitch;
    this.pendingVelocity = velocity;
    this.wait = Math.max(0, Math.floor(delaySamples));
    this.active = true;
    this.quiet = 0;
  }

  mute(): void {
    this.gain = this.muteGain;
    this.wait = -1;
  }

  private excite(): void {
    // A burst of lowpassed noise over one period, added to what rings (re-plucking a ringing string).
    const n = this.delay;
    const a = 0.2 + 0.75 * this.brightness;
    let lp = 0;
    let x = this.noise;
    for (let k = 0; k < n; k++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      lp += ((x | 0) * 4.656612873077393e-10 - lp) * a;
      const idx = (this.write - n + k) & MASK;
      this.buf[idx] = this.buf[idx]! * 0.3 + lp * this.pendingVelocity;
    }
    this.noise = x;
  }

  render(outL: Float32Array, outR: Float32Array, send: Float32Array, sendLevel: number, n: number, abs: number): void {
    if (!this.active) return;
    const buf = this.buf;
    const d = this.delay;
    const c = this.apC;
    const level = this.level;
    let w = this.write;
    let prev = this.prev;
    let apX = this.apX;
    let apY = this.apY;
    let peak = this.blockPeak;
    const gain = this.gain;
    const gl = this.panL;
    const gr = this.panR;
    for (let i = 0; i < n; i++) {
      if (this.wait >= 0) {
        if (this.wait === 0) {
          this.write = w;
          this.excite();
        }
        this.wait--;
      }
      const x = buf[(w - d) & MASK]!;
      const avg = 0.5 * (x + prev);
      prev = x;
      const ap = c * avg + apX - c * apY;
      apX = avg;
      apY = ap;
      const y = ap * gain;
      buf[w] = y;
      w = (w + 1) & MASK;
      const out = y * level;
      outL[i]! += out * gl;
      outR[i]! += out * gr;
      send[i]! += out * sendLevel;
      const m = y < 0 ? -y : y;
      if (m > peak) peak = m;
    }
    this.write = w;
    this.prev = prev;
    this.apX = apX;
    this.apY = apY;
    // Idle once it has stayed below -80 dB for a whole period. Decided only at the end of a
    // 64-sample block of the timeline, so that chunk borders never change the output.
    this.blockPeak = peak;
    if (((abs + n) & 63) !== 0) return;
    this.quiet = peak < 1e-4 && this.wait < 0 ? this.quiet + 64 : 0;
    this.blockPeak = 0;
    if (this.quiet > d + 64) {
      this.active = false;
      this.pitch = -1;
      this.buf.fill(0);
      this.prev = 0;
      this.apX = 0;
      this.apY = 0;
    }
  }
}
