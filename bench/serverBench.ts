/**
 * Server benchmark: generation RTF per session, then control-to-audio latency and underruns on
 * loopback for increasing numbers of concurrent sessions, against a server in its own process.
 *
 *   npm run bench:server -- [--sessions 1,2,4,8,12,16] [--seconds 10] [--warmup 2] [--lead-ms 60]
 *
 * Latency is measured by the clients (the harness's virtual listener): the time at which the
 * first sample of each chunk is heard minus the capture time of the newest landmark frame the
 * server had used for it. Capacity = the largest session count with p95 < 150 ms and no
 * underruns after warm-up.
 */
import { spawn } from 'node:child_process';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { C, neutralControls } from '../protocol/controlVector.js';
import { dancing } from '../harness/performers/synthetic.js';
import { performerFeed } from '../harness/frameFeed.js';
import { SessionClient, type SessionResult } from '../harness/sessionClient.js';
import { createEngine } from '../server/generation/packs.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const sessionCounts = arg('sessions', '1,2,4,8,12,16,20,24').split(',').map(Number);
const seconds = Number(arg('seconds', '10'));
const warmupS = Number(arg('warmup', '2'));
const leadMs = arg('lead-ms', '60');

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

async function generationRtf(): Promise<number> {
  const engine = createEngine('teacher');
  const stream = engine.openStream({ prompt: 'energetic funk', seed: 1 });
  const sr = engine.info.sampleRate;
  const frames = 1024;
  const total = sr * 30;
  const controls = neutralControls();
  controls[C.presence] = 1;
  controls[C.energy] = 0.8;
  controls[C.valence] = 0.5;
  const start = performance.now();
  for (let s = 0; s < total; s += frames) {
    controls[C.handHeight] = 0.5 + 0.4 * Math.sin(s / sr);
    await stream.render({ startSample: s, frames, controls: [controls], controlStepSamples: frames, beat: null });
  }
  const rtf = (performance.now() - start) / 1000 / (total / sr);
  stream.dispose();
  engine.dispose();
  return rtf;
}

async function startServer(maxSessions: number): Promise<{ url: string; stop(): Promise<void> }> {
  const main = fileURLToPath(new URL('../server/main.js', import.meta.url));
  const child = spawn(process.execPath, [main, '--port', '0', '--max-sessions', String(maxSessions), '--lead-ms', leadMs, '--log-level', 'warn', '--record-dir', 'off'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      const m = /on (http:\/\/\S+)/.exec(d.toString());
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return {
    url,
    stop: () => new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

interface Row {
  sessions: number;
  p50: number;
  p95: number;
  max: number;
  underruns: number;
  rtf: number;
  chunks: number;
}

async function runLoad(url: string, n: number): Promise<Row> {
  const clients = Array.from({ length: n }, (_, i) => new SessionClient({
    url: `${url.replace('http', 'ws')}/ws`,
    feed: performerFeed(dancing({ bpm: 100 + 5 * (i % 5) })),
    prompt: ['house', 'funk', 'pop', 'rock'][i % 4]!,
    seed: i + 1,
    keepAudio: false,
  }));
  const results: SessionResult[] = await Promise.all(clients.map((c) => c.run(seconds * 1000)));
  const lat: number[] = [];
  const rtf: number[] = [];
  let underruns = 0;
  let chunks = 0;
  for (const r of results) {
    const t0 = r.startedMs + warmupS * 1000;
    for (const c of r.chunks) {
      chunks++;
      rtf.push((c.header.genEndMs - c.header.genStartMs) / ((c.header.frames / c.header.sampleRate) * 1000));
      if (c.arrivalMs < t0) continue;
      if (c.latencyMs !== null) lat.push(c.latencyMs);
      if (c.underrun) underruns++;
    }
    if (r.errors.length > 0) console.log(`  session errors: ${JSON.stringify(r.errors)}`);
  }
  return { sessions: n, p50: percentile(lat, 50), p95: percentile(lat, 95), max: Math.max(...lat), underruns, rtf: percentile(rtf, 50), chunks };
}

async function main(): Promise<void> {
  console.log(`machine: ${cpus()[0]?.model ?? '?'} x ${availableParallelism()}, node ${process.version}`);
  const rtf = await generationRtf();
  console.log(`teacher+synth generation RTF, one session, one thread: ${rtf.toFixed(4)} (30 s of audio in ${(rtf * 30 * 1000).toFixed(0)} ms)`);
  const server = await startServer(Math.max(...sessionCounts));
  console.log(`server ${server.url}; ${seconds} s per step, first ${warmupS} s excluded; client-measured latency (heard - capture)`);
  console.log('sessions  p50 ms  p95 ms  max ms  underruns  chunk RTF p50  chunks');
  let capacity = 0;
  try {
    for (const n of sessionCounts) {
      const r = await runLoad(server.url, n);
      console.log(`${String(r.sessions).padStart(8)}  ${r.p50.toFixed(1).padStart(6)}  ${r.p95.toFixed(1).padStart(6)}  ${r.max.toFixed(1).padStart(6)}  ${String(r.underruns).padStart(9)}  ${r.rtf.toFixed(4).padStart(13)}  ${String(r.chunks).padStart(6)}`);
      if (r.p95 < 150 && r.underruns === 0) capacity = n;
      else break;
    }
  } finally {
    await server.stop();
  }
  console.log(`capacity (p95 < 150 ms, no underruns after warm-up): ${capacity} sessions`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
