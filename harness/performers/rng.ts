/**
 * Small seeded random numbers for synthetic performers: reproducible, and usable as a pure
 * function of (seed, time) so that a performer's frame at time t never depends on which
 * frames were asked for before.
 */

/** mulberry32: a tiny 32-bit generator; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixes a seed and a number (e.g. a time in ms) into a new 32-bit seed. */
export function hashSeed(seed: number, value: number): number {
  // the number's two 32-bit halves, so that fractional times differ
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const word of [view.getUint32(0), view.getUint32(4)]) {
    h = Math.imul(h ^ word, 0x85ebca6b) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
  }
  return h;
}

/** A standard normal sample (Box-Muller) from a uniform generator. */
export function gaussian(rng: () => number): number {
  let u = rng();
  while (u <= Number.EPSILON) u = rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
