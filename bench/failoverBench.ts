/**
 * `npm run bench:failover`: how long a performer is silent when the process serving them dies.
 * nginx in front of P processes (npm run cluster's setup, on loopback), S reconnecting sessions
 * streaming through it; K times a process that has sessions is killed with SIGKILL. For each
 * affected session, the time from the SIGKILL until its first chunk from the new process arrives
 * (the client reconnects at once, like the browser). Prints p50/p95/max over all of them.
 * Between kills the killed process is left to restart and rejoin.
 *
 *   node dist/bench/failoverBench.js [--processes 3] [--sessions 6] [--kills 20] [--pack teacher] [--settle-ms 1000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { percentiles } from '../protocol/statistics.js';
import { feedFor } from '../harness/performers/catalog.js';
import { runReconnecting, type Failover } from '../harness/reconnectingSession.js';
import { CliOptions } from '../scripts/cliOptions.js';
import { Cluster, nginxAvailable, waitHealthy } from '../scripts/cluster/cluster.js';

const cli = new CliOptions('bench:failover', 'npm run bench:failover -- [--processes 3] [--sessions 6] [--kills 20] [--pack teacher] [--settle-ms 1000]');
const processes = cli.number('processes', 3);
const sessions = cli.number('sessions', 6);
const kills = cli.number('kills', 20);
const settleMs = cli.number('settle-ms', 1000);
const pack = cli.text('pack') ?? 'teacher';
cli.done();
/** A session not playing again this long after a kill counts as never recovered (ms). */
const GIVE_UP_MS = 10_000;
const PERFORMERS = ['nodding:120', 'dancing:110', 'still', 'swinging:90'];
const PROMPTS = ['house', 'funk', 'ambient', 'pop'];

async function sessionsOn(url: string): Promise<number> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
    return ((await res.json()) as { sessions: number }).sessions;
  } catch {
    return 0;
  }
}

async function main(): Promise<void> {
  if (!nginxAvailable()) cli.fail('nginx not found at /usr/sbin/nginx (apt-get install nginx)');
  const prefix = mkdtempSync(join(tmpdir(), 'expotion-failover-'));
  const cluster = new Cluster({
    processes,
    port: 0,
    prefix,
    output: 'ignore',
    serverArgs: ['--pack', pack, '--workers', '1', '--log-level', 'warn', '--record-dir', 'off'],
    log: () => undefined,
  });
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  try {
    await cluster.start();
    const ws = `${cluster.url.replace('http', 'ws')}/ws`;
    // From the latest SIGKILL to each affected session's first new chunk (ms), and the attempts it took.
    const gaps: number[] = [];
    const attempts: number[] = [];
    let lastKillAt = 0;
    const onFailover = (f: Failover): void => {
      gaps.push(f.lostAtMs + (f.audioAgainAfterMs ?? 0) - lastKillAt);
      attempts.push(f.attempts);
    };
    const runs = Array.from({ length: sessions }, (_, i) =>
      runReconnecting(
        { url: ws, feed: feedFor(PERFORMERS[i % PERFORMERS.length]!), prompt: PROMPTS[i % PROMPTS.length]!, seed: i + 1, keepAudio: false, keepChunks: false },
        24 * 3600 * 1000,
        stop.signal,
        undefined,
        onFailover,
      ),
    );
    await new Promise((r) => setTimeout(r, 3000));
    let never = 0;
    let affected = 0;
    for (let k = 0; k < kills && !stop.signal.aborted; k++) {
      const counts = await Promise.all(cluster.servers.map((s) => sessionsOn(s.url)));
      const candidates = counts.flatMap((n, i) => (n > 0 ? [i] : []));
      const victim = candidates[k % candidates.length]!;
      const before = gaps.length;
      lastKillAt = performance.now();
      cluster.servers[victim]!.process.kill('SIGKILL');
      affected += counts[victim]!;
      // Wait until every affected session plays again (or gives up), then until the process is back.
      const deadline = performance.now() + GIVE_UP_MS;
      while (gaps.length - before < counts[victim]! && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      never += Math.max(0, counts[victim]! - (gaps.length - before));
      const again = gaps.slice(before).map((g, i) => `${g.toFixed(0)} ms (${attempts[before + i]} attempt${attempts[before + i] === 1 ? '' : 's'})`);
      console.log(`kill ${k + 1}/${kills}: process ${victim + 1} with ${counts[victim]} session(s); audio again after ${again.join(', ')}`);
      await waitHealthy(`${cluster.servers[victim]!.url}/healthz`, 60_000);
      await new Promise((r) => setTimeout(r, settleMs));
    }
    stop.abort();
    await Promise.all(runs);
    const p = percentiles(gaps);
    console.log(
      `\nfailover: ${kills} kills of 1 of ${processes} processes (${pack}), ${sessions} sessions through nginx, ${cpus()[0]?.model ?? '?'} x ${availableParallelism()}\n` +
        `  SIGKILL to audio again: p50 ${p?.p50.toFixed(0) ?? '-'} ms, p95 ${p?.p95.toFixed(0) ?? '-'} ms, max ${p?.max.toFixed(0) ?? '-'} ms over ${gaps.length} session failovers` +
        ` (${affected} sessions affected, ${never} not playing within ${GIVE_UP_MS / 1000} s)`,
    );
    if (never > 0) process.exitCode = 1;
  } finally {
    await cluster.stop();
    rmSync(prefix, { recursive: true, force: true });
  }
}

await main();
