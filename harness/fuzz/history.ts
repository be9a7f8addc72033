/**
 * What each fuzz lane sent lately, for a replayable case: per connection its opening (the open,
 * the first few messages, hello among them) and its latest messages; across connections the
 * most recent ones, at least `limit` messages and everything of the last `keepMs`.
 * Saved as JSON with base64 payloads (case.ts).
 */

export interface HistoryEvent {
  /** ms since the run started. */
  t: number;
  op: 'open' | 'send' | 'close' | 'terminate';
  /** Upgrade path, for op open. */
  path?: string;
  /** The connection's client clock (ms) when it opened, for op open: replays answer pings on it. */
  clock?: number;
  /** For op send. */
  type?: 'text' | 'binary';
  kind?: string;
  data?: Buffer;
  /** Close code, for op close. */
  code?: number;
}

/** Messages kept from the start of each connection, whatever its length. */
const HEAD_SENDS = 4;
/** Never keep more than this many messages per lane, whatever keepMs says. */
const HARD_CAP = 3000;

interface ConnectionRecord {
  head: HistoryEvent[];
  tail: HistoryEvent[];
  headSends: number;
  /** Events dropped between head and tail. */
  skipped: number;
}

export class LaneHistory {
  private readonly connections: ConnectionRecord[] = [];

  constructor(
    private readonly limit = 200,
    private readonly keepMs = 5000,
  ) {}

  open(t: number, path: string, clock?: number): void {
    this.connections.push({ head: [{ t, op: 'open', path, ...(clock !== undefined ? { clock } : {}) }], tail: [], headSends: 0, skipped: 0 });
    this.prune(t);
  }

  send(t: number, type: 'text' | 'binary', kind: string, data: Buffer): void {
    const c = this.current();
    const e: HistoryEvent = { t, op: 'send', type, kind, data };
    if (c.headSends < HEAD_SENDS && c.tail.length === 0) {
      c.head.push(e);
      c.headSends++;
    } else c.tail.push(e);
    this.prune(t);
  }

  end(t: number, op: 'close' | 'terminate', code?: number): void {
    this.current().tail.push({ t, op, ...(code !== undefined ? { code } : {}) });
  }

  /** The kept events in time order. */
  events(): HistoryEvent[] {
    return this.connections.flatMap((c) => [...c.head, ...c.tail]);
  }

  private current(): ConnectionRecord {
    if (this.connections.length === 0) this.open(0, '/ws');
    return this.connections[this.connections.length - 1]!;
  }

  private sends(): number {
    let n = 0;
    for (const c of this.connections) n += c.headSends + c.tail.length;
    return n;
  }

  /** Drops the oldest events beyond `limit` sends that are also older than `keepMs`. */
  private prune(now: number): void {
    let total = this.sends();
    while (total > this.limit) {
      const oldest = this.connections[0]!;
      const current = this.connections.length === 1;
      const first = current ? oldest.tail[0] : oldest.head[0];
      if (!first || (now - first.t < this.keepMs && total <= HARD_CAP)) return;
      if (current) {
        oldest.tail.shift();
        oldest.skipped++;
        total--;
      } else {
        total -= oldest.headSends + oldest.tail.length;
        this.connections.shift();
      }
    }
  }
}
