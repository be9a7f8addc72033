/** The latency panel: the server's control-to-audio figures, the client's own, and the pipeline's health. */
import type { InstrumentSnapshot } from '../instrument.js';

const ms = (v: number | null | undefined): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : `${Math.round(v)} ms`);

export class StatsPanel {
  private readonly cells = new Map<string, HTMLElement>();

  constructor(private readonly root: HTMLElement) {
    root.replaceChildren();
    for (const [key, label] of [
      ['server', 'Control → audio, server'],
      ['client', 'Control → audio, client'],
      ['underruns', 'Underruns (after warm-up)'],
      ['rtf', 'Real-time factor'],
      ['lead', 'Lead / jitter buffer'],
      ['output', 'Output latency'],
      ['rtt', 'Network round trip'],
      ['capture', 'Tracking fps / ms'],
      ['send', 'Capture → send'],
      ['received', 'Tracking received (fps / capture → arrival)'],
      ['frame', 'Landmark frame'],
    ] as const) {
      const dt = document.createElement('dt');
      dt.textContent = label;
      const dd = document.createElement('dd');
      dd.dataset.stat = key;
      dd.textContent = '–';
      root.append(dt, dd);
      this.cells.set(key, dd);
    }
  }

  update(s: InstrumentSnapshot): void {
    const set = (key: string, text: string): void => {
      const cell = this.cells.get(key)!;
      if (cell.textContent !== text) cell.textContent = text;
    };
    const lat = s.serverStats?.latencyMs;
    set('server', lat ? `${ms(lat.p50)} / ${ms(lat.p95)}` : '–');
    set('client', s.clientLatency ? `${ms(s.clientLatency.p50)} / ${ms(s.clientLatency.p95)}` : '–');
    set('underruns', `${s.playback.underruns} (${s.playback.underrunsAfterWarmup})`);
    set('rtf', s.serverStats ? s.serverStats.rtf.toFixed(2) : '–');
    set('lead', `${ms(s.serverStats?.leadMs)} / ${ms(s.playback.bufferTargetMs)}`);
    set('output', ms(s.playback.outputLatencyMs));
    set('rtt', ms(s.link.rttMs));
    set('capture', s.capture.framesProcessed > 0 ? `${s.capture.processedFps} / ${Math.round(s.capture.detectMsP50)} ms` : '–');
    set('send', s.capture.framesProcessed > 0 ? ms(s.capture.captureToSendMsP50) : '–');
    const t = s.serverStats?.tracking;
    set('received', t ? `${Math.round(t.fps)} / ${ms(t.captureToArrivalMs)}` : '–');
    set('frame', s.capture.lastFrameBytes > 0 ? `${s.capture.lastFrameBytes} B` : '–');
  }

  get element(): HTMLElement {
    return this.root;
  }
}
