/**
 * Where the listener's playhead is: maps a sample index of the session's audio timeline to the
 * server-clock time at which the listener hears it, and back. Until the client's first playback
 * report (and a clock offset) arrive it is an estimate anchored when streaming started.
 */
import type { Hz, Milliseconds, Samples } from '../../protocol/units.js';

export class ListenerClock {
  /** Server time at which sample `refSample` is heard. */
  private refSample: Samples = 0;
  private refHeardMs: Milliseconds;
  outputLatencyMs: Milliseconds = 0;

  constructor(
    readonly sampleRate: Hz,
    firstSampleHeardMs: Milliseconds,
  ) {
    this.refHeardMs = firstSampleHeardMs;
  }

  /** A new anchor: `sample` is heard at `heardServerMs` (a playback report converted to the server clock, or a re-estimate). */
  update(sample: Samples, heardServerMs: Milliseconds, outputLatencyMs: Milliseconds): void {
    this.refSample = sample;
    this.refHeardMs = heardServerMs;
    this.outputLatencyMs = outputLatencyMs;
  }

  heardAt(sample: Samples): Milliseconds {
    return this.refHeardMs + ((sample - this.refSample) / this.sampleRate) * 1000;
  }

  /** The (fractional) sample heard at server time `ms`. */
  sampleAt(ms: Milliseconds): Samples {
    return this.refSample + ((ms - this.refHeardMs) / 1000) * this.sampleRate;
  }
}
