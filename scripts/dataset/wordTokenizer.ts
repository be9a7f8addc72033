/**
 * The default pack's tokenizer: a T5-style Unigram tokenizer.json (Hugging Face tokenizers
 * format, what the MusicGen contract loads) over a word vocabulary. Punctuation becomes space,
 * `</s>` is appended as T5 does, and a word outside the vocabulary falls back to its letters,
 * so no prompt is ever rejected.
 */
const LETTERS = 'abcdefghijklmnopqrstuvwxyz0123456789';
const META = '\u2581';

export interface WordTokenizerJson {
  json: object;
  vocabSize: number;
}

export function wordTokenizerJson(words: Iterable<string>): WordTokenizerJson {
  const sorted = [...new Set([...words].map((w) => w.toLowerCase()).filter((w) => /^[a-z0-9]+$/.test(w)))].sort();
  const vocab: [string, number][] = [['<pad>', 0], ['</s>', 0], ['<unk>', 0]];
  for (const w of sorted) vocab.push([META + w, -5]);
  vocab.push([META, -8]);
  for (const c of LETTERS) vocab.push([c, -12]);
  for (const c of LETTERS) if (!sorted.includes(c)) vocab.push([META + c, -12]);
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(0, '<pad>'), special(1, '</s>'), special(2, '<unk>')],
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'NFKD' }, { type: 'StripAccents' }, { type: 'Lowercase' }, { type: 'Replace', pattern: { Regex: '[^a-z0-9]+' }, content: ' ' }],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [{ type: 'WhitespaceSplit' }, { type: 'Metaspace', replacement: META, prepend_scheme: 'always', split: true }],
    },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
      pair: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }, { Sequence: { id: 'B', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
      special_tokens: { '</s>': { id: '</s>', ids: [1], tokens: ['</s>'] } },
    },
    decoder: { type: 'Metaspace', replacement: META, prepend_scheme: 'always', split: true },
    model: { type: 'Unigram', unk_id: 2, vocab, byte_fallback: false },
  };
  return { json, vocabSize: vocab.length };
}
