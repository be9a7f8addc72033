/**
 * Which renderer plays a symbolic stream: the sampled General MIDI instruments
 * (soundfontRenderer.ts) or the built-in synthesiser (symbolicSynth.ts).
 *
 * The choice, first match wins: the session's hello (`instruments`), the server's
 * `--instruments` / EXPOTION_INSTRUMENTS, the pack manifest's `codec.instruments`, then
 * DEFAULT_INSTRUMENTS. The built-in synthesiser is the fallback whenever the bank cannot load.
 */
import type { InstrumentKind } from '../../../../protocol/messages.js';
import { loadSoundfontBank } from './soundfontBank.js';
import { SoundfontRenderer, type SoundfontTuning } from './soundfontRenderer.js';
import type { StepRenderer, StepRendererOptions } from './stepRenderer.js';
import { SymbolicSynth } from './symbolicSynth.js';

export type { InstrumentKind };

/**
 * For packs that say nothing. The built-in synthesiser: half the CPU of the sampled instruments
 * and no bank in memory; the shipped pack asks for "soundfont" in its manifest
 * (measurements: `npm run bench:soundfont`, README "Instruments").
 */
export const DEFAULT_INSTRUMENTS: InstrumentKind = 'synth';

export interface ChosenRenderer {
  renderer: StepRenderer;
  /** What actually plays: "synth" when the bank could not load. */
  instruments: InstrumentKind;
  /** Why the sampled instruments were not used, when they were asked for and failed. */
  fallbackReason?: string;
}

/** Where the sampled instruments come from and how they are tuned for speed. */
export interface SampledOptions extends SoundfontTuning {
  /** The SoundFont bank file; default the shipped GM bank (soundfontBank.ts). */
  bankPath?: string;
}

/** The built-in synthesiser at once; the sampled renderer once the worker's bank is loaded (or the synthesiser if it cannot be). */
export function createStepRenderer(kind: InstrumentKind, options: StepRendererOptions, sampled: SampledOptions = {}): ChosenRenderer | Promise<ChosenRenderer> {
  if (kind === 'synth') return { renderer: new SymbolicSynth(options), instruments: 'synth' };
  const { bankPath, ...tuning } = sampled;
  return loadSoundfontBank(bankPath)
    .then(async ({ bank }) => ({ renderer: await SoundfontRenderer.create(bank, { ...options, ...tuning }), instruments: 'soundfont' as const }))
    .catch((err: unknown) => ({
      renderer: new SymbolicSynth(options),
      instruments: 'synth' as const,
      fallbackReason: err instanceof Error ? err.message : String(err),
    }));
}
