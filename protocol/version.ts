/** The protocol version this code speaks. Bump it for any change an old peer would misread. */
export const PROTOCOL_VERSION = 2;

/**
 * Versions this code can speak, in ascending order. 2: playback reports may carry `leastSlack`
 * (a client sends it only when the session speaks 2; an old server's strict schema refuses it).
 */
export const SUPPORTED_VERSIONS: readonly number[] = Object.freeze([1, 2]);

/**
 * The version to use with a client that offers `clientVersions` (from its hello): the highest
 * one both sides support, or null when there is none (the server then closes with 4001).
 */
export function negotiateVersion(clientVersions: readonly number[]): number | null {
  let best: number | null = null;
  for (const v of clientVersions) {
    if (SUPPORTED_VERSIONS.includes(v) && (best === null || v > best)) best = v;
  }
  return best;
}
