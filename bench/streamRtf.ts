/**
 * CPU real-time factor of whole neural streams (text encoding, first pass, steps, prefill,
 * logits processors, sampling, the synthesiser), for one or more pack folders side by side:
 * their streams alternate within one process, so a machine whose speed drifts over minutes (a
 * shared VM) slows them alike and the ratio between them holds, where runs one after the other
 * can differ by 20-30%. Use it to compare two exports of the same model.
 *
 *   node dist/bench/streamRtf.js --packs models/expotion-small,/tmp/other [--streams 6] [--seconds 24] [--instruments synth]
 */
import { C, neutralControls } from '../protocol/controlVector.js';
import type { InstrumentKind } from '../protocol/messages.js';
import { percentile } from '../protocol/statistics.js';
import { loadNeuralEngine, type NeuralEngine } from '../server/generation/symbolic/neuralEngine.js';
import { CliOptions } from '../scripts/cliOptions.js';

const cli = new CliOptions('streamRtf', 'node dist/bench/streamRtf.js --packs DIR[,DIR...] [--streams 6] [--seconds 24] [--instruments synth|soundfont]');
const packs = (cli.text('packs') ?? cli.fail('--packs is required')).split(',').filter(Boolean);
const streams = cli.number('streams', 6);
const seconds = cli.number('seconds', 24);
const instrumentsText = cli.text('instruments') ?? 'synth';
const instruments: InstrumentKind = instrumentsText === 'synth' || instrumentsText === 'soundfont' ? instrumentsText : cli.fail(`--instruments must be synth or soundfont, but is ${instrumentsText}`);
cli.done();

const FRAMES = 1024;
const controls = neutralControls();
controls[C.presence] = 1;
controls[C.energy] = 0.7;

/** CPU time of one stream over its audio time. */
async function streamRtf(engine: NeuralEngine, audioSeconds: number, seed: number): Promise<number> {
  const stream = engine.openStream({ prompt: 'a happy funk groove with slap bass', seed });
  await stream.whenReady?.();
  const sampleRate = engine.info.sampleRate;
  const start = process.cpuUsage();
  for (let s = 0; s < sampleRate * audioSeconds; s += FRAMES) {
    await stream.render({ startSample: s, frames: FRAMES, controls: [controls], controlStepSamples: FRAMES, beat: null });
  }
  const cpu = process.cpuUsage(start);
  stream.dispose();
  return (cpu.user + cpu.system) / 1000 / (audioSeconds * 1000);
}

const engines: NeuralEngine[] = [];
for (const dir of packs) engines.push(await loadNeuralEngine(dir, { instruments }));
for (const engine of engines) await streamRtf(engine, 3, 1); // JIT and onnxruntime warm-up
const rtfs: number[][] = packs.map(() => []);
for (let i = 0; i < streams; i++) for (let k = 0; k < engines.length; k++) rtfs[k]!.push(await streamRtf(engines[k]!, seconds, 10 + i));
console.log(`CPU RTF of ${streams} streams of ${seconds} s per pack (1024-frame chunks, instruments ${instruments}), packs alternating:`);
const first = percentile(rtfs[0]!, 50);
packs.forEach((dir, k) => {
  const median = percentile(rtfs[k]!, 50);
  console.log(`  ${dir}: median ${median.toFixed(4)} (${rtfs[k]!.map((x) => x.toFixed(4)).join(' ')})${k > 0 ? `, ${(median / first).toFixed(3)} x the first` : ''}`);
});
for (const engine of engines) await engine.dispose();
