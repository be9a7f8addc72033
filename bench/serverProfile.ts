/**
 * Where the server's CPU time goes with N sessions (issue #15: capacity per machine). Starts the
 * built server under `node --cpu-prof`, streams N harness sessions for D seconds, stops it with
 * SIGTERM (which writes one .cpuprofile per thread: the main thread and each generation worker),
 * and prints for each thread how busy it was and its top functions by self time.
 *
 *   npm run bench:profile -- [--sessions 16] [--seconds 20] [--top 12] [--server-args "--workers 2"]
 *
 * Profiling costs time itself: compare threads and functions within one run, not latency figures
 * across runs (the harness's latency line is printed only to show how loaded the run was).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUN_DEFAULTS, runFixed } from '../harness/runner.js';
import { startServerProcess } from '../harness/serverProcess.js';
import { CliOptions } from '../scripts/cliOptions.js';

const cli = new CliOptions('bench:profile', 'npm run bench:profile -- [--sessions 16] [--seconds 20] [--top 12] [--server-args "..."]');
const sessions = cli.number('sessions', 16);
const seconds = cli.number('seconds', 20);
const top = cli.number('top', 12);
const serverArgs = (cli.text('server-args') ?? '').split(' ').filter(Boolean);

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time (µs) per function, and the idle share, of one profile. */
function summarise(profile: CpuProfile): { totalUs: number; idleUs: number; functions: [string, number][] } {
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const selfUs = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    const frame = frames.get(profile.samples[i]!)!;
    totalUs += dt;
    if (frame.functionName === '(idle)') {
      idleUs += dt;
      continue;
    }
    const where = frame.url ? ` ${frame.url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/')}:${frame.lineNumber + 1}` : '';
    const name = `${frame.functionName || '(anonymous)'}${where}`;
    selfUs.set(name, (selfUs.get(name) ?? 0) + dt);
  }
  return { totalUs, idleUs, functions: [...selfUs].sort((a, b) => b[1] - a[1]) };
}

const dir = mkdtempSync(join(tmpdir(), 'expotion-profile-'));
const server = await startServerProcess(serverArgs, { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir] });
try {
  const report = await runFixed({ ...RUN_DEFAULTS, url: server.url, sessions, seconds, performers: ['nodding:120', 'dancing:110', 'still', 'swinging:90'], prompts: ['house', 'funk', 'ambient', 'pop'] });
  const o = report.overall;
  console.log(`${sessions} sessions for ${seconds} s under the profiler: latency p95 ${o.latencyMs?.p95.toFixed(0) ?? '-'} ms, underruns ${o.underruns}, harness lag p99 ${report.harnessLagMs.p99.toFixed(0)} ms`);
} finally {
  await server.stop(15_000);
}
// Node names the files CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; thread 0 is the main thread.
const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort((a, b) => Number(a.split('.').at(-3)) - Number(b.split('.').at(-3)));
console.log(`${cpus()[0]?.model ?? '?'} x ${availableParallelism()}, server args: ${serverArgs.join(' ') || '(defaults)'}`);
for (const file of files) {
  const thread = Number(file.split('.').at(-3));
  const s = summarise(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile);
  const busy = 1 - s.idleUs / Math.max(1, s.totalUs);
  console.log(`\n${thread === 0 ? 'main thread' : `worker thread ${thread}`}: busy ${(100 * busy).toFixed(1)}% of ${(s.totalUs / 1e6).toFixed(1)} s`);
  for (const [name, us] of s.functions.slice(0, top)) console.log(`  ${((100 * us) / s.totalUs).toFixed(1).padStart(5)}%  ${name}`);
}
rmSync(dir, { recursive: true, force: true });
