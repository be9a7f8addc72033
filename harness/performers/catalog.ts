/** Performers by name, for the command line: `nodding:120`, `dancing`, `recording:FILE` (or `recorded:FILE`), ... */
import type { FrameFeed } from '../frameFeed.js';
import { performerFeed } from '../frameFeed.js';
import { loadRecordedFeed } from './recorded.js';
import {
  dancing,
  droppingFrames,
  jittery,
  leavesAndReturns,
  nodding,
  smileThenFrown,
  still,
  swingingArms,
  type Performer,
} from './synthetic.js';

const SYNTHETIC: Record<string, (bpm: number | undefined) => Performer> = {
  still: () => still(),
  nodding: (bpm) => nodding({ bpm: bpm ?? 120 }),
  swinging: (bpm) => swingingArms({ bpm: bpm ?? 100 }),
  dancing: (bpm) => dancing({ bpm: bpm ?? 110 }),
  smiling: () => smileThenFrown(),
  leaving: () => leavesAndReturns(dancing()),
  jittery: () => jittery(still(), { sigma: 0.004 }),
  dropping: () => droppingFrames(dancing(), { fraction: 0.3 }),
};

export const PERFORMER_NAMES = [...Object.keys(SYNTHETIC), 'recording:PATH', 'recorded:PATH'];

/** A frame feed for a performer spec; throws with the list of names on an unknown one. */
export function feedFor(spec: string, fps = 30): FrameFeed {
  // `recorded:` is the corpus's name for the same thing (a corpus file replays with its ground truth either way).
  for (const prefix of ['recording:', 'recorded:']) if (spec.startsWith(prefix)) return loadRecordedFeed(spec.slice(prefix.length), fps);
  const [name, arg] = spec.split(':');
  const make = SYNTHETIC[name!];
  if (!make) throw new Error(`unknown performer ${JSON.stringify(spec)}; choose from ${PERFORMER_NAMES.join(', ')}`);
  const bpm = arg === undefined ? undefined : Number(arg);
  if (bpm !== undefined && !(bpm >= 30 && bpm <= 240)) throw new Error(`performer ${spec}: BPM must be a number in [30, 240]`);
  return performerFeed(make(bpm), fps);
}
