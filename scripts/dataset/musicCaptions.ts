/**
 * Captions for training clips: music descriptions ("a warm bossa nova groove with nylon guitar
 * for a lazy afternoon") and film scenes from the scene caption grammar ("a detective alone in a
 * smoky jazz bar on a rainy evening"), for a target style and mood.
 *
 * Held-out wordings: the `test` split writes music captions with sentence templates that the
 * `train` split never uses, so an evaluation on `test` measures whether the model learned the
 * words rather than the sentences. Every caption reads back (readPrompt) to its target style;
 * one that does not is redrawn, and anchored with the style's own word as a last resort.
 */
import { readPrompt } from '../../server/generation/symbolic/prompt.js';
import type { Rng } from '../../server/generation/rng.js';
import { CaptionGrammar } from './captionGrammar.js';
import type { StyleName } from '../../server/generation/symbolic/styleNames.js';

export type CaptionSplit = 'train' | 'test';

export interface CaptionTarget {
  style: StyleName;
  /** -1 dark .. +1 bright. */
  valence: number;
  /** 0 still .. 1 wild. */
  energy: number;
}

const STYLE_WORDS: Record<StyleName, readonly string[]> = {
  pop: ['pop', 'pop song', 'synth pop', 'radio pop', 'indie pop', 'catchy pop tune'],
  funk: ['funk', 'funky groove', 'disco funk', 'funk jam', 'slap bass funk', 'seventies funk'],
  house: ['house', 'deep house', 'club house track', 'house groove', 'dance music', 'four on the floor house'],
  'hip-hop': ['hip hop', 'boom bap beat', 'rap beat', 'lofi hip hop', 'hip hop instrumental', 'trap beat'],
  ambient: ['ambient', 'ambient drone', 'atmospheric music', 'ambient soundscape', 'meditation music', 'drone piece'],
  cinematic: ['cinematic', 'film score', 'orchestral piece', 'epic trailer music', 'cinematic score', 'movie soundtrack'],
  rock: ['rock', 'indie rock', 'garage rock', 'rock anthem', 'hard rock', 'punk rock'],
  bossa: ['bossa nova', 'bossa', 'brazilian bossa nova', 'latin jazz', 'samba jazz', 'bossa nova song'],
};

const INSTRUMENTS: Record<StyleName, readonly string[]> = {
  pop: ['synths', 'piano', 'bright synth', 'claps'],
  funk: ['slap bass', 'wah guitar', 'horns', 'clavinet'],
  house: ['pads', 'piano chords', 'synth bass', 'open hats'],
  'hip-hop': ['dusty drums', 'sub bass', 'rhodes', 'vinyl crackle'],
  ambient: ['pads', 'soft synths', 'bells', 'strings'],
  cinematic: ['strings', 'brass', 'choir', 'timpani'],
  rock: ['distorted guitars', 'drums', 'electric guitar', 'bass guitar'],
  bossa: ['nylon guitar', 'soft percussion', 'flute', 'upright bass'],
};

const MOODS = {
  bright: ['happy', 'joyful', 'sunny', 'uplifting', 'cheerful', 'bright'],
  neutral: ['smooth', 'steady', 'mellow', 'cool', 'easy'],
  dark: ['dark', 'sad', 'melancholy', 'moody', 'gloomy', 'tense'],
};
const ENERGIES = {
  calm: ['calm', 'gentle', 'slow', 'relaxed', 'soft', 'quiet'],
  mid: ['groovy', 'laid back', 'bouncy', 'warm'],
  wild: ['energetic', 'driving', 'intense', 'fast', 'wild', 'powerful'],
};
const SETTINGS = ['for a lazy afternoon', 'for a late night drive', 'for a summer party', 'for a rainy day', 'for a workout', 'for a film trailer', 'for a sunrise'];

type Slots = { mood: string; energy: string; style: string; inst: string; setting: string };
const TRAIN_TEMPLATES: readonly ((s: Slots) => string)[] = [
  (s) => `${s.mood} ${s.style}`,
  (s) => `a ${s.energy} ${s.mood} ${s.style} with ${s.inst}`,
  (s) => `${s.style} with ${s.inst}, ${s.mood} and ${s.energy}`,
  (s) => `a ${s.mood} ${s.style} track ${s.setting}`,
  (s) => `${s.energy} ${s.style} ${s.setting}`,
  (s) => `${s.style}`,
  (s) => `${s.inst} and ${s.mood} ${s.style}`,
];
/** Sentences the train split never sees. */
const TEST_TEMPLATES: readonly ((s: Slots) => string)[] = [
  (s) => `i want some ${s.energy} ${s.style} that feels ${s.mood}`,
  (s) => `play ${s.mood} ${s.style} music featuring ${s.inst}`,
  (s) => `something ${s.mood}, ${s.energy}, in the style of ${s.style}`,
];

function moodWord(valence: number, rng: Rng): string {
  return rng.pick(valence > 0.3 ? MOODS.bright : valence < -0.3 ? MOODS.dark : MOODS.neutral);
}

function energyWord(energy: number, rng: Rng): string {
  return rng.pick(energy < 0.35 ? ENERGIES.calm : energy > 0.65 ? ENERGIES.wild : ENERGIES.mid);
}

export class MusicCaptions {
  private readonly scenes = new CaptionGrammar();

  /** A caption for the target; `sceneShare` of them are film scenes. */
  write(target: CaptionTarget, split: CaptionSplit, rng: Rng, sceneShare = 0.3): string {
    if (rng.chance(sceneShare)) return this.scenes.write(target, rng);
    const templates = split === 'train' ? TRAIN_TEMPLATES : TEST_TEMPLATES;
    for (let attempt = 0; attempt < 8; attempt++) {
      const caption = rng.pick(templates)({
        mood: moodWord(target.valence, rng),
        energy: energyWord(target.energy, rng),
        style: rng.pick(STYLE_WORDS[target.style]),
        inst: rng.pick(INSTRUMENTS[target.style]),
        setting: rng.pick(SETTINGS),
      });
      if (readPrompt(caption).style === target.style) return caption;
    }
    return `${STYLE_WORDS[target.style][0]} ${moodWord(target.valence, rng)}`;
  }

  /** Every word any caption can contain (for the text encoder's vocabulary). */
  words(): Set<string> {
    const out = new Set(this.scenes.words());
    const lists = [...Object.values(STYLE_WORDS), ...Object.values(INSTRUMENTS), ...Object.values(MOODS), ...Object.values(ENERGIES), SETTINGS];
    for (const list of lists) for (const phrase of list) for (const w of phrase.split(/[^a-z0-9]+/)) if (w) out.add(w);
    const probe: Slots = { mood: '', energy: '', style: '', inst: '', setting: '' };
    for (const t of [...TRAIN_TEMPLATES, ...TEST_TEMPLATES]) for (const w of t(probe).split(/[^a-z0-9]+/)) if (w) out.add(w);
    return out;
  }
}
