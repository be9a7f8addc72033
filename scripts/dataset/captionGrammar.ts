/**
 * A small scene-caption grammar: writes film-scene sentences for a musical target (style, mood,
 * energy), with the prompt lexicon's own words (server/generation/symbolic/prompt.ts), so that
 * every caption it writes reads back (readPrompt) to the style it was written for. The scene
 * imaginer trains on its captions; a default-pack issue can reuse it to caption training clips.
 *
 *   new CaptionGrammar().write({ style: 'bossa', valence: -0.4, energy: 0.2 }, new Rng(1))
 *   -> e.g. "a detective alone in a smoky jazz bar on a rainy evening"
 *
 * Slots (subject, action, place, time, detail) hold short phrases; each phrase is scored by
 * what readPrompt makes of it (style weight for the target style, distance of its valence and
 * energy from the target's) and drawn from a softmax over those scores, so phrases that say
 * nothing (no lexicon word) stay possible as neutral filler.
 */
import { readPrompt } from '../../server/generation/symbolic/prompt.js';
import type { Rng } from '../../server/generation/rng.js';
import { STYLE_NAMES, type StyleName } from '../../server/generation/symbolic/styleNames.js';

export interface CaptionTarget {
  style: StyleName;
  /** -1 dark/sad .. +1 bright/happy. */
  valence: number;
  /** 0 still .. 1 wild. */
  energy: number;
}

export interface CaptionGrammarOptions {
  /** Softmax temperature over phrase scores: lower = more on-target, less varied. Default 0.35. */
  temperature: number;
  /** Attempts to write a caption that reads back to the target style. Default 8. */
  attempts: number;
}

const SUBJECTS = [
  'a lone figure', 'two friends', 'a young couple', 'an old man', 'a woman', 'a child', 'a crowd', 'a stranger',
  'a detective', 'a spy', 'a hero', 'a knight', 'an astronaut', 'a monk', 'a kid', 'a dancer', 'a band', 'a rapper',
  'a skater', 'a biker', 'a soldier', 'a ghost', 'a family', 'a dj', 'a skateboarder', 'a breakdancer', 'a lover',
  'a sax player', 'a runner', 'a tired worker', 'a street crew', 'a girl', 'an army',
];
const ACTIONS = [
  'walks', 'waits', 'dances', 'is dancing', 'runs', 'sprints', 'drifts', 'wanders', 'strolls', 'races', 'drives',
  'is crying', 'laughs', 'is laughing', 'sways', 'marches', 'sleeps', 'is sleeping', 'fights', 'escapes', 'sits alone',
  'is jumping', 'is jogging', 'skates', 'raps a freestyle', 'says goodbye', 'falls in love', 'is speeding',
  'is wandering', 'is drifting', 'celebrates', 'hides',
];
const PLACES = [
  'in a jazz bar', 'in a smoky lounge', 'at a beach cafe', 'on a terrace by the sea', 'in rio', 'on a balcony',
  'in a warehouse rave', 'in a neon club', 'on a crowded dancefloor', 'at a festival', 'on a rooftop', 'on the highway',
  'in a garage', 'at a stadium', 'in a mosh pit', 'at a basement gig', 'on a desert highway', 'in the street',
  'under the overpass', 'in the subway', 'at a block party', 'by the graffiti wall', 'at a skatepark', 'on the boulevard',
  'in a quiet forest', 'by a misty lake', 'in space', 'under the stars', 'in a temple garden', 'under the ocean',
  'in the snow', 'on a battlefield', 'in a castle', 'on a mountain', 'at a train station', 'in a haunted house',
  'in a night market', 'on the coast', 'at the beach', 'at a wedding', 'at a party', 'in a small kitchen',
  'in a disco', 'at a carnival', 'at a barbecue', 'in an empty church', 'in a city of neon', 'in the desert',
  'in a bedroom', 'at a funeral', 'on a spaceship', 'in a library', 'in a cafe', 'at the harbour', 'on a roller rink',
];
const TIMES = [
  'at dawn', 'at sunrise', 'in the morning', 'at noon', 'in the afternoon', 'at sunset', 'at dusk', 'in the evening',
  'at night', 'at midnight', 'in the rain', 'in the fog', 'in the mist', 'in a thunderstorm', 'in the summer',
  'in spring', 'in autumn', 'in winter', 'on a sunny day', 'on a rainy night', 'in the golden hour', 'under the moon',
  'on new year', 'on a grey day', 'during a storm',
];
const MOODS = [
  'happy', 'joyful', 'cheerful', 'bright', 'hopeful', 'warm', 'sweet', 'playful', 'fun', 'romantic', 'peaceful',
  'calm', 'dreamy', 'gentle', 'quiet', 'lazy', 'mellow', 'smooth', 'nostalgic', 'melancholy', 'lonely', 'sad',
  'dark', 'gloomy', 'tense', 'mysterious', 'epic', 'heroic', 'triumphant', 'angry', 'aggressive', 'wild', 'loud',
  'energetic', 'intense', 'funky', 'groovy', 'chill', 'ethereal', 'majestic',
];
const DETAILS = [
  'while the city sleeps', 'as the crowd cheers', 'as the lights flash', 'with the windows down', 'with a saxophone playing',
  'with distorted guitars', 'with a heavy beat', 'with strings swelling', 'with slap bass', 'as the bass drops',
  'as snow falls', 'as the rain falls', 'as the sun comes up', 'as the stars come out', 'with fireworks overhead',
  'while sirens wail', 'while the band plays', 'as the waves roll in', 'with candles flickering', 'as the storm breaks',
  'with nobody around', 'as the party starts', 'with tears in their eyes', 'with a smile', 'with a boom bap beat',
  'with a nylon guitar', 'with lasers cutting the smoke', 'as the credits roll',
];

type Slot = 'subject' | 'action' | 'place' | 'time' | 'mood' | 'detail';
const TEMPLATES: readonly (readonly Slot[])[] = [
  ['subject', 'action', 'place', 'time'],
  ['mood', 'subject', 'action', 'place'],
  ['subject', 'action', 'place', 'detail'],
  ['mood', 'place', 'time', 'detail'],
  ['subject', 'action', 'time', 'detail'],
  ['mood', 'subject', 'place', 'time'],
];

interface Phrase {
  text: string;
  styles: Record<StyleName, number>;
  valence: number;
  energy: number;
  /** Whether any lexicon word matched (neutral filler otherwise). */
  says: boolean;
}

function phrase(text: string): Phrase {
  const r = readPrompt(text);
  return { text, styles: r.styleScores, valence: r.valence, energy: r.energy, says: r.matched.length > 0 };
}

const DEFAULTS: CaptionGrammarOptions = { temperature: 0.35, attempts: 8 };

export class CaptionGrammar {
  private readonly options: CaptionGrammarOptions;
  private readonly slots: Record<Slot, Phrase[]>;

  constructor(options: Partial<CaptionGrammarOptions> = {}) {
    this.options = { ...DEFAULTS, ...options };
    if (!(this.options.temperature > 0)) throw new RangeError(`temperature must be positive, but is ${this.options.temperature}`);
    this.slots = {
      subject: SUBJECTS.map(phrase),
      action: ACTIONS.map(phrase),
      place: PLACES.map(phrase),
      time: TIMES.map(phrase),
      mood: MOODS.map((m) => phrase(`a ${m} scene`)),
      detail: DETAILS.map(phrase),
    };
  }

  /** Every word the grammar can write (for vocabulary checks). */
  words(): Set<string> {
    const out = new Set<string>();
    for (const list of Object.values(this.slots)) for (const p of list) for (const w of p.text.split(' ')) out.add(w);
    return out;
  }

  /** How well a phrase fits a target: style weight (relative), mood and energy closeness. */
  private score(p: Phrase, t: CaptionTarget): number {
    if (!p.says) return 0;
    let total = 0;
    for (const s of STYLE_NAMES) total += p.styles[s];
    const style = total > 0 ? (2 * p.styles[t.style] - total) / Math.max(1, total) : 0;
    const energy = 2 * t.energy - 1;
    // A phrase that states a mood or an energy must state the target's: 1 when equal, down to
    // -2 when opposite; a phrase that states neither is neutral (0).
    const mood = (p.valence !== 0 ? 1 - 1.5 * Math.abs(p.valence - t.valence) : 0) + (p.energy !== 0 ? 1 - 1.5 * Math.abs(p.energy - energy) : 0);
    return 1.5 * style + mood;
  }

  private draw(slot: Slot, t: CaptionTarget, rng: Rng): string {
    const list = this.slots[slot];
    const scores = list.map((p) => this.score(p, t) / this.options.temperature);
    const max = Math.max(...scores);
    const weights = scores.map((s) => Math.exp(s - max));
    let u = rng.next() * weights.reduce((a, b) => a + b, 0);
    for (let i = 0; i < list.length; i++) {
      u -= weights[i]!;
      if (u <= 0) return list[i]!.text;
    }
    return list[list.length - 1]!.text;
  }

  private compose(t: CaptionTarget, rng: Rng): string {
    const template = TEMPLATES[rng.int(TEMPLATES.length)]!;
    const parts: string[] = [];
    for (let i = 0; i < template.length; i++) {
      const slot = template[i]!;
      const text = this.draw(slot, t, rng);
      if (slot !== 'mood') {
        parts.push(text);
        continue;
      }
      // A mood is an adjective on the subject that follows ("a tense stranger"), else on the
      // scene itself ("a tense scene in a jazz bar").
      const adjective = text.replace(/ scene$/, '');
      if (template[i + 1] === 'subject') {
        const subject = this.draw('subject', t, rng).replace(/^(a|an|the) /, '');
        parts.push(`${adjective} ${subject}`);
        i++;
      } else parts.push(text);
    }
    return parts.join(' ').replace(/\ba ([aeiou])/g, 'an $1');
  }

  /** A caption for the target; it reads back (readPrompt) to `target.style`. */
  write(target: CaptionTarget, rng: Rng): string {
    let caption = '';
    for (let attempt = 0; attempt < this.options.attempts; attempt++) {
      caption = this.compose(target, rng);
      if (readPrompt(caption).style === target.style) return caption;
    }
    // Anchor it: a place that belongs to the style (the best-scoring place for a pure style target).
    const anchors = [...this.slots.place].sort((a, b) => b.styles[target.style] - a.styles[target.style]);
    for (const anchor of anchors.slice(0, 5)) {
      const anchored = `${caption} ${anchor.text}`;
      if (readPrompt(anchored).style === target.style) return anchored;
    }
    return `${caption}, ${target.style === 'hip-hop' ? 'hip hop' : target.style}`;
  }
}
