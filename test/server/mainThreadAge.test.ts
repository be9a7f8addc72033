/**
 * A session's main-thread state does not grow with its age: a control tracker fed 30 fps
 * landmark frames and read at the chunk rate (resample + beat, and current() for the controls
 * messages), and a scene imaginer fed every chunk, hold as much state after 30 simulated
 * minutes as after 10 (bench/mainThreadAge.ts measures the time side: flat per window).
 * Bounded lists fill in the first minutes (the imaginer remembers its last 16 captions, one
 * every 30 s of steady music), so the early count is taken once they are full.
 *
 * "State" is counted by walking the objects reachable from the tracker and the imaginer:
 * every object, array element, typed-array element and Map/Set entry counts one. A history
 * that is pushed but never trimmed, a cache keyed by time or a list of past chunks would make
 * the late count larger than the early one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LandmarkFrame } from '../../protocol/landmarkTypes.js';
import type { MusicState } from '../../protocol/messages.js';
import { dancing, nodding } from '../../harness/performers/synthetic.js';
import { ClockSync } from '../../server/controls/clockSync.js';
import { ControlTracker } from '../../server/controls/controlTracker.js';
import { createSessionScene } from '../../server/scene/sessionScene.js';
import type { SceneImaginer } from '../../server/scene/sceneImaginer.js';

const RATE = 48000;
const FRAMES = 1024;
const CHUNK_MS = (FRAMES / RATE) * 1000;
const FRAME_MS = 1000 / 30;
/** The audio timeline renderNext maps the beat onto (heard from the server's start). */
const TIMELINE = { sampleRate: RATE, sampleAt: (ms: number) => ((ms - SERVER_OFFSET) / 1000) * RATE };
/** Server clock = client clock + this (a browser's performance.now() against the server's epoch-based clock). */
const SERVER_OFFSET = 1.7e12;
/** The scene's window holds 235 or 236 chunks depending on rounding: a few entries either way. */
const SLACK = 8;

/** Objects, elements and entries reachable from `roots`, not entering `shared` (nor functions). */
function reachableSize(roots: readonly object[], shared: readonly object[]): number {
  const seen = new Set<object>(shared);
  const stack: object[] = [...roots];
  let size = 0;
  while (stack.length > 0) {
    const o = stack.pop()!;
    if (seen.has(o)) continue;
    seen.add(o);
    size++;
    if (ArrayBuffer.isView(o)) {
      size += (o as unknown as { length?: number }).length ?? o.byteLength;
      continue;
    }
    if (o instanceof ArrayBuffer) {
      size += o.byteLength;
      continue;
    }
    const visit = (v: unknown): void => {
      if (v !== null && typeof v === 'object') stack.push(v);
    };
    if (o instanceof Map) {
      size += o.size;
      for (const [k, v] of o) {
        visit(k);
        visit(v);
      }
    } else if (o instanceof Set) {
      size += o.size;
      for (const v of o) visit(v);
    } else if (Array.isArray(o)) {
      size += o.length;
      for (const v of o) visit(v);
    } else {
      for (const key of Object.getOwnPropertyNames(o)) {
        const d = Object.getOwnPropertyDescriptor(o, key);
        if (d && 'value' in d) visit(d.value);
      }
    }
  }
  return size;
}

/** Frames of a periodic performer, drawn once and replayed with new seq and capture times. */
function frameLoop(draw: (tMs: number) => Omit<LandmarkFrame, 'seq' | 'captureTimeMs'>, fromMs: number, count: number) {
  const frames = Array.from({ length: count }, (_, i) => draw(fromMs + i * FRAME_MS));
  return (i: number): LandmarkFrame => ({ ...frames[i % count]!, seq: i, captureTimeMs: 1000 + i * FRAME_MS });
}

function musicChunks(count: number): Float32Array[] {
  let seed = 7;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  return Array.from({ length: count }, (_, c) => {
    const pcm = new Float32Array(FRAMES * 2);
    for (let i = 0; i < FRAMES; i++) {
      const n = c * FRAMES + i;
      const kick = n % 24000 < 3000 ? 0.5 * Math.sin(n * 0.01) * Math.exp(-(n % 24000) / 1500) : 0;
      const m = 0.2 * Math.sin((2 * Math.PI * 220 * n) / RATE) + kick + 0.02 * rnd();
      pcm[2 * i] = m;
      pcm[2 * i + 1] = m;
    }
    return pcm;
  });
}

interface Piece {
  tracker: ControlTracker;
  scene: SceneImaginer;
}

/**
 * Runs one session's main-thread pieces from `fromMin` to `toMin` simulated minutes, in the
 * session's order of events: frames at 30 fps arriving 30 ms after capture, a chunk every
 * 21.3 ms (resample, beat, scene), controls every 100 ms (current).
 */
function run(
  p: Piece,
  frame: (i: number) => LandmarkFrame,
  pcm: readonly Float32Array[],
  fromMin: number,
  toMin: number,
  afterChunk?: () => void,
): void {
  const startMs = fromMin * 60_000;
  const endMs = toMin * 60_000;
  let f = Math.ceil(startMs / FRAME_MS);
  let c = Math.ceil(startMs / CHUNK_MS);
  let k = Math.ceil(startMs / 100);
  const state: MusicState = { style: 'funk', tempoBpm: 120, key: 'A', mode: 'minor', section: 'verse', level: 2 };
  for (;;) {
    const frameAt = f * FRAME_MS + 30;
    const chunkAt = c * CHUNK_MS;
    const controlsAt = k * 100;
    const t = Math.min(frameAt, chunkAt, controlsAt);
    if (t >= endMs) return;
    const now = SERVER_OFFSET + t;
    if (t === frameAt) {
      p.tracker.push(frame(f), now);
      f++;
    } else if (t === chunkAt) {
      const { controls } = p.tracker.forChunk(now, { stepMs: 20, count: 2, timeline: TIMELINE });
      p.scene.observe(state, pcm[c % pcm.length]!, controls[1]!, now);
      c++;
      afterChunk?.();
    } else {
      p.tracker.current(now);
      k++;
    }
  }
}

function makePiece(): Piece {
  const tracker = new ControlTracker({ clock: new ClockSync() });
  tracker.setClockOffset(SERVER_OFFSET);
  const scene = createSessionScene({
    config: { sceneIntervalMs: 4000, sceneHookUrl: null, sceneHookTimeoutMs: 3000, sceneHookSeconds: 5 },
    metrics: { sceneHook: { inc: () => undefined } } as never,
    log: { warn: () => undefined, error: () => undefined, debug: () => undefined },
    sampleRate: RATE,
    channels: 2,
    prompt: 'funk',
    send: () => undefined,
  });
  assert.ok(scene, 'the scene imaginer loads');
  return { tracker, scene };
}

for (const [name, performer] of [
  ['dancing', dancing({ bpm: 120 })],
  ['nodding', nodding({ bpm: 120 })],
] as const) {
  test(`a ${name} performer's tracker and scene hold no more state after 30 minutes than after 10`, { timeout: 120_000 }, () => {
    // 4 s of frames after the dance's 2 s ramp: whole periods of the motion (1 s at 120 BPM)
    const frame = frameLoop((t) => performer.frameAt(t), 2000, 120);
    const pcm = musicChunks(47);
    const p = makePiece();
    const roots = [p.tracker, p.scene];
    // the bank and model every session shares (loaded once per process) are not session state
    const shared = [(p.scene as unknown as { deps: { ranker: object } }).deps.ranker];
    run(p, frame, pcm, 0, 1);
    // The most state seen over a minute, counted after every chunk (the scene's chunk window
    // is a ring compacted every 257 chunks, so its size saws up and down every 5.5 s).
    const most = (fromMin: number): number => {
      let max = 0;
      run(p, frame, pcm, fromMin, fromMin + 1, () => (max = Math.max(max, reachableSize(roots, shared))));
      return max;
    };
    run(p, frame, pcm, 1, 9);
    const early = most(9);
    run(p, frame, pcm, 10, 29);
    const late = most(29);
    assert.ok(p.tracker.counts.accepted > 30 * 60 * 30 - 10, `frames were accepted (${JSON.stringify(p.tracker.counts)})`);
    assert.ok(p.tracker.beat(SERVER_OFFSET + 30 * 60_000) !== null, 'the beat is tracked');
    // one more entry per chunk would add ~56,000 by minute 29, one per second 1,200, one per scene decision 300
    assert.ok(late <= early + SLACK, `state in minute 29-30 (${late}) exceeds state in minute 9-10 (${early}) by more than ${SLACK}`);
  });
}
