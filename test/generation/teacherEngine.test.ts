import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { STYLE_NAMES } from '../../server/generation/symbolic/styleNames.js';
import { StreamRequestError } from '../../server/generation/chunkRequest.js';
import type { EmittedStep } from '../../server/generation/symbolic/symbolicStream.js';
import { TeacherStream, createTeacherEngine } from '../../server/generation/symbolic/teacherEngine.js';
import { controls, mean, openStream, renderPlan, SR } from './helpers.js';

test('createTeacherEngine describes the pack and opens streams that render exactly the frames asked for', async () => {
  const engine = createTeacherEngine();
  assert.deepEqual(
    { name: engine.info.name, kind: engine.info.kind, sampleRate: engine.info.sampleRate, channels: engine.info.channels, controlVersion: engine.info.controlVersion },
    { name: 'teacher', kind: 'symbolic', sampleRate: 48000, channels: 2, controlVersion: 1 },
  );
  const stream = engine.openStream({ prompt: 'funk', seed: 1 });
  const a = await stream.render({ startSample: 0, frames: 777, controls: [controls()], controlStepSamples: 480, beat: null });
  assert.equal(a.pcm.length, 777 * 2);
  const b = await stream.render({ startSample: 777, frames: 5000, controls: [controls(), controls({ energy: 1 })], controlStepSamples: 480, beat: null });
  assert.equal(b.pcm.length, 10000);
  assert.equal(b.state.style, 'funk');
  assert.ok(['major', 'minor'].includes(b.state.mode));
  assert.ok(b.state.tempoBpm !== null && b.state.tempoBpm >= 98 && b.state.tempoBpm <= 112, `funk tempo ${b.state.tempoBpm}`);
  assert.equal(typeof b.state.key, 'string');
  assert.equal(typeof b.state.bar, 'number');
  engine.dispose();
  await assert.rejects(stream.render({ startSample: 5777, frames: 10, controls: [controls()], controlStepSamples: 480, beat: null }), /disposed/);
});

test('bad requests are refused with a message naming the bad value; the stream goes on', async () => {
  const stream = openStream('pop');
  const ok = { startSample: 0, frames: 256, controls: [controls()], controlStepSamples: 480, beat: null };
  await assert.rejects(stream.render({ ...ok, frames: 0 }), (e: unknown) => e instanceof StreamRequestError && /frames must be/.test(e.message) && e.code === 'GEN_ERR_BAD_REQUEST');
  await assert.rejects(stream.render({ ...ok, controls: [] }), /at least one control vector/);
  await assert.rejects(stream.render({ ...ok, controls: [new Float32Array(3)] }), /Float32Array of 15/);
  await assert.rejects(stream.render({ ...ok, controls: [new Float32Array(16)] }), /controls\[0\] must be a Float32Array of 15 values, but has 16/, 'exactly CONTROL_SIZE');
  await assert.rejects(stream.render({ ...ok, frames: 10 * 48000 + 1 }), /frames must be an integer in \[1, 480000\]/, 'chunks are capped at 10 s');
  await assert.rejects(stream.render({ ...ok, controlStepSamples: 0 }), /controlStepSamples/);
  await assert.rejects(stream.render({ ...ok, beat: { anchorSample: 0, periodSamples: -1, strength: 1 } }), /periodSamples/);
  await stream.render(ok);
  await assert.rejects(stream.render({ ...ok, startSample: 300 }), /contiguous: startSample must be 256, but is 300/);
  await stream.render({ ...ok, startSample: 256 });
  assert.throws(() => openStream('x'.repeat(3000)), /prompt must be at most 2000/);
  // Non-finite controls are read as neutral, not propagated.
  const nan = controls({ energy: Number.NaN, valence: Number.POSITIVE_INFINITY });
  const out = await stream.render({ ...ok, startSample: 512, frames: 4800, controls: [nan] });
  assert.ok(out.pcm.every((x) => Number.isFinite(x) && Math.abs(x) < 1));
});

test('same seed, same audio; another seed, other audio', async () => {
  const plan = { frames: 3 * SR, chunk: 2048, controlsAt: (n: number) => controls({ energy: n < SR ? 0.2 : 0.9, valence: 0.5 }) };
  const a = await renderPlan(openStream('house', 17), plan);
  const b = await renderPlan(openStream('house', 17), plan);
  const c = await renderPlan(openStream('house', 18), plan);
  assert.deepEqual(a.pcm, b.pcm);
  let differing = 0;
  for (let i = 0; i < a.pcm.length; i++) if (a.pcm[i] !== c.pcm[i]) differing++;
  assert.ok(differing > a.pcm.length / 2, `${differing} of ${a.pcm.length} samples differ`);
});

test('every style renders, and styles differ measurably (tempo, drum density, swing)', async () => {
  const profile: Record<string, { bpm: number; hitsPerBar: number; swing: number }> = {};
  for (const style of STYLE_NAMES) {
    const { steps } = await renderPlan(openStream(style, 3), { frames: 6 * SR, chunk: 4096, controlsAt: () => controls({ energy: 0.7 }) });
    let hits = 0;
    for (const s of steps) for (let b = 0; b < 6; b++) if ((s.tokens[0] >> b) & 1) hits++;
    const last = steps.at(-1)!;
    const pairs = steps.filter((s) => s.stepInBar % 2 === 0).map((s) => s.durationSamples / (60 / s.bpm / 4) / SR);
    profile[style] = { bpm: last.bpm, hitsPerBar: (hits * 16) / steps.length, swing: mean(pairs) - 1 };
  }
  const names = Object.keys(profile);
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const a = profile[names[i]!]!;
      const b = profile[names[j]!]!;
      const differs = Math.abs(a.bpm - b.bpm) >= 3 || Math.abs(a.hitsPerBar - b.hitsPerBar) / Math.max(a.hitsPerBar, b.hitsPerBar) >= 0.15 || Math.abs(a.swing - b.swing) >= 0.03;
      assert.ok(differs, `${names[i]} and ${names[j]} differ: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    }
  }
  assert.ok(profile['ambient']!.bpm < profile['house']!.bpm && profile['hip-hop']!.swing > 0.1);
  console.log('style profiles (bpm, drum hits per bar, swing):', Object.entries(profile).map(([k, v]) => `${k} ${v.bpm.toFixed(0)} ${v.hitsPerBar.toFixed(1)} ${v.swing.toFixed(2)}`).join('; '));
});

test('valence sets the reported mode; setPrompt changes style at the next bar, smoothly', async () => {
  const happy = openStream('pop', 2);
  await renderPlan(happy, { frames: 2 * SR, chunk: 4096, controlsAt: () => controls({ valence: 1 }) });
  assert.equal(happy.state.mode, 'major');
  const sad = openStream('pop', 2);
  await renderPlan(sad, { frames: 2 * SR, chunk: 4096, controlsAt: () => controls({ valence: -1 }) });
  assert.equal(sad.state.mode, 'minor');

  const stream = openStream('house', 2);
  const { steps } = await renderPlan(stream, {
    frames: 6 * SR,
    chunk: 4096,
    controlsAt: () => controls({ energy: 0.5 }),
    beforeChunk: (start, s) => (start === 40960 ? s.setPrompt('slow ambient drones') : undefined),
  });
  const switchAt = steps.findIndex((s) => s.style === 'ambient');
  assert.ok(switchAt > 0 && steps[switchAt]!.stepInBar === 0 && steps[switchAt]!.sample >= 40960, `switch at step ${switchAt}`);
  assert.ok(steps.slice(0, switchAt).every((s) => s.style === 'house'));
  // The tempo glides from house toward ambient: no quarter note changes by more than 20%.
  const quarters = steps.filter((s) => s.stepInBar % 4 === 0);
  for (let i = 1; i < quarters.length; i++) assert.ok(Math.abs(quarters[i]!.bpm / quarters[i - 1]!.bpm - 1) < 0.2);
  assert.ok(quarters.at(-1)!.bpm < 100, `ambient tempo reached: ${quarters.at(-1)!.bpm}`);
  assert.equal(stream.state.style, 'ambient');
});

/** Offsets (ms) of quarter-note onsets from the nearest beat of the performer's grid. */
function offsetsMs(steps: readonly EmittedStep[], anchor: number, period: number): number[] {
  return steps
    .filter((s) => s.stepInBar % 4 === 0)
    .map((s) => {
      let e = (s.sample - anchor) % period;
      if (e > period / 2) e -= period;
      if (e < -period / 2) e += period;
      return (e / SR) * 1000;
    });
}

test('beat lock: quarter notes converge onto the performer\'s beats (120 BPM, 150 ms off)', async () => {
  const stream = openStream('house at 120 bpm', 4);
  const period = SR / 2;
  const still = controls({ energy: 0.6 });
  const free = await renderPlan(stream, { frames: 4 * SR, chunk: 1024, controlsAt: () => still });
  const firstQuarter = free.steps.find((s) => s.stepInBar === 0)!.sample;
  const anchor = firstQuarter + 0.15 * SR + 100 * period; // a beat in the future, 150 ms after the free grid
  const before = offsetsMs(free.steps, anchor, period);
  const locked = await renderPlan(
    stream,
    { frames: 6 * SR, chunk: 1024, controlsAt: () => controls({ energy: 0.6, beatStrength: 0.9, tempo: 120 }), beatAt: () => ({ anchorSample: anchor, periodSamples: period, strength: 0.9 }) },
    4 * SR,
  );
  const after = offsetsMs(locked.steps, anchor, period);
  const meanAbs = (xs: number[]): number => mean(xs.map(Math.abs));
  console.log(`beat lock: mean |offset| before ${meanAbs(before).toFixed(1)} ms; per beat after: ${after.slice(0, 8).map((x) => x.toFixed(1)).join(', ')} ms`);
  assert.ok(meanAbs(before) > 120, `free-running grid is ~150 ms off: ${meanAbs(before).toFixed(1)}`);
  assert.ok(meanAbs(after.slice(4)) < 15, `after four beats: mean |offset| ${meanAbs(after.slice(4)).toFixed(1)} ms`);
  assert.ok(meanAbs(after.slice(8)) < 3, `after eight beats: ${meanAbs(after.slice(8)).toFixed(1)} ms`);
  assert.equal(stream.state.locked, 1);
  // No audible jumps: every quarter note stays within 15% of the beat period.
  const quarters = locked.steps.filter((s) => s.stepInBar % 4 === 0).map((s) => s.sample);
  for (let i = 1; i < quarters.length; i++) {
    const q = quarters[i]! - quarters[i - 1]!;
    assert.ok(Math.abs(q / period - 1) <= 0.16, `quarter ${i} lasts ${q} samples`);
  }
});

test('beat lock folds a slow performer tempo into the style range (60 BPM dancer -> 120 BPM house)', async () => {
  const stream = openStream('house at 124 bpm', 9);
  const period = SR; // 60 BPM
  const anchor = 12345;
  const { steps } = await renderPlan(stream, {
    frames: 10 * SR,
    chunk: 2048,
    controlsAt: () => controls({ energy: 0.6, beatStrength: 0.9, tempo: 60 }),
    beatAt: () => ({ anchorSample: anchor, periodSamples: period, strength: 0.9 }),
  });
  const late = steps.filter((s) => s.sample > 5 * SR);
  assert.ok(Math.abs(late.at(-1)!.bpm - 120) < 0.5, `tempo ${late.at(-1)!.bpm}`);
  // Every performer beat lands on a quarter note.
  const quarterOffsets = offsetsMs(late, anchor, period / 2);
  assert.ok(mean(quarterOffsets.map(Math.abs)) < 3, `offsets ${quarterOffsets.slice(0, 6).map((x) => x.toFixed(1)).join(', ')}`);
});

test('tempo follows a periodic motion from the controls when no beat grid is given', async () => {
  const stream = openStream('pop', 3);
  const { steps } = await renderPlan(stream, { frames: 8 * SR, chunk: 4096, controlsAt: () => controls({ energy: 0.5, beatStrength: 0.9, tempo: 100 }) });
  assert.ok(Math.abs(steps.at(-1)!.bpm - 100) < 0.5, `tempo ${steps.at(-1)!.bpm}`);
  assert.equal(stream.state.locked, 0);
});

test('lastSteps() and onStep() expose the emitted steps with their sample positions', async () => {
  const stream = new TeacherStream({ prompt: 'rock', seed: 1 });
  const seen: EmittedStep[] = [];
  const stop = stream.onStep((s) => seen.push(s));
  await stream.render({ startSample: 0, frames: SR, controls: [controls()], controlStepSamples: 480, beat: null });
  stop();
  assert.deepEqual(stream.lastSteps(), seen);
  assert.equal(seen[0]!.sample, 0);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.sample > seen[i - 1]!.sample);
  assert.ok(seen.every((s) => s.sample < SR));
  await stream.render({ startSample: SR, frames: SR, controls: [controls()], controlStepSamples: 480, beat: null });
  assert.equal(seen.length, stream.lastSteps()[0]!.step);
});

test('render real-time factor (printed, not asserted)', async () => {
  for (const style of ['house', 'ambient', 'bossa'] as const) {
    const stream = openStream(style, 1);
    const t0 = performance.now();
    await renderPlan(stream, { frames: 6 * SR, chunk: 1024, controlsAt: (n) => controls({ energy: 0.9, armOpenness: 1, valence: n < 3 * SR ? 1 : -1 }) });
    const rtf = (performance.now() - t0) / 1000 / 6;
    console.log(`teacher ${style}: real-time factor ${rtf.toFixed(4)} (6 s of dense 48 kHz stereo in 1024-frame chunks)`);
  }
});
