/**
 * `npm run harness -- [options]`: replay performers against a server and report what a listener
 * would hear. See README.md "Measuring latency". Exit code 1 when a threshold is missed, 2 on
 * bad options.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { FAULT_KINDS, type FaultKind } from './faultClients.js';
import { PERFORMER_NAMES } from './performers/catalog.js';
import { htmlReport, terminalReport } from './report.js';
import { startServerProcess } from './serverProcess.js';
import { failures, RUN_DEFAULTS, runFaults, runFixed, runRamp, runSoak, type Report, type RunOptions } from './runner.js';

const USAGE = `usage: npm run harness -- [options]
  --mode fixed|ramp|soak|faults   (fixed)
  --url http://host:port          test a running server; otherwise one is started from dist/
  --server-args "..."             extra flags for the started server (e.g. "--lead-ms 40 --workers 2")
  --sessions N                    concurrent sessions (2); ramp: --ramp-start 1 --ramp-step 1 --ramp-max 32
  --seconds S                     run length per step (10); soak: total length, --window-seconds 60
  --performers a,b                ${PERFORMER_NAMES.join(', ')} (cycled over sessions; nodding:120 = 120 BPM)
  --prompts "a|b"                 prompts cycled over sessions
  --pack NAME --format f32|s16 --fps 30
  --jitter-buffer-ms 80 --margin-ms 10 --output-latency-ms 10   the virtual listener
  --warmup-ms 2000                excluded from latency and underrun figures
  --faults disconnect,stall,garbage,storm
  --max-p95-ms X --max-underruns N --max-beat-p95-ms X   thresholds (exit 1 when missed)
  --out DIR                       report.json and report.html (out/harness/<time>)`;

class UsageError extends Error {}

function parseArgs(argv: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(argv[i]!);
    if (!a) throw new UsageError(`unexpected argument ${JSON.stringify(argv[i])}`);
    const v = a[2] ?? argv[++i];
    if (v === undefined) throw new UsageError(`--${a[1]} needs a value`);
    m.set(a[1]!, v);
  }
  return m;
}

const KNOWN = ['mode', 'url', 'server-args', 'sessions', 'ramp-start', 'ramp-step', 'ramp-max', 'seconds', 'window-seconds', 'performers', 'prompts', 'pack', 'format', 'fps',
  'jitter-buffer-ms', 'margin-ms', 'output-latency-ms', 'warmup-ms', 'faults', 'max-p95-ms', 'max-underruns', 'max-beat-p95-ms', 'out'];

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
  if (!['fixed', 'ramp', 'soak', 'faults'].includes(mode)) throw new UsageError(`--mode must be fixed, ramp, soak or faults`);
  const format = args.get('format') ?? 'f32';
  if (format !== 'f32' && format !== 's16') throw new UsageError('--format must be f32 or s16');
  const faults = (args.get('faults') ?? FAULT_KINDS.join(',')).split(',') as FaultKind[];
  for (const f of faults) if (!FAULT_KINDS.includes(f)) throw new UsageError(`unknown fault ${f}; choose from ${FAULT_KINDS.join(', ')}`);

  const server = args.get('url') ? null : await startServerProcess((args.get('server-args') ?? '').split(' ').filter(Boolean));
  const url = args.get('url') ?? server!.url;
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
    measure: { warmupMs: num(args, 'warmup-ms', 2000, 0, 600000) },
    thresholds: { maxP95Ms: optionalNum(args, 'max-p95-ms'), maxUnderruns: optionalNum(args, 'max-underruns'), maxBeatP95Ms: optionalNum(args, 'max-beat-p95-ms') },
    ...(args.get('pack') ? { pack: args.get('pack')! } : {}),
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
        console.log(`  ${s.overall.sessions} sessions: p95 ${s.overall.latencyMs?.p95.toFixed(1) ?? '-'} ms, underruns ${s.overall.underruns}`));
      if (report.capacity === 0) missed.push('no session count met the limits');
    } else if (mode === 'soak') {
      report = await runSoak(options, num(args, 'window-seconds', 60, 1, 3600), (w) => console.log(`  t=${w.t}s p95 ${w.latencyMs?.p95.toFixed(1) ?? '-'} ms, underruns ${w.underruns}, RSS ${w.server?.rssMB.toFixed(1) ?? '-'} MB`));
      if (report.errors.length > 0) missed.push(`errors: ${report.errors.join(', ')}`);
      if (options.thresholds.maxUnderruns !== undefined && report.windows.reduce((n, w) => n + w.underruns, 0) > options.thresholds.maxUnderruns) missed.push('underruns over the limit');
    } else {
      report = await runFaults(options, faults);
      missed = failures(report.underFaults, options.thresholds);
    }
  } finally {
    await server?.stop();
  }
  const out = resolve(args.get('out') ?? join('out', 'harness', new Date().toISOString().replace(/[:.]/g, '-')));
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'report.json'), JSON.stringify({ meta, report, failures: missed }, null, 1));
  writeFileSync(join(out, 'report.html'), htmlReport(report, meta, options.thresholds.maxP95Ms));
  console.log(`\n${terminalReport(report)}\n\nreports: ${join(out, 'report.json')} ${join(out, 'report.html')}`);
  if (missed.length > 0) {
    console.log(`THRESHOLDS MISSED:\n  ${missed.join('\n  ')}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n\n${USAGE}`);
      process.exit(2);
    }
    console.error(err);
    process.exit(2);
  },
);
