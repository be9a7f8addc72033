/**
 * `npm run bench:contention`: does the adaptive lead stop underruns when the machine gets busy?
 * A server process streams to N harness sessions; after a quiet phase, CPU hogs (busy loops in
 * processes of their own, as many as there are cores unless told) start beside it. Prints the
 * underruns per window: before the hogs, their first 3 s, and after, plus the lead and latency.
 * The goal: underruns stop within 3 s of the hogs starting.
 *
 *   node dist/bench/contentionBench.js [--sessions 2] [--quiet-s 8] [--busy-s 16] [--hogs 2] [--pack teacher]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { feedFor } from '../harness/performers/catalog.js';
import { startServerProcess } from '../harness/serverProcess.js';
import { SessionClient, type ReceivedChunk } from '../harness/sessionClient.js';
import { CliOptions } from '../scripts/cliOptions.js';

const cli = new CliOptions('bench:contention', 'npm run bench:contention -- [--sessions 2] [--quiet-s 8] [--busy-s 16] [--hogs cores] [--pack teacher]');
const sessions = Math.floor(cli.number('sessions', 2));
const quietS = cli.number('quiet-s', 8);
const busyS = cli.number('busy-s', 16);
const hogCount = Math.floor(cli.number('hogs', availableParallelism()));
const pack = cli.text('pack') ?? 'teacher';
cli.done();

function startHogs(n: number): ChildProcess[] {
  return Array.from({ length: n }, () => spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }));
}

async function main(): Promise<void> {
  const server = await startServerProcess(['--pack', pack]);
  const wsUrl = `${server.url.replace('http', 'ws')}/ws`;
  const chunks: { t: number; underrun: boolean; session: number }[] = [];
  const t0 = performance.now();
  const clients = Array.from({ length: sessions }, (_, i) =>
    new SessionClient({
      url: wsUrl,
      feed: feedFor(['nodding:120', 'dancing:110', 'swinging:90'][i % 3]!),
      prompt: ['house', 'funk', 'pop'][i % 3]!,
      keepAudio: false,
      keepChunks: false,
      onChunk: (c: ReceivedChunk) => chunks.push({ t: (performance.now() - t0) / 1000, underrun: c.underrun, session: i }),
    }),
  );
  const runs = clients.map((c) => c.run((quietS + busyS) * 1000));
  await new Promise((r) => setTimeout(r, quietS * 1000));
  const hogs = startHogs(hogCount);
  const results = await Promise.all(runs);
  for (const h of hogs) h.kill('SIGKILL');
  await server.stop();

  const warm = 2;
  const windows: [string, number, number][] = [
    [`quiet (${warm}-${quietS} s)`, warm, quietS],
    [`hogs, first 3 s`, quietS, quietS + 3],
    [`hogs, 3 s on`, quietS + 3, quietS + busyS],
  ];
  console.log(`contention: ${sessions} sessions (${pack}), ${hogCount} CPU hogs from ${quietS} s to ${quietS + busyS} s; ${availableParallelism()} cores`);
  for (const [name, from, to] of windows) {
    const inWindow = chunks.filter((c) => c.t >= from && c.t < to);
    const underruns = inWindow.filter((c) => c.underrun);
    const last = underruns.at(-1);
    console.log(`  ${name.padEnd(20)} chunks ${String(inWindow.length).padStart(5)}  underruns ${String(underruns.length).padStart(3)}${last ? `  last at ${last.t.toFixed(1)} s` : ''}`);
  }
  for (const [i, r] of results.entries()) {
    const leads = r.stats.map((s) => s.leadMs);
    const lat = r.stats.at(-1)?.latencyMs;
    console.log(`  session ${i}: lead ${leads[0]?.toFixed(0)} -> max ${Math.max(...leads).toFixed(0)} -> ${leads.at(-1)?.toFixed(0)} ms; latency p50 ${lat?.p50.toFixed(0)} p95 ${lat?.p95.toFixed(0)} ms; errors ${r.errors.length}`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
