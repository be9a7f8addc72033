/**
 * The real-performer corpus (test/fixtures/performers, written by `npm run performers:corpus`):
 * landmarks the real client tracker found on rendered clips of a real photo. What the corpus
 * promises its users: every fixture loads with sane ground truth, the person is tracked where
 * the ground truth says they are, the periodic clips carry their motion at the stated tempo at
 * every tracking rate (6 to 30 fps), and the still clip carries only detector jitter.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LandmarkFrame } from '../../protocol/landmarkTypes.js';
import { keepAtRate } from '../../harness/performers/frameRates.js';
import { createFaceFeatures, faceFeatures } from '../../server/controls/features.js';
import { FACE } from '../../protocol/landmarkLayout.js';
import { loadFixtures, RATES, type Fixture } from './corpusFixtures.js';

/** The clips render 320x240. */
const ASPECT = 4 / 3;

const fixtures = loadFixtures();
const byClip = (clip: string): Fixture => {
  const f = fixtures.find((x) => x.truth.clip === clip);
  assert.ok(f, `the corpus has a ${clip} clip`);
  return f;
};

/** Seconds from the clip's start. */
const secondsOf = (fx: Fixture, f: LandmarkFrame): number => (f.captureTimeMs - fx.truth.clockStartMs) / 1000;

/** Head pitch as the server's control features read it (server/controls/features.ts). */
function headPitch(f: LandmarkFrame): number | null {
  return f.face ? faceFeatures(f.face, ASPECT, createFaceFeatures()).headPitch : null;
}

/** Height of the shoulders' midpoint in the image (pose landmarks 11 and 12). */
function shoulderY(f: LandmarkFrame): number | null {
  return f.pose ? (f.pose[4 * 11 + 1]! + f.pose[4 * 12 + 1]!) / 2 : null;
}

function series(fx: Fixture, frames: readonly LandmarkFrame[], signal: (f: LandmarkFrame) => number | null): { t: number[]; x: number[] } {
  const t: number[] = [];
  const x: number[] = [];
  for (const f of frames) {
    const v = signal(f);
    if (v !== null && Number.isFinite(v)) {
      t.push(secondsOf(fx, f));
      x.push(v);
    }
  }
  return { t, x };
}

function std(x: readonly number[]): number {
  const m = x.reduce((a, b) => a + b, 0) / x.length;
  return Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / x.length);
}

/**
 * The strongest frequency (Hz) of an unevenly sampled signal between `lo` and `hi` (a direct
 * Fourier sum), and the share of the signal's variance it holds (1 for a pure sinusoid, a few
 * over the sample count for noise).
 */
function periodicity(t: readonly number[], x: readonly number[], lo: number, hi: number): { hz: number; share: number } {
  const m = x.reduce((a, b) => a + b, 0) / x.length;
  const energy = x.reduce((a, b) => a + (b - m) ** 2, 0);
  let hz = lo;
  let bestPower = -1;
  for (let f = lo; f <= hi; f += 0.005) {
    let re = 0;
    let im = 0;
    for (let i = 0; i < t.length; i++) {
      re += (x[i]! - m) * Math.cos(2 * Math.PI * f * t[i]!);
      im -= (x[i]! - m) * Math.sin(2 * Math.PI * f * t[i]!);
    }
    const power = re * re + im * im;
    if (power > bestPower) {
      bestPower = power;
      hz = f;
    }
  }
  return { hz, share: energy > 0 ? (2 * bestPower) / (x.length * energy) : 0 };
}

/** Tempi a beat can have here (the control's range, 60-180 BPM), in Hz, capped below the rate's Nyquist frequency. */
const tempoBand = (fps: number): [number, number] => [1, Math.min(3, fps / 2 - 0.2)];

/** Nose height in the image: the head's bob. */
function noseY(f: LandmarkFrame): number | null {
  return f.face ? f.face[3 * FACE.noseTip + 1]! : null;
}

/** The motion each periodic clip makes: the nod in the head's pitch, the bobs in the shoulders' height. */
const PERIODIC_SIGNAL: Record<string, (f: LandmarkFrame) => number | null> = { nod: headPitch, bob: shoulderY, swaybob: shoulderY };

test('performer corpus: every fixture loads with sane ground truth', { timeout: 30_000 }, () => {
  assert.ok(fixtures.length >= 6, `at least six fixtures (${fixtures.map((f) => f.file).join(', ')})`);
  for (const clip of ['nod', 'bob', 'swaybob', 'still', 'talker', 'walk']) byClip(clip);
  for (const { file, truth, frames } of fixtures) {
    const expected = truth.seconds * truth.fps;
    assert.ok(Math.abs(frames.length - expected) <= 2, `${file}: ${frames.length} frames, ${expected} expected`);
    for (let i = 1; i < frames.length; i++) {
      const dt = frames[i]!.captureTimeMs - frames[i - 1]!.captureTimeMs;
      assert.ok(dt > 0 && dt < 2000 / truth.fps, `${file}: frame ${i} comes ${dt} ms after the one before`);
    }
    assert.ok(truth.gestureTimesMs.every((g) => g >= 0 && g <= truth.seconds * 1000), `${file}: gesture times lie inside the clip`);
    if (truth.periodic) {
      const beatMs = 60_000 / truth.tempoBpm!;
      assert.ok(truth.tempoBpm! >= 60 && truth.tempoBpm! <= 180, `${file}: tempo ${truth.tempoBpm}`);
      const beats = truth.beatTimesMs!;
      assert.ok(beats.length >= (truth.seconds * truth.tempoBpm!) / 60 - 1, `${file}: a beat time for every beat`);
      for (let i = 1; i < beats.length; i++) assert.ok(Math.abs(beats[i]! - beats[i - 1]! - beatMs) < 1, `${file}: beats ${beatMs} ms apart`);
    }
  }
});

test('performer corpus: the person is tracked where the ground truth puts them', { timeout: 30_000 }, () => {
  for (const fx of fixtures.filter((f) => f.truth.clip !== 'walk')) {
    const withBoth = fx.frames.filter((f) => f.face && f.pose).length;
    assert.ok(withBoth >= 0.9 * fx.frames.length, `${fx.file}: face and body in ${withBoth} of ${fx.frames.length} frames`);
  }
  // The walker is out of view at both ends and in view while standing (3.5-5 s).
  const walk = byClip('walk');
  const at = (lo: number, hi: number): LandmarkFrame[] => walk.frames.filter((f) => secondsOf(walk, f) >= lo && secondsOf(walk, f) < hi);
  assert.ok(at(0, 1.4).every((f) => !f.face), 'nobody before the walk in');
  assert.ok(at(7.3, 99).every((f) => !f.face), 'nobody after the walk out');
  const standing = at(3.6, 4.9);
  assert.ok(standing.filter((f) => f.face && f.pose).length >= 0.9 * standing.length, 'the walker is tracked while standing');
});

test('performer corpus: the periodic clips move at the stated tempo at every tracking rate', { timeout: 60_000 }, () => {
  for (const fx of fixtures.filter((f) => f.truth.periodic)) {
    const signal = PERIODIC_SIGNAL[fx.truth.clip];
    assert.ok(signal, `${fx.file}: a signal for ${fx.truth.clip}`);
    const beatHz = fx.truth.tempoBpm! / 60;
    for (const fps of RATES) {
      const { t, x } = series(fx, keepAtRate(fx.frames, fx.truth.fps, fps), signal);
      const { hz, share } = periodicity(t, x, ...tempoBand(fps));
      assert.ok(Math.abs(hz - beatHz) / beatHz < 0.04, `${fx.file} at ${fps} fps: strongest motion at ${(hz * 60).toFixed(1)}/min, the beat is ${fx.truth.tempoBpm} BPM`);
      assert.ok(share > 0.5, `${fx.file} at ${fps} fps: the beat holds ${(100 * share).toFixed(0)}% of the motion`);
    }
  }
});

test('performer corpus: the hard negatives have no beat; the still person carries only detector jitter, the talker moves the mouth', { timeout: 60_000 }, () => {
  for (const clip of ['still', 'talker']) {
    const fx = byClip(clip);
    for (const fps of RATES) {
      for (const [name, signal] of [['head pitch', headPitch], ['nose height', noseY], ['shoulder height', shoulderY]] as const) {
        const { t, x } = series(fx, keepAtRate(fx.frames, fx.truth.fps, fps), signal);
        const { hz, share } = periodicity(t, x, ...tempoBand(fps));
        assert.ok(share < 0.35, `${fx.file} at ${fps} fps: ${name} has a beat at ${(hz * 60).toFixed(1)}/min holding ${(100 * share).toFixed(0)}% of its motion`);
      }
    }
  }
  const spread = (clip: string, signal: (f: LandmarkFrame) => number | null): number => {
    const fx = byClip(clip);
    return std(series(fx, fx.frames, signal).x);
  };
  const pitchStill = spread('still', headPitch);
  const pitchNod = spread('nod', headPitch);
  assert.ok(pitchStill < 0.2 * pitchNod, `head pitch spread: still ${pitchStill.toFixed(4)}, nod ${pitchNod.toFixed(4)}`);
  const lipGap = (f: LandmarkFrame): number | null => (f.face ? f.face[3 * FACE.lowerLipInner + 1]! - f.face[3 * FACE.upperLipInner + 1]! : null);
  const gapStill = spread('still', lipGap);
  const gapTalker = spread('talker', lipGap);
  assert.ok(gapTalker > 3 * gapStill, `lip gap spread: talker ${gapTalker.toFixed(4)}, still ${gapStill.toFixed(4)}`);
});
