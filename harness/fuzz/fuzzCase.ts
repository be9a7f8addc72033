/**
 * A replayable fuzz case: what each lane sent before an incident (history.ts), as JSON with
 * base64 payloads, and the incident itself. `--mode fuzz --replay FILE` resends it (replay.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Incident } from '../liveness.js';
import type { HistoryEvent } from './history.js';

export interface SavedEvent {
  t: number;
  op: HistoryEvent['op'];
  path?: string;
  clock?: number;
  type?: 'text' | 'binary';
  kind?: string;
  /** base64 */
  data?: string;
  code?: number;
}

export interface FuzzCase {
  format: 'expotion-fuzz-case';
  version: 1;
  seed: number;
  createdAt: string;
  /** The server the case was recorded against (replays default to a fresh one). */
  url: string;
  incident: Incident | null;
  /** Each lane's events, times in ms since the fuzz run started. */
  lanes: { lane: number; events: SavedEvent[] }[];
}

export function toSaved(events: readonly HistoryEvent[]): SavedEvent[] {
  return events.map((e) => ({
    t: +e.t.toFixed(1),
    op: e.op,
    ...(e.path !== undefined ? { path: e.path } : {}),
    ...(e.clock !== undefined ? { clock: +e.clock.toFixed(3) } : {}),
    ...(e.type !== undefined ? { type: e.type, kind: e.kind } : {}),
    ...(e.data !== undefined ? { data: e.data.toString('base64') } : {}),
    ...(e.code !== undefined ? { code: e.code } : {}),
  }));
}

export function saveCase(path: string, c: FuzzCase): void {
  writeFileSync(path, JSON.stringify(c, null, 1));
}

/** Reads and checks a case file; throws naming what is wrong. */
export function loadCase(path: string): FuzzCase {
  const c = JSON.parse(readFileSync(path, 'utf8')) as FuzzCase;
  if (c.format !== 'expotion-fuzz-case' || c.version !== 1 || !Array.isArray(c.lanes)) throw new Error(`${path} is not an expotion fuzz case (format/version/lanes)`);
  for (const lane of c.lanes) {
    for (const e of lane.events) {
      if (typeof e.t !== 'number' || !['open', 'send', 'close', 'terminate'].includes(e.op)) throw new Error(`${path}: lane ${lane.lane} has a bad event ${JSON.stringify(e).slice(0, 200)}`);
      if (e.op === 'send' && (typeof e.data !== 'string' || (e.type !== 'text' && e.type !== 'binary'))) throw new Error(`${path}: lane ${lane.lane} has a send without data or type`);
    }
  }
  return c;
}
