/**
 * The performer UI: camera preview with the tracking overlay, start/stop, prompt and presets,
 * pack selector, control meters, piano roll, MIDI out, latency panel, recording, settings. It drives an Instrument
 * and owns one refresh timer and one prompt debounce timer; `dispose()` clears both.
 */
import { RESOLUTIONS, Camera, CameraError } from '../capture/camera.js';
import type { CapturedFrame } from '../capture/captureLoop.js';
import type { Instrument } from '../instrument.js';
import type { LinkSettings, LinkState } from '../link/sessionLink.js';
import { download } from '../record/performanceRecorder.js';
import { type Settings, saveSettings } from '../settings.js';
import { ControlMeters } from './meters.js';
import { MidiPanel } from './midiPanel.js';
import { PianoRoll } from './pianoRoll.js';
import { LandmarkOverlay } from './overlay.js';
import { StatsPanel } from './statsPanel.js';

export const PROMPT_PRESETS: readonly string[] = [
  'calm ambient pads at dawn',
  'lo-fi hip hop, rain on the window',
  'upbeat funk with slap bass',
  'minimal techno in a dark club',
  'sunny bossa nova on the beach',
  'epic orchestral chase',
];

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
};

export class PerformerUi {
  readonly overlay: LandmarkOverlay;
  private readonly meters: ControlMeters;
  private readonly stats: StatsPanel;
  readonly pianoRoll: PianoRoll;
  private readonly midiPanel: MidiPanel;
  private refreshTimer: ReturnType<typeof setInterval> | null = null;
  private promptTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly el = {
    start: $<HTMLButtonElement>('start'),
    linkState: $('link-state'),
    trackingState: $('tracking-state'),
    volume: $<HTMLInputElement>('volume'),
    preview: $('preview'),
    stageMessage: $('stage-message'),
    stageMessageText: $('stage-message-text'),
    retry: $<HTMLButtonElement>('retry-camera'),
    captureLine: $('capture-line'),
    prompt: $<HTMLTextAreaElement>('prompt'),
    presets: $('presets'),
    pack: $<HTMLSelectElement>('pack'),
    instruments: $<HTMLSelectElement>('instruments'),
    record: $<HTMLButtonElement>('record'),
    recordState: $('record-state'),
    rollState: $('roll-state'),
    camera: $<HTMLSelectElement>('camera'),
    resolution: $<HTMLSelectElement>('resolution'),
    mirror: $<HTMLInputElement>('mirror'),
    poseModel: $<HTMLSelectElement>('pose-model'),
    threshold: $<HTMLInputElement>('threshold'),
    thresholdValue: $('threshold-value'),
    modelInfo: $('model-info'),
  };
  private readonly abort = new AbortController();

  constructor(
    private readonly instrument: Instrument,
    private readonly settings: Settings,
  ) {
    this.overlay = new LandmarkOverlay($<HTMLCanvasElement>('overlay'));
    this.meters = new ControlMeters($('meters'));
    this.stats = new StatsPanel($('stats'));
    this.pianoRoll = new PianoRoll($<HTMLCanvasElement>('piano-roll'), instrument.notes, () => instrument.playhead());
    this.midiPanel = new MidiPanel($('midi-out'), instrument);
    this.bind();
  }

  /** Fills the controls from the settings and starts the refresh timer. */
  init(): void {
    const { el, settings } = this;
    el.prompt.value = settings.prompt;
    el.volume.value = String(settings.volumeDb);
    el.mirror.checked = settings.mirror;
    el.preview.classList.toggle('mirrored', settings.mirror);
    el.poseModel.value = settings.poseModel;
    el.instruments.value = settings.instruments ?? '';
    el.threshold.value = String(settings.threshold);
    el.thresholdValue.textContent = settings.threshold.toFixed(2);
    el.presets.replaceChildren(
      ...PROMPT_PRESETS.map((text) => {
        const b = document.createElement('button');
        b.type = 'button';
        b.textContent = text;
        b.addEventListener('click', () => {
          el.prompt.value = text;
          this.commitPrompt();
        });
        return b;
      }),
    );
    el.resolution.replaceChildren(...RESOLUTIONS.map((r) => new Option(r.label, `${r.width}x${r.height}`)));
    el.resolution.value = `${settings.width}x${settings.height}`;
    void this.loadPacks();
    this.refreshTimer = setInterval(() => this.refresh(), 250);
  }

  /** Called for each tracked frame. */
  onFrame(captured: CapturedFrame): void {
    const v = this.instrument.camera.video;
    this.overlay.draw(captured.frame, v.videoWidth, v.videoHeight);
  }

  onLinkState(state: LinkState, detail: string): void {
    const labels: Record<LinkState, string> = { idle: 'offline', connecting: 'connecting…', streaming: 'live', reconnecting: 'reconnecting…', failed: 'connection failed' };
    this.el.linkState.dataset.state = state;
    this.el.linkState.textContent = labels[state];
    this.el.linkState.title = detail;
    this.syncStartButton();
  }

  setTrackingState(state: 'idle' | 'loading' | 'tracking' | 'error', text: string): void {
    this.el.trackingState.dataset.state = state;
    this.el.trackingState.textContent = text;
  }

  showCameraProblem(err: unknown): void {
    const text = err instanceof CameraError ? err.message : `The camera could not start: ${err instanceof Error ? err.message : String(err)}`;
    this.el.stageMessageText.textContent = text;
    this.el.stageMessage.hidden = false;
    this.setTrackingState('error', err instanceof CameraError ? `camera ${err.problem}` : 'camera error');
  }

  hideCameraProblem(): void {
    this.el.stageMessage.hidden = true;
  }

  showTrackerProblem(err: unknown): void {
    this.el.stageMessageText.textContent = `MediaPipe could not load: ${err instanceof Error ? err.message : String(err)}`;
    this.el.stageMessage.hidden = false;
    this.setTrackingState('error', 'tracking failed');
  }

  /** Lists cameras (labels appear once permission is granted). */
  async listCameras(): Promise<void> {
    const cams = await Camera.list();
    const current = this.instrument.camera.deviceId ?? this.settings.cameraId;
    this.el.camera.replaceChildren(...cams.map((c, i) => new Option(c.label || `Camera ${i + 1}`, c.deviceId)));
    if (current) this.el.camera.value = current;
  }

  /** Opens the camera with the current settings; shows a message on failure. */
  async openCamera(): Promise<boolean> {
    try {
      await this.instrument.openCamera({ deviceId: this.settings.cameraId, width: this.settings.width, height: this.settings.height });
      this.hideCameraProblem();
      await this.listCameras();
      return true;
    } catch (err) {
      this.showCameraProblem(err);
      return false;
    }
  }

  setStartEnabled(enabled: boolean): void {
    this.el.start.disabled = !enabled;
    this.el.record.disabled = !enabled;
  }

  private bind(): void {
    const { el } = this;
    const on = <K extends keyof HTMLElementEventMap>(target: HTMLElement, type: K, fn: (ev: HTMLElementEventMap[K]) => void): void =>
      target.addEventListener(type, fn, { signal: this.abort.signal });
    on(el.start, 'click', () => {
      if (this.instrument.musicOn) this.instrument.stopMusic();
      else this.instrument.startMusic();
      this.syncStartButton();
    });
    on(el.volume, 'input', () => {
      this.settings.volumeDb = Number(el.volume.value);
      this.instrument.player.setVolume(this.settings.volumeDb);
      saveSettings(this.settings);
    });
    on(el.prompt, 'input', () => {
      if (this.promptTimer !== null) clearTimeout(this.promptTimer);
      this.promptTimer = setTimeout(() => this.commitPrompt(), 700);
    });
    on(el.prompt, 'keydown', (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey) {
        ev.preventDefault();
        this.commitPrompt();
      }
    });
    on(el.pack, 'change', () => {
      this.settings.pack = el.pack.value || null;
      this.restartWith({ pack: this.settings.pack });
    });
    on(el.instruments, 'change', () => {
      const value = el.instruments.value;
      this.settings.instruments = value === 'soundfont' || value === 'synth' ? value : null;
      this.restartWith({ instruments: this.settings.instruments });
    });
    on(el.record, 'click', () => this.toggleRecording());
    on(el.retry, 'click', () => void this.openCamera().then((ok) => ok && this.instrument.startTracking()));
    on(el.camera, 'change', () => {
      this.settings.cameraId = el.camera.value || null;
      saveSettings(this.settings);
      void this.openCamera();
    });
    on(el.resolution, 'change', () => {
      const [w, h] = el.resolution.value.split('x').map(Number);
      this.settings.width = w!;
      this.settings.height = h!;
      saveSettings(this.settings);
      void this.openCamera();
    });
    on(el.mirror, 'change', () => {
      this.settings.mirror = el.mirror.checked;
      el.preview.classList.toggle('mirrored', this.settings.mirror);
      saveSettings(this.settings);
    });
    on(el.poseModel, 'change', () => {
      this.settings.poseModel = el.poseModel.value === 'full' ? 'full' : 'lite';
      saveSettings(this.settings);
      void this.reloadTracker();
    });
    on(el.threshold, 'input', () => {
      el.thresholdValue.textContent = Number(el.threshold.value).toFixed(2);
    });
    on(el.threshold, 'change', () => {
      this.settings.threshold = Number(el.threshold.value);
      saveSettings(this.settings);
      void this.reloadTracker();
    });
  }

  private async reloadTracker(): Promise<void> {
    this.setTrackingState('loading', 'loading models…');
    try {
      const t = this.settings.threshold;
      await this.instrument.reloadTracker({
        poseModel: this.settings.poseModel,
        minFaceDetectionConfidence: t,
        minFacePresenceConfidence: t,
        minPoseDetectionConfidence: t,
        minPosePresenceConfidence: t,
      });
    } catch (err) {
      this.showTrackerProblem(err);
    }
  }

  /** Pack and instruments are chosen at hello: saves the change and restarts a running session with it. */
  private restartWith(patch: Partial<LinkSettings>): void {
    saveSettings(this.settings);
    this.instrument.link.updateSettings(patch);
    if (this.instrument.musicOn) {
      this.instrument.stopMusic(0.1);
      this.instrument.startMusic();
    }
  }

  private commitPrompt(): void {
    if (this.promptTimer !== null) clearTimeout(this.promptTimer);
    this.promptTimer = null;
    const text = this.el.prompt.value.trim().slice(0, 500);
    if (text === this.settings.prompt) return;
    this.settings.prompt = text;
    saveSettings(this.settings);
    this.instrument.setPrompt(text);
  }

  private toggleRecording(): void {
    const rec = this.instrument.recorder;
    if (rec.recording) {
      const { performance, midi } = this.instrument.stopRecording();
      const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
      download(performance, `expotion-performance-${stamp}.exporec`);
      if (midi) download(midi, `expotion-performance-${stamp}.mid`);
    } else {
      if (!this.instrument.musicOn) this.instrument.startMusic();
      this.instrument.startRecording();
    }
    this.syncRecordButton();
  }

  private syncStartButton(): void {
    const on = this.instrument.musicOn;
    this.el.start.textContent = on ? 'Stop' : 'Start';
    this.el.start.dataset.on = String(on);
  }

  private syncRecordButton(): void {
    const rec = this.instrument.recorder;
    this.el.record.textContent = rec.recording ? 'Stop & download' : 'Record';
    this.el.record.dataset.on = String(rec.recording);
    this.el.recordState.textContent = rec.recording
      ? `Recording: ${(rec.durationMs / 1000).toFixed(0)} s, ${(rec.byteLength / 1e6).toFixed(1)} MB`
      : (rec.stoppedBecause ?? 'Records landmarks and audio for the harness to replay.');
  }

  private async loadPacks(): Promise<void> {
    try {
      const res = (await (await fetch('/packs')).json()) as { default: string; packs: { name: string; description?: string }[] };
      this.el.pack.replaceChildren(new Option(`default (${res.default})`, ''), ...res.packs.map((p) => new Option(p.name, p.name)));
      this.el.pack.value = this.settings.pack && res.packs.some((p) => p.name === this.settings.pack) ? this.settings.pack : '';
    } catch {
      this.el.pack.replaceChildren(new Option('default', ''));
    }
  }

  private refresh(): void {
    const s = this.instrument.snapshot();
    this.stats.update(s);
    if (s.controls) this.meters.update(s.controls);
    const c = s.capture;
    const line = this.instrument.tracking
      ? `${c.processedFps} fps tracked (${s.tracker.mode}, ${s.tracker.delegate ?? '?'} delegate) · face ${Math.round(c.faceMsP50)} ms + pose ${Math.round(c.poseMsP50)} ms · capture → send ${Math.round(c.captureToSendMsP50)} ms · ${c.framesWithFace}/${c.framesProcessed} frames with a face, ${c.framesWithPose} with a body · ${s.link.framesSent} frames sent`
      : this.el.captureLine.textContent;
    if (line !== null && this.el.captureLine.textContent !== line) this.el.captureLine.textContent = line;
    if (this.instrument.tracking) this.setTrackingState('tracking', c.processedFps > 0 ? `tracking ${c.processedFps} fps` : 'tracking');
    if (this.instrument.recorder.recording || this.el.record.dataset.on === 'true') this.syncRecordButton();
    const rollText = s.notes.packHasNotes === false ? 'This pack has no notes (it generates audio directly).' : '';
    if (this.el.rollState.textContent !== rollText) this.el.rollState.textContent = rollText;
  }

  showModelInfo(text: string): void {
    this.el.modelInfo.textContent = text;
  }

  dispose(): void {
    this.abort.abort();
    this.pianoRoll.dispose();
    this.midiPanel.dispose();
    if (this.refreshTimer !== null) clearInterval(this.refreshTimer);
    if (this.promptTimer !== null) clearTimeout(this.promptTimer);
    this.refreshTimer = null;
    this.promptTimer = null;
  }
}
