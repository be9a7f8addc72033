import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_STYLE, PROMPT_LEXICON, readPrompt } from '../../server/generation/symbolic/prompt.js';
import { STYLE_NAMES } from '../../server/generation/symbolic/styleNames.js';

test('style words pick their style', () => {
  const cases: [string, string][] = [
    ['pop', 'pop'],
    ['a catchy pop song', 'pop'],
    ['funky groove with slap bass', 'funk'],
    ['deep house', 'house'],
    ['four on the floor techno', 'house'],
    ['boom bap hip-hop', 'hip-hop'],
    ['Hip Hop', 'hip-hop'],
    ['lofi beats to study to', 'hip-hop'],
    ['calm ambient drones', 'ambient'],
    ['epic orchestral film score', 'cinematic'],
    ['distorted guitars, punk rock', 'rock'],
    ['bossa nova', 'bossa'],
    ['Brazilian café jazz', 'bossa'],
  ];
  for (const [prompt, style] of cases) assert.equal(readPrompt(prompt).style, style, prompt);
});

test('scene descriptions pick a fitting style, mood and tempo', () => {
  const sunrise = readPrompt('a sunrise drive along the coast');
  assert.ok(['pop', 'house'].includes(sunrise.style), sunrise.style);
  assert.ok(sunrise.valence > 0.3, `bright/major: valence ${sunrise.valence}`);

  const chase = readPrompt('a tense chase through a night market');
  assert.ok(['cinematic', 'rock'].includes(chase.style), chase.style);
  assert.ok(chase.valence < -0.3, `minor: valence ${chase.valence}`);
  assert.ok(chase.tempo > 0.5 && chase.energy > 0.5, `fast: tempo ${chase.tempo}, energy ${chase.energy}`);

  const bar = readPrompt('rainy night in a jazz bar');
  assert.equal(bar.style, 'bossa');
  assert.ok(bar.valence < -0.3 && bar.energy < 0, `minor and mellow: valence ${bar.valence}, energy ${bar.energy}`);

  const goodbye = readPrompt('slow sad goodbye at a train station');
  assert.ok(['ambient', 'cinematic'].includes(goodbye.style), goodbye.style);
  assert.ok(goodbye.valence < -0.5 && goodbye.tempo < -0.5, `minor and slow: valence ${goodbye.valence}, tempo ${goodbye.tempo}`);
});

test('nothing matched gives the default style and neutral mood', () => {
  const r = readPrompt('qwerty zxcv');
  assert.equal(r.style, DEFAULT_STYLE);
  assert.equal(r.valence, 0);
  assert.equal(r.energy, 0);
  assert.deepEqual(r.matched, []);
  assert.equal(readPrompt('').style, DEFAULT_STYLE);
});

test('explicit tempo, instruments and plurals are read; the result is deterministic', () => {
  const r = readPrompt('House at 124 BPM with pads and guitars');
  assert.equal(r.bpm, 124);
  assert.equal(readPrompt('120bpm').bpm, 120);
  assert.equal(readPrompt('999 bpm').bpm, 180);
  assert.ok(r.instruments.includes('pads') && r.instruments.includes('guitar'));
  assert.deepEqual(readPrompt('a tense chase through a night market'), readPrompt('a tense chase through a night market'));
});

test('the lexicon is well formed: lowercase terms, known styles, bounded weights, no duplicates', () => {
  const seen = new Set<string>();
  for (const entry of PROMPT_LEXICON) {
    assert.match(entry.term, /^[a-z0-9]+( [a-z0-9]+)*$/, entry.term);
    assert.ok(!seen.has(entry.term), `duplicate ${entry.term}`);
    seen.add(entry.term);
    for (const [style, w] of Object.entries(entry.styles ?? {})) {
      assert.ok((STYLE_NAMES as readonly string[]).includes(style), style);
      assert.ok(w > 0 && w <= 5);
    }
    for (const k of ['valence', 'energy', 'tempo'] as const) assert.ok(Math.abs(entry[k] ?? 0) <= 1);
  }
  for (const style of STYLE_NAMES) assert.equal(readPrompt(style).style, style, `the style name "${style}" reads back`);
});

test('scene vocabulary: settings, events and motion steer style, mood and tempo', () => {
  const cases: [string, string, (r: ReturnType<typeof readPrompt>) => boolean][] = [
    ['a funeral procession in the grey drizzle', 'ambient', (r) => r.valence < -0.5 && r.tempo < 0],
    ['a monk in a temple garden', 'ambient', (r) => r.energy < -0.3],
    ['graffiti under the overpass', 'hip-hop', () => true],
    ['a mosh pit at a basement gig', 'rock', (r) => r.energy > 0.5 && r.tempo > 0.3],
    ['a haunted house at midnight', 'cinematic', (r) => r.valence < -0.5],
    ['a candlelit dinner on a terrace', 'bossa', (r) => r.energy < 0],
    ['a warehouse rave with lasers and strobes', 'house', (r) => r.energy > 0.5],
    ['kids dancing at a neighbourhood barbecue', 'funk', (r) => r.valence > 0.3 && r.energy > 0.3],
  ];
  for (const [prompt, style, mood] of cases) {
    const r = readPrompt(prompt);
    assert.equal(r.style, style, prompt);
    assert.ok(mood(r), `${prompt}: valence ${r.valence}, energy ${r.energy}, tempo ${r.tempo}`);
  }
});
