import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CHORD_QUALITIES,
  CLOSED_HAT,
  KICK,
  STREAM_NAMES,
  SYMBOLIC_VOCAB,
  decodeStep,
  decodeBass,
  decodeHarmony,
  decodeLead,
  describeToken,
  encodeBass,
  encodeHarmony,
  encodeLead,
  encodeStep,
  isValidToken,
  streamOfToken,
  streamTokenMask,
  type SymbolicStep,
} from '../../server/generation/symbolic/tokens.js';

test('the vocabulary layout is the documented one (version 1)', () => {
  assert.equal(SYMBOLIC_VOCAB.size, 246);
  assert.equal(SYMBOLIC_VOCAB.padId, 246);
  assert.equal(SYMBOLIC_VOCAB.startId, 246);
  assert.equal(SYMBOLIC_VOCAB.embeddingSize, 247);
  assert.deepEqual(SYMBOLIC_VOCAB.ranges.drums, [0, 63]);
  assert.deepEqual(SYMBOLIC_VOCAB.ranges.bass, [64, 97]);
  assert.deepEqual(SYMBOLIC_VOCAB.ranges.harmony, [98, 195]);
  assert.deepEqual(SYMBOLIC_VOCAB.ranges.lead, [196, 245]);
  assert.deepEqual(SYMBOLIC_VOCAB.bassPitchRange, [28, 59]);
  assert.deepEqual(SYMBOLIC_VOCAB.leadPitchRange, [48, 95]);
});

test('per-stream ranges are disjoint and cover every id below the pad exactly once', () => {
  const owner = new Array<string | null>(SYMBOLIC_VOCAB.size).fill(null);
  for (const name of STREAM_NAMES) {
    const [first, last] = SYMBOLIC_VOCAB.ranges[name];
    for (let id = first; id <= last; id++) {
      assert.equal(owner[id], null, `id ${id} claimed twice`);
      owner[id] = name;
    }
  }
  assert.ok(owner.every((o) => o !== null));
  assert.equal(streamOfToken(SYMBOLIC_VOCAB.padId), null);
  const mask = streamTokenMask('lead');
  assert.equal(mask.reduce((a, b) => a + b, 0), 50);
});

test('the worked example of the doc encodes as documented', () => {
  const step: SymbolicStep = {
    drums: KICK | CLOSED_HAT,
    bass: { type: 'note', pitch: 33 },
    harmony: { type: 'chord', root: 9, quality: 'min' },
    lead: { type: 'hold' },
  };
  assert.deepEqual(encodeStep(step), [5, 71, 173, 197]);
  assert.equal(describeToken(173), 'harmony:Am');
  assert.equal(describeToken(71), 'bass:A1');
});

test('decode(encode(x)) round-trips every event of every stream, and encode(decode(id)) every id', () => {
  for (let p = 28; p <= 59; p++) assert.deepEqual(decodeBass(encodeBass({ type: 'note', pitch: p })), { type: 'note', pitch: p });
  for (let p = 48; p <= 95; p++) assert.deepEqual(decodeLead(encodeLead({ type: 'note', pitch: p })), { type: 'note', pitch: p });
  for (let root = 0; root < 12; root++) {
    for (const quality of CHORD_QUALITIES) assert.deepEqual(decodeHarmony(encodeHarmony({ type: 'chord', root, quality })), { type: 'chord', root, quality });
  }
  for (let s = 0; s < 4; s++) {
    const [first, last] = SYMBOLIC_VOCAB.ranges[STREAM_NAMES[s]!];
    for (let id = first; id <= last; id++) {
      const tokens = [0, 64, 98, 196];
      tokens[s] = id;
      assert.deepEqual(encodeStep(decodeStep(tokens)), tokens);
      assert.ok(isValidToken(s, id));
      assert.ok(!isValidToken((s + 1) % 4, id));
    }
  }
});

test('out-of-range values are refused with a message naming them', () => {
  assert.throws(() => encodeBass({ type: 'note', pitch: 60 }), /bass pitch must be an integer in \[28, 59\], but is 60/);
  assert.throws(() => encodeLead({ type: 'note', pitch: 47.5 }), /lead pitch/);
  assert.throws(() => encodeHarmony({ type: 'chord', root: 12, quality: 'maj' }), /chord root/);
  assert.throws(() => decodeStep([64, 64, 98, 196]), /drums token/);
  assert.throws(() => decodeStep([0, 64, 98]), /4 tokens/);
  assert.ok(!isValidToken(0, SYMBOLIC_VOCAB.padId));
});
