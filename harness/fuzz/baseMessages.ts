/**
 * Valid client messages, the fuzzer's starting points: hello, prompt, ping, pong, playback, stop
 * (objects for jsonMutators.ts) and binary landmark frames drawn from the synthetic performers
 * (protocol/landmarkFrame.ts encodeLandmarkFrame), with fresh seq and capture times.
 */
import { encodeLandmarkFrame } from '../../protocol/landmarkFrame.js';
import { PROTOCOL_VERSION } from '../../protocol/version.js';
import { dancing, nodding, smileThenFrown, still, swingingArms, type Performer, type PerformerFrame } from '../performers/synthetic.js';
import type { Rng } from './random.js';

export type Message = Record<string, unknown>;

const PROMPTS = [
  '', 'funk', 'house', 'a happy funk groove with slap bass', 'ambient pads at dawn', 'bossa nova', 'rock',
  'caf\u00e9 jazz \u00e0 minuit', '\u6771\u4eac\u306e\u591c \u30b7\u30f3\u30bb\u30a6\u30a7\u30fc\u30d6', '\u0645\u0648\u0633\u064a\u0642\u0649 \u0647\u0627\u062f\u0626\u0629', '\ud83c\udfb8\ud83e\udd41 party',
  'p'.repeat(500),
];

/** A hello the server should accept (`pack` when given, else the server's default). */
export function validHello(rng: Rng, pack?: string): Message {
  const hello: Message = {
    type: 'hello',
    versions: rng.pick([[PROTOCOL_VERSION], [PROTOCOL_VERSION, 2, 3], [8, 7, PROTOCOL_VERSION]]),
    prompt: rng.pick(PROMPTS),
  };
  if (pack !== undefined) hello.pack = pack;
  if (rng.chance(0.7)) hello.audio = { format: rng.pick(['f32', 's16']) };
  if (rng.chance(0.5)) hello.seed = rng.pick([0, 0xffffffff, rng.int(0, 1e6)]);
  if (rng.chance(0.2)) hello.record = rng.chance(0.5);
  if (rng.chance(0.5)) hello.client = rng.pick(['expotion-fuzz', 'c'.repeat(100), '']);
  return hello;
}

export function validPrompt(rng: Rng): Message {
  return { type: 'prompt', text: rng.pick(PROMPTS) };
}

export function validPing(id: number, nowMs: number): Message {
  return { type: 'ping', id, t: nowMs };
}

export function pongFor(ping: { id: number; t: number }, nowMs: number): Message {
  return { type: 'pong', id: ping.id, t: ping.t, recvMs: nowMs, sendMs: nowMs };
}

/** A playback report for the newest chunk received (sample 0 before any). */
export function validPlayback(lastChunkStart: number | null, nowMs: number, underruns: number): Message {
  return {
    type: 'playback',
    sample: lastChunkStart ?? 0,
    clientTimeMs: nowMs + 60,
    outputLatencyMs: 10,
    bufferedMs: 40,
    underruns,
    underrunMs: underruns * 21.3,
    ...(lastChunkStart !== null ? { leastSlack: { sample: lastChunkStart, ms: 35 } } : {}),
  };
}

export const STOP: Message = { type: 'stop' };

const PERFORMERS: readonly ((rng: Rng) => Performer)[] = [
  (rng) => nodding({ bpm: rng.int(60, 160) }),
  (rng) => dancing({ bpm: rng.int(80, 140) }),
  (rng) => swingingArms({ bpm: rng.int(70, 130) }),
  () => still(),
  () => smileThenFrown(),
];

/**
 * A performer's frames, drawn once (a second's worth) and replayed in a loop: the fuzzer needs
 * valid frames quickly, not a new pose each time.
 */
export class FrameSource {
  private readonly frames: PerformerFrame[];
  private i = 0;

  constructor(rng: Rng, count = 30, fps = 30) {
    const performer = rng.pick(PERFORMERS)(rng);
    this.frames = Array.from({ length: count }, (_, k) => performer.frameAt((k * 1000) / fps));
  }

  /** Back to the first frame. */
  rewind(): void {
    this.i = 0;
  }

  /**
   * The next frame, encoded; now and then with a part left out (nobody, face only, pose only).
   * seq and captureTimeMs are written into the bytes as given (any u32, any f64), whatever the
   * encoder would allow: the fuzzer sends extreme values on purpose.
   */
  next(rng: Rng, seq: number, captureTimeMs: number): Buffer {
    const f = this.frames[this.i++ % this.frames.length]!;
    const parts = rng.chance(0.9) ? f : rng.pick([{ face: null, blendshapes: null, pose: null }, { ...f, pose: null }, { ...f, face: null, blendshapes: null }, { ...f, blendshapes: null }]);
    const bytes = Buffer.from(encodeLandmarkFrame({ ...parts, seq: 0, captureTimeMs: 0 }).buffer);
    bytes.writeUInt32LE(seq >>> 0, 4);
    bytes.writeDoubleLE(captureTimeMs, 8);
    return bytes;
  }
}
