/**
 * The control pipeline against synthetic performers with known ground truth.
 * Every threshold here is listed, with its reason, in server/controls/README.md ("Tests").
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { C, CONTROL_NAMES, CONTROL_SIZE, NEUTRAL } from '../../protocol/controlVector.js';
import type { LandmarkFrame } from '../../protocol/landmarkTypes.js';
import { ClockSync } from '../../server/controls/clockSync.js';
import { ControlTracker } from '../../server/controls/controlTracker.js';
import { createFaceFeatures, createPoseFeatures, faceFeatures, poseFeatures } from '../../server/controls/features.js';
import {
  dancing,
  framesFor,
  handsJump,
  jittery,
  leavesAndReturns,
  nextBeat,
  nodding,
  performerFromState,
  restState,
  smileRamp,
  smileThenFrown,
  still,
  swingingArms,
  type Performer,
} from '../../harness/performers/synthetic.js';
import { NETWORK_MS, OFFSET_MS, newTracker, run, rowAt, std, value, worstRateUse, type Row } from './helpers.js';

const RATES = ControlTracker.getDefaults().maxRatePerSecond;

/** Signed distance between two times on a circle of one period, in [-P/2, P/2). */
function wrapMs(d: number, period: number): number {
  return d - Math.round(d / period) * period;
}

// -- beat --------------------------------------------------------------------------------

const PERIODIC: [string, Performer][] = [
  ['nodding at 90 BPM', nodding({ bpm: 90 })],
  ['nodding at 120 BPM', nodding({ bpm: 120 })],
  ['swinging arms at 100 BPM', swingingArms({ bpm: 100 })],
];

for (const [label, performer] of PERIODIC) {
  test(`${label}: tempo within 3 BPM after four beats, strength high, next beat within 60 ms`, () => {
    const beat = performer.truth(0).beat!;
    const { rows } = run(performer, { durationMs: 10_000, jitterMs: 4 });
    const fourBeats = 4 * beat.periodMs;
    const at4 = rowAt(rows, fourBeats);
    assert.ok(Math.abs(value(at4, 'tempo') - beat.bpm) <= 3, `tempo ${value(at4, 'tempo')} at four beats`);
    assert.ok(value(at4, 'beatStrength') >= 0.8, `strength ${value(at4, 'beatStrength')} at four beats`);
    let worst = 0;
    for (const r of rows.filter((x) => x.t >= fourBeats)) {
      assert.ok(r.beat !== null, `beat predicted at ${r.t.toFixed(0)} ms`);
      assert.ok(Math.abs(value(r, 'tempo') - beat.bpm) <= 3);
      const nowClient = r.t + NETWORK_MS;
      const predicted = r.beat.nextBeatServerMs - OFFSET_MS;
      assert.ok(predicted >= nowClient - 1e-6, 'the next beat is not in the past');
      worst = Math.max(worst, Math.abs(wrapMs(predicted - nextBeat(beat, nowClient), beat.periodMs)));
      assert.ok(Math.abs(r.beat.periodMs - beat.periodMs) < beat.periodMs * 0.03);
    }
    assert.ok(worst <= 60, `worst next-beat error ${worst.toFixed(1)} ms`);
    // beatPhase is ~0 on the true beats
    for (const t of [6 * beat.periodMs, 7 * beat.periodMs + beat.anchorMs]) {
      const on = nextBeat(beat, t);
      const r = rowAt(rows, on - 20);
      const phaseThen = value(r, 'beatPhase') + (on - r.t - NETWORK_MS) / beat.periodMs;
      assert.ok(Math.abs(phaseThen - Math.round(phaseThen)) < 0.1, `phase ${phaseThen} on a beat`);
    }
    if (label.startsWith('nodding')) {
      assert.ok(value(at4, 'nod') > 0.5, `nod ${value(at4, 'nod')}`);
      assert.ok(value(at4, 'energy') < 0.1, `energy ${value(at4, 'energy')} with a still body`);
    } else {
      assert.ok(value(at4, 'energy') > 0.5, `energy ${value(at4, 'energy')}`);
      assert.ok(value(at4, 'nod') < 0.1, `nod ${value(at4, 'nod')} with a still head`);
    }
  });
}

test('still and jittery performers: no false beat', () => {
  for (const performer of [still(), jittery(still(), { sigma: 0.002, seed: 1 }), jittery(still(), { sigma: 0.005, seed: 2 })]) {
    const { rows } = run(performer, { durationMs: 10_000, jitterMs: 4 });
    const settled = rows.filter((r) => r.t > 1000);
    const maxStrength = Math.max(...settled.map((r) => value(r, 'beatStrength')));
    assert.ok(maxStrength < 0.2, `${performer.name}: beatStrength reached ${maxStrength}`);
    assert.ok(settled.every((r) => r.beat === null), `${performer.name}: no beat predicted`);
    assert.ok(settled.every((r) => value(r, 'tempo') === 100), 'tempo stays at its initial 100');
  }
  const { rows } = run(jittery(still(), { sigma: 0.002 }), { durationMs: 6000 });
  const settled = rows.filter((r) => r.t > 1000);
  assert.ok(Math.max(...settled.map((r) => value(r, 'nod'))) < 0.2, 'no nod from jitter');
  assert.ok(Math.max(...settled.map((r) => value(r, 'energy'))) < 0.1, 'no energy from jitter');
});

// -- expression ----------------------------------------------------------------------------

for (const blendshapes of [false, true]) {
  test(`smile ramp moves valence monotonically from frown to smile (${blendshapes ? 'with blendshapes' : 'geometry only'})`, () => {
    const performer = smileRamp({ startMs: 1500, durationMs: 4000, base: { blendshapes } });
    const { rows } = run(performer, { durationMs: 7000 });
    assert.ok(value(rowAt(rows, 1400), 'valence') < -0.9, `frown ${value(rowAt(rows, 1400), 'valence')}`);
    assert.ok(value(rowAt(rows, 6900), 'valence') > 0.9, `smile ${value(rowAt(rows, 6900), 'valence')}`);
    const during = rows.filter((r) => r.t >= 1000);
    for (let k = 1; k < during.length; k++) {
      const drop = value(during[k - 1], 'valence') - value(during[k], 'valence');
      assert.ok(drop <= 1e-3, `valence fell by ${drop} at ${during[k].t.toFixed(0)} ms`);
    }
    // it tracks the truth with a bounded lag (filters): within 0.25 in mid-ramp (slope 0.5 / s)
    const mid = rowAt(rows, 3500);
    assert.ok(Math.abs(value(mid, 'valence') - performer.truth(mid.t).controls.valence!) < 0.25);
  });
}

test('smile then frown: valence crosses from > 0.9 to < -0.9', () => {
  const { rows } = run(smileThenFrown({ switchMs: 2000 }), { durationMs: 4000 });
  assert.ok(value(rowAt(rows, 1900), 'valence') > 0.9);
  assert.ok(value(rowAt(rows, 3900), 'valence') < -0.9);
});

// -- smoothing -----------------------------------------------------------------------------

test('jitter attenuation: control std at least 3.5x (face) and 2.5x (hands) below the raw feature std', () => {
  const performer = jittery(still({ base: { smile: 0.2, leftHandHeight: 0.4, rightHandHeight: 0.4 } }), { sigma: 0.002, seed: 5 });
  const names = ['valence', 'browRaise', 'headYaw', 'headRoll', 'handHeight', 'armOpenness'] as const;
  const raw: Record<string, number[]> = {};
  const ctl: Record<string, number[]> = {};
  for (const n of names) {
    raw[n] = [];
    ctl[n] = [];
  }
  const tracker = newTracker();
  const ff = createFaceFeatures();
  const pf = createPoseFeatures();
  for (const f of framesFor(performer, { durationMs: 8000 })) {
    const arrival = f.captureTimeMs + OFFSET_MS + NETWORK_MS;
    tracker.push(f, arrival);
    if (f.captureTimeMs < 2000) continue;
    const v = tracker.current(arrival);
    faceFeatures(f.face, 4 / 3, ff);
    poseFeatures(f.pose, 4 / 3, 0.5, 1.3, pf);
    const r: Record<string, number> = {
      valence: ff.valence, browRaise: ff.browRaise, headYaw: ff.headYaw, headRoll: ff.headRoll,
      handHeight: pf.handHeight, armOpenness: pf.armOpenness,
    };
    for (const n of names) {
      raw[n].push(r[n]);
      ctl[n].push(v[C[n]]);
    }
  }
  const ratios = names.map((n) => `${n} ${(std(raw[n]) / std(ctl[n])).toFixed(1)}x`);
  console.log(`jitter attenuation (sigma 0.002): ${ratios.join(', ')}`);
  for (const n of names) {
    const need = n === 'handHeight' || n === 'armOpenness' ? 2.5 : 3.5;
    assert.ok(std(raw[n]) / std(ctl[n]) >= need, `${n}: raw ${std(raw[n])} vs control ${std(ctl[n])}`);
  }
});

test('a real step (hands from hips to above the head) settles within 10 % in 300 ms, without overshoot', () => {
  const { rows } = run(handsJump({ atMs: 3000, from: 0, to: 1 }), { durationMs: 4500 });
  assert.ok(value(rowAt(rows, 2960), 'handHeight') < 0.05);
  const settled = rows.find((r) => r.t >= 3000 && value(r, 'handHeight') >= 0.9)!;
  console.log(`step settles to 90 % after ${(settled.t - 3000).toFixed(0)} ms`);
  assert.ok(settled.t - 3000 <= 300, `settled after ${settled.t - 3000} ms`);
  assert.ok(rows.filter((r) => r.t >= 3300).every((r) => value(r, 'handHeight') >= 0.9 && value(r, 'handHeight') <= 1));
  assert.ok(worstRateUse(rows, RATES).use <= 1, 'even a real step moves at most at the max rate');
});

test('scale invariance: the same dancer near and far gives the same controls (within 0.01)', () => {
  const near = run(dancing({ bpm: 110, base: { shoulderWidth: 0.35, x: 0.55, y: 0.45 } }), { durationMs: 6000, jitterMs: 3 }).rows;
  const far = run(dancing({ bpm: 110, base: { shoulderWidth: 0.15, x: 0.4, y: 0.5 } }), { durationMs: 6000, jitterMs: 3 }).rows;
  let worst = 0;
  let worstName = '';
  for (let k = 0; k < near.length; k++) {
    for (let i = 0; i < CONTROL_SIZE; i++) {
      let d = Math.abs(near[k].v[i] - far[k].v[i]);
      if (i === C.beatPhase) d = Math.min(d, 1 - d);
      if (d > worst) {
        worst = d;
        worstName = CONTROL_NAMES[i];
      }
    }
  }
  assert.ok(worst < 0.01, `${worstName} differs by ${worst}`);
});

// -- dropouts ------------------------------------------------------------------------------

test('leaving and coming back: rate-bounded glides, NEUTRAL while away, presence 1 -> 0 -> 1', () => {
  const performer = leavesAndReturns(
    still({ base: { smile: 0.9, browRaise: 0.6, yaw: 0.3, leftHandHeight: 0.9, rightHandHeight: 0.9, wristSpread: 2.5 } }),
    { leaveMs: 3000, returnMs: 7000 },
  );
  const { rows } = run(performer, { durationMs: 10_000, jitterMs: 4 });
  const rate = worstRateUse(rows, RATES);
  assert.ok(rate.use <= 1, `${rate.name} moved ${rate.use.toFixed(2)}x its max rate`);
  assert.ok(value(rowAt(rows, 2900), 'presence') > 0.99);
  assert.ok(value(rowAt(rows, 2900), 'valence') > 0.85);
  // glide-out: 1.5 s smoothstep from the first empty frame: half way after 0.75 s
  const half = value(rowAt(rows, 3750), 'presence');
  assert.ok(half > 0.35 && half < 0.65, `presence ${half} half-way through the glide`);
  for (const r of rows.filter((x) => x.t >= 5000 && x.t < 7000)) {
    for (const name of CONTROL_NAMES) {
      assert.ok(Math.abs(value(r, name) - NEUTRAL[name]) < 1e-3, `${name} = ${value(r, name)} at ${r.t.toFixed(0)} ms while away`);
    }
  }
  const back = rowAt(rows, 8000);
  assert.ok(value(back, 'presence') > 0.99, `presence ${value(back, 'presence')} 1 s after returning`);
  assert.ok(Math.abs(value(back, 'valence') - 0.9) < 0.05 && Math.abs(value(back, 'handHeight') - 0.9) < 0.05);
});

test('coming back in mid-glide with another face: the rate limit keeps it a glide', () => {
  // away for 0.6 s (the glide-out is 1.5 s): returns frowning instead of smiling
  const performer = performerFromState('changes while away', (t) => ({
    ...restState(),
    smile: t < 3000 ? 0.9 : -0.9,
    leftHandHeight: t < 3000 ? 0.9 : 0.1,
    rightHandHeight: t < 3000 ? 0.9 : 0.1,
    faceVisible: !(t >= 3000 && t < 3600),
    bodyVisible: !(t >= 3000 && t < 3600),
  }));
  const { rows } = run(performer, { durationMs: 6000, jitterMs: 4 });
  const rate = worstRateUse(rows, RATES);
  assert.ok(rate.use <= 1, `${rate.name} moved ${rate.use.toFixed(2)}x its max rate`);
  assert.ok(rate.use > 0.9, 'the limit was needed here (the glide alone would jump)');
  assert.ok(value(rowAt(rows, 5000), 'valence') < -0.85);
});

test('frames stop arriving: after 300 ms the controls glide to NEUTRAL (queried between frames), then back', () => {
  const performer = still({ base: { smile: -0.8, leftHandHeight: 0.8, rightHandHeight: 0.8 } });
  const tracker = newTracker();
  const rows: { t: number; v: Float32Array }[] = [];
  const frames = Array.from(framesFor(performer, { durationMs: 9000 })).filter((f) => f.captureTimeMs < 3000 || f.captureTimeMs >= 6000);
  let next = 0;
  for (let t = 0; t < 9000; t += 10) {
    while (next < frames.length && frames[next].captureTimeMs <= t) {
      tracker.push(frames[next], frames[next].captureTimeMs + OFFSET_MS + NETWORK_MS);
      next++;
    }
    // the output changes when a frame comes (by at most rate x frame interval) and, once no frame has
    // come for 300 ms, glides continuously: its own time is the newest frame's, or now once stale
    const newest = tracker.newestCaptureMs!;
    rows.push({ t: t - newest > 300 ? t : newest, v: tracker.current(t + OFFSET_MS) });
  }
  const rate = worstRateUse(rows, RATES);
  assert.ok(rate.use <= 1, `${rate.name} moved ${rate.use.toFixed(2)}x its max rate`);
  const at = (t: number): Float32Array => rows.find((r) => r.t >= t)!.v;
  assert.ok(at(3250)[C.presence] > 0.99, 'held through a short gap');
  assert.ok(at(3250)[C.valence] < -0.75);
  assert.ok(at(5500)[C.presence] < 1e-3 && Math.abs(at(5500)[C.valence]) < 1e-3 && Math.abs(at(5500)[C.handHeight] - NEUTRAL.handHeight) < 1e-3);
  assert.ok(at(7000)[C.presence] > 0.99 && at(7000)[C.valence] < -0.75);
});

test('pose without a visible wrist or without a face: only the affected controls glide to neutral', () => {
  const performer = performerFromState('hides hands, then face', (t) => ({
    ...restState(),
    smile: 0.8,
    leftHandHeight: 0.9,
    rightHandHeight: 0.9,
    wristVisibility: t >= 2000 && t < 5000 ? 0.2 : 0.95,
    faceVisible: !(t >= 6000),
  }));
  const { rows } = run(performer, { durationMs: 9000 });
  assert.ok(worstRateUse(rows, RATES).use <= 1);
  const hidden = rowAt(rows, 4500);
  assert.ok(Math.abs(value(hidden, 'handHeight') - NEUTRAL.handHeight) < 1e-3, `handHeight ${value(hidden, 'handHeight')}`);
  assert.ok(value(hidden, 'valence') > 0.75 && value(hidden, 'presence') > 0.99, 'the face is unaffected');
  const noFace = rowAt(rows, 8500);
  assert.ok(Math.abs(value(noFace, 'valence')) < 1e-3 && value(noFace, 'presence') > 0.99, 'body still there');
  assert.ok(value(noFace, 'handHeight') > 0.85, 'hands back');
  for (const r of rows) assert.ok(Array.from(r.v).every(Number.isFinite));
});

// -- order ---------------------------------------------------------------------------------

function clean(performer: Performer, durationMs: number): { frames: LandmarkFrame[]; byNewest: Map<number, Float32Array> } {
  const frames = Array.from(framesFor(performer, { durationMs, jitterMs: 4, seed: 3 }));
  const tracker = newTracker();
  const byNewest = new Map<number, Float32Array>();
  for (const f of frames) {
    tracker.push(f, f.captureTimeMs + OFFSET_MS + NETWORK_MS);
    byNewest.set(f.seq, tracker.current(f.captureTimeMs + OFFSET_MS + NETWORK_MS));
  }
  return { frames, byNewest };
}

test('swapped frames are reordered and give exactly the in-order result', () => {
  const { frames, byNewest } = clean(dancing({ bpm: 110 }), 6000);
  const order = frames.slice();
  for (let i = 10; i + 1 < order.length; i += 7) [order[i], order[i + 1]] = [order[i + 1], order[i]];
  for (let i = 40; i + 2 < order.length; i += 50) order.splice(i, 3, order[i + 2], order[i], order[i + 1]); // two back
  const tracker = newTracker();
  const results = new Map<string, number>();
  let maxSeq = -1;
  const seen = new Set<number>();
  let compared = 0;
  for (const f of order) {
    const result = tracker.push(f, f.captureTimeMs + OFFSET_MS + NETWORK_MS + 40);
    results.set(result, (results.get(result) ?? 0) + 1);
    seen.add(f.seq);
    maxSeq = Math.max(maxSeq, f.seq);
    if (seen.size === maxSeq + 1) {
      const newest = frames[maxSeq];
      const v = tracker.current(newest.captureTimeMs + OFFSET_MS + NETWORK_MS);
      const want = byNewest.get(maxSeq)!;
      for (let i = 0; i < CONTROL_SIZE; i++) assert.ok(Math.abs(v[i] - want[i]) < 1e-5, `${CONTROL_NAMES[i]} after seq ${maxSeq}`);
      compared++;
    }
  }
  assert.equal(results.get('stale') ?? 0, 0);
  assert.ok((results.get('reordered') ?? 0) >= 25, `reordered ${results.get('reordered')}`);
  assert.equal(tracker.counts.reordered, results.get('reordered'));
  assert.ok(compared > frames.length * 0.8);
});

test('duplicates, frames too old for the window and frames arriving too late are dropped without a trace', () => {
  const { frames, byNewest } = clean(dancing({ bpm: 110 }), 5000);
  const tracker = newTracker();
  const rows: Row[] = [];
  let worst = 0;
  for (let k = 0; k < frames.length; k++) {
    const f = frames[k];
    const arrival = f.captureTimeMs + OFFSET_MS + NETWORK_MS;
    // every 8th frame is lost in transit and turns up 6 frames later (beyond the 2-frame window)
    if (k % 8 === 3) continue;
    assert.equal(tracker.push(f, arrival), 'accepted');
    if (k >= 6 && (k - 6) % 8 === 3) assert.equal(tracker.push(frames[k - 6], arrival), 'stale');
    if (k % 5 === 0) assert.equal(tracker.push(f, arrival + 5), 'duplicate');
    const v = tracker.current(arrival);
    rows.push({ seq: f.seq, t: f.captureTimeMs, result: 'accepted', v, beat: null });
    for (let i = 0; i < CONTROL_SIZE; i++) {
      if (i === C.beatPhase) continue;
      worst = Math.max(worst, Math.abs(v[i] - byNewest.get(f.seq)![i]) / (i === C.tempo ? 120 : 1));
    }
  }
  // a frame that arrives 1.5 s after capture is too late to matter
  const last = frames[frames.length - 1];
  const late = { ...last, seq: last.seq + 1, captureTimeMs: last.captureTimeMs + 33 };
  assert.equal(tracker.push(late, late.captureTimeMs + OFFSET_MS + 1500), 'stale');
  assert.equal(tracker.newestSeq, last.seq);
  assert.equal(tracker.newestCaptureMs, last.captureTimeMs);
  // a non-increasing capture time with a higher seq is refused too
  assert.equal(tracker.push({ ...last, seq: last.seq + 2 }, last.captureTimeMs + OFFSET_MS + NETWORK_MS), 'stale');
  assert.ok(worstRateUse(rows, RATES).use <= 1, 'no spikes');
  // losing 1 frame in 8 changes the controls only a little (fraction of range)
  assert.ok(worst < 0.05, `worst difference to the clean run ${worst}`);
  assert.ok(tracker.counts.duplicate > 20 && tracker.counts.stale > 15);
});

// -- clocks --------------------------------------------------------------------------------

test('with a ClockSync the beat lands on the server clock; before any ping the arrival estimate is used', () => {
  const clientOffset = 123_456; // client clock = performer time + 123456; server clock = performer time
  const clock = new ClockSync();
  const tracker = new ControlTracker({ clock });
  const performer = nodding({ bpm: 100 });
  const beat = performer.truth(0).beat!;
  let pings = 0;
  for (const f of framesFor(performer, { durationMs: 8000, clockOffsetMs: clientOffset })) {
    const serverNow = f.captureTimeMs - clientOffset + 25;
    assert.notEqual(tracker.push(f, serverNow), 'stale');
    if (f.captureTimeMs - clientOffset > 1000 && pings < 20) {
      // server pings: 10 ms out, 1 ms processing, 10 ms back
      clock.addSample(serverNow, serverNow + 10 + clientOffset, serverNow + 11 + clientOffset, serverNow + 21);
      pings++;
    }
    if (f.captureTimeMs - clientOffset < 900) {
      assert.ok(Math.abs(tracker.clockOffsetMs - (25 - clientOffset)) < 1e-6, 'arrival-based offset before any ping');
    }
  }
  assert.equal(tracker.clockOffsetMs, -clientOffset);
  const now = 8000;
  const predicted = tracker.beat(now)!;
  assert.ok(predicted !== null);
  const err = wrapMs(predicted.nextBeatServerMs - nextBeat(beat, now), beat.periodMs);
  assert.ok(Math.abs(err) <= 60, `beat error ${err} ms on the server clock`);
  assert.ok(tracker.current(now)[C.presence] > 0.99);
});

// -- resampling ----------------------------------------------------------------------------

/** Hands rising at 0.2 handHeight per second from 0.1 (t = 1 s) to 0.9 (t = 5 s). */
const ramp = performerFromState('hand ramp', (t) => {
  const h = 0.1 + 0.2 * Math.min(4, Math.max(0, t / 1000 - 1));
  return { ...restState(), leftHandHeight: h, rightHandHeight: h };
});

test('resample: hold repeats current(); beatPhase advances with the tracked tempo', () => {
  const { tracker } = run(nodding({ bpm: 120 }), { durationMs: 5000 });
  const now = 5000 + OFFSET_MS;
  const cur = tracker.current(now);
  const steps = tracker.resample(now, 20, 25);
  assert.equal(steps.length, 25);
  for (let j = 0; j < 25; j++) {
    for (let i = 0; i < CONTROL_SIZE; i++) if (i !== C.beatPhase) assert.equal(steps[j][i], cur[i]);
    const expected = (cur[C.beatPhase] + (j * 20) / 500) % 1;
    const d = Math.abs(steps[j][C.beatPhase] - expected);
    assert.ok(Math.min(d, 1 - d) < 1e-3, `step ${j}: phase ${steps[j][C.beatPhase]} vs ${expected}`);
  }
  assert.deepEqual(Array.from(tracker.resample(now, 20, 3, 'hold')[1]), Array.from(steps[1]));
});

test('resample: delayed-linear replays the recent output exactly, count * stepMs late', () => {
  const tracker = newTracker();
  const trace: { t: number; v: number }[] = [];
  for (const f of framesFor(ramp, { durationMs: 4000 })) {
    tracker.push(f, f.captureTimeMs + OFFSET_MS + NETWORK_MS);
    trace.push({ t: f.captureTimeMs, v: tracker.current(f.captureTimeMs + OFFSET_MS)[C.handHeight] });
  }
  const nowClient = 4000;
  const step = 20;
  const count = 10;
  const steps = tracker.resample(nowClient + OFFSET_MS, step, count, 'delayed-linear');
  for (let j = 0; j < count; j++) {
    const t = nowClient - (count - j) * step;
    assert.ok(Math.abs(steps[j][C.handHeight] - interpolate(trace, t)) < 1e-5, `step ${j}`);
  }
  // the replayed ramp has the performer's slope (0.2 / s) and lags it by the delay plus the filter lag
  // (the newest frame is at 3967 ms: compare over the steps before it)
  const slope = (steps[count - 2][C.handHeight] - steps[0][C.handHeight]) / (((count - 2) * step) / 1000);
  assert.ok(Math.abs(slope - 0.2) < 0.01, `slope ${slope}`);
  const truthAt = (t: number): number => ramp.truth(t).controls.handHeight!;
  const lagMs = (truthAt(nowClient - count * step) - steps[0][C.handHeight]) / 0.2 * 1000;
  assert.ok(lagMs > 0 && lagMs < 250, `filter lag ${lagMs} ms on top of the ${count * step} ms delay`);
});

test('resample: extrapolate continues a ramp (and beats hold on it), clamped to the range', () => {
  const tracker = newTracker();
  const later = newTracker();
  const trace: { t: number; v: number }[] = [];
  const frames = Array.from(framesFor(ramp, { durationMs: 5500 }));
  for (const f of frames) {
    later.push(f, f.captureTimeMs + OFFSET_MS + NETWORK_MS);
    trace.push({ t: f.captureTimeMs, v: later.current(f.captureTimeMs + OFFSET_MS)[C.handHeight] });
    if (f.captureTimeMs <= 3000) tracker.push(f, f.captureTimeMs + OFFSET_MS + NETWORK_MS);
  }
  const now = 3000 + NETWORK_MS + OFFSET_MS;
  const ext = tracker.resample(now, 20, 10, 'extrapolate');
  const hold = tracker.resample(now, 20, 10, 'hold');
  let extErr = 0;
  let holdErr = 0;
  for (let j = 0; j < 10; j++) {
    // what the tracker said once the frames up to that time had arrived
    const truthOut = interpolate(trace, now - OFFSET_MS + j * 20);
    extErr = Math.max(extErr, Math.abs(ext[j][C.handHeight] - truthOut));
    holdErr = Math.max(holdErr, Math.abs(hold[j][C.handHeight] - truthOut));
  }
  assert.ok(extErr < 0.01, `extrapolation error ${extErr}`);
  assert.ok(holdErr > 3 * extErr, `hold error ${holdErr} vs extrapolate ${extErr}`);
  // at the top of the ramp extrapolation stops at the range limit
  const top = newTracker({ maxExtrapolationMs: 5000 });
  for (const f of frames) if (f.captureTimeMs <= 4900) top.push(f, f.captureTimeMs + OFFSET_MS + NETWORK_MS);
  const far = top.resample(4900 + OFFSET_MS, 100, 40, 'extrapolate');
  assert.ok(far.every((v) => v[C.handHeight] <= 1 && v[C.handHeight] >= 0));
});

/** Linear interpolation in a (time, value) trace; held past its end. */
function interpolate(trace: { t: number; v: number }[], t: number): number {
  const k = trace.findIndex((p) => p.t >= t);
  if (k < 0) return trace[trace.length - 1].v;
  if (k === 0) return trace[0].v;
  const a = trace[k - 1];
  const b = trace[k];
  return a.v + ((t - a.t) / (b.t - a.t)) * (b.v - a.v);
}

// -- cost ----------------------------------------------------------------------------------

test('cost of push() (printed, not asserted)', () => {
  const frames = Array.from(framesFor(jittery(dancing({ bpm: 110 })), { durationMs: 100_000, jitterMs: 4 }));
  const tracker = newTracker();
  for (const f of frames.slice(0, 300)) tracker.push(f, f.captureTimeMs + OFFSET_MS + NETWORK_MS);
  const rest = frames.slice(300);
  const start = process.hrtime.bigint();
  for (const f of rest) tracker.push(f, f.captureTimeMs + OFFSET_MS + NETWORK_MS);
  const us = Number(process.hrtime.bigint() - start) / 1000 / rest.length;
  const cStart = process.hrtime.bigint();
  for (let k = 0; k < 1000; k++) tracker.current(100_000 + OFFSET_MS);
  const usCurrent = Number(process.hrtime.bigint() - cStart) / 1000 / 1000;
  console.log(`push(): ${us.toFixed(1)} us per frame over ${rest.length} frames; current(): ${usCurrent.toFixed(1)} us`);
  assert.equal(tracker.counts.accepted, frames.length);
});

test('a client that tracks slowly (3 fps) never flickers out between its frames', () => {
  const tracker = newTracker();
  let minPresence = Infinity;
  for (const f of framesFor(still(), { fps: 3, durationMs: 6000, seed: 7 })) {
    const arrival = f.captureTimeMs + OFFSET_MS + NETWORK_MS;
    tracker.push(f, arrival);
    if (f.captureTimeMs < 2000) continue;
    // Between frames (333 ms apart), where a fixed 300 ms stale limit would start gliding out.
    for (const dt of [0, 200, 320]) minPresence = Math.min(minPresence, tracker.current(arrival + dt)[C.presence]!);
  }
  assert.ok(minPresence > 0.95, `presence dipped to ${minPresence.toFixed(3)} between frames`);
});
