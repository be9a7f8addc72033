/**
 * The pack catalogue: which generators exist and how to build one. Engines are created inside
 * worker threads (generationWorker.ts); the main thread only needs the descriptions.
 */
import type { Engine, PackInfo } from './engine.js';
import { createTeacherEngine } from './symbolic/teacherEngine.js';

interface PackEntry {
  info: PackInfo;
  create(): Engine;
}

function entry(create: () => Engine): PackEntry {
  const probe = create();
  const info = probe.info;
  probe.dispose();
  return { info, create };
}

let catalogue: Map<string, PackEntry> | null = null;

function packs(): Map<string, PackEntry> {
  catalogue ??= new Map([entry(createTeacherEngine)].map((e) => [e.info.name, e]));
  return catalogue;
}

export function listPacks(): PackInfo[] {
  return [...packs().values()].map((e) => e.info);
}

export function findPack(name: string): PackInfo | undefined {
  return packs().get(name)?.info;
}

export function createEngine(name: string): Engine {
  const e = packs().get(name);
  if (!e) throw new Error(`unknown pack ${JSON.stringify(name)}; installed: ${[...packs().keys()].join(', ')}`);
  return e.create();
}
