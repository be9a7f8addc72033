/**
 * The piano roll: the four generated streams scrolling past the playhead, with the generated
 * quarter notes (grey) and the performer's motion beats (orange) on the same time axis, so a
 * performer sees what the model plays and whether it sits on their beat. Kiosk mode hides it.
 */
import { NOTE_STREAMS } from '../../../protocol/notesFrame.js';
import type { Hz, Samples, Seconds } from '../../../protocol/units.js';
import type { NoteTimeline } from '../notes/noteTimeline.js';

export interface PianoRollOptions {
  /** Seconds shown before and after the playhead. */
  pastSeconds: Seconds;
  futureSeconds: Seconds;
}

export const PIANO_ROLL_DEFAULTS: PianoRollOptions = { pastSeconds: 4, futureSeconds: 1 };

const STREAM_COLOURS = ['#e0c060', '#5fb3ff', '#a98bff', '#6fe0a0'];
/** Pitch span drawn per lane (drums use their GM keys). */
const LANE_PITCHES: readonly [number, number][] = [[35, 50], [28, 60], [40, 84], [48, 96]];

export class PianoRoll {
  readonly options: PianoRollOptions;
  private readonly ctx: CanvasRenderingContext2D;
  private frame = 0;
  /** Notes in the last drawing (the browser tests read it). */
  notesDrawn = 0;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly timeline: NoteTimeline,
    private readonly playhead: () => { sample: Samples; sampleRate: Hz } | null,
    options: Partial<PianoRollOptions> = {},
  ) {
    this.options = { ...PIANO_ROLL_DEFAULTS, ...options };
    this.ctx = canvas.getContext('2d')!;
    const loop = (): void => {
      this.draw();
      this.frame = requestAnimationFrame(loop);
    };
    this.frame = requestAnimationFrame(loop);
  }

  draw(): void {
    const { canvas, ctx } = this;
    if (canvas.clientWidth === 0) {
      this.notesDrawn = 0; // hidden (kiosk mode)
      return;
    }
    // Resizing clears and reallocates the canvas: only when the layout changed.
    const w = Math.round(canvas.clientWidth * devicePixelRatio) || 1;
    const h = Math.round(canvas.clientHeight * devicePixelRatio) || 1;
    if (canvas.width !== w || canvas.height !== h) Object.assign(canvas, { width: w, height: h });
    ctx.clearRect(0, 0, w, h);
    const head = this.playhead();
    if (!head) {
      this.notesDrawn = 0;
      return;
    }
    const { sampleRate } = head;
    const from = head.sample - this.options.pastSeconds * sampleRate;
    const to = head.sample + this.options.futureSeconds * sampleRate;
    const x = (s: Samples): number => ((s - from) / (to - from)) * w;
    ctx.fillStyle = 'rgba(255,255,255,0.18)';
    for (const b of this.timeline.beatsIn(from, to)) ctx.fillRect(x(b.sample), 0, b.beatInBar === 0 ? 2 : 1, h);
    const m = this.timeline.motion;
    if (m && m.strength > 0.3) {
      ctx.fillStyle = 'rgba(255,150,40,0.8)';
      const k0 = Math.ceil((from - m.anchorSample) / m.periodSamples);
      for (let s = m.anchorSample + k0 * m.periodSamples; s < to; s += m.periodSamples) ctx.fillRect(x(s) - 1, h - 6, 3, 6);
    }
    const laneH = h / NOTE_STREAMS.length;
    const notes = this.timeline.notesIn(from, to);
    for (const n of notes) {
      const [lo, hi] = LANE_PITCHES[n.stream]!;
      const lane = NOTE_STREAMS.length - 1 - n.stream; // lead on top, drums at the bottom
      const y = lane * laneH + laneH * (1 - (Math.min(hi, Math.max(lo, n.pitch)) - lo) / (hi - lo + 1)) - laneH / (hi - lo + 1);
      ctx.fillStyle = STREAM_COLOURS[n.stream]!;
      ctx.globalAlpha = 0.4 + (0.6 * n.velocity) / 127;
      ctx.fillRect(x(n.startSample), y, Math.max(2, x(n.startSample + n.durationSamples) - x(n.startSample)), Math.max(2, laneH / (hi - lo + 1)));
    }
    ctx.globalAlpha = 1;
    this.notesDrawn = notes.length;
    ctx.fillStyle = '#fff';
    ctx.fillRect(x(head.sample), 0, 2, h);
  }

  dispose(): void {
    cancelAnimationFrame(this.frame);
  }
}
