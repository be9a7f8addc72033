/**
 * The default pack's training data (`npm run data:symbolic`): performer-like control
 * trajectories, held-out caption wordings, the teacher's tokens under them, and the files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { C, CONTROL_RANGES, CONTROL_SIZE } from '../../protocol/controlVector.js';
import { Rng } from '../../server/generation/rng.js';
import { readPrompt } from '../../server/generation/symbolic/prompt.js';
import { STYLE_NAMES } from '../../server/generation/symbolic/styleNames.js';
import { TeacherComposer } from '../../server/generation/symbolic/teacher.js';
import { CHORD_INTERVALS, decodeStep, isValidToken } from '../../server/generation/symbolic/tokens.js';
import { REPO_ROOT } from '../../server/paths.js';
import { MusicCaptions } from '../../scripts/dataset/musicCaptions.js';
import { performerTrajectory } from '../../scripts/dataset/performerControls.js';
import { makeClip } from '../../scripts/dataset/symbolicClips.js';

test('performer trajectories stay in range, glide, and dance to the music\'s beat', () => {
  for (let seed = 0; seed < 20; seed++) {
    const { controls } = performerTrajectory({ steps: 400, bpm: 120 }, new Rng(seed));
    for (let t = 0; t < 400; t++) {
      for (let c = 0; c < CONTROL_SIZE; c++) {
        const v = controls[t * CONTROL_SIZE + c]!;
        assert.ok(v >= CONTROL_RANGES[c]![0] && v <= CONTROL_RANGES[c]![1], `step ${t} control ${c} = ${v}`);
      }
      if (t > 0) {
        const jump = Math.abs(controls[t * CONTROL_SIZE + C.energy]! - controls[(t - 1) * CONTROL_SIZE + C.energy]!);
        assert.ok(jump < 0.35, `energy jumps by ${jump} in one 16th note`);
      }
    }
  }
  const dance = performerTrajectory({ steps: 256, bpm: 120, moves: ['dance'], leaveChance: 0 }, new Rng(3)).controls;
  const late = (c: number) => Array.from({ length: 128 }, (_, i) => dance[(128 + i) * CONTROL_SIZE + c]!);
  assert.ok(late(C.beatStrength).every((v) => v > 0.4), 'a dancer is periodic');
  // The music's tempo, half or double time (double time 240 is clamped to the control's 180).
  assert.ok(late(C.tempo).every((v) => [60, 120, 180].some((t) => Math.abs(v - t) < 0.1 * t)), 'the motion tempo converges on the music');
});

test('performers often keep a mood for a whole clip: a sad face held for half of it is common, not a 1-in-70 accident', () => {
  let sad = 0;
  let happy = 0;
  const n = 400;
  for (let seed = 0; seed < n; seed++) {
    const { controls } = performerTrajectory({ steps: 320, bpm: 110 }, new Rng(1000 + seed));
    let below = 0;
    let above = 0;
    for (let t = 0; t < 320; t++) {
      const v = controls[t * CONTROL_SIZE + C.valence]!;
      if (v < -0.5) below++;
      if (v > 0.5) above++;
    }
    if (below >= 160) sad++;
    if (above >= 160) happy++;
  }
  // Each move drawing its own valence gave 1.4% of clips either way (measured on 3,300 clips).
  assert.ok(sad / n > 0.05 && happy / n > 0.05, `clips holding a mood for half their length: sad ${sad}, happy ${happy} of ${n}`);
});

test('captions read back to their style; the test split uses sentences the train split never does', () => {
  const captions = new MusicCaptions();
  const rng = new Rng(1);
  const firstWords = { train: new Set<string>(), test: new Set<string>() };
  for (const split of ['train', 'test'] as const) {
    for (let i = 0; i < 400; i++) {
      const style = STYLE_NAMES[i % STYLE_NAMES.length]!;
      const c = captions.write({ style, valence: rng.next() * 2 - 1, energy: rng.next() }, split, rng, 0);
      assert.equal(readPrompt(c).style, style, c);
      firstWords[split].add(c.split(' ').slice(0, 2).join(' '));
    }
  }
  for (const opener of ['i want', 'play happy', 'play sad']) assert.ok(!firstWords.train.has(opener), `"${opener}..." is held out`);
  assert.ok([...firstWords.test].some((w) => w.startsWith('i want')));
});

test('a clip is deterministic, and its tokens are the teacher\'s under its controls', () => {
  const a = makeClip({ seed: 9, index: 4, steps: 128, split: 'train' });
  const b = makeClip({ seed: 9, index: 4, steps: 128, split: 'train' });
  assert.deepEqual(a, b);
  assert.equal(readPrompt(a.caption).style, a.style);
  for (let t = 0; t < 128; t++) for (let k = 0; k < 4; k++) assert.ok(isValidToken(k, a.tokens[t * 4 + k]!));
  assert.notDeepEqual(makeClip({ seed: 9, index: 5, steps: 128, split: 'train' }).tokens, a.tokens);
});

test('the teacher adds sevenths when the arms open and strips them when they fold', () => {
  const share = (arms: number): number => {
    let sevenths = 0;
    let chords = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const composer = new TeacherComposer({ seed, prompt: readPrompt('pop') });
      for (let t = 0; t < 256; t++) {
        const e = decodeStep(composer.next({ valence: 0.3, energy: 0.6, handHeight: 0.5, armOpenness: arms, presence: 1, beatStrength: 0 }).tokens).harmony;
        if (e.type !== 'chord') continue;
        chords++;
        if (CHORD_INTERVALS[e.quality].length === 4) sevenths++;
      }
    }
    return sevenths / chords;
  };
  const folded = share(0.05);
  const open = share(0.95);
  assert.ok(open > 0.8, `arms open: ${open} of chords are sevenths`);
  assert.ok(folded < 0.05, `arms folded: ${folded} of chords are sevenths`);
});

test('npm run data:symbolic -- --part I/N: the parts, concatenated file by file, are the one-process dataset', { timeout: 60_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'expotion-data-'));
  try {
    const script = join(REPO_ROOT, 'dist/scripts/dataSymbolic.js');
    const write = (dir: string, part: string[]): void => {
      execFileSync(process.execPath, [script, '--hours', '0.05', '--seed', '4', '--steps', '64', '--out', join(out, dir), ...part], { stdio: 'pipe' });
    };
    write('whole', []);
    for (const i of [0, 1, 2]) write(`part${i}`, ['--part', `${i}/3`]);
    for (const split of ['train', 'valid', 'test']) {
      for (const ext of ['tokens.u8', 'controls.f32', 'text.i32', 'jsonl']) {
        const parts = Buffer.concat([0, 1, 2].map((i) => readFileSync(join(out, `part${i}`, `${split}.${ext}`))));
        assert.ok(parts.equals(readFileSync(join(out, 'whole', `${split}.${ext}`))), `${split}.${ext}`);
      }
    }
    const metas = [0, 1, 2].map((i) => JSON.parse(readFileSync(join(out, `part${i}`, 'meta.json'), 'utf8')));
    assert.deepEqual(metas.map((m) => m.part), [[0, 3], [1, 3], [2, 3]]);
    assert.equal(metas.reduce((n, m) => n + m.clips.train, 0), JSON.parse(readFileSync(join(out, 'whole', 'meta.json'), 'utf8')).clips.train);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('npm run data:symbolic writes the documented files, and refuses bad options', { timeout: 60_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'expotion-data-'));
  try {
    const script = join(REPO_ROOT, 'dist/scripts/dataSymbolic.js');
    execFileSync(process.execPath, [script, '--hours', '0.05', '--seed', '4', '--steps', '64', '--out', out], { stdio: 'pipe' });
    const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8'));
    assert.equal(meta.steps, 64);
    for (const split of ['train', 'valid', 'test'] as const) {
      const n = meta.clips[split] as number;
      assert.ok(n > 0);
      assert.equal(statSync(join(out, `${split}.tokens.u8`)).size, n * 64 * 4);
      assert.equal(statSync(join(out, `${split}.controls.f32`)).size, n * 64 * CONTROL_SIZE * 4);
      assert.equal(statSync(join(out, `${split}.text.i32`)).size, n * meta.text.tokens * 4);
      assert.equal(readFileSync(join(out, `${split}.jsonl`), 'utf8').trim().split('\n').length, n);
    }
    assert.throws(() => execFileSync(process.execPath, [script, '--hours', 'lots', '--seed', '1', '--out', out], { stdio: 'pipe' }), /--hours must be a positive number/);
    for (const part of ['3/3', '1/0', 'half']) {
      assert.throws(() => execFileSync(process.execPath, [script, '--hours', '0.05', '--seed', '4', '--out', out, '--part', part], { stdio: 'pipe' }), /--part must be I\/N/);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
