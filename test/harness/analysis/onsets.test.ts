import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OnsetDetector, detectOnsets } from '../../../harness/analysis/onsets.js';

const SR = 48000;

/** Stereo PCM: a decaying low sine starting at each time (s), with its level and frequency, over a quiet held low tone (music is never silent between hits). */
function hits(seconds: number, notes: { at: number; level: number; hz: number }[], heldHz = 82): Float32Array {
  const pcm = new Float32Array(seconds * SR * 2);
  for (let i = 0; i < seconds * SR; i++) pcm[2 * i] = pcm[2 * i + 1] = 0.02 * Math.sin((2 * Math.PI * heldHz * i) / SR);
  for (const { at, level, hz } of notes) {
    const start = Math.round(at * SR);
    for (let i = 0; i < 0.3 * SR && start + i < seconds * SR; i++) {
      const v = level * Math.exp(-i / (0.08 * SR)) * Math.sin((2 * Math.PI * hz * i) / SR);
      pcm[2 * (start + i)] += v;
      pcm[2 * (start + i) + 1] += v;
    }
  }
  return pcm;
}

test('a kick 45 ms after a soft bass note is the onset heard, not merged into the note', { timeout: 10_000 }, () => {
  // The harness's beat measure lost kicks this way: a soft attack just before the beat took the
  // 60 ms merge window and the kick inside it was dropped, so the beat's nearest onset was 45 ms early.
  const kicks = [0.5, 1, 1.5, 2, 2.5, 3];
  const notes = kicks.flatMap((t) => [{ at: t - 0.045, level: 0.03, hz: 90 }, { at: t, level: 0.8, hz: 55 }]);
  const onsets = detectOnsets(hits(4, notes), SR, 2, { lowpassHz: 150 });
  for (const t of kicks) {
    const near = onsets.filter((o) => Math.abs(o.ms - t * 1000) < 100);
    assert.equal(near.length, 1, `one onset near ${t} s: ${JSON.stringify(near)}`);
    assert.ok(Math.abs(near[0]!.ms - t * 1000) <= 10, `the kick at ${t} s is heard at ${near[0]!.ms} ms`);
  }
});

test('a low tone\'s decay is one onset, and onsets further apart than the merge window are all kept', { timeout: 10_000 }, () => {
  const times = [0.3, 0.45, 0.6, 1.2];
  // A 60 Hz tone's energy over 5 ms hops ripples at 120 Hz; its tail once read as onsets every 75 ms.
  const onsets = detectOnsets(hits(2, times.map((at) => ({ at, level: 0.5, hz: 60 })), 60), SR, 2, { lowpassHz: 150 });
  assert.equal(onsets.length, times.length, JSON.stringify(onsets));
  onsets.forEach((o, i) => assert.ok(Math.abs(o.ms - times[i]! * 1000) <= 10, `${o.ms} ms for ${times[i]} s`));
});

test('onsets found chunk by chunk, as audio arrives, are those of the whole recording', { timeout: 10_000 }, () => {
  // The listener keeps only the detector's running sums, not the audio: the onsets must not depend on where chunks end.
  const notes = [0.3, 0.8, 1.1, 1.6, 2.05, 2.5, 3.2].map((at, i) => ({ at, level: 0.2 + 0.1 * (i % 4), hz: 50 + 10 * i }));
  const pcm = hits(4, notes);
  for (const lowpassHz of [0, 150]) {
    const whole = detectOnsets(pcm, SR, 2, { lowpassHz });
    for (const frames of [1024, 777, 48_000]) {
      const detector = new OnsetDetector(SR, 2, { lowpassHz });
      for (let o = 0; o < pcm.length; o += 2 * frames) detector.push(pcm.subarray(o, Math.min(pcm.length, o + 2 * frames)));
      assert.deepEqual(detector.onsets(), whole, `chunks of ${frames} frames, low-pass ${lowpassHz} Hz`);
    }
    assert.ok(whole.length >= notes.length - 1, `${whole.length} onsets`);
  }
});
