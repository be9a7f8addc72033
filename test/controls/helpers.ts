/**
 * Shared helpers for the control tests: run a synthetic performer through a ControlTracker
 * and keep what it said after every frame.
 */
import { C, CONTROL_NAMES, CONTROL_RANGES, type ControlName } from '../../protocol/controlVector.js';
import type { LandmarkFrame } from '../../protocol/landmarkTypes.js';
import type { Milliseconds } from '../../protocol/units.js';
import { ControlTracker, type ControlTrackerInit, type PredictedBeat, type PushResult } from '../../server/controls/controlTracker.js';
import { framesFor, type FramesOptions, type Performer } from '../../harness/performers/synthetic.js';

/** The server clock runs this far ahead of the client clock in these tests. */
export const OFFSET_MS = 5_000;
/** Frames arrive this long after capture. */
export const NETWORK_MS = 30;

export interface Row {
  seq: number;
  /** Client capture time (= performer time in these tests). */
  t: Milliseconds;
  result: PushResult;
  /** current() at arrival. */
  v: Float32Array;
  beat: PredictedBeat | null;
}

export function newTracker(init: ControlTrackerInit = {}): ControlTracker {
  const tracker = new ControlTracker(init);
  tracker.setClockOffset(OFFSET_MS);
  return tracker;
}

/** Pushes frames in the given order, each arriving NETWORK_MS after capture, and records current() and beat(). */
export function runFrames(tracker: ControlTracker, frames: Iterable<LandmarkFrame>): Row[] {
  const rows: Row[] = [];
  for (const f of frames) {
    const arrival = f.captureTimeMs + OFFSET_MS + NETWORK_MS;
    const result = tracker.push(f, arrival);
    rows.push({ seq: f.seq, t: f.captureTimeMs, result, v: tracker.current(arrival), beat: tracker.beat(arrival) });
  }
  return rows;
}

export function run(
  performer: Performer,
  frames: Partial<FramesOptions> & { durationMs: Milliseconds },
  init: ControlTrackerInit = {},
): { tracker: ControlTracker; rows: Row[] } {
  const tracker = newTracker(init);
  const rows = runFrames(tracker, framesFor(performer, { fps: 30, seed: 7, ...frames }));
  return { tracker, rows };
}

/** The first row at or after time t. */
export function rowAt(rows: Row[], t: Milliseconds): Row {
  const row = rows.find((r) => r.t >= t);
  if (!row) throw new Error(`no row at ${t} ms`);
  return row;
}

export function value(row: Row, name: ControlName): number {
  return row.v[C[name]];
}

export function std(values: number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
}

/** Largest change of each control between consecutive rows, divided by the allowance rate * dt (<= 1 means within the rate). */
export function worstRateUse(rows: { t: number; v: Float32Array }[], rates: Readonly<Record<ControlName, number>>): { name: ControlName; use: number } {
  let worst: { name: ControlName; use: number } = { name: 'valence', use: 0 };
  for (let k = 1; k < rows.length; k++) {
    const dt = Math.abs(rows[k].t - rows[k - 1].t) / 1000;
    for (let i = 0; i < CONTROL_NAMES.length; i++) {
      const name = CONTROL_NAMES[i];
      if (name === 'beatPhase') continue;
      const allowance = rates[name] * dt + 1e-4 * (CONTROL_RANGES[i][1] - CONTROL_RANGES[i][0]);
      const use = Math.abs(rows[k].v[i] - rows[k - 1].v[i]) / allowance;
      if (use > worst.use) worst = { name, use };
    }
  }
  return worst;
}
