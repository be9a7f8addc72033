/**
 * Mutations of a valid JSON message (an object with a `type`): field values swapped for special
 * numbers, extreme integers, odd strings or wrong types; fields removed or added (long unknown
 * keys, at the top and nested in `audio`); deep nesting; duplicate keys; and text-level damage
 * (truncation, bit flips, invalid UTF-8, garbage appended, over the 4096-byte limit).
 * Each returns the bytes of one text frame and a kind for the report, e.g. `hello:unknown-key`.
 */
import type { Rng } from './random.js';
import { anyValue, EXTREME_INTS, NUMBER_TEXTS, oddKey, oddString } from './specialValues.js';

/** A JSON fragment written as is (numbers JSON.stringify cannot write, deep nesting). */
export class Raw {
  constructor(readonly text: string) {}
}

/** JSON.stringify, except that Raw values are written verbatim (lone surrogates come out as \u escapes). */
export function jsonText(value: unknown): string {
  if (value instanceof Raw) return value.text;
  if (Array.isArray(value)) return `[${value.map(jsonText).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export interface TextFrame {
  kind: string;
  data: Buffer;
}

type Message = Record<string, unknown>;

function fieldOf(rng: Rng, msg: Message): string {
  const keys = Object.keys(msg).filter((k) => k !== 'type');
  return keys.length > 0 ? rng.pick(keys) : 'type';
}

function deep(rng: Rng): Raw {
  const depth = rng.pick([64, 500, 1000, 1900, 2000, 2040, 3000]);
  return rng.chance(0.5) ? new Raw('['.repeat(depth) + ']'.repeat(depth)) : new Raw('{"a":'.repeat(depth) + '1' + '}'.repeat(depth));
}

const INVALID_UTF8 = [[0xc0, 0x80], [0xed, 0xa0, 0x80], [0xff], [0xf4, 0x90, 0x80, 0x80], [0xe0, 0x80, 0x80], [0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xc3]];

const BAD_TYPES: readonly unknown[] = [
  '', 'HELLO', 'hello ', ' hello', 'ready', 'error', 'controls', 'stats', 'scene', 'audio', 'unknown', 'toString', '__proto__', 'constructor',
  'hasOwnProperty', 1, 0, null, true, [], {}, ['hello'], 'x'.repeat(1100), '\ud800',
];

const TOP_LEVEL = ['null', '[]', '1', '"hello"', 'true', '{}', '[{"type":"hello","versions":[1],"prompt":""}]', '', ' ', '\n', '{"type":null}', '{"type":"hello"}', '{"":""}', '"\\ud800"'];

const VERSIONS: readonly unknown[] = [[], [0], [2], [1, 1, 1, 1, 1, 1, 1, 1, 1], new Array(900).fill(1), [1.5], [-1], [2 ** 53], [1e308], ['1'], [null], [[1]], [2, 3, 4, 5, 6, 7, 8, 9], 1, '1', {}];

/** Mutations by name: each takes a copy of the message and returns the frame text or bytes. */
const MUTATIONS: readonly (readonly [string, number, (rng: Rng, msg: Message) => string | Buffer])[] = [
  ['special-number', 4, (rng, m) => jsonText({ ...m, [fieldOf(rng, m)]: new Raw(rng.pick(NUMBER_TEXTS)) })],
  ['extreme-int', 3, (rng, m) => jsonText({ ...m, [fieldOf(rng, m)]: rng.pick(EXTREME_INTS) })],
  ['odd-string', 3, (rng, m) => jsonText({ ...m, [fieldOf(rng, m)]: oddString(rng) })],
  ['wrong-type', 2, (rng, m) => jsonText({ ...m, [fieldOf(rng, m)]: anyValue(rng) })],
  ['missing-field', 1, (rng, m) => {
    const copy = { ...m };
    delete copy[fieldOf(rng, m)];
    return jsonText(copy);
  }],
  ['unknown-key', 3, (rng, m) => jsonText({ ...m, [oddKey(rng)]: anyValue(rng) })],
  ['unknown-key-in-audio', 3, (rng, m) => jsonText({ ...m, audio: { format: rng.pick(['f32', 's16']), [oddKey(rng)]: anyValue(rng) } })],
  ['odd-audio', 1, (rng, m) => jsonText({ ...m, audio: rng.pick<unknown>([{}, { format: 'f64' }, { format: oddString(rng) }, null, [], 'f32', { format: ['f32'] }]) })],
  ['bad-type', 2, (rng, m) => jsonText({ ...m, type: rng.pick(BAD_TYPES) })],
  ['no-type', 1, (_rng, m) => {
    const { type: _t, ...rest } = m;
    return jsonText(rest);
  }],
  ['deep-nesting', 2, (rng, m) => jsonText({ ...m, [fieldOf(rng, m)]: deep(rng) })],
  ['deep-top-level', 1, (rng) => deep(rng).text],
  ['top-level', 1, (rng) => rng.pick(TOP_LEVEL)],
  ['duplicate-key', 1, (rng, m) => {
    const text = jsonText(m);
    const key = rng.chance(0.5) ? 'type' : fieldOf(rng, m);
    const value = key === 'type' ? rng.pick(['"hello"', '"stop"', '"ping"', '1']) : jsonText(anyValue(rng));
    return `${text.slice(0, -1)},${JSON.stringify(key)}:${value}}`;
  }],
  ['proto-keys', 1, (rng, m) => {
    const text = jsonText(m);
    return `${text.slice(0, -1)},${rng.pick(['"__proto__":{"polluted":true}', '"constructor":{"prototype":{"polluted":true}}', '"__proto__":null', '"toString":1'])}}`;
  }],
  ['versions', 1, (rng, m) => jsonText({ ...m, versions: rng.pick(VERSIONS) })],
  ['truncate', 2, (rng, m) => {
    const text = jsonText(m);
    return text.slice(0, rng.int(0, text.length - 1));
  }],
  ['bitflip', 1.5, (rng, m) => {
    const b = Buffer.from(jsonText(m));
    for (let i = rng.int(1, 4); i > 0; i--) b[rng.int(0, b.length - 1)] ^= 1 << rng.int(0, 7);
    return b;
  }],
  ['invalid-utf8', 0.3, (rng, m) => {
    const b = Buffer.from(jsonText({ ...m, [fieldOf(rng, m)]: 'AB' }));
    const at = b.indexOf('AB') + 1;
    return Buffer.concat([b.subarray(0, at), Buffer.from(rng.pick(INVALID_UTF8)), b.subarray(at)]);
  }],
  ['extend', 1, (rng, m) => Buffer.concat([Buffer.from(jsonText(m)), rng.chance(0.5) ? Buffer.from(rng.pick([' '.repeat(100), '}}}}', ',', '\u0000', '{"type":"ping"}'])) : rng.bytes(rng.int(1, 64))])],
  ['oversize', 0.2, (rng, m) => jsonText({ ...m, [fieldOf(rng, m)]: 'x'.repeat(rng.pick([4097, 5000, 60000, 70000])) })],
  ['size-boundary', 0.3, (rng, m) => {
    // Total UTF-8 size exactly at or just over MAX_JSON_BYTES (4096).
    const base = Buffer.byteLength(jsonText({ ...m, pad: '' }));
    return jsonText({ ...m, pad: 'p'.repeat(Math.max(0, rng.pick([4095, 4096, 4097]) - base)) });
  }],
];

/** One mutated copy of `msg`, as a text frame. */
export function mutateJson(rng: Rng, msg: Message): TextFrame {
  const name = rng.weighted(MUTATIONS.map(([n, w]) => [n, w] as const));
  const fn = MUTATIONS.find(([n]) => n === name)![2];
  const out = fn(rng, { ...msg });
  return { kind: `${String(msg.type)}:${name}`, data: typeof out === 'string' ? Buffer.from(out) : out };
}

export const JSON_MUTATION_NAMES = MUTATIONS.map(([n]) => n);
