/**
 * Runs trainSceneModel in a worker thread, so that a test can give up on a training run that never
 * ends (a synchronous loop cannot be interrupted on the test's own thread).
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { retrievalAccuracy, trainSceneModel, type TrainerOptions } from '../../../scripts/scene/contrastiveTrainer.js';
import type { ScenePair } from '../../../scripts/scene/sceneCorpus.js';

export type TrainingOutcome = { kind: 'trained'; heldInTop5: number; pairs: number } | { kind: 'refused'; name: string; message: string } | { kind: 'timed out' };

interface Job {
  pairs: ScenePair[];
  options: Partial<TrainerOptions>;
}

export function trainInWorker(pairs: ScenePair[], options: Partial<TrainerOptions>, timeoutMs: number): Promise<TrainingOutcome> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { pairs, options } satisfies Job });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void worker.terminate();
      resolve({ kind: 'timed out' });
    }, timeoutMs);
    worker.once('message', (outcome: TrainingOutcome) => {
      clearTimeout(timer);
      void worker.terminate();
      resolve(outcome);
    });
    worker.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

if (!isMainThread) {
  const job = workerData as Job;
  let outcome: TrainingOutcome;
  try {
    const model = trainSceneModel(job.pairs, job.options);
    const scores = retrievalAccuracy(model, job.pairs);
    outcome = { kind: 'trained', heldInTop5: scores.top5, pairs: scores.pairs };
  } catch (err) {
    outcome = err instanceof Error ? { kind: 'refused', name: err.name, message: err.message } : { kind: 'refused', name: 'unknown', message: String(err) };
  }
  parentPort!.postMessage(outcome);
}
