/**
 * Kiosk mode (`/?kiosk=1`): full screen, no controls. Music starts when a person is detected
 * and fades out when they leave; an attract screen shows while nobody is there. Recovers by
 * itself from camera loss (reopens it with backoff), socket loss and server restarts (the link
 * reconnects while music is wanted). Holds a screen wake lock. The operator reaches the
 * settings by pressing "o" three times within two seconds, or by holding the top-left corner
 * for three seconds.
 *
 * Built to run for days: one watchdog interval, at most one camera-retry timer, fixed-size
 * state, everything released by `dispose()`.
 */
import type { CapturedFrame } from '../capture/captureLoop.js';
import type { Instrument } from '../instrument.js';
import type { Milliseconds } from '../../../protocol/units.js';

export type KioskState = 'starting' | 'attract' | 'playing' | 'leaving' | 'no-camera';

export interface KioskOptions {
  /** A person must be seen this long before the music starts. */
  arriveMs: Milliseconds;
  /** Nobody seen this long: the music fades out. */
  leaveMs: Milliseconds;
  /** Fade-out length; the session closes when it ends. */
  fadeMs: Milliseconds;
  /** No camera frame for this long while tracking: the camera is reopened. */
  cameraStallMs: Milliseconds;
  /** Camera reopen backoff cap. */
  maxCameraRetryMs: Milliseconds;
}

export const KIOSK_DEFAULTS: KioskOptions = { arriveMs: 400, leaveMs: 2500, fadeMs: 1500, cameraStallMs: 4000, maxCameraRetryMs: 30_000 };

export interface KioskView {
  showAttract(show: boolean, needsTouchForSound: boolean): void;
  toggleOperator(): void;
  cameraProblem(err: unknown | null): void;
}

export class KioskController {
  readonly options: KioskOptions;
  private _state: KioskState = 'starting';
  private firstSeenMs: Milliseconds | null = null;
  private lastSeenMs: Milliseconds = 0;
  private lastFrameMs: Milliseconds = 0;
  private leavingSince: Milliseconds | null = null;
  private watchdog: ReturnType<typeof setInterval> | null = null;
  private cameraRetry: ReturnType<typeof setTimeout> | null = null;
  private cameraAttempts = 0;
  private wakeLock: WakeLockSentinel | null = null;
  private operatorPresses: Milliseconds[] = [];
  private cornerTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly abort = new AbortController();
  /** Transitions so far, for the UI and tests. */
  transitions = 0;

  constructor(
    private readonly instrument: Instrument,
    private readonly view: KioskView,
    private readonly openCamera: () => Promise<void>,
    options: Partial<KioskOptions> = {},
  ) {
    this.options = { ...KIOSK_DEFAULTS, ...options };
  }

  get state(): KioskState {
    return this._state;
  }

  start(): void {
    const signal = this.abort.signal;
    document.addEventListener('keydown', (ev) => this.onKey(ev), { signal });
    document.addEventListener('visibilitychange', () => void this.holdWakeLock(), { signal });
    // Any touch unlocks audio (when the browser was not started with an autoplay policy) and asks for full screen.
    document.addEventListener('pointerdown', (ev) => this.onPointerDown(ev), { signal });
    document.addEventListener('pointerup', () => this.clearCorner(), { signal });
    this.instrument.camera.onLost = () => this.onCameraLost();
    this.watchdog = setInterval(() => this.tick(), 250);
    this.setState('attract');
    void this.holdWakeLock();
  }

  /** Each tracked frame: is someone there? */
  onFrame(captured: CapturedFrame): void {
    const now = performance.now();
    this.lastFrameMs = now;
    this.cameraAttempts = 0;
    const present = captured.frame.face !== null || captured.frame.pose !== null;
    if (present) {
      this.lastSeenMs = now;
      this.firstSeenMs ??= now;
    } else {
      this.firstSeenMs = null;
    }
    this.evaluate(now);
  }

  private evaluate(now: Milliseconds): void {
    const o = this.options;
    const present = now - this.lastSeenMs < 150;
    switch (this._state) {
      case 'attract':
      case 'no-camera':
        if (present && this.firstSeenMs !== null && now - this.firstSeenMs >= o.arriveMs) {
          this.instrument.startMusic();
          this.setState('playing');
        }
        break;
      case 'playing':
        if (now - this.lastSeenMs >= o.leaveMs) {
          this.instrument.player.fadeTo(0, o.fadeMs / 1000);
          this.leavingSince = now;
          this.setState('leaving');
        }
        break;
      case 'leaving':
        if (present) {
          this.instrument.player.fadeTo(1, 0.3);
          this.leavingSince = null;
          this.setState('playing');
        } else if (this.leavingSince !== null && now - this.leavingSince >= o.fadeMs) {
          this.instrument.stopMusic(0);
          this.leavingSince = null;
          this.setState('attract');
        }
        break;
      case 'starting':
        break;
    }
  }

  private tick(): void {
    const now = performance.now();
    this.evaluate(now);
    if (this.instrument.tracking && this.cameraRetry === null && this.lastFrameMs > 0 && now - this.lastFrameMs > this.options.cameraStallMs) {
      this.onCameraLost();
    }
    this.showView(); // the sound hint follows the AudioContext, which has no event of its own here
  }

  private showView(): void {
    this.view.showAttract(this._state === 'attract' || this._state === 'no-camera', this.instrument.context.state !== 'running');
  }

  private onCameraLost(): void {
    if (this.cameraRetry !== null) return;
    if (this._state === 'playing' || this._state === 'leaving') {
      this.instrument.stopMusic(0.5);
    }
    this.setState('no-camera');
    const delay = Math.min(this.options.maxCameraRetryMs, 1000 * 2 ** Math.min(this.cameraAttempts, 5));
    this.cameraAttempts++;
    this.cameraRetry = setTimeout(() => {
      this.cameraRetry = null;
      this.openCamera().then(
        () => {
          this.view.cameraProblem(null);
          this.lastFrameMs = performance.now();
          this.instrument.startTracking();
          this.setState('attract');
        },
        (err: unknown) => {
          this.view.cameraProblem(err);
          this.onCameraLost();
        },
      );
    }, delay);
  }

  private onKey(ev: KeyboardEvent): void {
    if (ev.key !== 'o' && ev.key !== 'O') return;
    const now = performance.now();
    this.operatorPresses = [...this.operatorPresses.filter((t) => now - t < 2000), now].slice(-3);
    if (this.operatorPresses.length === 3) {
      this.operatorPresses = [];
      this.view.toggleOperator();
    }
  }

  private onPointerDown(ev: PointerEvent): void {
    void this.instrument.resumeAudio();
    if (!document.fullscreenElement && document.documentElement.requestFullscreen) {
      document.documentElement.requestFullscreen().catch(() => undefined);
    }
    if (ev.clientX < 60 && ev.clientY < 60) {
      this.clearCorner();
      this.cornerTimer = setTimeout(() => {
        this.cornerTimer = null;
        this.view.toggleOperator();
      }, 3000);
    }
  }

  private clearCorner(): void {
    if (this.cornerTimer !== null) clearTimeout(this.cornerTimer);
    this.cornerTimer = null;
  }

  private async holdWakeLock(): Promise<void> {
    if (document.visibilityState !== 'visible' || !('wakeLock' in navigator)) return;
    if (this.wakeLock && !this.wakeLock.released) return;
    try {
      this.wakeLock = await navigator.wakeLock.request('screen');
    } catch {
      this.wakeLock = null; // not allowed here (e.g. no user activation yet); retried on the next visibility change
    }
  }

  private setState(state: KioskState): void {
    if (state === this._state) return;
    this._state = state;
    this.transitions++;
    document.body.dataset.kiosk = state;
    this.showView(); // at once, not at the next watchdog tick
  }

  dispose(): void {
    this.abort.abort();
    if (this.watchdog !== null) clearInterval(this.watchdog);
    if (this.cameraRetry !== null) clearTimeout(this.cameraRetry);
    this.clearCorner();
    this.watchdog = null;
    this.cameraRetry = null;
    void this.wakeLock?.release().catch(() => undefined);
    this.wakeLock = null;
  }
}
