/**
 * The text side's input: a sentence as a bag of terms (unigrams and bigrams of its content
 * words, plurals folded), each term an index into the model's vocabulary. Words the model never
 * saw are ignored; a sentence with no known term has no embedding.
 */
import { promptWords } from '../generation/index.js';

/** Words that say nothing about a scene (kept out of terms and bigrams). */
const STOPWORDS = new Set([
  'a', 'an', 'the', 'of', 'in', 'on', 'at', 'to', 'and', 'with', 'by', 'as', 'is', 'are', 'it', 'its', 'into', 'from',
  'for', 'through', 'while', 'over', 'under', 'their', 'his', 'her', 'they', 'that', 'this', 'who', 'where', 'past',
  'along', 'across', 'up', 'down', 'out', 'off', 'after', 'before', 'toward', 'towards', 'around', 'between', 's',
]);

/** Plural and third-person "s" folded, as readPrompt does for lexicon lookups. */
function fold(word: string): string {
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

/** The terms of a sentence: content words, then bigrams of neighbouring content words ("jazz_bar"). */
export function sentenceTerms(sentence: string): string[] {
  const words = promptWords(sentence).filter((w) => !STOPWORDS.has(w)).map(fold);
  const terms = [...words];
  for (let i = 0; i + 1 < words.length; i++) terms.push(`${words[i]}_${words[i + 1]}`);
  return terms;
}

/** Term -> index, for the words a model was trained on. */
export class Vocabulary {
  private readonly index: ReadonlyMap<string, number>;

  constructor(readonly terms: readonly string[]) {
    this.index = new Map(terms.map((t, i) => [t, i]));
    if (this.index.size !== terms.length) throw new RangeError('vocabulary terms must be unique');
  }

  get size(): number {
    return this.terms.length;
  }

  /** Known term indices of a sentence (repeats kept: a repeated word counts twice). */
  encode(sentence: string): Int32Array {
    const ids: number[] = [];
    for (const t of sentenceTerms(sentence)) {
      const id = this.index.get(t);
      if (id !== undefined) ids.push(id);
    }
    return Int32Array.from(ids);
  }

  /** The terms of `sentences` seen at least `minCount` times, most frequent first (ties: alphabetical). */
  static build(sentences: Iterable<string>, minCount = 2): Vocabulary {
    const counts = new Map<string, number>();
    for (const s of sentences) for (const t of sentenceTerms(s)) counts.set(t, (counts.get(t) ?? 0) + 1);
    const terms = [...counts].filter(([, n]) => n >= minCount).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([t]) => t);
    return new Vocabulary(terms);
  }
}
