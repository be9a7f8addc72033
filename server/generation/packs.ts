/**
 * The pack catalogue: which generators exist and how to build one. Engines are created inside
 * worker threads (generationWorker.ts); the main thread only needs the descriptions.
 *
 * Built in: `teacher` (the procedural composer). Installed: every folder models/<name>/ whose
 * manifest.json has format "expotion-pack": MusicGen-contract packs (server/generation/musicgen/ over lm/),
 * audio-codec or symbolic (codec.type "symbolic-synth", server/generation/symbolic/neuralEngine.ts),
 * read once; a folder whose manifest is invalid is left out and its error kept in packProblems().
 * The default is the shipped neural pack `expotion-small` (DEFAULT-PACK.md), or the teacher
 * where that pack is missing or invalid.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { MODELS_DIR } from '../paths.js';
import type { Engine, PackInfo } from './engine.js';
import { declaresPack, loadManifest, MANIFEST_FILE } from './pack/manifest.js';
import { createMusicgenEngine, packInfo } from './musicgen/musicgenEngine.js';
import { createNeuralEngine, neuralPackInfo } from './symbolic/neuralEngine.js';
import { checkSymbolicManifest } from './symbolic/symbolicPack.js';
import { createTeacherEngine } from './symbolic/teacherEngine.js';

/** How a worker builds its engines. */
export interface EngineOptions {
  /** Batch the decoder steps of the sessions sharing the engine where the pack allows (default true). */
  decoderBatching?: boolean;
}

interface PackEntry {
  info: PackInfo;
  create(options?: EngineOptions): Engine;
}

function entry(create: () => Engine): PackEntry {
  const probe = create();
  const info = probe.info;
  probe.dispose();
  return { info, create };
}

function batching(o: EngineOptions): { settings?: { batchSteps: boolean } } {
  return o.decoderBatching === false ? { settings: { batchSteps: false } } : {};
}

let catalogue: Map<string, PackEntry> | null = null;
const problems: string[] = [];

/** Packs installed under `dir` (models/ by default): name -> entry; invalid ones go to `problems`. */
function installedPacks(dir: string): PackEntry[] {
  if (!existsSync(dir)) return [];
  const found: PackEntry[] = [];
  for (const name of readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory() || d.isSymbolicLink()).map((d) => d.name).sort()) {
    const packDir = join(dir, name);
    if (!declaresPack(packDir)) continue; // not a model pack (e.g. MediaPipe bundles)
    try {
      const loaded = loadManifest(packDir);
      const manifest = loaded.manifest;
      if (manifest.name !== name) throw new Error(`${join(packDir, MANIFEST_FILE)}: name: expected the folder's name "${name}", got "${manifest.name}"`);
      if (manifest.codec.type === 'symbolic-synth') {
        checkSymbolicManifest(loaded);
        found.push({ info: neuralPackInfo(manifest), create: (o = {}) => createNeuralEngine(packDir, batching(o)) });
      } else found.push({ info: packInfo(manifest), create: (o = {}) => createMusicgenEngine(packDir, batching(o)) });
    } catch (err) {
      problems.push(err instanceof Error ? err.message : String(err));
    }
  }
  return found;
}

function packs(): Map<string, PackEntry> {
  if (!catalogue) {
    const entries = [entry(() => createTeacherEngine()), ...installedPacks(MODELS_DIR)];
    catalogue = new Map();
    for (const e of entries) {
      if (catalogue.has(e.info.name)) problems.push(`pack "${e.info.name}" is defined twice; the first one is kept`);
      else catalogue.set(e.info.name, e);
    }
  }
  return catalogue;
}

/** The shipped neural pack (models/expotion-small), the default where it is installed. */
export const SHIPPED_PACK = 'expotion-small';
export const TEACHER_PACK = 'teacher';

/** The pack sessions get when their hello names none: the shipped neural pack, else the teacher. */
export function defaultPack(): string {
  return packs().has(SHIPPED_PACK) ? SHIPPED_PACK : TEACHER_PACK;
}

/** Every pack, the default first. */
export function listPacks(): PackInfo[] {
  const all = [...packs().values()].map((e) => e.info);
  const first = defaultPack();
  return [...all.filter((p) => p.name === first), ...all.filter((p) => p.name !== first)];
}

/** The packs users see: `packs` without the test packs (which stay selectable by name). */
export function userPacks(packs: readonly PackInfo[]): PackInfo[] {
  return packs.filter((p) => p.test !== true);
}

export function findPack(name: string): PackInfo | undefined {
  return packs().get(name)?.info;
}

/** Why installed packs were left out (invalid manifests, duplicates), for logs. */
export function packProblems(): readonly string[] {
  packs();
  return problems;
}

export function createEngine(name: string, options: EngineOptions = {}): Engine {
  const e = packs().get(name);
  if (!e) throw new Error(`unknown pack ${JSON.stringify(name)}; installed: ${[...packs().keys()].join(', ')}`);
  return e.create(options);
}
