/**
 * `npm run harness -- [options]`: replay performers against a server and report what a listener
 * would hear, or fuzz it (`--mode fuzz`). See README.md "Measuring latency" and "Fuzzing".
 * In every mode a server that exits or stops answering /healthz fails the run. Exit code 0 when
 * all went well, 1 when a threshold is missed or the server failed, 2 on bad options.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { FAULT_KINDS, type FaultKind } from './faultClients.js';
import { fuzzCommand, replayCommand } from './fuzz/fuzzCommand.js';
import { FUZZ_DEFAULTS } from './fuzz/fuzzRun.js';
import { incidentLine, incidentText, LIVENESS_DEFAULTS, LivenessWatch } from './liveness.js';
import { MEASURE_DEFAULTS } from './measures.js';
import { PERFORMER_NAMES } from './performers/catalog.js';
import { htmlReport, leastSlackText, terminalReport } from './report.js';
import { startServerProcess, type ServerProcess } from './serverProcess.js';
import { SLOW_STAGE_MS, slowStagesText, threadsText } from './serverStats.js';
import { failures, RUN_DEFAULTS, runFaults, runFixed, runRamp, runSoak, type Report, type RunOptions } from './runner.js';

const USAGE = `usage: npm run harness -- [options]
  --mode fixed|ramp|soak|faults|fuzz   (fixed)
  --help, -h                      this text
  --url http://host:port          test a running server; otherwise one is started from dist/
  --server-args "..."             extra flags for the started server (e.g. "--lead-ms 40 --workers 2")
  --sessions N                    concurrent sessions (2); ramp: --ramp-start 1 --ramp-step 1 --ramp-max 32
  --seconds S                     run length per step (10); soak: total length, --window-seconds 60
  --performers a,b                ${PERFORMER_NAMES.join(', ')} (cycled over sessions; nodding:120 = 120 BPM)
  --prompts "a|b"                 prompts cycled over sessions
  --pack NAME --format s16|f32 --fps 30      s16: what the browser asks for (half the bytes); f32 for bit-exact audio
  --jitter-buffer-ms 80 --margin-ms 10 --output-latency-ms 10   the virtual listener
  --warmup-ms 2000                excluded from latency and underrun figures
  --steady-from-ms 5000           latency is also summarised from here on (sessions started together have settled)
  --sessions-per-thread 8         sessions per listener thread (each thread stamps its chunks' arrival)
  --faults disconnect,stall,garbage,storm
  --reconnect on|off              fixed, ramp: a session whose connection is lost opens a new one at once,
                                  like the browser (through nginx while processes die); off (default) ends it
  --max-p95-ms X --max-underruns N --max-beat-p95-ms X   thresholds (exit 1 when missed)
  --out DIR                       report.json and report.html (out/harness/<time>)
  --healthz-interval-ms 250 --healthz-timeout-ms 2000   liveness probe; a server that exits, fails
                                  or times out /healthz, or answers 5xx fails the run (exit 1)
fuzz mode (mutated and out-of-order traffic; exit 1 on a server incident or a failed clean session):
  --messages N                    messages to send, all connections together (${FUZZ_DEFAULTS.messages})
  --connections K                 fuzzing connections at a time (${FUZZ_DEFAULTS.connections}); each reconnects many times
  --seed S                        random seed: the same seed sends the same messages (${FUZZ_DEFAULTS.seed})
  --rate R                        messages per second per connection (${FUZZ_DEFAULTS.rate}; the server allows 120)
  --good-sessions G               well-behaved sessions streaming beside the fuzz (${FUZZ_DEFAULTS.goodSessions})
  --clean-seconds S               the clean session afterwards, checked for gap-free audio (${FUZZ_DEFAULTS.cleanSeconds}; 0: none)
  --pack NAME                     hellos ask for it, and a started server uses it as its default (teacher: fastest)
  --replay FILE                   resend a case saved at an incident (out dir, fuzz-case-*.json); exit 1 if it reproduces
  --replay-times N                resend it up to N times until it reproduces (1; timing-dependent hangs may need a few)`;

class UsageError extends Error {}
class HelpRequested extends Error {}

function parseArgs(argv: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--help' || argv[i] === '-h') throw new HelpRequested();
    const a = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(argv[i]!);
    if (!a) throw new UsageError(`unexpected argument ${JSON.stringify(argv[i])}`);
    const v = a[2] ?? argv[++i];
    if (v === undefined) throw new UsageError(`--${a[1]} needs a value`);
    m.set(a[1]!, v);
  }
  return m;
}

const KNOWN = ['mode', 'url', 'server-args', 'sessions', 'ramp-start', 'ramp-step', 'ramp-max', 'seconds', 'window-seconds', 'performers', 'prompts', 'pack', 'format', 'fps',
  'jitter-buffer-ms', 'margin-ms', 'output-latency-ms', 'warmup-ms', 'steady-from-ms', 'sessions-per-thread', 'faults', 'max-p95-ms', 'max-underruns', 'max-beat-p95-ms', 'out',
  'healthz-interval-ms', 'healthz-timeout-ms', 'reconnect', 'messages', 'connections', 'seed', 'rate', 'good-sessions', 'clean-seconds', 'replay', 'replay-times'];
const MODES = ['fixed', 'ramp', 'soak', 'faults', 'fuzz'];

function num(args: Map<string, string>, name: string, fallback: number, min: number, max: number): number {
  const text = args.get(name);
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!Number.isFinite(v) || v < min || v > max) throw new UsageError(`--${name} must be a number in [${min}, ${max}], got ${JSON.stringify(text)}`);
  return v;
}

function optionalNum(args: Map<string, string>, name: string): number | undefined {
  return args.has(name) ? num(args, name, 0, 0, 1e9) : undefined;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  for (const k of args.keys()) if (!KNOWN.includes(k)) throw new UsageError(`unknown option --${k}`);
  const mode = args.get('mode') ?? 'fixed';
  if (!MODES.includes(mode)) throw new UsageError(`--mode must be fixed, ramp, soak, faults or fuzz`);
  if (args.has('replay') && mode !== 'fuzz') throw new UsageError('--replay goes with --mode fuzz');
  const format = args.get('format') ?? 's16';
  if (format !== 'f32' && format !== 's16') throw new UsageError('--format must be f32 or s16');
  if (!['on', 'off'].includes(args.get('reconnect') ?? 'off')) throw new UsageError('--reconnect must be on or off');
  const faults = (args.get('faults') ?? FAULT_KINDS.join(',')).split(',') as FaultKind[];
  for (const f of faults) if (!FAULT_KINDS.includes(f)) throw new UsageError(`unknown fault ${f}; choose from ${FAULT_KINDS.join(', ')}`);

  const liveness = {
    intervalMs: num(args, 'healthz-interval-ms', LIVENESS_DEFAULTS.intervalMs, 10, 60_000),
    timeoutMs: num(args, 'healthz-timeout-ms', LIVENESS_DEFAULTS.timeoutMs, 50, 600_000),
  };
  const out = resolve(args.get('out') ?? join('out', 'harness', new Date().toISOString().replace(/[:.]/g, '-')));
  const serverArgs = (args.get('server-args') ?? '').split(' ').filter(Boolean);
  if (mode === 'fuzz' && args.get('pack') && !serverArgs.includes('--pack')) serverArgs.push('--pack', args.get('pack')!);
  if (mode === 'fuzz') {
    fuzzOptions(args); // bad options fail before a server is started
    num(args, 'replay-times', 1, 1, 1000);
  }
  const server = args.get('url') ? null : await startServerProcess(serverArgs);
  // Ctrl-C or SIGTERM: the first ends the run early with a report of what was measured and the
  // started server stopped; a second stops the server and exits at once.
  process.on('SIGINT', () => onInterrupt('SIGINT'));
  process.on('SIGTERM', () => onInterrupt('SIGTERM'));
  function onInterrupt(name: string): void {
    if (interrupted.signal.aborted) {
      void (server?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
      return;
    }
    console.log(`\n${name}: ending the run early (again to stop at once)`);
    interrupted.abort();
  }
  const url = args.get('url') ?? server!.url;
  if (server) console.log(`started the server: pid ${server.pid} on ${url}`);
  try {
    if (mode === 'fuzz') {
      if (args.has('replay')) return await replayCommand(args.get('replay')!, num(args, 'replay-times', 1, 1, 1000), url, server, liveness);
      return await fuzzCommand({ url, server, ...fuzzOptions(args), ...(args.get('pack') ? { pack: args.get('pack')! } : {}), outDir: out, liveness, log: (line) => console.log(line) }, args.get('server-args') ?? '');
    }
    return await measureMain(args, mode, format, faults, url, server, liveness, out);
  } finally {
    await server?.stop();
  }
}

/** Aborted by the first SIGINT or SIGTERM. */
const interrupted = new AbortController();

type Liveness = { intervalMs: number; timeoutMs: number };

function fuzzOptions(args: Map<string, string>) {
  return {
    messages: num(args, 'messages', FUZZ_DEFAULTS.messages, 1, 1e9),
    connections: num(args, 'connections', FUZZ_DEFAULTS.connections, 1, 256),
    seed: num(args, 'seed', FUZZ_DEFAULTS.seed, 0, 0xffffffff),
    rate: num(args, 'rate', FUZZ_DEFAULTS.rate, 1, 100_000),
    goodSessions: num(args, 'good-sessions', FUZZ_DEFAULTS.goodSessions, 0, 64),
    cleanSeconds: num(args, 'clean-seconds', FUZZ_DEFAULTS.cleanSeconds, 0, 3600),
  };
}

async function measureMain(args: Map<string, string>, mode: string, format: 'f32' | 's16', faults: FaultKind[], url: string, server: ServerProcess | null, liveness: Liveness, out: string): Promise<number> {
  const reconnect = args.get('reconnect') ?? 'off';
  const watch = new LivenessWatch({ url, server, ...liveness, onIncident: (i) => console.log(`  SERVER INCIDENT ${incidentLine(i)}`) });
  const options: RunOptions = {
    ...RUN_DEFAULTS,
    url,
    sessions: num(args, 'sessions', RUN_DEFAULTS.sessions, 1, 1000),
    seconds: num(args, 'seconds', RUN_DEFAULTS.seconds, 1, 7 * 24 * 3600),
    performers: args.get('performers')?.split(',') ?? RUN_DEFAULTS.performers,
    prompts: args.get('prompts')?.split('|') ?? RUN_DEFAULTS.prompts,
    format,
    fps: num(args, 'fps', 30, 1, 120),
    listener: {
      jitterBufferMs: num(args, 'jitter-buffer-ms', 80, 0, 5000),
      marginMs: num(args, 'margin-ms', 10, 0, 1000),
      outputLatencyMs: num(args, 'output-latency-ms', 10, 0, 1000),
    },
    measure: { warmupMs: num(args, 'warmup-ms', MEASURE_DEFAULTS.warmupMs, 0, 600000), steadyFromMs: num(args, 'steady-from-ms', MEASURE_DEFAULTS.steadyFromMs, 0, 600000) },
    sessionsPerThread: num(args, 'sessions-per-thread', RUN_DEFAULTS.sessionsPerThread, 1, 1000),
    thresholds: { maxP95Ms: optionalNum(args, 'max-p95-ms'), maxUnderruns: optionalNum(args, 'max-underruns'), maxBeatP95Ms: optionalNum(args, 'max-beat-p95-ms') },
    ...(args.get('pack') ? { pack: args.get('pack')! } : {}),
    signal: AbortSignal.any([watch.signal, interrupted.signal]),
    reconnect: reconnect === 'on',
  };
  const meta = {
    mode, url, started: new Date().toISOString(), machine: `${cpus()[0]?.model ?? '?'} x ${availableParallelism()}`, node: process.version,
    sessions: options.sessions, seconds: options.seconds, performers: options.performers, prompts: options.prompts, listener: options.listener,
    serverArgs: args.get('server-args') ?? '', thresholds: options.thresholds,
  };
  console.log(`harness ${mode} against ${url}`);
  let report: Report;
  let missed: string[] = [];
  try {
    if (mode === 'fixed') {
      report = await runFixed(options);
      missed = failures(report, options.thresholds);
    } else if (mode === 'ramp') {
      report = await runRamp(options, num(args, 'ramp-start', 1, 1, 1000), num(args, 'ramp-step', 1, 1, 1000), num(args, 'ramp-max', 32, 1, 1000), (s) =>
        console.log(`  ${s.overall.sessions} sessions: p95 ${s.overall.latencyMs?.p95.toFixed(1) ?? '-'} ms (from ${(s.overall.steadyFromMs / 1000).toFixed(0)} s on ${s.overall.steadyLatencyMs?.p95.toFixed(1) ?? '-'}), underruns ${s.overall.underruns}`));
      if (report.capacity === 0) missed.push('no session count met the limits');
    } else if (mode === 'soak') {
      report = await runSoak(options, num(args, 'window-seconds', 60, 1, 3600), (w) => console.log(`  t=${w.t}s p95 ${w.latencyMs?.p95.toFixed(1) ?? '-'} ms, underruns ${w.underruns}${w.underruns > 0 ? ` [start ${w.underrunCauses.start}, render ${w.underrunCauses.render}, delivery ${w.underrunCauses.delivery}]` : ''} (least slack ${leastSlackText(w)}), RTF max ${w.rtf?.max.toFixed(3) ?? '-'}, RSS ${w.server?.rssMB.toFixed(1) ?? '-'} MB, CPU ${w.server?.cpuPercent.toFixed(0) ?? '-'}%, lag p99 ${w.server?.eventLoopLagP99Ms.toFixed(1) ?? '-'} ms, busy ${w.server ? threadsText(w.server) : '-'}, server stages over ${SLOW_STAGE_MS} ms: ${w.server ? slowStagesText(w.server) : '-'}, harness lag max ${w.harnessLagMaxMs.toFixed(1)} ms`));
      if (report.errors.length > 0) missed.push(`errors: ${report.errors.join(', ')}`);
      if (options.thresholds.maxUnderruns !== undefined && report.windows.reduce((n, w) => n + w.underruns, 0) > options.thresholds.maxUnderruns) missed.push('underruns over the limit');
    } else {
      report = await runFaults(options, faults);
      missed = failures(report.underFaults, options.thresholds);
    }
  } finally {
    await watch.finalCheck();
  }
  const serverFailed = watch.failed;
  if (interrupted.signal.aborted) missed.push('interrupted before the end: the figures cover the part that ran');
  if (serverFailed) missed.unshift(`the server died or stopped answering: ${incidentLine(watch.incidents[0]!)}${watch.incidents.length > 1 ? ` (then ${watch.incidents.length - 1} more)` : ''}`);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'report.json'), JSON.stringify({ meta, report, incidents: watch.incidents, failures: missed }, null, 1));
  writeFileSync(join(out, 'report.html'), htmlReport(report, meta, options.thresholds.maxP95Ms));
  console.log(`\n${terminalReport(report)}\n\nreports: ${join(out, 'report.json')} ${join(out, 'report.html')}`);
  if (serverFailed) console.log(`\n${incidentText(watch)}`);
  if (missed.length > 0) {
    console.log(`${serverFailed ? 'RUN FAILED' : interrupted.signal.aborted ? 'RUN INTERRUPTED' : 'THRESHOLDS MISSED'}:\n  ${missed.join('\n  ')}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof HelpRequested) {
      console.log(USAGE);
      process.exit(0);
    }
    if (err instanceof UsageError) {
      console.error(`${err.message}\n\n${USAGE}`);
      process.exit(2);
    }
    console.error(err);
    process.exit(2);
  },
);
