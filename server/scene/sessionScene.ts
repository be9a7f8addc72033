/**
 * The seam between a session (server/session/session.ts) and the scene imaginer: builds a session's
 * SceneImaginer from the server config, with the process-wide bank and model, the hook when one
 * is configured, and its reports going to the session's log and the metrics.
 */
import type { Logger } from 'pino';
import type { ServerConfig } from '../config.js';
import type { ServerMetrics } from '../metrics.js';
import { loadSceneBank, loadSceneModel } from './sceneAssets.js';
import { SceneHook } from './sceneHook.js';
import { SceneImaginer, type SceneCaption } from './sceneImaginer.js';
import { SceneRanker } from './sceneRanker.js';

let shared: SceneRanker | Error | null = null;

/** The bank ranked by the committed model, loaded on first use (a few ms) and then shared. */
export function sharedSceneRanker(): SceneRanker {
  if (shared === null) {
    try {
      shared = new SceneRanker(loadSceneModel(), loadSceneBank());
    } catch (err) {
      shared = err instanceof Error ? err : new Error(String(err));
    }
  }
  if (shared instanceof Error) throw shared;
  return shared;
}

export interface SessionSceneOptions {
  config: Pick<ServerConfig, 'sceneIntervalMs' | 'sceneHookUrl' | 'sceneHookTimeoutMs' | 'sceneHookSeconds'>;
  metrics: Pick<ServerMetrics, 'sceneHook'>;
  log: Pick<Logger, 'warn' | 'error' | 'debug'>;
  sampleRate: number;
  channels: number;
  prompt: string;
  send(caption: SceneCaption): void;
}

/** A session's imaginer, or null when scene captions are off or the imaginer's data cannot be read (logged). */
export function createSessionScene(o: SessionSceneOptions): SceneImaginer | null {
  if (o.config.sceneIntervalMs === 0) return null;
  let ranker: SceneRanker;
  try {
    ranker = sharedSceneRanker();
  } catch (err) {
    o.log.error({ err }, 'scene imaginer unavailable: no scene messages for this session');
    return null;
  }
  const hook = o.config.sceneHookUrl === null ? null : new SceneHook({ url: o.config.sceneHookUrl, timeoutMs: o.config.sceneHookTimeoutMs });
  return new SceneImaginer(
    {
      ranker,
      sampleRate: o.sampleRate,
      channels: o.channels,
      prompt: o.prompt,
      hook,
      send: o.send,
      onHookResult: (result) => {
        if (result.ok) {
          o.metrics.sceneHook.inc({ result: 'ok' });
          o.log.debug({ ms: result.ms }, 'scene hook answered');
        } else if (result.reason !== 'cancelled') {
          o.metrics.sceneHook.inc({ result: result.reason });
          o.log.warn({ reason: result.reason, detail: result.detail, ms: result.ms }, 'scene hook failed; showing the built-in caption');
        }
      },
    },
    { intervalMs: o.config.sceneIntervalMs, hookSeconds: o.config.sceneHookSeconds },
  );
}
