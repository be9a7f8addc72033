/**
 * Faults inside the server: a generator that stops answering ends only its own session (render
 * timeout, 1011), and a worker that keeps dying is replaced with growing delays, then given up,
 * instead of spinning the machine.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { CloseCode } from '../../protocol/errors.js';
import { parseServerMessage, type ServerMessage } from '../../protocol/messages.js';
import { resolveConfig } from '../../server/config.js';
import { WorkerPool, type PackInfo, type RemoteStream } from '../../server/generation/index.js';
import { ServerMetrics } from '../../server/metrics.js';
import { Session, type SessionSocket } from '../../server/session/session.js';

/** A socket a session can own, recording what it sends. */
class CapturedSocket extends EventEmitter implements SessionSocket {
  readonly bufferedAmount = 0;
  readyState = 1;
  readonly sent: ServerMessage[] = [];
  closed: { code: number; reason: string } | null = null;

  send(data: string | Uint8Array): void {
    if (typeof data === 'string') this.sent.push(parseServerMessage(data));
  }

  close(code: number, reason: string): void {
    this.readyState = 3;
    this.closed = { code, reason };
  }
}

const info: PackInfo = { name: 'teacher', kind: 'symbolic', description: 'a stuck generator', sampleRate: 48000, channels: 2, controlVersion: 1 };

describe('faults', { timeout: 30_000 }, () => {
  test('a generator that never delivers ends that session with 1011 RENDER_TIMEOUT, after the render timeout', async () => {
    const config = resolveConfig({ pack: 'teacher', renderTimeoutMs: 300, sceneIntervalMs: 0 });
    const metrics = new ServerMetrics();
    // The fault: a stream whose render never settles (a stuck worker).
    const stuck = { info, setPrompt: () => undefined, render: () => new Promise(() => undefined), close: () => undefined } as unknown as RemoteStream;
    const pool = { openStream: async () => stuck } as unknown as WorkerPool;
    const socket = new CapturedSocket();
    let ended = false;
    new Session(socket, { config, metrics, pool, log: pino({ level: 'silent' }), packs: [info], onClosed: () => (ended = true) }, '127.0.0.1');
    socket.emit('message', Buffer.from(JSON.stringify({ type: 'hello', versions: [1], prompt: '' })), false);
    while (!ended) await new Promise((r) => setTimeout(r, 20));
    assert.equal(socket.closed?.code, CloseCode.internalError);
    const err = socket.sent.find((m) => m.type === 'error');
    assert.ok(err && err.type === 'error' && err.code === 'RENDER_TIMEOUT', JSON.stringify(socket.sent));
    assert.match(await metrics.registry.metrics(), /expotion_session_failures_total\{reason="RENDER_TIMEOUT"\} 1/);
  });

  test('a worker that keeps dying is replaced after a back-off, then given up; the pool says so', async () => {
    const restarts: number[] = [];
    const started = performance.now();
    const pool = new WorkerPool(1, undefined, { restartDelayMs: 50, maxRestartsInARow: 3, onRestart: () => restarts.push(performance.now() - started) });
    const workers = (pool as unknown as { workers: ({ worker: { terminate(): Promise<number> }; ready: Promise<void> } | null)[] }).workers;
    try {
      // Kill each worker (the first and every replacement) as soon as it is up.
      for (let kill = 0; kill < 4; kill++) {
        while (workers[0] === null) await new Promise((r) => setTimeout(r, 10));
        const w = workers[0]!;
        await w.ready;
        await w.worker.terminate();
        while (workers[0] === w) await new Promise((r) => setTimeout(r, 10));
      }
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(restarts.length, 3, 'three replacements, then no more');
      assert.equal(workers[0], null);
      await assert.rejects(pool.openStream('teacher', '', 1), /no generation worker/);
    } finally {
      await pool.close();
    }
  });
});
