/**
 * Server benchmark: the teacher's generation RTF on one thread, then a ramp of concurrent
 * sessions against a server in its own process (the harness's ramp mode), reporting control-to-
 * audio latency and underruns per step and the capacity.
 *
 *   npm run bench:server -- [--max 24] [--seconds 10] [--server-args "--lead-ms 60"]
 *
 * Capacity = the largest session count with p95 latency < 150 ms and no underruns after warm-up.
 * For other mixes of performers, thresholds and modes use `npm run harness` directly.
 */
import { availableParallelism, cpus } from 'node:os';
import { C, neutralControls } from '../protocol/controlVector.js';
import { RUN_DEFAULTS, runRamp } from '../harness/runner.js';
import { startServerProcess } from '../harness/serverProcess.js';
import { createEngine } from '../server/generation/packs.js';
import { CliOptions } from '../scripts/cliOptions.js';

const cli = new CliOptions('bench:server', 'npm run bench:server -- [--max 24] [--seconds 10] [--server-args "--lead-ms 60"]');
const max = Math.floor(cli.number('max', 24));
const seconds = cli.number('seconds', 10);
const serverArgs = (cli.text('server-args') ?? '').split(' ').filter(Boolean);
cli.done();

/** Seconds of render time per second of audio for one teacher session on this thread. */
async function generationRtf(): Promise<number> {
  const engine = createEngine('teacher');
  const stream = engine.openStream({ prompt: 'energetic funk', seed: 1 });
  const sr = engine.info.sampleRate;
  const frames = 1024;
  const controls = neutralControls();
  controls[C.presence] = 1;
  controls[C.energy] = 0.8;
  controls[C.valence] = 0.5;
  let next = 0;
  const render = async (seconds: number): Promise<number> => {
    const start = performance.now();
    const end = next + sr * seconds;
    for (; next < end; next += frames) {
      controls[C.handHeight] = 0.5 + 0.4 * Math.sin(next / sr);
      await stream.render({ startSample: next, frames, controls: [controls], controlStepSamples: frames, beat: null });
    }
    return (performance.now() - start) / 1000 / seconds;
  };
  await render(2); // warm up the JIT
  const rtfs = [];
  for (let i = 0; i < 5; i++) rtfs.push(await render(6));
  stream.dispose();
  engine.dispose();
  return rtfs.sort((a, b) => a - b)[2]!;
}

async function main(): Promise<void> {
  console.log(`machine: ${cpus()[0]?.model ?? '?'} x ${availableParallelism()}, node ${process.version}`);
  const rtf = await generationRtf();
  console.log(`teacher+synth generation RTF, one session, one thread (median of 5 x 6 s): ${rtf.toFixed(4)}`);
  const server = await startServerProcess(serverArgs);
  console.log(`server ${server.url}; ${seconds} s per step, first 2 s excluded; client-measured latency (heard - capture)`);
  console.log('sessions  p50 ms  p95 ms  max ms  underruns  chunk RTF p50  server CPU %  harness lag p99 ms');
  try {
    const ramp = await runRamp(
      { ...RUN_DEFAULTS, url: server.url, seconds, performers: ['dancing:100', 'nodding:120', 'swinging:90', 'dancing:110'], thresholds: { maxP95Ms: 150, maxUnderruns: 0 } },
      1,
      1,
      max,
      (s) => {
        const o = s.overall;
        const f = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(1)).padStart(6);
        console.log(`${String(o.sessions).padStart(8)}  ${f(o.latencyMs?.p50)}  ${f(o.latencyMs?.p95)}  ${f(o.latencyMs?.max)}  ${String(o.underruns).padStart(9)}  ${o.rtfP50.toFixed(4).padStart(13)}  ${f(s.server?.cpuPercent).padStart(12)}  ${f(s.harnessLagMs.p99).padStart(18)}`);
      },
    );
    console.log(`capacity (p95 < 150 ms, no underruns after warm-up): ${ramp.capacity} sessions`);
  } finally {
    await server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
