/**
 * Where the scene imaginer's committed data lives (models/scene/) and how it is read: the bank
 * of scene sentences and the trained model. Loaded once per process and shared read-only by
 * every session (the server creates sessions without a place to inject it; the data never
 * changes while the server runs).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MODELS_DIR } from '../paths.js';
import { SceneModel, type SceneModelFile } from './sceneModel.js';

export const SCENE_DIR = join(MODELS_DIR, 'scene');
export const SCENE_BANK_PATH = join(SCENE_DIR, 'bank.json');
export const SCENE_MODEL_PATH = join(SCENE_DIR, 'imaginer.json');
export const SCENE_EVAL_PATH = join(SCENE_DIR, 'eval-scenes.json');

/** Longest bank sentence accepted (characters). */
export const MAX_SCENE_CHARS = 160;

export function parseSceneBank(json: unknown): string[] {
  const sentences = (json as { sentences?: unknown }).sentences;
  if (!Array.isArray(sentences) || sentences.length === 0) throw new TypeError('a scene bank must have a non-empty "sentences" array');
  const seen = new Set<string>();
  for (const [i, s] of sentences.entries()) {
    if (typeof s !== 'string' || s.trim() === '' || s.length > MAX_SCENE_CHARS) {
      throw new TypeError(`scene ${i} must be a non-empty string of at most ${MAX_SCENE_CHARS} characters, but is ${JSON.stringify(s)}`);
    }
    if (seen.has(s)) throw new TypeError(`scene ${i} repeats an earlier one: ${JSON.stringify(s)}`);
    seen.add(s);
  }
  return sentences as string[];
}

export function loadSceneBank(path = SCENE_BANK_PATH): string[] {
  return parseSceneBank(JSON.parse(readFileSync(path, 'utf8')));
}

export function loadSceneModel(path = SCENE_MODEL_PATH): SceneModel {
  return SceneModel.fromFile(JSON.parse(readFileSync(path, 'utf8')) as SceneModelFile);
}
