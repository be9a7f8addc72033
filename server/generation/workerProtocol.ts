/** Messages between the main thread (workerPool.ts) and generation workers (generationWorker.ts). */
import type { InstrumentKind } from '../../protocol/messages.js';
import type { ChunkNotes, ChunkRequest, MusicState, PackInfo } from './engine.js';

export type ToWorker =
  | { op: 'open'; streamId: number; pack: string; prompt: string; seed: number; instruments?: InstrumentKind }
  | { op: 'prompt'; streamId: number; prompt: string }
  | { op: 'render'; streamId: number; request: ChunkRequest }
  | { op: 'close'; streamId: number }
  /** Finish what is in flight, release every engine, answer `closed` (then the pool ends the thread). */
  | { op: 'shutdown' };

export type FromWorker =
  /** `tid`: the worker's kernel thread id, for its CPU wait (threadCpuTimes.ts); null where unknown. */
  | { op: 'ready'; tid: number | null }
  | { op: 'closed' }
  | { op: 'opened'; streamId: number; info: PackInfo; instruments?: InstrumentKind }
  | { op: 'rendered'; streamId: number; pcm: Float32Array; state: MusicState; notes?: ChunkNotes; genStartMs: number; genEndMs: number }
  | { op: 'failed'; streamId: number; message: string };
