/**
 * The `teacher` pack: the procedural composer (teacher.ts) as the step source of a symbolic
 * stream (symbolicStream.ts: step clock + built-in synthesiser), behind the Engine seam.
 */
import type { Engine, GenerationStream, PackInfo, StreamOptions } from '../engine.js';
import { SymbolicStream, SYMBOLIC_CHANNELS, SYMBOLIC_SAMPLE_RATE, checkedSeed, readCheckedPrompt, type SymbolicStreamOptions } from './symbolicStream.js';
import { TeacherComposer } from './teacher.js';


export class TeacherStream extends SymbolicStream {
  constructor(stream: StreamOptions, options: SymbolicStreamOptions = {}) {
    const seed = checkedSeed(stream.seed);
    const composer = new TeacherComposer({ seed, prompt: readCheckedPrompt(stream.prompt, options.maxPromptChars) });
    super(composer, seed ^ 0x5eed, { ...options, instruments: stream.instruments ?? options.instruments });
  }
}

export const TEACHER_PACK_INFO: PackInfo = Object.freeze({
  name: 'teacher',
  kind: 'symbolic',
  description:
    'Procedural composer + built-in synthesiser: drums, bass, chords and a lead on a 16th-note grid, ' +
    'in key, following the performer (smile -> major, energy -> density, hands -> melody register, ' +
    'arms -> chord spread, motion beat -> tempo and phase). Styles: pop, funk, house, hip-hop, ambient, cinematic, rock, bossa.',
  sampleRate: SYMBOLIC_SAMPLE_RATE,
  channels: SYMBOLIC_CHANNELS,
  controlVersion: 1,
});

export function createTeacherEngine(options: SymbolicStreamOptions = {}): Engine {
  const streams = new Set<TeacherStream>();
  return {
    info: TEACHER_PACK_INFO,
    openStream(stream: StreamOptions): GenerationStream {
      const s = new TeacherStream(stream, options);
      streams.add(s);
      const dispose = s.dispose.bind(s);
      s.dispose = () => {
        streams.delete(s);
        dispose();
      };
      return s;
    },
    dispose(): void {
      for (const s of [...streams]) s.dispose();
    },
  };
}
