import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeNotesFrame, type ChunkNotes, type GeneratedNote, type GridBeat } from '../../protocol/notesFrame.js';
import type { EmittedStep } from '../../server/generation/symbolic/symbolicStream.js';
import { GM_DRUM_KEYS } from '../../server/generation/symbolic/noteTracker.js';
import { controls, openStream, SR } from './helpers.js';

interface Played {
  notes: Map<number, GeneratedNote>;
  beats: GridBeat[];
  chunks: ChunkNotes[];
  steps: EmittedStep[];
}

/** Renders `seconds` of a teacher stream in `chunk`-frame chunks; merges the notes by id as a client does. */
async function play(prompt: string, seconds: number, chunk: number): Promise<Played> {
  const stream = openStream(prompt, 5);
  const steps: EmittedStep[] = [];
  stream.onStep((s) => steps.push(s));
  const played: Played = { notes: new Map(), beats: [], chunks: [], steps };
  for (let start = 0; start < seconds * SR; start += chunk) {
    const out = await stream.render({ startSample: start, frames: chunk, controls: [controls({ energy: 0.7 })], controlStepSamples: 480, beat: null });
    assert.ok(out.notes, 'a symbolic stream reports its notes');
    played.chunks.push(out.notes);
    for (const n of out.notes.notes) played.notes.set(n.id, n);
    played.beats.push(...out.notes.beats);
  }
  stream.dispose();
  return played;
}

test('every stream plays notes at the samples where its steps sound, and the grid has the quarter notes', async () => {
  const { notes, beats, steps } = await play('funk', 6, 1024);
  const all = [...notes.values()];
  for (const stream of [0, 1, 2, 3]) assert.ok(all.some((n) => n.stream === stream), `stream ${stream} has notes`);
  const stepSamples = new Set(steps.map((s) => s.sample));
  assert.ok(all.every((n) => stepSamples.has(n.startSample)), 'every note starts on a step');
  const kicks = all.filter((n) => n.stream === 0 && n.pitch === GM_DRUM_KEYS.kick);
  assert.ok(kicks.length >= 6, `${kicks.length} kicks in 6 s of funk`);
  assert.ok(all.every((n) => n.velocity >= 1 && n.velocity <= 127));
  // Bass and lead are monophonic: a note ends where the next one of its stream starts, or before.
  for (const stream of [1, 3]) {
    const line = all.filter((n) => n.stream === stream).sort((a, b) => a.startSample - b.startSample);
    for (let i = 1; i < line.length; i++) assert.ok(line[i - 1]!.startSample + line[i - 1]!.durationSamples <= line[i]!.startSample);
  }
  const quarters = steps.filter((s) => s.step % 4 === 0).map((s) => s.sample);
  assert.deepEqual(beats.map((b) => b.sample), quarters);
  assert.ok(beats.every((b) => b.bpm >= 90 && b.bpm <= 120 && b.beatInBar >= 0 && b.beatInBar < 4));
});

test('a note still sounding at its chunk end is sent once then, and once more, whole, when it ends; every chunk fits a frame', async () => {
  const { chunks } = await play('ambient', 8, 1024);
  const seen = new Map<number, GeneratedNote>();
  let spanning = 0;
  for (const c of chunks) {
    for (const n of c.notes) {
      const before = seen.get(n.id);
      if (n.sounding) {
        assert.equal(before, undefined, 'a sounding note is sent in its first chunk only');
        assert.ok(n.startSample >= c.startSample);
        assert.equal(n.startSample + n.durationSamples, c.startSample + c.frames, 'a sounding note lasts to the chunk end so far');
      } else if (before !== undefined) {
        spanning++;
        assert.ok(before.sounding, 'only a sounding note comes again');
        assert.ok(n.durationSamples > before.durationSamples);
        assert.ok(n.startSample + n.durationSamples >= c.startSample, 'it comes again with the chunk where it ends');
      }
      seen.set(n.id, n);
    }
    assert.doesNotThrow(() => encodeNotesFrame(c));
  }
  assert.ok(spanning > 0, 'long notes span chunks');
});

test('the notes do not depend on how the timeline is cut into chunks', async () => {
  const strip = (p: Played): Omit<GeneratedNote, 'id'>[] =>
    [...p.notes.values()]
      .filter((n) => !n.sounding)
      .map(({ id: _id, ...rest }) => rest)
      .sort((a, b) => a.startSample - b.startSample || a.stream - b.stream || a.pitch - b.pitch);
  const a = await play('house', 4, 1024);
  const b = await play('house', 4, 4096);
  const endA = strip(a);
  const endB = strip(b);
  const common = Math.min(endA.length, endB.length) - 8; // the last notes may still sound in one of them
  assert.ok(common > 50);
  assert.deepEqual(endA.slice(0, common), endB.slice(0, common));
});
