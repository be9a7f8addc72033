/**
 * What a burst of joins does to the sessions already playing (issue #15: a venue whose audience
 * joins with their phones). One server started as the harness starts it; N sessions play for D
 * seconds; J seconds in, M more join at once, from this same (warm) process, for a few seconds.
 * Prints the underruns each playing session heard after its warm-up, their latency p95, and the
 * joiners' underruns and first audio. `--join 0` is the control (nobody joins).
 *
 *   node dist/bench/joinBench.js [--playing 12] [--join 8] [--seconds 24] [--join-at 10] [--server-args "..."]
 *   JOIN_PROF=DIR node dist/bench/joinBench.js   # the server and its workers write CPU profiles to DIR
 *
 * A second harness process starting on the same two cores would add its own start-up to the
 * server's: joiners' phones do not share the server's CPU, so they are started from here, their
 * listener threads with the others' (a thread's start-up is 100+ ms of module loading).
 */
import { availableParallelism, cpus } from 'node:os';
import { percentile } from '../protocol/statistics.js';
import { runFixedSessions, SESSIONS_PER_LISTENER, type ListenerSessionSpec } from '../harness/listenerThreads.js';
import { startServerProcess } from '../harness/serverProcess.js';
import { CliOptions } from '../scripts/cliOptions.js';

const cli = new CliOptions('bench:join', 'node dist/bench/joinBench.js [--playing 12] [--join 8] [--seconds 24] [--join-at 10] [--server-args "..."]');
const playing = cli.number('playing', 12);
const joining = cli.nonNegative('join', 8); // 0: the control
const seconds = cli.number('seconds', 24);
const joinAt = cli.number('join-at', 10);
const serverArgs = (cli.text('server-args') ?? '').split(' ').filter(Boolean);
cli.done();
if (joinAt + 4 > seconds) throw new Error('--join-at must leave at least 4 s of --seconds after it');

const PERFORMERS = ['nodding:120', 'dancing:110', 'still', 'swinging:90'];
const PROMPTS = ['house', 'funk', 'ambient', 'pop'];

const server = await startServerProcess(serverArgs, process.env['JOIN_PROF'] ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${process.env['JOIN_PROF']}`] } : {});
try {
  const spec = (i: number): ListenerSessionSpec => ({
    url: `${server.url.replace(/^http/, 'ws')}/ws`,
    performer: PERFORMERS[i % PERFORMERS.length]!,
    fps: 30,
    prompt: PROMPTS[i % PROMPTS.length]!,
    format: 's16',
    seed: i + 1,
    listener: {},
  });
  const run = { reconnect: false, measure: {} };
  // The joiners' threads start with the others and wait: phones do not start up on the server's cores.
  const [p, joined] = await Promise.all([
    runFixedSessions(Array.from({ length: playing }, (_, i) => spec(i)), SESSIONS_PER_LISTENER, { ...run, seconds }),
    joining > 0 ? runFixedSessions(Array.from({ length: joining }, (_, i) => spec(playing + i)), SESSIONS_PER_LISTENER, { ...run, seconds: seconds - joinAt - 2, delayMs: joinAt * 1000 }) : null,
  ]);
  const underruns = p.measures.map((m) => m.underruns);
  console.log(`${cpus()[0]?.model ?? '?'} x ${availableParallelism()}; ${playing} playing for ${seconds} s, ${joining} joining at once ${joinAt} s in`);
  console.log(`playing: underruns after warm-up ${underruns.join(' ')} (total ${underruns.reduce((a, b) => a + b, 0)}), latency p95 ${percentile(p.latencies, 95).toFixed(1)} ms`);
  if (joined) {
    console.log(`joining: underruns ${joined.measures.map((m) => m.underruns).join(' ')}, first audio ${joined.measures.map((m) => (m.timeToFirstAudioMs === null ? '-' : Math.round(m.timeToFirstAudioMs))).join(' ')} ms`);
  }
} finally {
  await server.stop();
}
