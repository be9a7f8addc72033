/**
 * Resends a saved fuzz case (fuzzCase.ts): each lane's connections opened and its messages sent
 * with their recorded spacing, all lanes at once, while liveness.ts watches the server. Lanes that
 * answered the server's clock pings answer the new server's pings (their recorded replies are
 * skipped). The case reproduces when an incident happens again.
 */
import type { FuzzCase, SavedEvent } from './fuzzCase.js';
import { FuzzConnection, type ConnectionContext } from './fuzzConnection.js';
import { LaneHistory } from './history.js';
import { FuzzStats, sortedCounts } from './stats.js';

export interface ReplayResult {
  lanes: number;
  sent: number;
  connections: number;
  errorCodes: Record<string, number>;
  closeCodes: Record<string, number>;
  violations: string[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function replayLane(url: string, events: readonly SavedEvent[], t0: number, start: number, ctx: ConnectionContext, signal: AbortSignal): Promise<void> {
  let conn: FuzzConnection | null = null;
  // The recorded pong replies answered the old server's pings: answer the new one's instead.
  const autoPong = events.some((e) => e.kind === 'pong:reply');
  // Pongs on the recorded connection's clock, so that they agree with its frames' capture times.
  let clockAtOpen = 0;
  let openedAt = performance.now();
  const laneCtx: ConnectionContext = { ...ctx, clientMs: () => clockAtOpen + (performance.now() - openedAt) };
  const openConn = async (path: string, clock?: number): Promise<void> => {
    if (conn && !conn.isClosed) {
      conn.terminate();
      await conn.finish(500);
    }
    clockAtOpen = clock ?? performance.now();
    openedAt = performance.now();
    conn = new FuzzConnection(url, path, laneCtx, autoPong);
    await conn.opened;
  };
  for (const e of events) {
    if (signal.aborted) break;
    const wait = start + (e.t - t0) - performance.now();
    if (wait > 0) await sleep(wait);
    const c = conn as FuzzConnection | null;
    if (e.op === 'open') await openConn(e.path ?? '/ws', e.clock);
    else if (e.op === 'send') {
      if (autoPong && e.kind === 'pong:reply') continue;
      if (!c) await openConn('/ws');
      (conn as FuzzConnection | null)?.send(e.kind ?? 'replayed', Buffer.from(e.data!, 'base64'), e.type === 'binary');
    } else if (e.op === 'close') c?.close(e.code ?? 1000);
    else c?.terminate();
  }
  const last = conn as FuzzConnection | null;
  if (last) {
    if (!last.isClosed) last.close(1000);
    await last.finish(2000);
  }
}

export async function replayCase(c: FuzzCase, url: string, signal: AbortSignal): Promise<ReplayResult> {
  const stats = new FuzzStats();
  const all = c.lanes.flatMap((l) => l.events);
  const t0 = all.length > 0 ? Math.min(...all.map((e) => e.t)) : 0;
  const start = performance.now();
  await Promise.all(
    c.lanes.map((lane) => {
      const ctx: ConnectionContext = { stats, history: new LaneHistory(), runMs: () => performance.now() - start, clientMs: () => performance.now() };
      return replayLane(url, lane.events, t0, start, ctx, signal);
    }),
  );
  return {
    lanes: c.lanes.length,
    sent: stats.sentTotal,
    connections: stats.connections,
    errorCodes: sortedCounts(stats.errorCodes),
    closeCodes: sortedCounts(stats.closeCodes),
    violations: stats.violationExamples,
  };
}
