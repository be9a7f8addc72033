/**
 * Clients that misbehave on purpose, for the faults mode: the server must contain each of them
 * without the well-behaved sessions noticing.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { encodeMessage } from '../protocol/messages.js';
import { PROTOCOL_VERSION } from '../protocol/version.js';
import { performerFeed } from './frameFeed.js';
import { dancing } from './performers/synthetic.js';
import { SessionClient } from './sessionClient.js';

export const FAULT_KINDS = ['disconnect', 'stall', 'garbage', 'storm'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hello = encodeMessage({ type: 'hello', versions: [PROTOCOL_VERSION], prompt: 'fault', client: 'expotion-harness-fault' });

function closed(ws: WebSocket): Promise<string> {
  return new Promise((resolve) => {
    ws.on('close', (code) => resolve(`close ${code}`));
    ws.on('error', () => undefined);
  });
}

/** Streams, then vanishes without a close handshake; again and again. */
async function disconnecter(url: string, stop: { stopped: boolean }, out: string[]): Promise<void> {
  while (!stop.stopped) {
    const c = new SessionClient({ url, feed: performerFeed(dancing()), prompt: 'fault', keepAudio: false });
    await sleep(1000 + Math.random() * 1500);
    c.terminate();
    const r = await c.finish();
    out.push(`streamed ${r.chunks.length} chunks, then dropped`);
  }
}

/** Says hello and never reads again: the server must pause its generation, then close it. */
async function staller(url: string, stop: { stopped: boolean }, out: string[]): Promise<void> {
  while (!stop.stopped) {
    const ws = new WebSocket(url);
    const done = closed(ws);
    await new Promise((r) => ws.once('open', r));
    ws.send(hello);
    await sleep(200);
    (ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const outcome = await Promise.race([done, (async () => { while (!stop.stopped) await sleep(100); return 'still stalled at the end'; })()]);
    out.push(outcome);
    ws.terminate();
  }
}

/** Sends malformed frames and JSON (under the rate limit): each gets an error and is dropped. */
async function garbler(url: string, stop: { stopped: boolean }, out: string[]): Promise<void> {
  const ws = new WebSocket(url);
  const done = closed(ws);
  let errors = 0;
  ws.on('message', (data, isBinary) => {
    if (!isBinary && String(data).includes('"error"')) errors++;
  });
  await new Promise((r) => ws.once('open', r));
  ws.send(hello);
  while (!stop.stopped && ws.readyState === WebSocket.OPEN) {
    const junk = Buffer.alloc(1 + Math.floor(Math.random() * 3000));
    for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(Math.random() * 256);
    ws.send(junk);
    ws.send('{"type":"prompt","text":');
    ws.send(JSON.stringify({ type: 'playback', sample: -5 }));
    await sleep(50);
  }
  ws.close();
  out.push(`${await done} after ${errors} error replies`);
}

/** Opens and drops connections in bursts (some never say hello). */
async function stormer(url: string, stop: { stopped: boolean }, out: string[]): Promise<void> {
  const codes = new Map<string, number>();
  while (!stop.stopped) {
    const burst = Array.from({ length: 10 }, (_, i) => {
      const ws = new WebSocket(url);
      const done = closed(ws);
      ws.once('open', () => {
        if (i % 2 === 0) ws.close();
        else {
          ws.send(hello);
          setTimeout(() => ws.terminate(), 100);
        }
      });
      return done;
    });
    for (const c of await Promise.all(burst)) codes.set(c, (codes.get(c) ?? 0) + 1);
    await sleep(200);
  }
  out.push(...[...codes].map(([c, n]) => `${n} x ${c}`));
}

const RUNNERS: Record<FaultKind, typeof disconnecter> = { disconnect: disconnecter, stall: staller, garbage: garbler, storm: stormer };

/** Runs one misbehaving client of each kind until `stop.stopped`; resolves with what each saw. */
export async function runFaultClients(url: string, kinds: readonly FaultKind[], stop: { stopped: boolean }): Promise<Record<string, string[]>> {
  const outcomes: Record<string, string[]> = {};
  await Promise.all(kinds.map((k) => RUNNERS[k](url, stop, (outcomes[k] = []))));
  return outcomes;
}

/**
 * Runs fault clients in their own process (so their CPU use never delays the measuring clients'
 * timers): `node faultClients.js <ws url> <kind,kind>`; SIGTERM ends it, and it prints what each
 * kind saw as JSON on stdout.
 */
export function spawnFaultProcess(url: string, kinds: readonly FaultKind[]): { stop(): Promise<Record<string, string[]>> } {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), url, kinds.join(',')], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    async stop() {
      child.kill('SIGTERM');
      await exited;
      try {
        return JSON.parse(out) as Record<string, string[]>;
      } catch {
        return { process: [`fault process printed no report (${out.slice(0, 200)})`] };
      }
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const stop = { stopped: false };
  const done = runFaultClients(process.argv[2]!, process.argv[3]!.split(',') as FaultKind[], stop);
  process.once('SIGTERM', () => {
    stop.stopped = true;
    void done.then((outcomes) => {
      process.stdout.write(JSON.stringify(outcomes));
      process.exit(0);
    });
  });
}
