/** The server's own figures, read from its /metrics: CPU, memory, event-loop lag, busy threads, sessions. */
import type { Milliseconds } from '../protocol/units.js';

export interface MetricsSnapshot {
  atMs: Milliseconds;
  cpuSeconds: number;
  rssBytes: number;
  eventLoopLagP99Ms: number;
  /** Busy seconds so far per thread (main, worker0, ...): expotion_thread_busy_seconds_total. */
  threadBusySeconds: Record<string, number>;
  /** Seconds so far per thread spent ready to run but waiting for a CPU: expotion_thread_cpu_wait_seconds_total (Linux servers). */
  threadCpuWaitSeconds: Record<string, number>;
  /** Chunks so far per server stage (start, render, reply) that took longer than SLOW_STAGE_MS. */
  slowStages: Record<string, number>;
  sessions: number;
  refused: number;
  rejected: number;
}

export interface ServerStats {
  /** Share of one core used by the server process over the run (100 = one full core). */
  cpuPercent: number;
  rssMB: number;
  eventLoopLagP99Ms: number;
  /**
   * How busy each thread was over the interval (100 = busy all the time): the first thread near
   * 100 limits capacity. Empty from a server that does not report it.
   */
  threadBusyPercent: Record<string, number>;
  /**
   * How long each thread was ready to run but waited for a CPU over the interval (100 = all the
   * time): beside a low busy share, the machine (other threads, other processes) held it up, not
   * its own work. Empty from a server that does not report it (not Linux, or older).
   */
  threadCpuWaitPercent: Record<string, number>;
  /**
   * Chunks over the interval whose stage on the server took longer than SLOW_STAGE_MS: start (due
   * to the worker beginning), render, reply (render end to socket write). A late chunk with none
   * of these was held up after the server sent it (the network or the listening process).
   */
  slowStages: Record<string, number>;
  refusedSessions: number;
  rejectedMessages: number;
}

function sum(text: string, name: string): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(name + ' ') || line.startsWith(name + '{')) total += Number(line.slice(line.lastIndexOf(' ') + 1)) || 0;
  }
  return total;
}

/** A chunk stage longer than this counts as slow (a bucket bound of expotion_chunk_stage_seconds). */
export const SLOW_STAGE_MS = 20;

/** `name{label="value"} number` lines of one metric, as value -> number. */
function byLabel(text: string, name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  const pattern = new RegExp(`^${name}\\{(?:.*,)?${label}="([^"]*)"(?:,.*)?\\} (\\S+)$`);
  for (const line of text.split('\n')) {
    const m = pattern.exec(line);
    if (m) out[m[1]!] = Number(m[2]) || 0;
  }
  return out;
}

function slowStages(text: string): Record<string, number> {
  const counts = byLabel(text, 'expotion_chunk_stage_seconds_count', 'stage');
  const bound = `le="${SLOW_STAGE_MS / 1000}"`;
  const within = byLabel(text.split('\n').filter((l) => l.includes(bound)).join('\n'), 'expotion_chunk_stage_seconds_bucket', 'stage');
  return Object.fromEntries(Object.entries(counts).map(([stage, n]) => [stage, n - (within[stage] ?? 0)]));
}

export async function snapshot(baseUrl: string, timeoutMs = 5000): Promise<MetricsSnapshot> {
  const res = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
  // Behind nginx /metrics is 404 (it is per process): no figures rather than zeros.
  if (!res.ok) throw new Error(`${baseUrl}/metrics answered ${res.status}`);
  return parseMetrics(await res.text(), performance.now());
}

/** The figures of one /metrics text (Prometheus format) read at `atMs`. */
export function parseMetrics(text: string, atMs: Milliseconds): MetricsSnapshot {
  return {
    atMs,
    cpuSeconds: sum(text, 'process_cpu_seconds_total'),
    rssBytes: sum(text, 'process_resident_memory_bytes'),
    eventLoopLagP99Ms: sum(text, 'nodejs_eventloop_lag_p99_seconds') * 1000,
    threadBusySeconds: byLabel(text, 'expotion_thread_busy_seconds_total', 'thread'),
    threadCpuWaitSeconds: byLabel(text, 'expotion_thread_cpu_wait_seconds_total', 'thread'),
    slowStages: slowStages(text),
    sessions: sum(text, 'expotion_sessions'),
    refused: sum(text, 'expotion_sessions_refused_total'),
    rejected: sum(text, 'expotion_rejected_messages_total'),
  };
}

export function between(a: MetricsSnapshot, b: MetricsSnapshot): ServerStats {
  const seconds = Math.max(1e-3, (b.atMs - a.atMs) / 1000);
  // A slot that had no live worker at `a` counts from 0.
  const percent = (before: Record<string, number>, after: Record<string, number>): Record<string, number> =>
    Object.fromEntries(Object.entries(after).map(([thread, s]) => [thread, ((s - (before[thread] ?? 0)) / seconds) * 100]));
  return {
    cpuPercent: ((b.cpuSeconds - a.cpuSeconds) / seconds) * 100,
    rssMB: b.rssBytes / 1e6,
    eventLoopLagP99Ms: b.eventLoopLagP99Ms,
    threadBusyPercent: percent(a.threadBusySeconds, b.threadBusySeconds),
    threadCpuWaitPercent: percent(a.threadCpuWaitSeconds, b.threadCpuWaitSeconds),
    slowStages: Object.fromEntries(Object.entries(b.slowStages).map(([stage, n]) => [stage, n - (a.slowStages[stage] ?? 0)])),
    refusedSessions: b.refused - a.refused,
    rejectedMessages: b.rejected - a.rejected,
  };
}

/**
 * "main 41%, worker0 35%, worker1 33%", with each thread's wait for a CPU where the server reports
 * it ("main 33% (waited 25%)"), or "-" from a server that does not report busy threads.
 */
export function threadsText(s: ServerStats): string {
  const entries = Object.entries(s.threadBusyPercent);
  const waited = (thread: string): string => {
    const w = s.threadCpuWaitPercent[thread];
    return w === undefined ? '' : ` (waited ${w.toFixed(0)}%)`;
  };
  return entries.length === 0 ? '-' : entries.map(([thread, pct]) => `${thread} ${pct.toFixed(0)}%${waited(thread)}`).join(', ');
}

/** "start 0, render 2, reply 1" (chunks with a stage over SLOW_STAGE_MS), or "-" from a server that does not report stages. */
export function slowStagesText(s: ServerStats): string {
  const entries = Object.entries(s.slowStages);
  return entries.length === 0 ? '-' : entries.map(([stage, n]) => `${stage} ${n}`).join(', ');
}
