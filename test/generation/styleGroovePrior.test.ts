/**
 * The style groove prior (server/generation/symbolic/styleGroovePrior.ts): each style's drum
 * backbone and grammar, read from the teacher's patterns and applied softly to a neural pack's drums.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StyleGroovePrior, styleGroove } from '../../server/generation/symbolic/styleGroovePrior.js';
import { STYLE_PRESETS } from '../../server/generation/symbolic/stylePresets.js';
import { CLAP, CLOSED_HAT, KICK, OPEN_HAT, SNARE } from '../../server/generation/symbolic/tokens.js';
import { drumRow, softmax } from './helpers.js';

const share = (dist: number[], voice: number): number => dist.reduce((a, x, m) => a + (m < 64 && m & voice ? x : 0), 0);

test("each style's groove is what its patterns play: hip-hop's hats on every eighth, house's kick on every quarter and never between", { timeout: 10_000 }, () => {
  const hipHop = styleGroove(STYLE_PRESETS['hip-hop']);
  assert.equal(hipHop.always[0]! & CLOSED_HAT, CLOSED_HAT, 'hip-hop: a closed hat on every beat');
  assert.equal(hipHop.always[2]! & CLOSED_HAT, CLOSED_HAT, 'hip-hop: and on every off-beat eighth');
  assert.equal(hipHop.never[2]! & CLAP, CLAP, 'hip-hop: no clap on an off-beat eighth');
  const house = styleGroove(STYLE_PRESETS.house);
  assert.equal(house.always[0]! & KICK, KICK, 'house: four on the floor');
  for (const q of [1, 2, 3]) assert.equal(house.never[q]! & KICK, KICK, `house: no kick at position ${q} of the quarter`);
  // Nothing a style plays is both always and never; the beat accent and the crash are never "never".
  for (const preset of Object.values(STYLE_PRESETS)) {
    const g = styleGroove(preset);
    for (let q = 0; q < 4; q++) assert.equal(g.always[q]! & g.never[q]!, 0, `${preset.name}: position ${q}`);
    assert.equal(g.never[0]! & preset.beatAccent, 0, `${preset.name}: the beat accent is allowed on beats`);
  }
});

test('hip-hop on a beat while the performer moves: patterns without the hat give it their share, a clap-free grammar holds off the beat', { timeout: 10_000 }, () => {
  const prior = new StyleGroovePrior({ always: 0.8, never: 0.9 });
  prior.style = 'hip-hop';
  prior.offset = 1;
  prior.moving = true;
  const before = drumRow(7);
  const onBeat = Float32Array.from(before);
  prior.process(onBeat, 0, { frame: 9, previous: 0 }); // (9 - 1) % 4 === 0: on the beat
  const p = softmax(before);
  const q = softmax(onBeat);
  const { never } = styleGroove(STYLE_PRESETS['hip-hop']);
  const hatBefore = share(p, CLOSED_HAT | OPEN_HAT);
  const hatAfter = share(q, CLOSED_HAT | OPEN_HAT);
  assert.ok(hatAfter > hatBefore + 0.5 * (1 - hatBefore), `a hat on the beat: ${hatBefore.toFixed(2)} -> ${hatAfter.toFixed(2)}`);
  const anyNever = (dist: number[]): number => dist.reduce((a, x, m) => a + (m < 64 && m & never[0]! ? x : 0), 0);
  assert.ok(Math.abs(anyNever(q) - 0.1 * anyNever(p)) < 1e-6, 'patterns with a voice hip-hop never plays on the beat keep 0.1 of their probability');
  assert.ok(Math.abs(q.reduce((a, b) => a + b, 0) - 1) < 1e-6, 'still a distribution');

  const offBeat = Float32Array.from(before);
  prior.process(offBeat, 0, { frame: 11, previous: 0 }); // position 2: the off-beat eighth
  const o = softmax(offBeat);
  assert.ok(share(o, CLAP) < 0.1 * share(p, CLAP) + 1e-6, 'claps off the beat lose 0.9 of their probability');
  assert.ok(share(o, SNARE) < 0.1 * share(p, SNARE) + 1e-6, 'snares too');
  for (let i = 64; i < 246; i++) assert.equal(offBeat[i], -Infinity, 'other streams stay masked');
});

test('the backbone waits for movement, other streams and an unknown style are left alone, shares are checked', { timeout: 10_000 }, () => {
  const prior = new StyleGroovePrior();
  prior.style = 'hip-hop';
  prior.moving = false;
  const before = drumRow(8);
  const still = Float32Array.from(before);
  prior.process(still, 0, { frame: 8, previous: 0 });
  const p = softmax(before);
  const s = softmax(still);
  assert.ok(share(s, CLOSED_HAT) <= share(p, CLOSED_HAT) + 1e-6, 'a still performer gets no hat added');
  for (const [codebook, style] of [[1, 'hip-hop'], [0, null]] as const) {
    prior.style = style;
    const row = Float32Array.from(before);
    prior.process(row, codebook, { frame: 8, previous: 0 });
    assert.deepEqual([...row], [...before], `codebook ${codebook}, style ${style}`);
  }
  assert.equal(StyleGroovePrior.movingEnough(0.5, 1), true);
  assert.equal(StyleGroovePrior.movingEnough(0.1, 1), false, 'below the teacher\'s level 1');
  assert.equal(StyleGroovePrior.movingEnough(0.9, 0.1), false, 'nobody there');
  assert.throws(() => new StyleGroovePrior({ never: 1.5 }), /`never` must be in \[0, 1\]/);
});
