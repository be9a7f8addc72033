/**
 * A neural symbolic pack's manifest (codec.type "symbolic-synth", DEFAULT-PACK.md): beyond the
 * generic manifest checks (pack/manifest.ts), its four codebooks must be this server's symbolic
 * token streams and its audio the built-in synthesiser's. Kept here so that pack/ knows nothing
 * of the symbolic vocabulary.
 */
import { loadManifest, PackError, type LoadedManifest, type ManifestLoadOptions, type PackManifest } from '../pack/manifest.js';
import { isStyleName } from './styleNames.js';
import { SYMBOLIC_AUDIO } from './synth/symbolicSynth.js';
import { STREAM_NAMES, SYMBOLIC_VOCAB } from './tokens.js';

/** What a symbolic pack must agree on with this server's token vocabulary and synthesiser. */
function symbolicPackProblem(m: PackManifest): string | null {
  if (m.codec.type !== 'symbolic-synth') return null;
  const t = m.tokens;
  if (m.codec.vocabulary !== SYMBOLIC_VOCAB.version) return `codec.vocabulary: this server plays symbolic vocabulary version ${SYMBOLIC_VOCAB.version}, the pack has ${m.codec.vocabulary}`;
  if (t.codebooks !== STREAM_NAMES.length) return `tokens.codebooks: a symbolic pack has ${STREAM_NAMES.length} streams (${STREAM_NAMES.join(', ')}), got ${t.codebooks}`;
  if (t.vocabSize !== SYMBOLIC_VOCAB.size || t.padTokenId !== SYMBOLIC_VOCAB.padId) {
    return `tokens: expected vocabSize ${SYMBOLIC_VOCAB.size} and padTokenId ${SYMBOLIC_VOCAB.padId} (symbolic vocabulary v${SYMBOLIC_VOCAB.version}), got ${t.vocabSize} and ${t.padTokenId}`;
  }
  for (let k = 0; k < STREAM_NAMES.length; k++) {
    const [first, last] = SYMBOLIC_VOCAB.ranges[STREAM_NAMES[k]!];
    const [lo, hi] = t.validRanges[k] ?? [0, 0];
    if (lo < first || hi > last + 1) return `tokens.validRanges.${k}: stream ${STREAM_NAMES[k]} must stay within [${first}, ${last + 1}), got [${lo}, ${hi})`;
  }
  const unknown = m.codec.presets.filter((p) => !isStyleName(p));
  if (unknown.length > 0) return `codec.presets: unknown synthesiser presets ${unknown.join(', ')}`;
  if (m.audio.sampleRate !== SYMBOLIC_AUDIO.sampleRate || m.audio.channels !== SYMBOLIC_AUDIO.channels) {
    return `audio: the synthesiser renders ${SYMBOLIC_AUDIO.sampleRate} Hz, ${SYMBOLIC_AUDIO.channels} channels; got ${m.audio.sampleRate} Hz, ${m.audio.channels}`;
  }
  return null;
}

/** Throws a PackError naming the field when a symbolic pack does not match this server. */
export function checkSymbolicManifest(loaded: LoadedManifest): void {
  const problem = symbolicPackProblem(loaded.manifest);
  if (problem !== null) throw new PackError(`${loaded.manifestPath}: invalid manifest:\n  ${problem}`);
}

/** loadManifest for a symbolic pack: refuses any other codec and a pack this server cannot play. */
export function loadSymbolicManifest(dir: string, options: ManifestLoadOptions = {}): LoadedManifest {
  const loaded = loadManifest(dir, options);
  if (loaded.manifest.codec.type !== 'symbolic-synth') throw new PackError(`${dir}: not a symbolic pack (codec.type "${loaded.manifest.codec.type}")`);
  checkSymbolicManifest(loaded);
  return loaded;
}
