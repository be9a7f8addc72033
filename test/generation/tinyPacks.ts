/**
 * Helpers for the MusicGen-contract engine tests: the tiny packs under models/ (built by
 * tools/build_test_packs.py), temporary pack folders to corrupt, offline stream rendering.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { C, neutralControls, type ControlName, type ControlVector } from '../../protocol/controlVector.js';
import type { GenerationStream } from '../../server/generation/engine.js';
import { MODELS_DIR } from '../../server/paths.js';
import { MusicgenPack } from '../../server/generation/lm/musicgenPack.js';

export const TINY = join(MODELS_DIR, 'tiny-musicgen');
export const TINY_SPLIT = join(MODELS_DIR, 'tiny-musicgen-split');
export const TINY_EXPOTION = join(MODELS_DIR, 'tiny-expotion');
/** tiny-musicgen's weights, split layout with the new-K/V-only cached graph (engine-held cache) and an int8 file set. */
export const TINY_NEWKV = join(MODELS_DIR, 'tiny-musicgen-newkv');
export const SR = 32000;
export const HOP = 640;

const packs = new Map<string, Promise<MusicgenPack>>();
/** One loaded pack per folder for the whole test file (sessions are stateless and shareable). */
export function pack(dir: string): Promise<MusicgenPack> {
  let p = packs.get(dir);
  if (!p) {
    p = MusicgenPack.load(dir);
    packs.set(dir, p);
  }
  return p;
}

export async function disposePacks(): Promise<void> {
  for (const p of packs.values()) await (await p).dispose();
  packs.clear();
}

export function controls(overrides: Partial<Record<ControlName, number>> = {}): ControlVector {
  const v = neutralControls();
  v[C.presence] = 1;
  for (const [name, value] of Object.entries(overrides) as [ControlName, number][]) v[C[name]] = value;
  return v;
}

/** Renders `total` frames in chunks of `chunk`, with the control vector of each chunk from `at(startSample)`. */
export async function renderStream(
  stream: GenerationStream,
  total: number,
  chunk: number,
  at: (startSample: number) => ControlVector = () => controls(),
  before?: (startSample: number) => void,
): Promise<Float32Array> {
  const out = new Float32Array(total);
  for (let start = 0; start < total; start += chunk) {
    const frames = Math.min(chunk, total - start);
    before?.(start);
    const c = await stream.render({ startSample: start, frames, controls: [at(start)], controlStepSamples: HOP, beat: null });
    if (c.pcm.length !== frames) throw new Error(`render returned ${c.pcm.length} samples, asked ${frames}`);
    out.set(c.pcm, start);
  }
  return out;
}

/** A copy of a pack in a temp folder, with its manifest passed through `edit`. */
export function tempPack(from: string, edit: (manifest: Record<string, unknown>) => void = () => undefined): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'pack-'));
  cpSync(from, dir, { recursive: true });
  const path = join(dir, 'manifest.json');
  const m = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  edit(m);
  writeFileSync(path, JSON.stringify(m, null, 2));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function maxAbsDiff(a: Float32Array, b: Float32Array, from = 0, to = Math.min(a.length, b.length)): number {
  let m = 0;
  for (let i = from; i < to; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Largest sample-to-sample step in [from, to). */
export function maxJump(x: Float32Array, from = 1, to = x.length): number {
  let m = 0;
  for (let i = Math.max(1, from); i < Math.min(to, x.length); i++) m = Math.max(m, Math.abs(x[i]! - x[i - 1]!));
  return m;
}
