/** Small numeric helpers shared by server, client and harness. */

/** `value` limited to [lo, hi] (NaN stays NaN). */
export function clamp(value: number, lo: number, hi: number): number {
  return value < lo ? lo : value > hi ? hi : value;
}

/** `value` limited to [0, 1] (NaN stays NaN). */
export function clamp01(value: number): number {
  return value < 0 ? 0 : value > 1 ? 1 : value;
}
