/**
 * Prompt text -> style, mood and hints, with a weighted keyword lexicon.
 *
 * Words and short phrases (scene words included: "sunrise", "chase", "night market",
 * "train station") add weight to styles and nudge mood (valence), energy and tempo. The style
 * with the highest total wins (ties: STYLE_NAMES order); nothing matched gives DEFAULT_STYLE.
 * Deterministic, no randomness. The lexicon is exported so that a caption grammar can reuse
 * the same words (every caption it writes reads back to the style it was written for).
 *
 *   readPrompt('a tense chase through a night market')
 *   -> style 'cinematic', valence < 0 (minor), energy > 0, tempo > 0 (fast)
 *
 * Over 400 lines because most of it is the lexicon itself (data, one entry a line); the reader
 * is the last ~80 lines.
 */
import { clamp } from '../../../protocol/numbers.js';
import { STYLE_NAMES, type StyleName } from './styleNames.js';

export const DEFAULT_STYLE: StyleName = 'pop';

export interface LexiconEntry {
  /** One word or a phrase of words (lowercase, single spaces). */
  term: string;
  styles?: Partial<Record<StyleName, number>>;
  /** Mood: -1 sad/dark .. +1 happy/bright. */
  valence?: number;
  /** -1 calm .. +1 energetic. */
  energy?: number;
  /** -1 slow .. +1 fast. */
  tempo?: number;
  instruments?: readonly string[];
}

type S = Partial<Record<StyleName, number>>;
const e = (term: string, styles: S, mood: Omit<LexiconEntry, 'term' | 'styles'> = {}): LexiconEntry => ({ term, styles, ...mood });

export const PROMPT_LEXICON: readonly LexiconEntry[] = Object.freeze([
  // Style names and close synonyms.
  e('pop', { pop: 3 }),
  e('catchy', { pop: 1.5 }, { valence: 0.2 }),
  e('radio', { pop: 1 }),
  e('anthem', { pop: 1, rock: 0.8 }, { energy: 0.4 }),
  e('funk', { funk: 3 }),
  e('funky', { funk: 3 }),
  e('groove', { funk: 1.5, house: 0.3 }),
  e('groovy', { funk: 1.5 }),
  e('disco', { funk: 1.5, house: 1.2 }, { valence: 0.4, energy: 0.4 }),
  e('slap', { funk: 1.5 }, { instruments: ['bass'] }),
  e('soul', { funk: 1.2, bossa: 0.3 }),
  e('motown', { funk: 1.2, pop: 0.6 }),
  e('house', { house: 3 }),
  e('deep house', { house: 3.5 }, { valence: -0.1 }),
  e('techno', { house: 2.2 }, { energy: 0.4, valence: -0.2 }),
  e('edm', { house: 2.2, pop: 0.5 }, { energy: 0.5 }),
  e('club', { house: 2 }, { energy: 0.4 }),
  e('rave', { house: 2 }, { energy: 0.6 }),
  e('dancefloor', { house: 2 }, { energy: 0.5 }),
  e('four on the floor', { house: 3 }),
  e('dance', { house: 1, pop: 0.8 }, { energy: 0.4 }),
  e('electronic', { house: 1, ambient: 0.5 }, { instruments: ['synth'] }),
  e('synth', { house: 0.6, pop: 0.3, ambient: 0.2 }, { instruments: ['synth'] }),
  e('festival', { house: 1.5, pop: 0.5 }, { energy: 0.5, valence: 0.3 }),
  e('neon', { house: 1.2, pop: 0.3 }),
  e('city lights', { house: 1, pop: 0.6 }),
  e('hip hop', { 'hip-hop': 3 }),
  e('hiphop', { 'hip-hop': 3 }),
  e('rap', { 'hip-hop': 3 }),
  e('boom bap', { 'hip-hop': 3.5 }),
  e('trap', { 'hip-hop': 2.5 }, { valence: -0.2 }),
  e('lofi', { 'hip-hop': 2, ambient: 0.5 }, { energy: -0.3 }),
  e('lo fi', { 'hip-hop': 2, ambient: 0.5 }, { energy: -0.3 }),
  e('beat', { 'hip-hop': 0.6, house: 0.3 }),
  e('street', { 'hip-hop': 1.2, funk: 0.3 }),
  e('urban', { 'hip-hop': 1.2 }),
  e('swagger', { 'hip-hop': 1.2, funk: 0.5 }),
  e('study', { 'hip-hop': 1, ambient: 0.6 }, { energy: -0.3 }),
  e('ambient', { ambient: 3 }),
  e('drone', { ambient: 2.2 }, { energy: -0.4 }),
  e('calm', { ambient: 1.5 }, { energy: -0.5 }),
  e('peaceful', { ambient: 1.5 }, { valence: 0.3, energy: -0.5 }),
  e('meditation', { ambient: 2.2 }, { energy: -0.7 }),
  e('meditative', { ambient: 2.2 }, { energy: -0.7 }),
  e('dreamy', { ambient: 1.5, pop: 0.3 }, { energy: -0.3 }),
  e('ethereal', { ambient: 1.5, cinematic: 0.5 }, { energy: -0.3 }),
  e('space', { ambient: 1.5, cinematic: 0.8 }),
  e('floating', { ambient: 1.5 }, { energy: -0.4 }),
  e('sleep', { ambient: 2 }, { energy: -0.7, tempo: -0.5 }),
  e('gentle', { ambient: 1, bossa: 0.3 }, { energy: -0.4 }),
  e('soft', { ambient: 0.8, bossa: 0.3 }, { energy: -0.3 }),
  e('quiet', { ambient: 1 }, { energy: -0.5 }),
  e('rain', { ambient: 0.8, bossa: 0.5 }, { valence: -0.3, energy: -0.3 }),
  e('rainy', { ambient: 0.8, bossa: 0.5 }, { valence: -0.3, energy: -0.3 }),
  e('fog', { ambient: 1, cinematic: 0.3 }, { valence: -0.2, energy: -0.3 }),
  e('mist', { ambient: 1 }, { valence: -0.1, energy: -0.3 }),
  e('snow', { ambient: 1, cinematic: 0.5 }, { energy: -0.3 }),
  e('forest', { ambient: 1, cinematic: 0.5 }),
  e('ocean', { ambient: 1, cinematic: 0.3 }, { energy: -0.2 }),
  e('underwater', { ambient: 1.5 }, { energy: -0.4 }),
  e('stars', { ambient: 1.2, cinematic: 0.5 }),
  e('cinematic', { cinematic: 3 }),
  e('film', { cinematic: 2 }),
  e('movie', { cinematic: 2 }),
  e('soundtrack', { cinematic: 2 }),
  e('score', { cinematic: 1.5 }),
  e('epic', { cinematic: 2.5 }, { energy: 0.5 }),
  e('orchestral', { cinematic: 2.5 }, { instruments: ['strings'] }),
  e('strings', { cinematic: 1, bossa: 0.2 }, { instruments: ['strings'] }),
  e('tense', { cinematic: 2 }, { valence: -0.6, energy: 0.4, tempo: 0.3 }),
  e('tension', { cinematic: 2 }, { valence: -0.6, energy: 0.3 }),
  e('suspense', { cinematic: 2 }, { valence: -0.5, energy: 0.2 }),
  e('chase', { cinematic: 2, rock: 1.2 }, { energy: 0.8, tempo: 0.8 }),
  e('action', { cinematic: 1.5, rock: 1 }, { energy: 0.6, tempo: 0.5 }),
  e('battle', { cinematic: 2, rock: 0.8 }, { valence: -0.4, energy: 0.8, tempo: 0.5 }),
  e('hero', { cinematic: 2 }, { valence: 0.4, energy: 0.4 }),
  e('heroic', { cinematic: 2 }, { valence: 0.5, energy: 0.4 }),
  e('trailer', { cinematic: 2 }, { energy: 0.5 }),
  e('mystery', { cinematic: 1.5, ambient: 0.5 }, { valence: -0.4 }),
  e('mysterious', { cinematic: 1.5, ambient: 0.5 }, { valence: -0.4 }),
  e('horror', { cinematic: 2, ambient: 0.5 }, { valence: -0.8 }),
  e('storm', { cinematic: 1.5, rock: 0.5 }, { valence: -0.5, energy: 0.6 }),
  e('adventure', { cinematic: 1.5, pop: 0.3 }, { valence: 0.4, energy: 0.4 }),
  e('journey', { cinematic: 1, ambient: 0.5 }),
  e('triumph', { cinematic: 1.5, rock: 0.3 }, { valence: 0.7, energy: 0.5 }),
  e('triumphant', { cinematic: 1.5, rock: 0.3 }, { valence: 0.7, energy: 0.5 }),
  e('majestic', { cinematic: 1.5 }, { valence: 0.4 }),
  e('goodbye', { cinematic: 1.2, ambient: 1 }, { valence: -0.6, energy: -0.4, tempo: -0.3 }),
  e('farewell', { cinematic: 1.2, ambient: 1 }, { valence: -0.6, energy: -0.4, tempo: -0.3 }),
  e('train station', { cinematic: 1.2, ambient: 0.6 }),
  e('station', { cinematic: 0.5 }),
  e('night market', { cinematic: 0.5, funk: 0.5, 'hip-hop': 0.3 }, { energy: 0.3, valence: -0.1, instruments: ['percussion'] }),
  e('market', { funk: 0.4, 'hip-hop': 0.3 }, { energy: 0.2, instruments: ['percussion'] }),
  e('rock', { rock: 3 }),
  e('guitar', { rock: 1.2, bossa: 0.4 }, { instruments: ['guitar'] }),
  e('electric guitar', { rock: 2 }, { instruments: ['guitar'] }),
  e('distorted', { rock: 2 }, { energy: 0.3 }),
  e('distortion', { rock: 2 }, { energy: 0.3 }),
  e('punk', { rock: 2.5 }, { energy: 0.7, tempo: 0.7 }),
  e('metal', { rock: 3 }, { valence: -0.3, energy: 0.8 }),
  e('grunge', { rock: 2 }, { valence: -0.4 }),
  e('riff', { rock: 1.5 }),
  e('stadium', { rock: 1.5, pop: 0.5 }, { energy: 0.5 }),
  e('loud', { rock: 1 }, { energy: 0.6 }),
  e('angry', { rock: 1.5 }, { valence: -0.7, energy: 0.8 }),
  e('rage', { rock: 1.5 }, { valence: -0.7, energy: 0.9 }),
  e('aggressive', { rock: 1 }, { valence: -0.5, energy: 0.9 }),
  e('garage', { rock: 1.5 }),
  e('highway', { rock: 1, pop: 0.6 }, { energy: 0.3 }),
  e('motorcycle', { rock: 1.5 }, { energy: 0.5 }),
  e('race', { rock: 1, house: 0.5 }, { energy: 0.7, tempo: 0.7 }),
  e('racing', { rock: 1, house: 0.5 }, { energy: 0.7, tempo: 0.7 }),
  e('fight', { rock: 1, cinematic: 1 }, { valence: -0.4, energy: 0.7 }),
  e('bossa', { bossa: 3 }),
  e('bossa nova', { bossa: 4 }),
  e('samba', { bossa: 2 }, { energy: 0.3 }),
  e('brazil', { bossa: 2.5 }),
  e('brazilian', { bossa: 2.5 }),
  e('latin', { bossa: 1.5, funk: 0.5 }),
  e('jazz', { bossa: 2, funk: 0.5 }),
  e('jazzy', { bossa: 2, funk: 0.5 }),
  e('jazz bar', { bossa: 2.5 }, { valence: -0.2, energy: -0.2 }),
  e('lounge', { bossa: 2, ambient: 0.5 }, { energy: -0.3 }),
  e('cafe', { bossa: 2 }, { energy: -0.2 }),
  e('coffee', { bossa: 1.5 }, { energy: -0.2 }),
  e('cocktail', { bossa: 1.5 }),
  e('nylon', { bossa: 2 }, { instruments: ['nylon guitar'] }),
  e('acoustic', { bossa: 1, pop: 0.5 }, { instruments: ['acoustic guitar'] }),
  e('smooth', { bossa: 1, funk: 0.5 }, { energy: -0.1 }),
  e('mellow', { bossa: 1.2, ambient: 0.5 }, { energy: -0.4 }),
  e('romantic', { bossa: 1, pop: 0.8 }, { valence: 0.3, energy: -0.2 }),
  e('love', { pop: 0.8, bossa: 0.6 }, { valence: 0.3 }),
  e('ipanema', { bossa: 3 }),
  e('rio', { bossa: 2 }),
  e('saxophone', { bossa: 1, funk: 1 }, { instruments: ['sax'] }),
  e('sax', { bossa: 1, funk: 1 }, { instruments: ['sax'] }),
  e('piano', { pop: 0.3, bossa: 0.3, cinematic: 0.3 }, { instruments: ['piano'] }),
  e('candlelight', { bossa: 1.5, ambient: 0.5 }, { energy: -0.3 }),
  // Scenes and settings.
  e('sunrise', { pop: 1, house: 0.6, ambient: 0.3 }, { valence: 0.6, energy: 0.1 }),
  e('sunset', { pop: 0.5, bossa: 0.5, ambient: 0.5 }, { valence: 0.2, energy: -0.2 }),
  e('sunny', { pop: 1, bossa: 0.3 }, { valence: 0.7 }),
  e('summer', { pop: 1, house: 0.6 }, { valence: 0.5, energy: 0.2 }),
  e('beach', { bossa: 0.8, pop: 0.6, house: 0.5 }, { valence: 0.5 }),
  e('drive', { pop: 1, house: 0.8 }, { energy: 0.3 }),
  e('driving', { pop: 1, house: 0.8, rock: 0.3 }, { energy: 0.3 }),
  e('road trip', { pop: 1.5, rock: 0.5 }, { valence: 0.4, energy: 0.3 }),
  e('coast', { pop: 0.6, bossa: 0.4, house: 0.4 }, { valence: 0.3 }),
  e('morning', { pop: 0.5, ambient: 0.5 }, { valence: 0.3 }),
  e('night', { ambient: 0.2, house: 0.2, bossa: 0.2 }, { valence: -0.2 }),
  e('midnight', { house: 0.4, ambient: 0.3, bossa: 0.3 }, { valence: -0.2 }),
  e('party', { funk: 1, house: 1, pop: 0.5 }, { valence: 0.5, energy: 0.5 }),
  e('block party', { funk: 1.5, 'hip-hop': 1 }, { valence: 0.5, energy: 0.5 }),
  e('wedding', { pop: 1, funk: 0.5 }, { valence: 0.7 }),
  e('celebration', { pop: 1, funk: 0.8, house: 0.5 }, { valence: 0.7, energy: 0.5 }),
  e('city', { house: 0.5, 'hip-hop': 0.5 }),
  e('desert', { cinematic: 1, ambient: 0.8 }),
  e('mountain', { cinematic: 1, ambient: 0.8 }),
  e('spaceship', { ambient: 1, cinematic: 1 }),
  // Mood, energy and tempo words.
  e('happy', { pop: 0.6 }, { valence: 0.7 }),
  e('joyful', { pop: 0.6, funk: 0.3 }, { valence: 0.8, energy: 0.3 }),
  e('cheerful', { pop: 0.6 }, { valence: 0.7 }),
  e('bright', { pop: 0.4 }, { valence: 0.6 }),
  e('uplifting', { pop: 0.5, house: 0.5 }, { valence: 0.6, energy: 0.3 }),
  e('hopeful', { pop: 0.3, cinematic: 0.5 }, { valence: 0.5 }),
  e('warm', { bossa: 0.3 }, { valence: 0.3 }),
  e('sweet', { pop: 0.5 }, { valence: 0.4 }),
  e('fun', { pop: 0.5, funk: 0.5 }, { valence: 0.5, energy: 0.3 }),
  e('playful', { pop: 0.5, funk: 0.5 }, { valence: 0.5, energy: 0.2 }),
  e('upbeat', { pop: 1 }, { valence: 0.3, energy: 0.4, tempo: 0.3 }),
  e('sad', { ambient: 0.6, cinematic: 0.6 }, { valence: -0.8, energy: -0.3 }),
  e('melancholy', { ambient: 0.5, cinematic: 0.5, bossa: 0.3 }, { valence: -0.6, energy: -0.2 }),
  e('melancholic', { ambient: 0.5, cinematic: 0.5, bossa: 0.3 }, { valence: -0.6, energy: -0.2 }),
  e('lonely', { ambient: 0.7 }, { valence: -0.6, energy: -0.3 }),
  e('heartbreak', { pop: 0.6 }, { valence: -0.7 }),
  e('tears', { ambient: 0.5, cinematic: 0.5 }, { valence: -0.7 }),
  e('grief', { cinematic: 0.8, ambient: 0.6 }, { valence: -0.8, energy: -0.4 }),
  e('dark', { cinematic: 0.8, ambient: 0.3 }, { valence: -0.6 }),
  e('gloomy', { ambient: 0.5 }, { valence: -0.6 }),
  e('nostalgic', { pop: 0.3, ambient: 0.3, bossa: 0.3 }, { valence: -0.2 }),
  e('minor', {}, { valence: -0.7 }),
  e('major', {}, { valence: 0.7 }),
  e('energetic', {}, { energy: 0.8, tempo: 0.3 }),
  e('intense', { cinematic: 0.5, rock: 0.5 }, { valence: -0.2, energy: 0.7 }),
  e('chill', { 'hip-hop': 0.5, ambient: 0.8, bossa: 0.5 }, { energy: -0.5 }),
  e('relaxed', { ambient: 0.5, bossa: 0.5 }, { energy: -0.5 }),
  e('lazy', { 'hip-hop': 0.5, bossa: 0.3 }, { energy: -0.5, tempo: -0.5 }),
  e('tired', {}, { energy: -0.6, tempo: -0.3 }),
  e('slow', { ambient: 0.5 }, { energy: -0.3, tempo: -0.7 }),
  e('fast', {}, { energy: 0.4, tempo: 0.7 }),
  e('quick', {}, { energy: 0.3, tempo: 0.5 }),
  e('uptempo', {}, { energy: 0.4, tempo: 0.6 }),
  e('downtempo', { ambient: 0.5, 'hip-hop': 0.5 }, { energy: -0.3, tempo: -0.6 }),
  e('running', {}, { energy: 0.5, tempo: 0.5 }),
  e('bass', {}, { instruments: ['bass'] }),
  e('drums', {}, { instruments: ['drums'] }),
  e('pads', { ambient: 0.5 }, { instruments: ['pads'] }),
  // Scene vocabulary (issue 7, scene imagination): times, weather, places, people, events and
  // motion that film-scene descriptions use. Motion words carry tempo as well as energy, so a
  // scene that moves fast is played fast; places and events lean towards the style a film
  // would score them with. The caption grammar (scripts/dataset/captionGrammar.ts) writes with them.
  e('dawn', { ambient: 0.8, pop: 0.3 }, { valence: 0.2, energy: -0.2 }),
  e('dusk', { ambient: 0.5, bossa: 0.4, cinematic: 0.3 }, { valence: -0.1, energy: -0.2 }),
  e('twilight', { ambient: 0.8, cinematic: 0.3 }, { valence: -0.1, energy: -0.2 }),
  e('noon', { pop: 0.5 }, { valence: 0.3, energy: 0.2 }),
  e('afternoon', { pop: 0.3, bossa: 0.4 }, { valence: 0.2, energy: -0.1 }),
  e('evening', { bossa: 0.5, ambient: 0.3 }, { energy: -0.2 }),
  e('spring', { pop: 0.6 }, { valence: 0.5 }),
  e('autumn', { ambient: 0.4, bossa: 0.3 }, { valence: -0.2, energy: -0.2 }),
  e('winter', { ambient: 0.6, cinematic: 0.4 }, { valence: -0.2, energy: -0.2 }),
  e('holiday', { pop: 0.8 }, { valence: 0.5, energy: 0.2 }),
  e('new year', { pop: 0.8, house: 0.6 }, { valence: 0.6, energy: 0.5 }),
  e('thunderstorm', { cinematic: 1.5, rock: 0.5 }, { valence: -0.5, energy: 0.6, tempo: 0.3 }),
  e('thunder', { cinematic: 1.2, rock: 0.5 }, { valence: -0.4, energy: 0.5 }),
  e('lightning', { cinematic: 1.2 }, { valence: -0.3, energy: 0.5 }),
  e('drizzle', { ambient: 0.8 }, { valence: -0.4, energy: -0.3 }),
  e('downpour', { cinematic: 0.6, ambient: 0.4 }, { valence: -0.3, energy: 0.2 }),
  e('breeze', { bossa: 0.6, ambient: 0.4 }, { valence: 0.2, energy: -0.2 }),
  e('cloud', { ambient: 0.8 }, { energy: -0.2 }),
  e('grey', { ambient: 0.5 }, { valence: -0.4, energy: -0.2 }),
  e('gray', { ambient: 0.5 }, { valence: -0.4, energy: -0.2 }),
  e('moon', { ambient: 1 }, { valence: -0.1, energy: -0.3 }),
  e('moonlit', { ambient: 1, bossa: 0.3 }, { energy: -0.3 }),
  e('sunlight', { pop: 0.5, ambient: 0.3 }, { valence: 0.5 }),
  e('sunlit', { pop: 0.5, ambient: 0.3 }, { valence: 0.5 }),
  e('golden hour', { pop: 0.6, bossa: 0.4 }, { valence: 0.4 }),
  e('temple', { ambient: 1.2 }, { energy: -0.4 }),
  e('monk', { ambient: 1.5 }, { energy: -0.5, tempo: -0.3 }),
  e('church', { ambient: 0.8, cinematic: 0.6 }, { energy: -0.3 }),
  e('cathedral', { ambient: 0.8, cinematic: 0.8 }, { energy: -0.2 }),
  e('castle', { cinematic: 1.5 }),
  e('kingdom', { cinematic: 1.5 }),
  e('knight', { cinematic: 1.5 }, { energy: 0.3 }),
  e('dragon', { cinematic: 2 }, { valence: -0.3, energy: 0.5 }),
  e('sword', { cinematic: 1.5 }, { valence: -0.3, energy: 0.5, tempo: 0.3 }),
  e('duel', { cinematic: 1.5 }, { valence: -0.4, energy: 0.5, tempo: 0.4 }),
  e('army', { cinematic: 1.5 }, { valence: -0.2, energy: 0.5 }),
  e('soldier', { cinematic: 1.2 }, { valence: -0.3 }),
  e('war', { cinematic: 1.5 }, { valence: -0.6, energy: 0.6 }),
  e('battlefield', { cinematic: 2 }, { valence: -0.5, energy: 0.6 }),
  e('villain', { cinematic: 1.5 }, { valence: -0.6 }),
  e('ghost', { cinematic: 1, ambient: 1 }, { valence: -0.6, energy: -0.2 }),
  e('haunted', { cinematic: 1.5, ambient: 0.5 }, { valence: -0.8 }),
  e('haunted house', { cinematic: 2, ambient: 0.5 }, { valence: -0.8 }),
  e('zombie', { cinematic: 1.5, rock: 0.5 }, { valence: -0.8, energy: 0.4 }),
  e('monster', { cinematic: 1.2, rock: 0.5 }, { valence: -0.6, energy: 0.4 }),
  e('heist', { cinematic: 1.5, funk: 0.5 }, { valence: -0.3, energy: 0.5, tempo: 0.4 }),
  e('spy', { cinematic: 1.5 }, { valence: -0.3, energy: 0.3 }),
  e('detective', { cinematic: 1, bossa: 1 }, { valence: -0.4, energy: -0.1 }),
  e('escape', { cinematic: 1.2, rock: 0.5 }, { valence: -0.4, energy: 0.6, tempo: 0.5 }),
  e('explosion', { cinematic: 1.5, rock: 0.8 }, { valence: -0.3, energy: 0.8, tempo: 0.3 }),
  e('siren', { cinematic: 1 }, { valence: -0.4, energy: 0.5, tempo: 0.3 }),
  e('alarm', { cinematic: 1 }, { valence: -0.4, energy: 0.5, tempo: 0.3 }),
  e('getaway', { cinematic: 1, rock: 1 }, { valence: -0.2, energy: 0.6, tempo: 0.6 }),
  e('police', { cinematic: 0.8 }, { valence: -0.3, energy: 0.3 }),
  e('funeral', { cinematic: 1.2, ambient: 1 }, { valence: -0.9, energy: -0.5, tempo: -0.5 }),
  e('procession', { cinematic: 0.8 }, { energy: -0.2, tempo: -0.3 }),
  e('summit', { cinematic: 1.2 }, { valence: 0.5, energy: 0.3 }),
  e('victory', { cinematic: 1.2, rock: 0.3 }, { valence: 0.8, energy: 0.5 }),
  e('victorious', { cinematic: 1.2, rock: 0.3 }, { valence: 0.8, energy: 0.5 }),
  e('cheering', { pop: 0.8, rock: 0.5 }, { valence: 0.6, energy: 0.5 }),
  e('crowd', { pop: 0.3, rock: 0.3 }, { energy: 0.3 }),
  e('astronaut', { ambient: 1.5, cinematic: 0.5 }, { energy: -0.3 }),
  e('planet', { ambient: 1, cinematic: 0.8 }),
  e('nebula', { ambient: 1.5 }, { energy: -0.3 }),
  e('galaxy', { ambient: 1.2, cinematic: 0.5 }),
  e('submarine', { ambient: 1, cinematic: 1 }, { valence: -0.4, energy: -0.2 }),
  e('deep', { ambient: 0.8 }, { valence: -0.2, energy: -0.2 }),
  e('silent', { ambient: 1.5 }, { energy: -0.6 }),
  e('silence', { ambient: 1.5 }, { energy: -0.6 }),
  e('empty', { ambient: 1 }, { valence: -0.3, energy: -0.3 }),
  e('alone', { ambient: 0.8 }, { valence: -0.5, energy: -0.3 }),
  e('abandoned', { ambient: 1, cinematic: 0.8 }, { valence: -0.6, energy: -0.3 }),
  e('lake', { ambient: 1 }, { energy: -0.3 }),
  e('river', { ambient: 0.6 }, { energy: -0.1 }),
  e('sea', { ambient: 0.6, bossa: 0.4 }),
  e('harbour', { ambient: 0.5, bossa: 0.5 }),
  e('harbor', { ambient: 0.5, bossa: 0.5 }),
  e('lighthouse', { ambient: 1, cinematic: 0.8 }, { valence: -0.2, energy: -0.2 }),
  e('island', { bossa: 1 }, { valence: 0.4 }),
  e('palm', { bossa: 1.2 }, { valence: 0.4 }),
  e('hammock', { bossa: 1.5, ambient: 0.5 }, { energy: -0.6, tempo: -0.3 }),
  e('nap', { ambient: 1 }, { energy: -0.6, tempo: -0.4 }),
  e('terrace', { bossa: 1.2 }, { energy: -0.2 }),
  e('balcony', { bossa: 1 }, { energy: -0.2 }),
  e('dinner', { bossa: 1.2 }, { energy: -0.2 }),
  e('candlelit', { bossa: 1.5, ambient: 0.5 }, { energy: -0.3 }),
  e('candle', { bossa: 0.8, ambient: 0.5 }, { energy: -0.3 }),
  e('wine', { bossa: 1.2 }, { energy: -0.2 }),
  e('caipirinha', { bossa: 3 }, { valence: 0.3 }),
  e('copacabana', { bossa: 3 }, { valence: 0.3 }),
  e('lisbon', { bossa: 2 }),
  e('paris', { bossa: 1.5 }),
  e('havana', { bossa: 2, funk: 0.5 }),
  e('smoky', { bossa: 1 }, { valence: -0.2, energy: -0.2 }),
  e('nightclub', { house: 1.5, funk: 0.8 }, { energy: 0.5 }),
  e('warehouse', { house: 1.5 }, { energy: 0.4 }),
  e('laser', { house: 2 }, { energy: 0.5 }),
  e('strobe', { house: 2 }, { energy: 0.5 }),
  e('dj', { house: 2, 'hip-hop': 0.5 }, { energy: 0.4 }),
  e('bass drop', { house: 2.5 }, { energy: 0.8, tempo: 0.3 }),
  e('bass drops', { house: 2.5 }, { energy: 0.8, tempo: 0.3 }),
  e('glitter', { funk: 1, pop: 0.5 }, { valence: 0.5 }),
  e('roller', { funk: 1.5 }, { valence: 0.4, energy: 0.4 }),
  e('skater', { 'hip-hop': 1.5, rock: 0.5 }, { energy: 0.2 }),
  e('skateboard', { 'hip-hop': 1.5, rock: 0.5 }, { energy: 0.2 }),
  e('skateboarder', { 'hip-hop': 1.5, rock: 0.5 }, { energy: 0.2 }),
  e('skatepark', { 'hip-hop': 1.5, rock: 0.5 }, { energy: 0.3 }),
  e('graffiti', { 'hip-hop': 2.5 }),
  e('subway', { 'hip-hop': 1.5 }, { valence: -0.1 }),
  e('breakdance', { 'hip-hop': 2.5 }, { energy: 0.6, tempo: 0.3 }),
  e('breakdancer', { 'hip-hop': 2.5 }, { energy: 0.6, tempo: 0.3 }),
  e('cypher', { 'hip-hop': 3 }),
  e('freestyle', { 'hip-hop': 2 }),
  e('rapper', { 'hip-hop': 3 }),
  e('rhyme', { 'hip-hop': 2 }),
  e('lowrider', { 'hip-hop': 2, funk: 1 }),
  e('boulevard', { 'hip-hop': 0.8, funk: 0.6 }),
  e('sneaker', { 'hip-hop': 1 }),
  e('homework', { 'hip-hop': 1, ambient: 0.5 }, { energy: -0.4 }),
  e('studying', { 'hip-hop': 1, ambient: 0.6 }, { energy: -0.3 }),
  e('bedroom', { pop: 0.6, 'hip-hop': 0.5 }, { energy: -0.3 }),
  e('basement', { rock: 1.2 }, { energy: 0.3 }),
  e('gig', { rock: 1.5 }, { energy: 0.4 }),
  e('mosh', { rock: 3 }, { energy: 0.9, tempo: 0.5 }),
  e('mosh pit', { rock: 3.5 }, { energy: 0.9, tempo: 0.6 }),
  e('biker', { rock: 2 }, { energy: 0.5, tempo: 0.3 }),
  e('roaring', { rock: 1.5 }, { energy: 0.7, tempo: 0.4 }),
  e('engine', { rock: 1 }, { energy: 0.5 }),
  e('band', { rock: 0.8, funk: 0.5 }, { energy: 0.2 }),
  e('encore', { rock: 1, pop: 1 }, { energy: 0.5 }),
  e('sweaty', { rock: 0.8, funk: 0.5 }, { energy: 0.5 }),
  e('suburb', { rock: 0.8, pop: 0.5 }),
  e('barbecue', { funk: 1.5, pop: 0.5 }, { valence: 0.5 }),
  e('neighbourhood', { funk: 0.8, 'hip-hop': 0.8 }),
  e('neighborhood', { funk: 0.8, 'hip-hop': 0.8 }),
  e('kitchen', { funk: 0.8, pop: 0.5 }, { valence: 0.3 }),
  e('dancing', { funk: 0.8, house: 0.8, pop: 0.5 }, { valence: 0.4, energy: 0.6, tempo: 0.3 }),
  e('slow dance', { pop: 1, bossa: 1 }, { valence: 0.3, energy: -0.5, tempo: -0.5 }),
  e('swaying', { bossa: 1 }, { energy: -0.3, tempo: -0.2 }),
  e('conga', { funk: 1, bossa: 1 }, { energy: 0.5 }),
  e('horn', { funk: 1.5 }, { energy: 0.3 }),
  e('brass', { funk: 1.5 }, { energy: 0.3 }),
  e('parade', { funk: 1, pop: 1 }, { valence: 0.6, energy: 0.5, tempo: 0.3 }),
  e('firework', { pop: 1, cinematic: 0.8, house: 0.5 }, { valence: 0.6, energy: 0.5, tempo: 0.3 }),
  e('carnival', { funk: 1, bossa: 1, pop: 0.5 }, { valence: 0.6, energy: 0.6, tempo: 0.3 }),
  e('fair', { pop: 0.8 }, { valence: 0.5 }),
  e('birthday', { pop: 1.5 }, { valence: 0.7, energy: 0.3 }),
  e('laughing', { pop: 0.8, funk: 0.3 }, { valence: 0.7, energy: 0.2 }),
  e('laughter', { pop: 0.8, funk: 0.3 }, { valence: 0.7, energy: 0.2 }),
  e('kid', { pop: 0.8 }, { valence: 0.5, energy: 0.3 }),
  e('children', { pop: 0.8 }, { valence: 0.5, energy: 0.3 }),
  e('picnic', { pop: 0.8, bossa: 0.4 }, { valence: 0.5, energy: -0.1 }),
  e('garden', { ambient: 0.6, bossa: 0.5, pop: 0.3 }, { valence: 0.4, energy: -0.3 }),
  e('flower', { pop: 0.5, ambient: 0.5 }, { valence: 0.5, energy: -0.2 }),
  e('pool', { pop: 0.8, house: 0.5 }, { valence: 0.5 }),
  e('splashing', { pop: 1 }, { valence: 0.6, energy: 0.5, tempo: 0.3 }),
  e('yoga', { ambient: 2 }, { energy: -0.6, tempo: -0.5 }),
  e('jog', { pop: 0.8, house: 0.8 }, { energy: 0.5, tempo: 0.5 }),
  e('jogging', { pop: 0.8, house: 0.8 }, { energy: 0.5, tempo: 0.5 }),
  e('jumping', { house: 0.8, rock: 0.8 }, { energy: 0.7, tempo: 0.5 }),
  e('sprint', { rock: 0.5, cinematic: 0.5 }, { energy: 0.8, tempo: 0.8 }),
  e('speeding', { rock: 1, cinematic: 0.5 }, { energy: 0.7, tempo: 0.7 }),
  e('wander', { ambient: 1 }, { energy: -0.4, tempo: -0.3 }),
  e('wandering', { ambient: 1 }, { energy: -0.4, tempo: -0.3 }),
  e('stroll', { bossa: 1 }, { energy: -0.3, tempo: -0.3 }),
  e('drifting', { ambient: 1.5 }, { energy: -0.5, tempo: -0.4 }),
  e('marching', { cinematic: 1, rock: 0.5 }, { energy: 0.5, tempo: 0.2 }),
  e('sleepy', { ambient: 1.5 }, { energy: -0.6, tempo: -0.5 }),
  e('sleeping', { ambient: 1.5 }, { energy: -0.6, tempo: -0.5 }),
  e('sulking', {}, { valence: -0.6, energy: -0.4, tempo: -0.3 }),
  e('breakup', { pop: 0.8 }, { valence: -0.7, energy: -0.2 }),
  e('crying', { ambient: 0.5, cinematic: 0.5 }, { valence: -0.8, energy: -0.3 }),
  e('refugee', { cinematic: 1 }, { valence: -0.7, energy: -0.3 }),
  e('downtown', { 'hip-hop': 0.6, house: 0.6 }, { energy: 0.3 }),
  e('overpass', { 'hip-hop': 1 }),
]);

export interface PromptReading {
  prompt: string;
  style: StyleName;
  /** Total weight per style (all styles present, 0 when unmatched). */
  styleScores: Record<StyleName, number>;
  /** Mood bias in [-1, 1] (negative = minor/dark). */
  valence: number;
  /** Energy bias in [-1, 1]. */
  energy: number;
  /** Tempo bias in [-1, 1] (negative = slower within the style's range). */
  tempo: number;
  /** An explicit tempo ("120 bpm"), clamped to [60, 180], or null. */
  bpm: number | null;
  instruments: string[];
  /** The lexicon terms that matched, in order of appearance. */
  matched: string[];
}

const MAX_PHRASE_WORDS = Math.max(...PROMPT_LEXICON.map((entry) => entry.term.split(' ').length));
const BY_TERM: ReadonlyMap<string, LexiconEntry> = new Map(PROMPT_LEXICON.map((entry) => [entry.term, entry]));

/** Lowercase words; hyphens and punctuation split words ("hip-hop" -> "hip hop"). */
export function promptWords(text: string): string[] {
  return text.toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '').split(/[^a-z0-9]+/).filter((w) => w.length > 0);
}

function lookup(term: string): LexiconEntry | undefined {
  const hit = BY_TERM.get(term);
  if (hit !== undefined || term.includes(' ')) return hit;
  // Plurals: "drums" is in the lexicon, "guitars" finds "guitar".
  if (term.length > 3 && term.endsWith('s')) return BY_TERM.get(term.slice(0, -1));
  return undefined;
}


export function readPrompt(text: string): PromptReading {
  const words = promptWords(text);
  const styleScores = Object.fromEntries(STYLE_NAMES.map((s) => [s, 0])) as Record<StyleName, number>;
  let valence = 0;
  let energy = 0;
  let tempo = 0;
  let bpm: number | null = null;
  const instruments: string[] = [];
  const matched: string[] = [];

  for (let i = 0; i < words.length; ) {
    const word = words[i]!;
    const number = /^(\d+)(bpm)?$/.exec(word);
    if (number !== null && (number[2] === 'bpm' || words[i + 1] === 'bpm')) {
      bpm = Math.max(60, Math.min(180, Number(number[1])));
      i += number[2] === 'bpm' ? 1 : 2;
      continue;
    }
    let entry: LexiconEntry | undefined;
    let span = 1;
    for (let n = Math.min(MAX_PHRASE_WORDS, words.length - i); n >= 1 && entry === undefined; n--) {
      entry = lookup(words.slice(i, i + n).join(' '));
      span = n;
    }
    if (entry === undefined) {
      i++;
      continue;
    }
    matched.push(entry.term);
    for (const [style, weight] of Object.entries(entry.styles ?? {}) as [StyleName, number][]) styleScores[style] += weight;
    valence += entry.valence ?? 0;
    energy += entry.energy ?? 0;
    tempo += entry.tempo ?? 0;
    for (const inst of entry.instruments ?? []) if (!instruments.includes(inst)) instruments.push(inst);
    i += span;
  }

  let style: StyleName = DEFAULT_STYLE;
  let best = 0;
  for (const s of STYLE_NAMES) {
    if (styleScores[s] > best) {
      best = styleScores[s];
      style = s;
    }
  }
  return { prompt: text, style, styleScores, valence: clamp(valence, -1, 1), energy: clamp(energy, -1, 1), tempo: clamp(tempo, -1, 1), bpm, instruments, matched };
}
