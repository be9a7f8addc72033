/**
 * Values that break careless code: special floats (as numbers, as f64/f32 bit patterns and as
 * JSON number texts), extreme integers, and odd strings (lone surrogates, RTL overrides, NUL,
 * very long text, strings that name prototype members).
 */
import type { Rng } from './random.js';

/** Special f64 values: the ones the issue names, and their neighbours. */
export const SPECIAL_F64: readonly number[] = [
  NaN, Infinity, -Infinity, -0, 1e308, 5e-324, 1e18, 2 ** 53, 2 ** 60, Number.MAX_VALUE, -1, -1e18, 2 ** 53 + 2, 1e13, 0.5,
];

/** f64 NaN and infinity bit patterns, big-endian hex (quiet, signalling, negative, payloads). */
export const F64_BIT_PATTERNS: readonly string[] = [
  '7ff8000000000000', 'fff8000000000000', '7ff0000000000001', '7ff4000000000000', '7fffffffffffffff', 'ffffffffffffffff',
  '7ff0000000000000', 'fff0000000000000', '8000000000000000', '0000000000000001', '7fefffffffffffff',
];

/** Special f32 values. */
export const SPECIAL_F32: readonly number[] = [NaN, Infinity, -Infinity, -0, 3.4e38, 1.4e-45, 1e18, 2 ** 24, 2 ** 60, -1];

/** Integers at the edges of int32, uint32 and the safe-integer range. */
export const EXTREME_INTS: readonly number[] = [
  0, -1, 1, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), 2 ** 32 - 1, 2 ** 32, 0xfffffffe, 2 ** 53 - 1, 2 ** 53, -(2 ** 53), 2 ** 60, Number.MAX_VALUE, Number.MIN_VALUE,
];

/** u32 sequence numbers to try in landmark frames. */
export const EXTREME_SEQS: readonly number[] = [0xffffffff, 0xfffffffe, 0, 1, 0x7fffffff, 0x80000000, 0xffff, 0x10000];

/** JSON number texts, some valid JSON, some not (NaN, Infinity, hex, leading zeros). */
export const NUMBER_TEXTS: readonly string[] = [
  'NaN', 'Infinity', '-Infinity', '-0', '-0.0', '1e308', '5e-324', '1e18', '9007199254740992', '9007199254740993', '1152921504606846976',
  '1e999', '-1e999', '1E400', '1e-400', '123456789012345678901234567890', '0.0000000000000000000000000001', '4294967295', '4294967296',
  '18446744073709551616', '0x10', '01', '+1', '.5', '1.', '1e', '-', '2e+308', '1.7976931348623157e308', '-9007199254740993',
];

const LONE = ['\ud800', '\udbff', '\udc00', '\udfff'];

/** Odd strings, each for a different kind of carelessness. */
export function oddString(rng: Rng): string {
  switch (rng.int(0, 19)) {
    case 0:
      return rng.pick(LONE);
    case 1:
      return `a${rng.pick(LONE)}b${rng.pick(LONE)}`;
    case 2:
      return '\udc00\ud800'; // a reversed pair
    case 3:
      return '\u202eevil\u202c \u200f\u0645\u0631\u062d\u0628\u0627 \u05e9\u05dc\u05d5\u05dd\u200e'; // RTL override, Arabic, Hebrew
    case 4:
      return 'a\u0000b';
    case 5:
      return '\u0000'.repeat(rng.int(1, 200));
    case 6:
      return 'k'.repeat(rng.pick([1100, 1024, 2000, 3000]));
    case 7:
      return '\u00e9'.repeat(1100);
    case 8:
      return '\u{1d11e}'.repeat(rng.int(250, 700)); // 4-byte UTF-8, two UTF-16 units each
    case 9:
      return 'x'.repeat(rng.pick([500, 501, 100, 101, 64, 65, 1000, 1001]));
    case 10:
      return `Z${'\u0301'.repeat(rng.int(10, 500))}`; // combining marks
    case 11:
      return '\ufeff\u2028\u2029\u0085';
    case 12:
      return '\u0001\u001f\u007f\u0080\u009f';
    case 13:
      return '\u200b\u200c\u200d\u2060\ufe0f';
    case 14:
      return rng.pick(['"}', '"}]}', '<script>alert(1)</script>', '${process.exit()}', '%s%n%x', '../../../../etc/passwd', '\\', '\\u0000', '{{x}}']);
    case 15:
      return rng.pick(['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__']);
    case 16:
      return '';
    case 17:
      return '\uffff\ufffe\ufdd0';
    case 18:
      return Array.from({ length: rng.int(1, 300) }, () => String.fromCharCode(rng.int(0, 0xffff))).join('');
    default:
      return '\ud83d\ude00\ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67'.repeat(rng.int(1, 100));
  }
}

/** A key for an unknown field: often very long (1,100 characters), sometimes odd. */
export function oddKey(rng: Rng): string {
  switch (rng.int(0, 5)) {
    case 0:
      return 'k'.repeat(1100);
    case 1:
      return `unknown_${'\u00e9'.repeat(rng.pick([1100, 600]))}`;
    case 2:
      return 'x'.repeat(rng.int(1, 3000));
    case 3:
      return rng.pick(['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty']);
    default:
      return oddString(rng) || 'empty';
  }
}

/** A value of any JSON type, small. */
export function anyValue(rng: Rng): unknown {
  return rng.pick<() => unknown>([
    () => null, () => true, () => false, () => [], () => ({}), () => [1, 2], () => ({ a: 1 }), () => '1', () => rng.pick(EXTREME_INTS),
    () => rng.pick(SPECIAL_F64.filter(Number.isFinite)), () => oddString(rng),
  ])();
}
