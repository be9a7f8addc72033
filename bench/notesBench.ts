/**
 * What note events cost (issue #13): for each style, one teacher session rendered in 1024-frame
 * chunks with a dancing performer's controls, and
 *   - the notes frames' bytes per second of audio (what `hello.notes` adds to the stream),
 *   - the time spent turning steps into notes (NoteTracker) and encoding the frames, as a share
 *     of the render time (the steps are replayed through a fresh tracker, so the render's own
 *     timing is untouched).
 *
 *   npm run bench:notes -- [--seconds 30] [--prompts funk,house,ambient,...]
 */
import { performance } from 'node:perf_hooks';
import { C, neutralControls } from '../protocol/controlVector.js';
import { encodeNotesFrame } from '../protocol/notesFrame.js';
import { NoteTracker } from '../server/generation/symbolic/noteTracker.js';
import { STYLE_NAMES } from '../server/generation/symbolic/styleNames.js';
import type { EmittedStep } from '../server/generation/symbolic/symbolicStream.js';
import { TeacherStream } from '../server/generation/symbolic/teacherEngine.js';
import { CliOptions } from '../scripts/cliOptions.js';

const cli = new CliOptions('bench:notes', 'npm run bench:notes -- [--seconds 30] [--prompts funk,house]');
const seconds = cli.number('seconds', 30);
const prompts = (cli.text('prompts') ?? STYLE_NAMES.join(',')).split(',');
cli.done();
const SR = 48000;
const CHUNK = 1024;

interface Row {
  prompt: string;
  notesPerS: number;
  bytesPerS: number;
  renderMs: number;
  notesMs: number;
}

async function measure(prompt: string): Promise<Row> {
  const stream = new TeacherStream({ prompt, seed: 1 });
  const steps: EmittedStep[][] = [];
  let current: EmittedStep[] = [];
  stream.onStep((s) => current.push(s));
  const controls = neutralControls();
  controls[C.presence] = 1;
  let renderMs = 0;
  let bytes = 0;
  let notes = 0;
  const requests = [];
  for (let start = 0; start < seconds * SR; start += CHUNK) {
    // A performer dancing at 2 Hz: energy and beat strength swing, as they do live.
    controls[C.energy] = 0.5 + 0.4 * Math.sin((2 * Math.PI * start) / (2 * SR));
    controls[C.beatStrength] = 0.7;
    const request = { startSample: start, frames: CHUNK, controls: [controls.slice()], controlStepSamples: CHUNK, beat: null };
    const t0 = performance.now();
    const out = await stream.render(request);
    renderMs += performance.now() - t0;
    bytes += encodeNotesFrame(out.notes!).byteLength;
    notes += out.notes!.notes.length;
    steps.push(current);
    current = [];
    requests.push(request);
  }
  // The same steps again, through a fresh tracker and the encoder alone (best of 3: JIT and GC noise).
  let notesMs = Infinity;
  for (let round = 0; round < 3; round++) {
    const tracker = new NoteTracker();
    const t0 = performance.now();
    requests.forEach((request, i) => {
      for (const s of steps[i]!) tracker.add(s, 0);
      encodeNotesFrame(tracker.take(request));
    });
    notesMs = Math.min(notesMs, performance.now() - t0);
  }
  stream.dispose();
  return { prompt, notesPerS: notes / seconds, bytesPerS: bytes / seconds, renderMs, notesMs };
}

console.log(`notes bench: ${seconds} s per style, ${CHUNK}-frame chunks at ${SR} Hz (a notes frame per chunk: ${(SR / CHUNK).toFixed(1)} frames/s)`);
console.log('style        notes/s  KiB/s  render ms  notes ms  notes/render   (notes/s counts a held note twice: when it starts, when it ends)');
let totalBytes = 0;
let totalRender = 0;
let totalNotes = 0;
for (const prompt of prompts) {
  const r = await measure(prompt);
  totalBytes += r.bytesPerS;
  totalRender += r.renderMs;
  totalNotes += r.notesMs;
  console.log(
    `${r.prompt.padEnd(12)} ${r.notesPerS.toFixed(1).padStart(7)} ${(r.bytesPerS / 1024).toFixed(2).padStart(6)} ${r.renderMs.toFixed(0).padStart(10)} ${r.notesMs.toFixed(1).padStart(9)} ${((100 * r.notesMs) / r.renderMs).toFixed(2).padStart(11)}%`,
  );
}
console.log(`mean: ${(totalBytes / prompts.length / 1024).toFixed(2)} KiB/s of notes frames; tracking + encoding ${((100 * totalNotes) / totalRender).toFixed(2)}% of render time`);
