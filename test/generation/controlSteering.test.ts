/**
 * The control steering (server/generation/symbolic/controlSteering.ts): the teacher's control
 * rules (valence -> mode, hand height -> lead register, arm openness -> sevenths, energy ->
 * density) applied softly to a neural pack's logits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTROL_STEERING_DEFAULTS, ControlSteering, type ControlSteeringOptions } from '../../server/generation/symbolic/controlSteering.js';
import { readPrompt } from '../../server/generation/symbolic/prompt.js';
import type { ComposerControls } from '../../server/generation/symbolic/stepSource.js';
import { HOLD, REST, SYMBOLIC_VOCAB as V, encodeStep, type ChordQuality } from '../../server/generation/symbolic/tokens.js';
import { softmax } from './helpers.js';

const reading = readPrompt('a pop song');
const calm: ComposerControls = { valence: 0, energy: 0.5, handHeight: 0.5, armOpenness: 0.4, presence: 1, beatStrength: 0 };

/** A row as the valid-range mask leaves it for `codebook`: its stream's tokens at 0, the rest masked. */
function flatRow(codebook: number): Float32Array {
  const [lo, hi] = V.ranges[V.streams[codebook]!];
  const row = new Float32Array(V.size).fill(-Infinity);
  row.fill(0, lo, hi + 1);
  return row;
}

/** Steering that has followed `controls` for `steps` steps and heard A as the bass's home. */
function steered(controls: Partial<ComposerControls>, options: ControlSteeringOptions = {}, steps = 64): ControlSteering {
  const s = new ControlSteering(options);
  for (let i = 0; i < steps; i++) {
    s.follow({ ...calm, ...controls }, reading, 'pop');
    s.hear(encodeStep({ drums: 0, bass: i % 4 === 0 ? { type: 'note', pitch: 33 } : HOLD, harmony: i % 16 === 0 ? { type: 'chord', root: 9, quality: 'min' } : HOLD, lead: REST }));
  }
  return s;
}

const leadId = (pitch: number): number => encodeStep({ drums: 0, bass: REST, harmony: REST, lead: { type: 'note', pitch } })[3];
const chordId = (root: number, quality: ChordQuality): number => encodeStep({ drums: 0, bass: REST, harmony: { type: 'chord', root, quality }, lead: REST })[2];

test('valence sets the mode over the heard tonic: happy takes from the minor third, sad from the major third, with hysteresis', { timeout: 10_000 }, () => {
  const happy = steered({ valence: 0.8 }, { register: 0 });
  assert.equal(happy.tonic, 9, 'A, where the bass dwells');
  assert.equal(happy.mode, 'major');
  let row = flatRow(3);
  happy.process(row, 3);
  const cost = CONTROL_STEERING_DEFAULTS.mode;
  assert.ok(Math.abs(row[leadId(73)]! - row[leadId(72)]! - cost) < 1e-6, `C (the minor third over A) costs ${cost} logits against C#`);
  assert.equal(row[leadId(69)], row[leadId(73)], 'the tonic and the major third are not touched');

  const sad = steered({ valence: -0.8 });
  assert.equal(sad.mode, 'minor');
  row = flatRow(2);
  sad.process(row, 2);
  assert.ok(row[chordId(9, 'min')]! > row[chordId(9, 'maj')]! + cost - 0.1, 'A minor over A major');
  assert.ok(row[chordId(4, 'maj')]! < row[chordId(4, 'min')]! - cost + 0.1, 'E major (G#, the major seventh) under E minor');

  // Inside the threshold the mode stays where it was.
  for (let i = 0; i < 64; i++) sad.follow({ ...calm, valence: 0.1 }, reading, 'pop');
  assert.equal(sad.mode, 'minor');
});

test('before a tonic is heard the mode changes nothing; before any controls nothing is steered', { timeout: 10_000 }, () => {
  const fresh = new ControlSteering({ register: 0 });
  const row = flatRow(3);
  fresh.process(row, 3);
  assert.deepEqual([...row], [...flatRow(3)], 'no controls yet');
  fresh.follow({ ...calm, valence: 0.9 }, reading, 'pop');
  assert.equal(fresh.tonic, null);
  fresh.process(row, 3);
  assert.equal(row[leadId(72)], row[leadId(73)], 'no tonic: C and C# alike');
});

test('hands up pull the lead up, hands down pull it down', { timeout: 10_000 }, () => {
  const meanPitch = (hand: number): number => {
    const row = flatRow(3);
    steered({ handHeight: hand }).process(row, 3);
    const p = softmax(row);
    let sum = 0;
    let weight = 0;
    for (let pitch = V.leadPitchRange[0]; pitch <= V.leadPitchRange[1]; pitch++) {
      sum += p[leadId(pitch)]! * pitch;
      weight += p[leadId(pitch)]!;
    }
    return sum / weight;
  };
  const low = meanPitch(0);
  const high = meanPitch(1);
  assert.ok(high > low + 12, `mean lead pitch: hands up ${high.toFixed(1)}, hands down ${low.toFixed(1)}`);
});

test('arms wide give a triad\'s probability to its seventh chord, arms folded take it back', { timeout: 10_000 }, () => {
  const wide = steered({ armOpenness: 0.95 }, { mode: 0, colour: 0.8 });
  assert.equal(wide.colour, 1);
  let p = flatRow(2);
  wide.process(p, 2);
  let q = softmax(p);
  assert.ok(Math.abs(q[chordId(9, 'm7')]! / q[chordId(9, 'min')]! - 1.8 / 0.2) < 1e-3, 'A minor gives 0.8 of its share to Am7');

  const folded = steered({ armOpenness: 0.05 }, { mode: 0, colour: 0.8 });
  assert.equal(folded.colour, -1);
  p = flatRow(2);
  folded.process(p, 2);
  q = softmax(p);
  assert.ok(q[chordId(9, 'min')]! > 4 * q[chordId(9, 'm7')]!, 'Am7 gives its share to A minor');
});

test('energy fills or thins every stream: more drum voices and onsets when high, rests when low', { timeout: 10_000 }, () => {
  const hitShare = (energy: number, codebook: number, id: (row: number[]) => number): number => {
    const row = flatRow(codebook);
    steered({ energy }).process(row, codebook);
    return id(softmax(row));
  };
  const busyDrums = (p: number[]): number => p.slice(0, 64).reduce((a, x, m) => a + x * [...m.toString(2)].filter((b) => b === '1').length, 0);
  assert.ok(hitShare(1, 0, busyDrums) > 1.5 * hitShare(0, 0, busyDrums), 'drum voices per step');
  const bassRest = (p: number[]): number => p[V.rest.bass]!;
  assert.ok(hitShare(0, 1, bassRest) > 2 * hitShare(1, 1, bassRest), 'bass rests');
});

test('strengths are checked: out of range or not a number is refused, 0 turns a rule off', { timeout: 10_000 }, () => {
  assert.throws(() => new ControlSteering({ colour: 1.5 }), /`steering.colour` must be in \[0, 1\]/);
  assert.throws(() => new ControlSteering({ mode: Number.NaN }), /`steering.mode`/);
  assert.throws(() => new ControlSteering({ density: 1e18 }), /`steering.density`/);
  const off = new ControlSteering({ mode: 0, register: 0, colour: 0, density: 0 });
  for (let i = 0; i < 64; i++) {
    off.follow({ ...calm, valence: 0.9, energy: 1, handHeight: 1, armOpenness: 1 }, reading, 'pop');
    off.hear(encodeStep({ drums: 0, bass: { type: 'note', pitch: 33 }, harmony: REST, lead: REST }));
  }
  for (let k = 0; k < 4; k++) {
    const row = flatRow(k);
    off.process(row, k);
    assert.deepEqual([...row], [...flatRow(k)], `codebook ${k} untouched`);
  }
});

test('the pitch rules choose which note or chord, not whether to play: rests, holds and sus chords keep their share', { timeout: 10_000 }, () => {
  // A sad performer over A: the model leans to the wrong mode's notes (C# in the bass and lead, A major).
  const sad = steered({ valence: -0.8 }, { mode: 6 });
  assert.equal(sad.mode, 'minor');
  const bassId = (pitch: number): number => encodeStep({ drums: 0, bass: { type: 'note', pitch }, harmony: REST, lead: REST })[1];
  const cases: [string, number, number[]][] = [
    ['bass', 1, [bassId(37), bassId(49)]],
    ['lead', 3, [leadId(61), leadId(73)]],
    ['harmony', 2, [chordId(9, 'maj'), chordId(4, 'maj'), chordId(1, 'maj')]],
  ];
  for (const [stream, codebook, favoured] of cases) {
    const before = flatRow(codebook);
    for (const id of favoured) before[id] = 3;
    const row = Float32Array.from(before);
    sad.process(row, codebook);
    const p = softmax(before);
    const q = softmax(row);
    const name = V.streams[codebook] as 'bass' | 'harmony' | 'lead';
    for (const id of [V.rest[name], V.hold[name]]) assert.ok(Math.abs(q[id]! - p[id]!) < 1e-6, `${stream}: token ${id} (rest or hold) keeps ${p[id]!.toFixed(3)}`);
    assert.ok(favoured.reduce((a, id) => a + q[id]!, 0) < 0.05 * favoured.reduce((a, id) => a + p[id]!, 0), `${stream}: the wrong mode's favourites lose their probability`);
  }
  const before = flatRow(2);
  before[chordId(9, 'maj')] = 3;
  const row = Float32Array.from(before);
  sad.process(row, 2);
  const sus = (dist: number[]): number => dist.reduce((a, x, id) => a + (id >= chordId(0, 'maj') && id <= chordId(11, 'dim') && ((id - chordId(0, 'maj')) % 8 === 5 || (id - chordId(0, 'maj')) % 8 === 6) ? x : 0), 0);
  assert.ok(sus(softmax(row)) < 1.02 * sus(softmax(before)), `sus chords (no third, neither mode) gain nothing: ${sus(softmax(before)).toFixed(3)} -> ${sus(softmax(row)).toFixed(3)}`);
  assert.ok(softmax(row)[chordId(9, 'min')]! > 0.9 * softmax(before)[chordId(9, 'maj')]!, 'A major became A minor');
});
