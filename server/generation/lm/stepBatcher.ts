/**
 * Batches the cached decoder steps of the sessions that share one pack in one worker thread:
 * steps asked for while the decoder is busy (or within the same turn of the event loop) run as
 * one ONNX run (EngineCacheDecoderRunner.cachedBatch), and each session gets its own logits and
 * cache back. The decode loop stays the composer; it hands its cached steps here
 * and prefill passes (transformers.js keeps the generate loop apart from the model sessions in
 * the same way).
 *
 * Opportunistic: a step never waits for company. A request on an idle batcher runs on the next
 * setImmediate (so that requests made in the same turn join it); requests that arrive while a
 * run is in flight wait for it and then go together, so under load batches grow by themselves and
 * with one session nothing changes but one setImmediate.
 *
 * Relaxed steps (decoded ahead of need, neuralComposer.ts) do wait for company: up to
 * `relaxedWaitMs`, or until an urgent step arrives or hurry() says one is needed now, and then run
 * with everything waiting. At real pace one worker's sessions reach their steps at different
 * moments (16 sessions: 1.1-1.2 per run), so without them batching seldom paid. One run at a time; at most
 * `maxSessions` sessions per run (the rest go in the next), all feeding the same number of
 * positions (a step's one; prefill passes of several positions batch among themselves). A batch
 * of one is an ordinary cached pass. Full passes (first step, prompt change, re-prime) do not
 * come here.
 */
import type { BatchItem, DecoderPass, EngineCacheDecoderRunner, KvCache } from './decoderRunner.js';
import type { DecoderInput } from './decoderRunner.js';
import { MAX_PROMPT_ROWS, type EncodedPrompt } from './textConditioner.js';

export const DEFAULT_MAX_BATCH_SESSIONS = 16;
/** Longest a relaxed step waits for company (ms): under a chunk (21 ms), so it is ready by the next one. */
export const DEFAULT_RELAXED_WAIT_MS = 12;

interface Pending extends BatchItem {
  /** May wait for company (until the timer, an urgent step, or hurry()). */
  relaxed: boolean;
  resolve(pass: DecoderPass): void;
  reject(err: unknown): void;
}

export interface StepBatcherStats {
  /** ONNX runs made. */
  runs: number;
  /** Steps served (sum of batch sizes). */
  steps: number;
  /** runsBySize[b] = runs that served b sessions (index 0 unused). */
  runsBySize: number[];
}

export class StepBatcher {
  private readonly runner: EngineCacheDecoderRunner;
  readonly maxSessions: number;
  private queue: Pending[] = [];
  private running = false;
  private scheduled = false;
  private timer: NodeJS.Timeout | null = null;
  /** Longest a relaxed step waits for company (ms); tests set it. */
  relaxedWaitMs: number;
  readonly stats: StepBatcherStats;

  constructor(runner: EngineCacheDecoderRunner, maxSessions = DEFAULT_MAX_BATCH_SESSIONS, relaxedWaitMs = DEFAULT_RELAXED_WAIT_MS) {
    if (!runner.batchable) throw new Error('StepBatcher needs a decoder with a per-row past length (decoder.pastLength "per-row")');
    if (!Number.isInteger(maxSessions) || maxSessions < 1) throw new RangeError(`maxSessions must be a positive integer, got ${maxSessions}`);
    if (!(relaxedWaitMs >= 0 && relaxedWaitMs <= 1000)) throw new RangeError(`relaxedWaitMs must be in [0, 1000], got ${relaxedWaitMs}`);
    this.runner = runner;
    this.maxSessions = maxSessions;
    runner.reserveStacking(maxSessions * MAX_PROMPT_ROWS);
    this.relaxedWaitMs = relaxedWaitMs;
    this.stats = { runs: 0, steps: 0, runsBySize: new Array<number>(maxSessions + 1).fill(0) };
  }

  /**
   * One cached pass over `cache` (mutated and returned, as EngineCacheDecoderRunner.cached does),
   * run with whatever company is waiting; `relaxed`: it may wait a little for company.
   */
  cached(prompt: EncodedPrompt, cache: KvCache, input: DecoderInput, relaxed = false): Promise<DecoderPass> {
    return new Promise<DecoderPass>((resolve, reject) => {
      if (this.queue.some((p) => p.cache === cache)) {
        reject(new Error('StepBatcher: this cache already has a step waiting'));
        return;
      }
      this.queue.push({ prompt, cache, input, relaxed, resolve, reject });
      this.schedule();
    });
  }

  /** Steps waiting for the next run. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Mean sessions per run so far (0 before the first). */
  meanBatch(): number {
    return this.stats.runs === 0 ? 0 : this.stats.steps / this.stats.runs;
  }

  /** The relaxed steps waiting are needed now: they run at once (with any company there is). */
  hurry(): void {
    for (const p of this.queue) p.relaxed = false;
    this.schedule();
  }

  private schedule(): void {
    if (this.running || this.scheduled || this.queue.length === 0) return;
    if (this.queue.every((p) => p.relaxed)) {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        this.hurry();
      }, this.relaxedWaitMs).unref();
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.running || this.queue.length === 0) return;
    this.running = true;
    // Same position count per run (steps are one position each; anything else runs on its own).
    const s = this.queue[0]!.input.positions;
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    for (const p of this.queue) (batch.length < this.maxSessions && p.input.positions === s ? batch : rest).push(p);
    this.queue = rest;
    try {
      const passes = batch.length === 1 ? [await this.runner.cached(batch[0]!.prompt, batch[0]!.cache, batch[0]!.input)] : await this.runner.cachedBatch(batch);
      this.stats.runs++;
      this.stats.steps += batch.length;
      this.stats.runsBySize[batch.length]!++;
      batch.forEach((p, i) => p.resolve(passes[i]!));
    } catch (err) {
      for (const p of batch) p.reject(err);
    } finally {
      this.running = false;
      // Let the sessions just resolved take their turn first (they may ask for their next step at
      // once and join), then run whatever is waiting.
      this.schedule();
    }
  }
}
