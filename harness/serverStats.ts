/** The server's own figures, read from its /metrics: CPU, memory, event-loop lag, sessions. */
import type { Milliseconds } from '../protocol/units.js';

export interface MetricsSnapshot {
  atMs: Milliseconds;
  cpuSeconds: number;
  rssBytes: number;
  eventLoopLagP99Ms: number;
  sessions: number;
  refused: number;
  rejected: number;
}

export interface ServerStats {
  /** Share of one core used by the server process over the run (100 = one full core). */
  cpuPercent: number;
  rssMB: number;
  eventLoopLagP99Ms: number;
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

export async function snapshot(baseUrl: string, timeoutMs = 5000): Promise<MetricsSnapshot> {
  const res = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
  // Behind nginx /metrics is 404 (it is per process): no figures rather than zeros.
  if (!res.ok) throw new Error(`${baseUrl}/metrics answered ${res.status}`);
  const text = await res.text();
  return {
    atMs: performance.now(),
    cpuSeconds: sum(text, 'process_cpu_seconds_total'),
    rssBytes: sum(text, 'process_resident_memory_bytes'),
    eventLoopLagP99Ms: sum(text, 'nodejs_eventloop_lag_p99_seconds') * 1000,
    sessions: sum(text, 'expotion_sessions'),
    refused: sum(text, 'expotion_sessions_refused_total'),
    rejected: sum(text, 'expotion_rejected_messages_total'),
  };
}

export function between(a: MetricsSnapshot, b: MetricsSnapshot): ServerStats {
  return {
    cpuPercent: ((b.cpuSeconds - a.cpuSeconds) / Math.max(1e-3, (b.atMs - a.atMs) / 1000)) * 100,
    rssMB: b.rssBytes / 1e6,
    eventLoopLagP99Ms: b.eventLoopLagP99Ms,
    refusedSessions: b.refused - a.refused,
    rejectedMessages: b.rejected - a.rejected,
  };
}
