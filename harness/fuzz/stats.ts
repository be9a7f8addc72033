/** What the fuzz clients sent and saw, all lanes together. */

function bump(map: Map<string, number>, key: string, n = 1): void {
  map.set(key, (map.get(key) ?? 0) + n);
}

/** Server misbehaviour worth a report line, beyond crashes: kept up to this many examples. */
const MAX_EXAMPLES = 20;

export class FuzzStats {
  /** Messages sent, by kind (`frame:valid`, `hello:unknown-key`, `order:frame-before-hello`, ...). */
  readonly sent = new Map<string, number>();
  sentTotal = 0;
  bytesSent = 0;
  /** `error` messages received, by code. */
  readonly errorCodes = new Map<string, number>();
  /** Connections closed, by close code, with the first reason seen for each. */
  readonly closeCodes = new Map<string, number>();
  readonly closeReasons = new Map<string, string>();
  /** Connection attempts, and those that never opened, by reason (HTTP 404, 429, refused, ...). */
  connections = 0;
  readonly notOpened = new Map<string, number>();
  /** Sessions the server answered with ready. */
  ready = 0;
  chunksIn = 0;
  textIn = 0;
  /**
   * The server broke its own protocol: a message that does not parse, an invalid audio chunk, a
   * chunk that does not continue the sample timeline, a close code it should never use.
   */
  violations = 0;
  readonly violationExamples: string[] = [];

  countSent(kind: string, bytes: number): void {
    bump(this.sent, kind);
    this.sentTotal++;
    this.bytesSent += bytes;
  }

  countError(code: string): void {
    bump(this.errorCodes, code);
  }

  countClose(code: number, reason: string): void {
    const key = String(code);
    bump(this.closeCodes, key);
    if (!this.closeReasons.has(key) && reason) this.closeReasons.set(key, reason.slice(0, 120));
  }

  countNotOpened(reason: string): void {
    bump(this.notOpened, reason);
  }

  violation(text: string): void {
    this.violations++;
    if (this.violationExamples.length < MAX_EXAMPLES) this.violationExamples.push(text.slice(0, 300));
  }
}

/** A map as a plain object, largest counts first. */
export function sortedCounts(map: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...map].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}
