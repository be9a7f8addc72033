/** Small numeric helpers shared by the server, the client and the harness (one definition each). */

/** `value` limited to [lo, hi]; NaN stays NaN (callers that must not see it check finiteness first). */
export function clamp(value: number, lo: number, hi: number): number {
  return value < lo ? lo : value > hi ? hi : value;
}

/** `value` limited to [0, 1]. */
export function clamp01(value: number): number {
  return clamp(value, 0, 1);
}
