/**
 * Traffic beside the fuzz lanes until `signal` aborts: well-behaved sessions streaming a valid
 * performer (the server must keep serving them), and connections that open and never say hello
 * (the server must time them out), one after the other.
 */
import { feedFor } from '../performers/catalog.js';
import { SessionClient } from '../sessionClient.js';
import { FuzzConnection, type ConnectionContext } from './fuzzConnection.js';

export interface GoodSessionOutcome {
  chunks: number;
  discontinuities: number;
  errors: string[];
  closeCode: number | null;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function closedOrAborted(conn: FuzzConnection, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    if (signal.aborted) done();
    void conn.closed.then(done);
  });
}

/** Well-behaved sessions; resolves with what each got once `signal` aborts (or they close). */
export async function goodSessions(url: string, count: number, pack: string | undefined, signal: AbortSignal): Promise<GoodSessionOutcome[]> {
  const chunks = new Array<number>(count).fill(0);
  const results = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      new SessionClient({
        url: `${url.replace(/^http/, 'ws')}/ws`,
        feed: feedFor(['dancing:110', 'nodding:120', 'swinging:90'][i % 3]!),
        prompt: 'house',
        keepAudio: false,
        keepChunks: false,
        onChunk: () => chunks[i]!++,
        ...(pack ? { pack } : {}),
      }).run(7 * 24 * 3600 * 1000, signal),
    ),
  );
  return results.map((r, i) => ({ chunks: chunks[i]!, discontinuities: r.discontinuities, errors: r.errors.map((e) => e.code), closeCode: r.closeCode }));
}

/** Connections that never say hello, one at a time, until `signal` aborts. */
export async function silentConnections(url: string, ctx: ConnectionContext, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    const conn = new FuzzConnection(url, '/ws', ctx, false);
    await closedOrAborted(conn, signal);
    if (!conn.isClosed) conn.terminate();
    await conn.finish(1000);
    if (!signal.aborted) await sleep(500);
  }
}
