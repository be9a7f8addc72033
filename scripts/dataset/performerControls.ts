/**
 * Control trajectories that look like real performers, written straight onto a 16th-note step
 * grid (training data and evaluation for the default pack).
 *
 * A performance is a chain of moves, each a few seconds long: standing still, a slow sway,
 * gesturing (smooth random targets), or dancing to a beat (periodic: beat strength high, the
 * motion beat locked to the music's quarter notes as the engine's beat lock makes it). Every
 * control glides towards its move's target with its own time constant, plus a little tracking
 * jitter; presence sometimes drops out (the performer walks off) and glides back.
 * Values always stay inside CONTROL_RANGES.
 */
import { C, CONTROL_RANGES, CONTROL_SIZE, NEUTRAL } from '../../protocol/controlVector.js';
import { clamp } from '../../protocol/numbers.js';
import type { Rng } from '../../server/generation/rng.js';

export type MoveKind = 'still' | 'sway' | 'gesture' | 'dance';
export const MOVE_KINDS: readonly MoveKind[] = ['still', 'sway', 'gesture', 'dance'];

export interface PerformerOptions {
  steps: number;
  /** The music's tempo: one step is a 16th note. */
  bpm: number;
  /** Moves to draw from (all by default), e.g. only 'dance' for beat-alignment runs. */
  moves?: readonly MoveKind[];
  /** Chance that the performer leaves for a while during the clip. Default 0.12. */
  leaveChance?: number;
}

export interface PerformerTrajectory {
  /** steps x CONTROL_SIZE, row-major. */
  controls: Float32Array;
  /** The move in effect at each step (index into MOVE_KINDS). */
  moves: Uint8Array;
}

interface Move {
  kind: MoveKind;
  steps: number;
  /** Targets for the slow controls. */
  valence: number;
  energy: number;
  hand: number;
  arms: number;
  /** Dance only: how strongly periodic (0.6..0.95). */
  beat: number;
}

const clampTo = (i: number, x: number): number => clamp(x, CONTROL_RANGES[i]![0], CONTROL_RANGES[i]![1]);

function drawMove(kind: MoveKind, stepSeconds: number, mood: number | null, rng: Rng): Move {
  const seconds = 2 + rng.next() * (kind === 'dance' ? 10 : 7);
  const valence = mood !== null ? clampTo(C.valence, mood + (rng.next() - 0.5) * 0.3) : rng.chance(0.3) ? 0 : rng.next() * 2 - 1;
  const hand = rng.next();
  const arms = rng.next();
  const energy = kind === 'still' ? rng.next() * 0.08 : kind === 'sway' ? 0.1 + rng.next() * 0.3 : kind === 'gesture' ? 0.2 + rng.next() * 0.6 : 0.35 + rng.next() * 0.65;
  return { kind, steps: Math.max(4, Math.round(seconds / stepSeconds)), valence, energy, hand, arms, beat: 0.6 + rng.next() * 0.35 };
}

export function performerTrajectory(options: PerformerOptions, rng: Rng): PerformerTrajectory {
  const { steps, bpm } = options;
  if (!Number.isInteger(steps) || steps <= 0) throw new RangeError(`steps must be a positive integer, but is ${steps}`);
  if (!(bpm >= 40 && bpm <= 240)) throw new RangeError(`bpm must be in [40, 240], but is ${bpm}`);
  const kinds = options.moves ?? MOVE_KINDS;
  const stepSeconds = 15 / bpm;
  const controls = new Float32Array(steps * CONTROL_SIZE);
  const moves = new Uint8Array(steps);

  // Slow state (glides), per control.
  const s = Float32Array.from(Object.values(NEUTRAL));
  s[C.presence] = 1;
  // Half the performers keep a mood for the whole clip, as a face does over a song (each move
  // drawing its own valence, 1.4% of clips held one below -0.5 for half their length, and the
  // default pack never learned what a sustained sad face asks for).
  const mood = rng.chance(0.5) ? rng.next() * 2 - 1 : null;
  s[C.valence] = mood ?? rng.next() - 0.5;
  s[C.energy] = rng.next() * 0.4;
  s[C.handHeight] = rng.next();
  s[C.armOpenness] = rng.next();
  let tempoEstimate = 100;
  // The performer's beat may be the music's quarter, or half / double time of it.
  const beatPerQuarter = rng.pick([1, 1, 1, 0.5, 2]);
  const phaseOffset = (rng.next() - 0.5) * 0.12; // the dancer is a little early or late
  const leaveAt = rng.chance(options.leaveChance ?? 0.12) ? rng.int(steps) : -1;
  const leaveFor = Math.round((3 + rng.next() * 8) / stepSeconds);
  let move = drawMove(rng.pick(kinds), stepSeconds, mood, rng);
  let left = move.steps;
  let swayPhase = rng.next();
  // Per-move face habits.
  let brow = 0;
  let yaw = 0;

  const glide = (i: number, target: number, seconds: number): void => {
    const a = 1 - Math.exp(-stepSeconds / seconds);
    s[i] = s[i]! + (target - s[i]!) * a;
  };

  for (let t = 0; t < steps; t++) {
    if (left-- <= 0) {
      move = drawMove(rng.pick(kinds), stepSeconds, mood, rng);
      left = move.steps - 1;
      brow = rng.next() - 0.5;
      yaw = (rng.next() - 0.5) * 0.8;
    }
    const away = leaveAt >= 0 && t >= leaveAt && t < leaveAt + leaveFor;
    glide(C.presence, away ? 0 : 1, 0.6);
    const here = s[C.presence]!;

    glide(C.valence, move.valence, 0.8);
    glide(C.energy, move.energy * here, move.kind === 'still' ? 0.5 : 0.8);
    glide(C.handHeight, away ? NEUTRAL.handHeight : move.hand, 0.5);
    glide(C.armOpenness, away ? NEUTRAL.armOpenness : move.arms, 0.5);
    const dancing = move.kind === 'dance' && !away;
    glide(C.beatStrength, dancing ? move.beat : move.kind === 'sway' ? 0.25 : 0.05, 1.5);

    const quarter = (t % 4) / 4; // where the music's quarter note is at this step
    let phase: number;
    if (dancing || s[C.beatStrength]! > 0.4) {
      tempoEstimate += (bpm * beatPerQuarter - tempoEstimate) * 0.05;
      phase = (((quarter * beatPerQuarter + phaseOffset) % 1) + 1) % 1;
    } else {
      swayPhase = (swayPhase + stepSeconds * 0.4) % 1;
      phase = swayPhase;
    }
    const bounce = dancing ? 0.5 + 0.5 * Math.cos(2 * Math.PI * phase) : 0;

    const row = t * CONTROL_SIZE;
    const jitter = (scale: number): number => (rng.next() - 0.5) * scale;
    controls[row + C.valence] = clampTo(C.valence, s[C.valence]! + jitter(0.06));
    controls[row + C.mouthOpen] = clampTo(C.mouthOpen, 0.15 * Math.max(0, s[C.valence]!) + 0.3 * s[C.energy]! * here + jitter(0.05));
    controls[row + C.browRaise] = clampTo(C.browRaise, brow * 0.6 + 0.2 * s[C.valence]! + jitter(0.05));
    controls[row + C.eyeOpenness] = clampTo(C.eyeOpenness, 0.45 + 0.2 * s[C.energy]! + jitter(0.05));
    controls[row + C.headYaw] = clampTo(C.headYaw, yaw + jitter(0.05));
    controls[row + C.headPitch] = clampTo(C.headPitch, (dancing ? 0.25 * (bounce - 0.5) : 0) + jitter(0.05));
    controls[row + C.headRoll] = clampTo(C.headRoll, jitter(0.08));
    controls[row + C.nod] = clampTo(C.nod, (dancing ? 0.6 * s[C.energy]! : 0.05) * here + jitter(0.04));
    controls[row + C.energy] = clampTo(C.energy, s[C.energy]! * (dancing ? 0.85 + 0.3 * bounce : 1) + Math.abs(jitter(0.04)));
    controls[row + C.handHeight] = clampTo(C.handHeight, s[C.handHeight]! + jitter(0.04));
    controls[row + C.armOpenness] = clampTo(C.armOpenness, s[C.armOpenness]! + jitter(0.04));
    controls[row + C.beatStrength] = clampTo(C.beatStrength, s[C.beatStrength]! * here + jitter(0.03));
    controls[row + C.beatPhase] = phase;
    controls[row + C.tempo] = clampTo(C.tempo, tempoEstimate);
    controls[row + C.presence] = clampTo(C.presence, here);
    moves[t] = MOVE_KINDS.indexOf(away ? 'still' : move.kind);
  }
  return { controls, moves };
}
