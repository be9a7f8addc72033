/**
 * Text conditioning: tokenizer.json (Hugging Face tokenizers format, via @huggingface/tokenizers)
 * and the ONNX text encoder. A prompt is encoded once, and again only when it changes. With
 * guidance a "null" row follows the conditional one: zero hidden states, zero attention mask.
 */
import { readFileSync } from 'node:fs';
import { Tensor } from 'onnxruntime-node';
import { Tokenizer } from '@huggingface/tokenizers';
import { PackError } from '../pack/manifest.js';
import type { OnnxSession } from '../pack/onnxSession.js';

/** Rows of a prompt with classifier-free guidance (the prompt's and the null one); without, 1. */
export const MAX_PROMPT_ROWS = 2;

/** The encoder's output for one prompt, batched for the decoder: T rows (1, or 2 with guidance). */
export interface EncodedPrompt {
  prompt: string;
  tokenIds: readonly number[];
  /** encoder_hidden_states [T, S, hidden]. */
  hidden: Tensor;
  /** encoder_attention_mask [T, S]. */
  mask: Tensor;
  rows: number;
}

export function loadTokenizer(path: string): Tokenizer {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new PackError(`${path}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const model = (json as { model?: { type?: unknown } } | null)?.model;
  if (typeof model?.type !== 'string') throw new PackError(`${path}: expected a Hugging Face tokenizer.json with a "model" object`);
  try {
    return new Tokenizer(json as object, {});
  } catch (err) {
    throw new PackError(`${path}: cannot build the tokenizer: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export class TextConditioner {
  private readonly tokenizer: Tokenizer;
  private readonly encoder: OnnxSession;
  private readonly hiddenSize: number;
  private readonly maxTokens: number;

  constructor(tokenizer: Tokenizer, encoder: OnnxSession, hiddenSize: number, maxTokens: number) {
    this.tokenizer = tokenizer;
    this.encoder = encoder;
    this.hiddenSize = hiddenSize;
    this.maxTokens = maxTokens;
  }

  /** Token ids with the tokenizer's special tokens (T5: `</s>` last), cut to maxTokens keeping the last. */
  tokenize(prompt: string): number[] {
    const ids = this.tokenizer.encode(prompt).ids;
    if (ids.length <= this.maxTokens) return ids;
    return [...ids.slice(0, this.maxTokens - 1), ids[ids.length - 1]!];
  }

  async encode(prompt: string, guidance: boolean): Promise<EncodedPrompt> {
    const tokenIds = this.tokenize(prompt);
    const S = tokenIds.length;
    const ids = new Tensor('int64', BigInt64Array.from(tokenIds, BigInt), [1, S]);
    const ones = new Tensor('int64', new BigInt64Array(S).fill(1n), [1, S]);
    const out = await this.encoder.run({ input_ids: ids, attention_mask: ones });
    const hidden = out['last_hidden_state']!;
    const expected = S * this.hiddenSize;
    if (hidden.data.length !== expected) {
      throw new Error(`${this.encoder.spec.file}: last_hidden_state has ${hidden.data.length} values, expected [1, ${S}, ${this.hiddenSize}]`);
    }
    const rows = guidance ? MAX_PROMPT_ROWS : 1;
    const data = new Float32Array(rows * expected); // the null row stays zero
    data.set(hidden.data as Float32Array);
    const mask = new BigInt64Array(rows * S);
    mask.fill(1n, 0, S);
    return {
      prompt,
      tokenIds,
      hidden: new Tensor('float32', data, [rows, S, this.hiddenSize]),
      mask: new Tensor('int64', mask, [rows, S]),
      rows,
    };
  }
}
