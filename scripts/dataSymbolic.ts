/**
 * `npm run data:symbolic`: writes the default pack's training data from the teacher.
 *
 *   npm run data:symbolic -- --hours 40 --seed 1 --out data/symbolic [--steps 256] [--part I/N]
 *
 * `--part I/N` writes only the I-th of N equal slices of every split (clips are made from their seed
 * and index alone), so N processes can write one dataset: concatenating parts 0..N-1 file by file
 * gives the same bytes as one run (tools/train_on_gpu.sh does this on a many-core machine).
 *
 * Splits, held out by seed: train (seed S), valid (seed S+1, train wordings), test (seed S+2,
 * caption sentences train never sees). Per split, clip-major little-endian arrays:
 *   {split}.tokens.u8     [clips, steps, 4]   token ids (SYMBOLIC_VOCAB v1; drums, bass, harmony, lead)
 *   {split}.controls.f32  [clips, steps, 15]  control vector v1 per step
 *   {split}.text.i32      [clips, textTokens] caption token ids (tokenizer.json), 0-padded
 *   {split}.jsonl         one line per clip: caption, style, bpm, key
 * plus tokenizer.json (the pack's tokenizer) and meta.json (shapes, vocabularies, command).
 * One step is a 16th note; a clip of 256 steps is 16 bars (about 32 s at 120 BPM).
 */
import { createWriteStream, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { CONTROL_NAMES, CONTROL_SIZE, CONTROL_VERSION } from '../protocol/controlVector.js';
import { PROMPT_LEXICON } from '../server/generation/symbolic/prompt.js';
import { STYLE_NAMES } from '../server/generation/symbolic/styleNames.js';
import { STREAM_COUNT, SYMBOLIC_VOCAB } from '../server/generation/symbolic/tokens.js';
import { CliOptions } from './cliOptions.js';
import { MusicCaptions, type CaptionSplit } from './dataset/musicCaptions.js';
import { makeClip } from './dataset/symbolicClips.js';
import { wordTokenizerJson } from './dataset/wordTokenizer.js';

export const TEXT_TOKENS = 32;

const options = new CliOptions('data:symbolic', 'npm run data:symbolic -- --hours H --seed S --out DIR [--steps 256] [--part I/N]');
const hours = options.number('hours');
const seed = Math.floor(options.number('seed'));
const steps = Math.floor(options.number('steps', 256));
const outArg = options.text('out') ?? options.fail('--out DIR is required');
const partArg = options.text('part') ?? '0/1';
options.done();
const partMatch = /^(\d+)\/(\d+)$/.exec(partArg);
const [part, parts] = partMatch ? [Number(partMatch[1]), Number(partMatch[2])] : [NaN, NaN];
if (!(parts >= 1 && parts <= 256 && part < parts)) options.fail(`--part must be I/N with 0 <= I < N <= 256, not ${partArg}`);
const out = resolve(outArg);
mkdirSync(out, { recursive: true });

const words = new MusicCaptions().words();
for (const entry of PROMPT_LEXICON) for (const w of entry.term.split(' ')) words.add(w);
const tok = wordTokenizerJson(words);
writeFileSync(join(out, 'tokenizer.json'), JSON.stringify(tok.json));
const tokenizer = new Tokenizer(tok.json, {});

const secondsPerClip = (steps * 15) / 110; // 16th notes at a typical tempo
const trainClips = Math.max(1, Math.round((hours * 3600) / secondsPerClip));
const splits: [CaptionSplit | 'valid', number, number][] = [
  ['train', seed, trainClips],
  ['valid', seed + 1, Math.max(64, Math.round(trainClips * 0.02))],
  ['test', seed + 2, Math.max(64, Math.round(trainClips * 0.02))],
];

function write(stream: WriteStream, bytes: ArrayBufferView): Promise<void> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return stream.write(buf) ? Promise.resolve() : new Promise((r) => stream.once('drain', () => r()));
}

const t0 = performance.now();
const counts: Record<string, number> = {};
let seconds = 0;
for (const [split, splitSeed, clips] of splits) {
  const files = {
    tokens: createWriteStream(join(out, `${split}.tokens.u8`)),
    controls: createWriteStream(join(out, `${split}.controls.f32`)),
    text: createWriteStream(join(out, `${split}.text.i32`)),
    meta: createWriteStream(join(out, `${split}.jsonl`)),
  };
  const styleCount: Record<string, number> = {};
  const first = Math.floor((clips * part) / parts);
  const end = Math.floor((clips * (part + 1)) / parts);
  for (let i = first; i < end; i++) {
    const clip = makeClip({ seed: splitSeed, index: i, steps, split: split === 'test' ? 'test' : 'train' });
    const ids = tokenizer.encode(clip.caption).ids;
    const text = new Int32Array(TEXT_TOKENS);
    text.set(ids.length <= TEXT_TOKENS ? ids : [...ids.slice(0, TEXT_TOKENS - 1), ids[ids.length - 1]!]);
    await write(files.tokens, clip.tokens);
    await write(files.controls, clip.controls);
    await write(files.text, text);
    files.meta.write(JSON.stringify({ caption: clip.caption, style: clip.style, bpm: Math.round(clip.bpm * 10) / 10, key: clip.keyRoot }) + '\n');
    styleCount[clip.style] = (styleCount[clip.style] ?? 0) + 1;
    if (split === 'train') seconds += (steps * 15) / clip.bpm;
    if ((i + 1) % 2000 === 0 || i + 1 === end) console.log(`${split}: ${i + 1}/${clips} clips (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
  await Promise.all(Object.values(files).map((f) => new Promise<void>((r) => f.end(() => r()))));
  counts[split] = end - first;
  console.log(`${split}: styles ${JSON.stringify(styleCount)}`);
}

writeFileSync(
  join(out, 'meta.json'),
  JSON.stringify(
    {
      format: 'expotion-symbolic-data',
      version: 1,
      command: `npm run data:symbolic -- --hours ${hours} --seed ${seed} --steps ${steps} --out ${outArg}${parts > 1 ? ` --part ${part}/${parts}` : ''}`,
      ...(parts > 1 ? { part: [part, parts] } : {}),
      steps,
      streams: STREAM_COUNT,
      tokenVocab: { version: SYMBOLIC_VOCAB.version, size: SYMBOLIC_VOCAB.size, padId: SYMBOLIC_VOCAB.padId, ranges: SYMBOLIC_VOCAB.ranges },
      controls: { version: CONTROL_VERSION, size: CONTROL_SIZE, names: CONTROL_NAMES },
      text: { tokens: TEXT_TOKENS, vocabSize: tok.vocabSize, padId: 0 },
      styles: STYLE_NAMES,
      clips: counts,
      trainHours: Math.round((seconds / 3600) * 10) / 10,
    },
    null,
    2,
  ) + '\n',
);
console.log(`wrote ${out} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
