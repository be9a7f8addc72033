/**
 * The instrument: camera -> MediaPipe -> landmark frames -> server -> audio chunks -> Tone.js.
 * Owns every moving part (camera, tracker, capture loop, link, player, recorder) and the one
 * playback-report timer; the performer UI and kiosk mode only drive it. `dispose()` releases all.
 */
import * as Tone from 'tone';
import type { AudioChunk } from '../../protocol/audioChunk.js';
import type { ChunkNotes } from '../../protocol/notesFrame.js';
import { notesToMidi } from '../../protocol/notesMidi.js';
import type { ControlsMessage, ErrorMessage, ReadyMessage, SceneMessage, StatsMessage } from '../../protocol/messages.js';
import { PLAYBACK_REPORT_INTERVAL_MS } from '../../protocol/messages.js';
import { RecentValues } from '../../protocol/statistics.js';
import type { Milliseconds } from '../../protocol/units.js';
import { Camera, type CameraOptions } from './capture/camera.js';
import { CaptureLoop, type CapturedFrame, type CaptureStats } from './capture/captureLoop.js';
import type { LandmarkTrackerOptions } from './capture/landmarkTracker.js';
import { ParallelTracker } from './capture/parallelTracker.js';
import { TrackerWorkerClient, type FrameTracker } from './capture/trackerWorkerClient.js';
import { SessionLink, type LinkSettings, type LinkState } from './link/sessionLink.js';
import { ChunkPlayer, type ChunkPlayerOptions, type ChunkPlayerStats } from './playback/chunkPlayer.js';
import { MidiOut, type MidiOutputLike } from './notes/midiOut.js';
import { NoteTimeline } from './notes/noteTimeline.js';
import { PerformanceRecorder } from './record/performanceRecorder.js';

export interface InstrumentOptions {
  /** ws:// URL of the server's /ws. */
  serverUrl: string;
  link: LinkSettings;
  tracker: Partial<LandmarkTrackerOptions>;
  /** 'parallel': face and pose in two workers (the default); 'serial': both in one worker, one after the other. */
  trackingMode: TrackingMode;
  player: Partial<ChunkPlayerOptions>;
  /** AudioContext sample rate (the server's default packs stream 48 kHz; matching avoids resampling at chunk borders). */
  sampleRate: number;
}

export type TrackingMode = 'parallel' | 'serial';

export interface InstrumentEvents {
  frame(captured: CapturedFrame): void;
  linkState(state: LinkState, detail: string): void;
  ready(ready: ReadyMessage): void;
  controls(msg: ControlsMessage): void;
  stats(msg: StatsMessage): void;
  scene(msg: SceneMessage): void;
  error(msg: ErrorMessage): void;
  cameraLost(): void;
}

/** Where a chunk's first sample is heard, on the performance.now() clock (MIDI timestamps use it). */
export interface ScheduledChunk {
  startSample: number;
  frames: number;
  heardAtMs: Milliseconds;
}

/** Recent chunks kept in `Instrument.schedule`. */
const SCHEDULE_LENGTH = 1024;

export interface LatencySummary {
  p50: Milliseconds;
  p95: Milliseconds;
  count: number;
}

/** Everything the UI shows and the browser tests read (window.expotion.snapshot()). */
export interface InstrumentSnapshot {
  capture: CaptureStats;
  /** How frames are tracked: the mode and MediaPipe's delegate (null before the tracker loads). */
  tracker: { mode: TrackingMode; delegate: string | null };
  link: { state: LinkState; sessions: number; sessionId: string | null; framesSent: number; framesDropped: number; bytesSent: number; rttMs: Milliseconds | null };
  playback: ChunkPlayerStats & { audioState: string; sampleRate: number };
  /** Control-to-audio latency measured on the client clock: heard time of a chunk's first sample minus the capture time of the frame it used. */
  clientLatency: LatencySummary | null;
  serverStats: StatsMessage | null;
  controls: ControlsMessage | null;
  /** The newest scene caption of this session, or null. */
  scene: SceneMessage | null;
  recording: { active: boolean; bytes: number; frames: number; chunks: number };
  blendshapes: boolean;
  /** Notes of this session: whether the pack has any, how many arrived, the MIDI output in use. */
  notes: { packHasNotes: boolean | null; received: number; midiOutput: string | null };
}

export class Instrument {
  readonly options: InstrumentOptions;
  readonly camera: Camera;
  readonly context: Tone.Context;
  readonly player: ChunkPlayer;
  readonly link: SessionLink;
  readonly recorder = new PerformanceRecorder();
  /** The generated notes of this session (piano roll). */
  readonly notes = new NoteTimeline();
  /** The notes of the recording in progress (its .mid). */
  private recordedNotes: NoteTimeline | null = null;
  readonly midi = new MidiOut();
  /** The newest chunks' schedule, oldest first. */
  readonly schedule: ScheduledChunk[] = [];
  /** The notes frame of the audio chunk that comes next. */
  private pendingNotes: ChunkNotes | null = null;
  private tracker: FrameTracker | null = null;
  private capture: CaptureLoop | null = null;
  private reportTimer: ReturnType<typeof setInterval> | null = null;
  /** Capture time by frame seq (recent frames only), for the client-side latency. */
  private readonly captureTimes = new Map<number, Milliseconds>();
  private readonly latencies = new RecentValues(256);
  private lastStats: StatsMessage | null = null;
  private lastControls: ControlsMessage | null = null;
  private lastScene: SceneMessage | null = null;
  private readonly listeners: Partial<InstrumentEvents>;

  constructor(options: InstrumentOptions, listeners: Partial<InstrumentEvents> = {}, video?: HTMLVideoElement) {
    this.options = options;
    this.listeners = listeners;
    this.camera = new Camera(video);
    this.camera.onLost = () => this.listeners.cameraLost?.();
    this.context = new Tone.Context({ latencyHint: 'interactive', lookAhead: 0.01, sampleRate: options.sampleRate });
    Tone.setContext(this.context);
    this.player = new ChunkPlayer(this.context, options.player);
    this.link = new SessionLink({ url: options.serverUrl }, options.link, {
      state: (state, detail) => this.listeners.linkState?.(state, detail),
      ready: (ready) => this.onReady(ready),
      chunk: (chunk, bytes, arrivalMs) => this.onChunk(chunk, bytes, arrivalMs),
      notes: (notes) => {
        this.notes.add(notes);
        this.recordedNotes?.add(notes);
        this.pendingNotes = notes;
      },
      controls: (msg) => {
        this.lastControls = msg;
        this.midi.controls(msg.values, performance.now());
        this.listeners.controls?.(msg);
      },
      stats: (msg) => {
        this.lastStats = msg;
        this.listeners.stats?.(msg);
      },
      scene: (msg) => {
        this.lastScene = msg;
        this.listeners.scene?.(msg);
      },
      error: (msg) => this.listeners.error?.(msg),
    });
  }

  get tracking(): boolean {
    return this.capture?.running ?? false;
  }

  get blendshapes(): boolean {
    return this.tracker?.blendshapes ?? false;
  }

  /** Loads MediaPipe in the tracking workers (once; again after `reloadTracker`). */
  async loadTracker(): Promise<void> {
    if (this.tracker) return;
    this.tracker =
      this.options.trackingMode === 'serial'
        ? await TrackerWorkerClient.create({ ...this.options.tracker, parts: 'both' })
        : await ParallelTracker.create(this.options.tracker);
  }

  /** Replaces the tracker (pose model or thresholds changed). */
  async reloadTracker(options: Partial<LandmarkTrackerOptions>): Promise<void> {
    const wasRunning = this.tracking;
    this.stopTracking();
    this.tracker?.dispose();
    this.tracker = null;
    this.options.tracker = { ...this.options.tracker, ...options };
    await this.loadTracker();
    if (wasRunning) this.startTracking();
  }

  async openCamera(options: Partial<CameraOptions>): Promise<void> {
    const wasRunning = this.tracking;
    this.stopTracking();
    await this.camera.open(options);
    if (wasRunning) this.startTracking();
  }

  startTracking(): void {
    if (!this.tracker) throw new Error('load the tracker first');
    this.capture ??= new CaptureLoop(this.camera.video, this.tracker, (c) => this.onCaptured(c));
    this.capture.start();
  }

  stopTracking(): void {
    this.capture?.dispose();
    this.capture = null;
  }

  /** Where the bundles came from ('built' from npm files or 'official'), by file. */
  get bundleSources(): Readonly<Record<string, string>> {
    return this.tracker?.bundleSources ?? {};
  }

  /** Resumes audio; call from a user gesture (browsers start audio only after one). */
  resumeAudio(): Promise<void> {
    return this.context.resume();
  }

  /** Starts (or resumes) the music: a session with the server. */
  startMusic(): void {
    void this.resumeAudio();
    this.player.fadeTo(1, 0.05);
    this.link.start();
    if (this.reportTimer === null) this.reportTimer = setInterval(() => this.sendReport(), PLAYBACK_REPORT_INTERVAL_MS);
  }

  /** Ends the session; the music fades over `fadeSeconds` and stops. */
  stopMusic(fadeSeconds = 0.3): void {
    this.link.stop();
    this.midi.allNotesOff();
    if (this.reportTimer !== null) clearInterval(this.reportTimer);
    this.reportTimer = null;
    this.player.fadeTo(0, fadeSeconds);
  }

  get musicOn(): boolean {
    return this.reportTimer !== null;
  }

  setPrompt(text: string): void {
    this.link.updateSettings({ prompt: text });
    this.recorder.event('prompt', { text });
  }

  startRecording(): void {
    const s = this.link.currentSettings;
    const ready = this.link.ready;
    this.recordedNotes = new NoteTimeline({ maxNotes: 200_000, maxBeats: 100_000 });
    this.recorder.start({
      prompt: s.prompt,
      ...(ready ? { pack: ready.pack, sampleRate: ready.sampleRate, channels: ready.channels, sessionId: ready.sessionId } : {}),
    });
  }

  /** Sends the generated notes to a Web MIDI output (null: none). */
  setMidiOutput(output: MidiOutputLike | null): void {
    this.midi.setOutput(output);
  }

  /** The sample being heard now and the session's rate, for the piano roll; null before audio. */
  playhead(): { sample: number; sampleRate: number } | null {
    const rate = this.link.ready?.sampleRate;
    const sample = rate === undefined ? null : this.player.playheadSample(rate);
    return rate === undefined || sample === null ? null : { sample, sampleRate: rate };
  }

  /** Stops the recording: the .exporec, and a .mid of its notes (null when the pack has none). */
  stopRecording(): { performance: Blob; midi: Blob | null } {
    const performance = this.recorder.stop();
    const notes = this.recordedNotes;
    this.recordedNotes = null;
    const rate = this.link.ready?.sampleRate ?? this.context.sampleRate;
    const midi = notes && notes.size > 0 ? new Blob([notesToMidi(notes.allNotes(), notes.allBeats(), rate)], { type: 'audio/midi' }) : null;
    return { performance, midi };
  }

  snapshot(): InstrumentSnapshot {
    const l = this.link;
    return {
      capture: this.capture?.stats() ?? {
        framesDelivered: 0, framesProcessed: 0, framesWithFace: 0, framesWithPose: 0, processedFps: 0, detectMsP50: 0, faceMsP50: 0, poseMsP50: 0, captureToSendMsP50: 0, lastFrameBytes: 0,
      },
      tracker: { mode: this.options.trackingMode, delegate: this.tracker?.delegate ?? null },
      link: { state: l.state, sessions: l.sessions, sessionId: l.sessionId, framesSent: l.framesSent, framesDropped: l.framesDropped, bytesSent: l.bytesSent, rttMs: l.rttMs },
      playback: { ...this.player.stats(), audioState: this.context.state, sampleRate: this.context.sampleRate },
      clientLatency: this.latencies.count > 0 ? { p50: this.latencies.percentile(50), p95: this.latencies.percentile(95), count: this.latencies.count } : null,
      serverStats: this.lastStats,
      controls: this.lastControls,
      scene: this.lastScene,
      recording: { active: this.recorder.recording, bytes: this.recorder.byteLength, frames: this.recorder.frames, chunks: this.recorder.chunks },
      blendshapes: this.blendshapes,
      notes: { packHasNotes: this.link.ready?.notes ?? null, received: this.notes.size, midiOutput: this.midi.outputName },
    };
  }

  private onCaptured(captured: CapturedFrame): void {
    if (this.link.streaming && this.link.sendFrame(captured.bytes)) {
      this.captureTimes.set(captured.frame.seq, captured.frame.captureTimeMs);
      if (this.captureTimes.size > 512) this.captureTimes.delete(this.captureTimes.keys().next().value!);
      this.recorder.frame(captured.bytes);
    }
    this.listeners.frame?.(captured);
  }

  private onReady(ready: ReadyMessage): void {
    // A new session numbers its frames and samples from 0 again.
    this.capture?.resetSequence();
    this.captureTimes.clear();
    this.player.startSession(ready.version >= 2);
    this.player.fadeTo(1, 0.05);
    this.notes.clear();
    this.pendingNotes = null;
    this.schedule.length = 0;
    this.midi.allNotesOff();
    this.recorder.event('session', { sessionId: ready.sessionId, pack: ready.pack, sampleRate: ready.sampleRate });
    this.listeners.ready?.(ready);
  }

  private onChunk(chunk: AudioChunk, bytes: Uint8Array, arrivalMs: Milliseconds): void {
    const { startTime } = this.player.receive(chunk, arrivalMs, (report) => this.link.send(report));
    const notes = this.pendingNotes;
    this.pendingNotes = null;
    const heardAtMs = this.player.heardAt(startTime);
    this.schedule.push({ startSample: chunk.header.startSample, frames: chunk.header.frames, heardAtMs });
    if (this.schedule.length > SCHEDULE_LENGTH) this.schedule.shift();
    if (notes && notes.startSample === chunk.header.startSample) this.midi.schedule(notes, heardAtMs, chunk.header.sampleRate);
    this.recorder.chunk(bytes, arrivalMs);
    const seq = chunk.header.controlSeq;
    const capture = seq === null ? undefined : this.captureTimes.get(seq);
    if (capture !== undefined) this.latencies.push(heardAtMs - capture);
  }

  private sendReport(): void {
    if (!this.link.streaming) return;
    const report = this.player.report();
    if (report) this.link.send(report);
  }

  dispose(): void {
    this.stopMusic(0);
    this.midi.setOutput(null);
    this.stopTracking();
    this.tracker?.dispose();
    this.tracker = null;
    this.camera.dispose();
    this.recorder.dispose();
    this.player.dispose();
    this.link.dispose();
    void this.context.close();
  }
}
