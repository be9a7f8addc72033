/** Shared by the scene tests: teacher chunks fed to an imaginer on a simulated clock. */
import { NEUTRAL, type ControlName } from '../../protocol/controlVector.js';
import { TeacherStream } from '../../server/generation/symbolic/teacherEngine.js';
import type { SceneImaginer } from '../../server/scene/sceneImaginer.js';
import { controlVector } from '../../scripts/scene/teacherClips.js';

export const RATE = 48000;
export const FRAMES = 1024;

/** A teacher stream played into an imaginer in session-sized chunks; time is the audio time (ms). */
export class TeacherFeed {
  readonly stream: TeacherStream;
  sample = 0;

  constructor(prompt: string, seed = 3) {
    this.stream = new TeacherStream({ prompt, seed });
  }

  /** Plays `seconds` of music with these controls; returns the audio time reached (ms). */
  play(imaginer: SceneImaginer, seconds: number, controls: Partial<Record<ControlName, number>>): number {
    const v = controlVector({ ...NEUTRAL, presence: 1, ...controls });
    const chunks = Math.ceil((seconds * RATE) / FRAMES);
    for (let i = 0; i < chunks; i++) {
      const chunk = this.stream.renderSync({ startSample: this.sample, frames: FRAMES, controls: [v], controlStepSamples: 960, beat: null });
      this.sample += FRAMES;
      imaginer.observe(chunk.state, chunk.pcm, v, this.nowMs);
    }
    return this.nowMs;
  }

  get nowMs(): number {
    return (this.sample / RATE) * 1000;
  }
}
