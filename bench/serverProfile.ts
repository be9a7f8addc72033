/**
 * Where the server's CPU time goes with N sessions (issue #15: capacity per machine). Starts the
 * built server under `node --cpu-prof`, streams N harness sessions for D seconds, stops it with
 * SIGTERM (which writes one .cpuprofile per thread: the main thread and each generation worker),
 * and prints for each thread, from --steady-from-s on, how busy it was, its top functions by self
 * time and our functions by inclusive time (which activity spent it); for the main
 * thread also its longest busy stretches (what held the event loop: every session's timers,
 * frames and chunk sends wait behind them) and our functions that ran in them.
 *
 *   npm run bench:profile -- [--sessions 16] [--seconds 20] [--top 12] [--stretches 5] [--steady-from-s 10] [--server-args "--workers 2"]
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

const cli = new CliOptions('bench:profile', 'npm run bench:profile -- [--sessions 16] [--seconds 20] [--top 12] [--stretches 5] [--steady-from-s 10] [--server-args "..."]');
const sessions = cli.number('sessions', 16);
const seconds = cli.number('seconds', 20);
const top = cli.number('top', 12);
const stretches = cli.number('stretches', 5);
/** Stretches that start earlier are start-up (loading packs, decoding samples, first passes): one-off, not what a running show sees. */
const steadyFromS = cli.nonNegative('steady-from-s', 10);
const serverArgs = (cli.text('server-args') ?? '').split(' ').filter(Boolean);
cli.done();

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

function frameName(frame: CallFrame): string {
  const where = frame.url ? ` ${frame.url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/')}:${frame.lineNumber + 1}` : '';
  return `${frame.functionName || '(anonymous)'}${where}`;
}

/** Our functions (dist/) on the stack of sample node `id`, each once. */
function ourFramesOnStack(id: number, byId: Map<number, CpuProfile['nodes'][number]>, parent: Map<number, number>): Set<string> {
  const names = new Set<string>();
  for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
    const frame = byId.get(n)!.callFrame;
    if (frame.url.includes('/dist/')) names.add(frameName(frame));
  }
  return names;
}

/**
 * From `fromUs` on: self time (µs) per function, the idle share, and the inclusive time of each
 * of our functions (dist/) on the stack: self time says where the time went (GC, native calls),
 * inclusive time which of our activities spent it (frames, chunks, controls messages, ...).
 */
function summarise(profile: CpuProfile, fromUs: number): { totalUs: number; idleUs: number; functions: [string, number][]; ours: [string, number][] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<string, number>();
  const oursUs = new Map<string, number>();
  let t = 0;
  let totalUs = 0;
  let idleUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    t += dt;
    if (t < fromUs) continue;
    const id = profile.samples[i]!;
    const frame = byId.get(id)!.callFrame;
    totalUs += dt;
    if (frame.functionName === '(idle)') {
      idleUs += dt;
      continue;
    }
    const name = frameName(frame);
    selfUs.set(name, (selfUs.get(name) ?? 0) + dt);
    for (const ours of ourFramesOnStack(id, byId, parent)) oursUs.set(ours, (oursUs.get(ours) ?? 0) + dt);
  }
  const sorted = (m: Map<string, number>): [string, number][] => [...m].sort((a, b) => b[1] - a[1]);
  return { totalUs, idleUs, functions: sorted(selfUs), ours: sorted(oursUs) };
}

interface Stretch {
  startUs: number;
  us: number;
  /** Time (µs) in each of our functions (dist/) on the stack: what was running. */
  ours: [string, number][];
  /** Self time (µs) per function: where the time went (GC, native calls). */
  self: [string, number][];
}

/** The longest runs of consecutive busy samples (anything but idle) from `fromUs` on, with our functions that ran in each. */
function longestStretches(profile: CpuProfile, count: number, fromUs: number): Stretch[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const found: { startUs: number; us: number; samples: [number, number][] }[] = [];
  let t = 0;
  let current: (typeof found)[number] | null = null;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    t += dt;
    const id = profile.samples[i]!;
    if (byId.get(id)!.callFrame.functionName === '(idle)') {
      current = null;
      continue;
    }
    if (!current) found.push((current = { startUs: t, us: 0, samples: [] }));
    current.us += dt;
    current.samples.push([id, dt]);
  }
  return found
    .filter((st) => st.startUs >= fromUs)
    .sort((a, b) => b.us - a.us)
    .slice(0, count)
    .map(({ startUs, us, samples }) => {
      const ours = new Map<string, number>();
      const self = new Map<string, number>();
      for (const [id, dt] of samples) {
        const name = frameName(byId.get(id)!.callFrame);
        self.set(name, (self.get(name) ?? 0) + dt);
        for (const our of ourFramesOnStack(id, byId, parent)) ours.set(our, (ours.get(our) ?? 0) + dt);
      }
      const sorted = (m: Map<string, number>): [string, number][] => [...m].sort((a, b) => b[1] - a[1]);
      return { startUs, us, ours: sorted(ours), self: sorted(self) };
    });
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
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
  const s = summarise(profile, steadyFromS * 1e6);
  const busy = 1 - s.idleUs / Math.max(1, s.totalUs);
  console.log(`\n${thread === 0 ? 'main thread' : `worker thread ${thread}`}: busy ${(100 * busy).toFixed(1)}% of ${(s.totalUs / 1e6).toFixed(1)} s from ${steadyFromS} s on`);
  console.log('  self time (share of the thread\'s time):');
  for (const [name, us] of s.functions.slice(0, top)) console.log(`  ${((100 * us) / s.totalUs).toFixed(1).padStart(5)}%  ${name}`);
  console.log('  inclusive time of our functions:');
  for (const [name, us] of s.ours.slice(0, top)) console.log(`  ${((100 * us) / s.totalUs).toFixed(1).padStart(5)}%  ${name}`);
  if (stretches === 0) continue;
  console.log(`  longest busy stretches from ${steadyFromS} s on (${thread === 0 ? 'the event loop held: every session waits' : 'renders, and what made them long'}):`);
  for (const st of longestStretches(profile, stretches, steadyFromS * 1e6)) {
    const list = (entries: [string, number][]): string => entries.slice(0, 3).map(([name, us]) => `${name} ${(us / 1000).toFixed(1)}`).join('; ');
    console.log(`    ${(st.us / 1000).toFixed(1).padStart(6)} ms at ${(st.startUs / 1e6).toFixed(1)} s: self ${list(st.self)}`);
    if (st.ours.length > 0) console.log(`           in ${list(st.ours)}`);
  }
}
rmSync(dir, { recursive: true, force: true });
