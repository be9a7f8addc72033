/**
 * Presence weights of landmark groups (face, body, hands, ...), gliding instead of jumping.
 *
 * Each group is present or absent since a switch time. Its weight p in [0, 1] follows a
 * smoothstep from the value it had at the switch: toward 1 over `glideInMs` when present,
 * toward 0 over `glideOutMs` when absent. A control fed by the group is then
 * neutral + p * (live - neutral): it glides to NEUTRAL when the group disappears and back to
 * the live value when it returns.
 *
 * "Frames stopped arriving" needs no event: a weight asked for at a time past `staleFromMs`
 * treats every present group as absent since `staleFromMs` (pure: nothing is mutated).
 */
import type { Milliseconds } from '../../protocol/units.js';

/** 3u^2 - 2u^3 on [0, 1], clamped: zero slope at both ends. */
export function smoothstep(u: number): number {
  if (u <= 0) return 0;
  if (u >= 1) return 1;
  return u * u * (3 - 2 * u);
}

export class PresenceGlide {
  readonly groups: number;
  readonly glideInMs: Milliseconds;
  readonly glideOutMs: Milliseconds;
  private readonly present: Uint8Array;
  private readonly switchMs: Float64Array;
  private readonly weightAtSwitch: Float64Array;

  constructor(groups: number, glideInMs: Milliseconds, glideOutMs: Milliseconds) {
    if (!(glideInMs > 0) || !(glideOutMs > 0)) {
      throw new RangeError(`glide times must be > 0 ms, but are ${glideInMs} and ${glideOutMs}`);
    }
    this.groups = groups;
    this.glideInMs = glideInMs;
    this.glideOutMs = glideOutMs;
    this.present = new Uint8Array(groups);
    this.switchMs = new Float64Array(groups).fill(-Infinity);
    this.weightAtSwitch = new Float64Array(groups);
  }

  isPresent(g: number): boolean {
    return this.present[g] === 1;
  }

  /** When the group last switched (ms). */
  switchedAt(g: number): Milliseconds {
    return this.switchMs[g];
  }

  /** The group's weight at a time, without any stale rule. */
  private rawWeight(g: number, timeMs: Milliseconds): number {
    const w0 = this.weightAtSwitch[g];
    const dt = timeMs - this.switchMs[g];
    if (this.present[g] === 1) return w0 + (1 - w0) * smoothstep(dt / this.glideInMs);
    return w0 * (1 - smoothstep(dt / this.glideOutMs));
  }

  /**
   * Weight of group g at `timeMs`; a group still marked present is treated as absent from
   * `staleFromMs` on (pass Infinity for no stale rule).
   */
  weight(g: number, timeMs: Milliseconds, staleFromMs: Milliseconds): number {
    if (this.present[g] === 1 && timeMs > staleFromMs) {
      const w0 = this.rawWeight(g, staleFromMs);
      return w0 * (1 - smoothstep((timeMs - staleFromMs) / this.glideOutMs));
    }
    return this.rawWeight(g, timeMs);
  }

  /** Start of the current absence of g at `timeMs` under the stale rule, or NaN while present. */
  absentSince(g: number, timeMs: Milliseconds, staleFromMs: Milliseconds): Milliseconds {
    if (this.present[g] === 1) return timeMs > staleFromMs ? staleFromMs : NaN;
    return this.switchMs[g];
  }

  /** Records the group's state at `timeMs` (a switch only when it changes). */
  set(g: number, present: boolean, timeMs: Milliseconds): void {
    const flag = present ? 1 : 0;
    if (this.present[g] === flag) return;
    this.weightAtSwitch[g] = this.rawWeight(g, timeMs);
    this.switchMs[g] = timeMs;
    this.present[g] = flag;
  }

  /** Marks every present group absent from `timeMs` (frames stopped arriving). */
  markAllAbsent(timeMs: Milliseconds): void {
    for (let g = 0; g < this.groups; g++) this.set(g, false, timeMs);
  }

  reset(): void {
    this.present.fill(0);
    this.switchMs.fill(-Infinity);
    this.weightAtSwitch.fill(0);
  }

  copyFrom(other: PresenceGlide): void {
    this.present.set(other.present);
    this.switchMs.set(other.switchMs);
    this.weightAtSwitch.set(other.weightAtSwitch);
  }
}
