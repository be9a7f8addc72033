/**
 * The codec side of the teacher pack, measured on rendered audio: chunking invariance, no
 * clicks, no clipping, levels that follow presence and energy, voicing that follows the arms.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STYLE_NAMES } from '../../server/generation/symbolic/styleNames.js';
import { busyPlan, controls, mean, openStream, peak, renderPlan, rmsDb, SR } from './helpers.js';


test('chunked rendering equals one-shot rendering, sample for sample (chunks of 128, 1000, 4096)', async () => {
  const frames = 3 * SR;
  for (const style of ['house', 'bossa', 'ambient'] as const) {
    const whole = await renderPlan(openStream(style, 5), busyPlan(frames, frames));
    for (const chunk of [128, 1000, 4096]) {
      const parts = await renderPlan(openStream(style, 5), busyPlan(frames, chunk));
      let firstDiff = -1;
      for (let i = 0; i < whole.pcm.length && firstDiff < 0; i++) if (whole.pcm[i] !== parts.pcm[i]) firstDiff = i;
      assert.equal(firstDiff, -1, `${style}, chunks of ${chunk}: first difference at frame ${firstDiff >> 1}`);
      assert.deepEqual(parts.steps.map((s) => s.sample), whole.steps.map((s) => s.sample));
    }
    assert.ok(whole.steps.length > 10 && rmsDb(whole.pcm) > -40, `${style} is not trivially silent`);
  }
});

test('no clicks at chunk borders: the largest jump at a border is no larger than elsewhere', async () => {
  const chunk = 1000;
  for (const style of STYLE_NAMES) {
    const { pcm } = await renderPlan(openStream(style, 2), busyPlan(2 * SR, chunk));
    let border = 0;
    let inside = 0;
    for (let f = 1; f < pcm.length / 2; f++) {
      const jump = Math.max(Math.abs(pcm[2 * f]! - pcm[2 * f - 2]!), Math.abs(pcm[2 * f + 1]! - pcm[2 * f - 1]!));
      if (f % chunk === 0) border = Math.max(border, jump);
      else inside = Math.max(inside, jump);
    }
    assert.ok(border <= inside, `${style}: border jump ${border.toFixed(4)} vs ${inside.toFixed(4)} elsewhere`);
  }
});

test('never clips (|s| < 1), loud enough with a performer, near silence without one', async () => {
  const report: string[] = [];
  for (const style of STYLE_NAMES) {
    const present = await renderPlan(openStream(style, 3), { frames: 4 * SR, chunk: 2048, controlsAt: () => controls({ energy: 1, valence: 1, handHeight: 1, armOpenness: 1 }) });
    const p = peak(present.pcm);
    assert.ok(p < 1, `${style}: peak ${p}`);
    const loud = rmsDb(present.pcm, SR * 2);
    assert.ok(loud > -26, `${style}: RMS ${loud.toFixed(1)} dBFS with presence 1`);
    // Presence falls to 0 after 1 s: the level fades to near silence.
    const leaving = await renderPlan(openStream(style, 3), { frames: 4 * SR, chunk: 2048, controlsAt: (n) => controls({ energy: 0.8, presence: n < SR ? 1 : 0 }) });
    const before = rmsDb(leaving.pcm, 0, SR * 2);
    const after = rmsDb(leaving.pcm, SR * 2 * 3, SR * 2 * 4);
    assert.ok(after < -70, `${style}: RMS ${after.toFixed(1)} dBFS two seconds after the performer left`);
    assert.ok(peak(leaving.pcm.subarray(SR * 2 * 3)) < 0.003, `${style}: peak after leaving`);
    report.push(`${style} ${loud.toFixed(1)}/${before.toFixed(1)}/${after.toFixed(1)}`);
  }
  console.log(`RMS dBFS (presence 1 energetic / before leaving / 2-3 s after leaving): ${report.join(', ')}`);
});

test('energy raises loudness: dancing is clearly louder than standing still', async () => {
  const report: string[] = [];
  for (const style of STYLE_NAMES) {
    const render = async (energy: number): Promise<number> =>
      rmsDb((await renderPlan(openStream(style, 8), { frames: 4 * SR, chunk: 4096, controlsAt: () => controls({ energy }) })).pcm, SR * 2 * 1.5);
    const still = await render(0.05);
    const dancing = await render(0.95);
    report.push(`${style} ${still.toFixed(1)}->${dancing.toFixed(1)}`);
    assert.ok(dancing - still > 3, `${style}: ${still.toFixed(1)} -> ${dancing.toFixed(1)} dBFS`);
  }
  console.log(`RMS dBFS still -> dancing: ${report.join(', ')}`);
});

test('arm openness widens the voicing of chords', async () => {
  for (const style of ['pop', 'cinematic', 'bossa'] as const) {
    const span = async (arms: number): Promise<number> => {
      const { steps } = await renderPlan(openStream(style, 4), { frames: 6 * SR, chunk: 4096, controlsAt: () => controls({ energy: 0.6, armOpenness: arms }) });
      const spans = steps.filter((s) => s.voicing !== null).map((s) => Math.max(...s.voicing!) - Math.min(...s.voicing!));
      assert.ok(spans.length >= 3, `${style}: chords were voiced`);
      return mean(spans);
    };
    const folded = await span(0);
    const wide = await span(1);
    assert.ok(folded <= 12, `${style}: close voicing within an octave, got ${folded}`);
    assert.ok(wide >= folded + 12, `${style}: arms folded ${folded.toFixed(1)} -> wide ${wide.toFixed(1)} semitones`);
  }
});

test('valence brightens the sound (more energy above 2 kHz for a smile than a frown)', async () => {
  // A crude high-band measure: the RMS of the first difference relative to the signal's RMS.
  const brightness = (pcm: Float32Array): number => {
    let d = 0;
    let s = 0;
    for (let i = 2; i < pcm.length; i += 2) {
      d += (pcm[i]! - pcm[i - 2]!) ** 2;
      s += pcm[i]! ** 2;
    }
    return Math.sqrt(d / s);
  };
  const render = async (valence: number): Promise<number> =>
    brightness((await renderPlan(openStream('ambient', 6), { frames: 6 * SR, chunk: 4096, controlsAt: () => controls({ energy: 0.1, valence }) })).pcm);
  const frown = await render(-1);
  const smile = await render(1);
  assert.ok(smile > 1.2 * frown, `brightness ${frown.toFixed(4)} -> ${smile.toFixed(4)}`);
});
