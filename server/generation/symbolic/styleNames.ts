/** The styles the symbolic pack knows (prompt words pick one; presets exist for each). */
export const STYLE_NAMES = ['pop', 'funk', 'house', 'hip-hop', 'ambient', 'cinematic', 'rock', 'bossa'] as const;
export type StyleName = (typeof STYLE_NAMES)[number];

export function isStyleName(value: string): value is StyleName {
  return (STYLE_NAMES as readonly string[]).includes(value);
}
