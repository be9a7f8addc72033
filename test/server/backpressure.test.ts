/**
 * A client that stops reading: generation for it waits (nothing piles up in memory), resumes
 * when the buffer drains, and the session is closed with 4009 if it stays stuck.
 * The session runs on a transport whose send buffer the test controls.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { CloseCode } from '../../protocol/errors.js';
import { parseServerMessage, type ServerMessage } from '../../protocol/messages.js';
import { resolveConfig } from '../../server/config.js';
import { listPacks, WorkerPool } from '../../server/generation/index.js';
import { ServerMetrics } from '../../server/metrics.js';
import { Session, type SessionSocket } from '../../server/session/session.js';

class StuckableSocket extends EventEmitter implements SessionSocket {
  bufferedAmount = 0;
  readyState = 1;
  audioChunks = 0;
  messages: ServerMessage[] = [];
  closedWith: number | null = null;

  send(data: string | Uint8Array): void {
    if (typeof data === 'string') this.messages.push(parseServerMessage(data));
    else this.audioChunks++;
  }

  close(code: number): void {
    this.closedWith = code;
    this.readyState = 3;
  }

  receive(msg: object): void {
    this.emit('message', Buffer.from(JSON.stringify(msg)), false);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let pool: WorkerPool;
before(() => {
  pool = new WorkerPool(1);
});
after(() => pool.close());

function startSession(socket: StuckableSocket): Session {
  // The built-in synthesiser: this pool does not preload the SoundFont bank the default pack asks for.
  const config = resolveConfig({ slowConsumerTimeoutMs: 600, maxBufferedBytes: 64 * 1024, logLevel: 'silent', instruments: 'synth' });
  return new Session(socket, { config, metrics: new ServerMetrics(), pool, log: pino({ level: 'silent' }), packs: listPacks(), onClosed: () => undefined }, 'test');
}

async function waitFor(predicate: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(10);
  }
}

test('generation pauses while the send buffer is full and resumes when it drains', async () => {
  const socket = new StuckableSocket();
  const session = startSession(socket);
  socket.receive({ type: 'hello', versions: [1], prompt: 'house' });
  await waitFor(() => socket.audioChunks >= 5);
  socket.bufferedAmount = 10 * 1024 * 1024;
  await sleep(60); // a render already in flight may still land
  const stuckAt = socket.audioChunks;
  await sleep(300);
  assert.equal(socket.audioChunks, stuckAt, 'no audio generated while the client is not reading');
  socket.bufferedAmount = 0;
  await waitFor(() => socket.audioChunks > stuckAt + 3);
  assert.equal(socket.closedWith, null);
  session.close(CloseCode.normal, 'done');
});

test('a client stuck for longer than the timeout is closed with 4009 SLOW_CONSUMER', async () => {
  const socket = new StuckableSocket();
  startSession(socket);
  socket.receive({ type: 'hello', versions: [1], prompt: 'house' });
  await waitFor(() => socket.audioChunks >= 2);
  socket.bufferedAmount = 10 * 1024 * 1024;
  await waitFor(() => socket.closedWith !== null, 3000);
  assert.equal(socket.closedWith, CloseCode.slowConsumer);
  assert.ok(socket.messages.some((m) => m.type === 'error' && m.code === 'SLOW_CONSUMER'));
});
