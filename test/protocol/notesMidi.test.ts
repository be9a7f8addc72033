import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Midi } from '@tonejs/midi/dist/Midi.js';
import type { GridBeat } from '../../protocol/notesFrame.js';
import { midiToNotes, notesToMidi, type MidiNote } from '../../protocol/notesMidi.js';

const SR = 48000;
/** One tick at the fastest tempo here is under 1 ms: 48 samples. */
const TICK_SAMPLES = 48;

function grid(bpms: number[], first: number): GridBeat[] {
  const beats: GridBeat[] = [];
  let s = first;
  bpms.forEach((bpm, i) => {
    beats.push({ sample: Math.round(s), beatInBar: i % 4, bpm });
    s += (60 / bpm) * SR;
  });
  return beats;
}

function assertSameNotes(actual: MidiNote[], expected: MidiNote[]): void {
  assert.equal(actual.length, expected.length);
  const sorted = [...expected].sort((a, b) => a.startSample - b.startSample || a.stream - b.stream || a.pitch - b.pitch);
  sorted.forEach((e, i) => {
    const a = actual[i]!;
    assert.deepEqual([a.stream, a.pitch, a.velocity], [e.stream, e.pitch, e.velocity]);
    assert.ok(Math.abs(a.startSample - e.startSample) <= TICK_SAMPLES, `note ${i} starts at ${a.startSample}, not ${e.startSample}`);
    assert.ok(Math.abs(a.durationSamples - e.durationSamples) <= 2 * TICK_SAMPLES, `note ${i} lasts ${a.durationSamples}, not ${e.durationSamples}`);
  });
}

test('notes survive a MIDI file on a changing tempo map, one track per stream, drums on channel 10', () => {
  const beats = grid([100, 100, 104, 110, 118, 118, 96, 96, 96, 120], 5000);
  const notes: MidiNote[] = [
    { stream: 0, pitch: 36, velocity: 110, startSample: beats[0]!.sample, durationSamples: 7000 },
    { stream: 1, pitch: 33, velocity: 90, startSample: beats[2]!.sample + 3000, durationSamples: 20000 },
    { stream: 2, pitch: 60, velocity: 70, startSample: beats[4]!.sample, durationSamples: 60000 },
    { stream: 2, pitch: 64, velocity: 70, startSample: beats[4]!.sample, durationSamples: 60000 },
    { stream: 3, pitch: 79, velocity: 127, startSample: beats[9]!.sample + 100000, durationSamples: 4000 },
    { stream: 3, pitch: 72, velocity: 1, startSample: 10, durationSamples: 1000 },
  ];
  const bytes = notesToMidi(notes, beats, SR);
  assertSameNotes(midiToNotes(bytes, SR), notes);
  const midi = new Midi(bytes);
  assert.deepEqual(midi.tracks.map((t) => [t.name, t.channel]), [['drums', 9], ['bass', 0], ['chords', 1], ['lead', 2]]);
  assert.ok(Math.abs(midi.header.tempos[0]!.bpm - 100) < 0.1);
  assert.ok(midi.header.tempos.some((t) => Math.abs(t.bpm - 118) < 0.2), 'the tempo map follows the grid');
  // A quarter of the grid is a quarter in the file: beat 7 is at tick t0 + 7 ppq.
  const t = midi.header.ticksToSeconds(midi.header.secondsToTicks(beats[7]!.sample / SR));
  assert.ok(Math.abs(t * SR - beats[7]!.sample) <= TICK_SAMPLES);
});

test('without a grid the file is at 120 BPM; no notes give a valid empty file', () => {
  const notes: MidiNote[] = [{ stream: 1, pitch: 40, velocity: 64, startSample: 48000, durationSamples: 24000 }];
  assertSameNotes(midiToNotes(notesToMidi(notes, [], SR), SR), notes);
  assert.equal(new Midi(notesToMidi(notes, [], SR)).header.tempos[0]!.bpm, 120);
  assert.deepEqual(midiToNotes(notesToMidi([], [], SR), SR), []);
});
