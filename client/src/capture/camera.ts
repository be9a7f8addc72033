/**
 * The webcam: opens a camera by device id and resolution into a <video>, lists cameras, and
 * turns getUserMedia's failures into messages a performer can act on.
 */

export type CameraProblem = 'denied' | 'missing' | 'busy' | 'unsupported' | 'failed';

export class CameraError extends Error {
  override name = 'CameraError';
  constructor(
    readonly problem: CameraProblem,
    message: string,
  ) {
    super(message);
  }
}

export interface CameraOptions {
  /** A device id from `Camera.list()`; null picks the default camera. */
  deviceId: string | null;
  width: number;
  height: number;
  frameRate: number;
}

export const CAMERA_DEFAULTS: CameraOptions = { deviceId: null, width: 640, height: 480, frameRate: 30 };

export const RESOLUTIONS: readonly { label: string; width: number; height: number }[] = [
  { label: '320 x 240', width: 320, height: 240 },
  { label: '640 x 480', width: 640, height: 480 },
  { label: '1280 x 720', width: 1280, height: 720 },
];

function explain(err: unknown): CameraError {
  const name = err instanceof DOMException || err instanceof Error ? err.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return new CameraError('denied', 'Camera access was denied. Allow the camera for this site in the browser (the icon in the address bar), then press Retry.');
    case 'NotFoundError':
    case 'OverconstrainedError':
      return new CameraError('missing', 'No camera was found. Connect a webcam (or pick another one in Settings), then press Retry.');
    case 'NotReadableError':
    case 'AbortError':
      return new CameraError('busy', 'The camera is in use by another application or could not start. Close the other application, then press Retry.');
    default:
      return new CameraError('failed', `The camera could not start: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export class Camera {
  readonly video: HTMLVideoElement;
  private stream: MediaStream | null = null;
  private readonly onTrackEnded = (): void => this.onLost?.();
  /** Called when the open camera goes away (unplugged, revoked). */
  onLost: (() => void) | null = null;

  constructor(video?: HTMLVideoElement) {
    this.video = video ?? document.createElement('video');
    this.video.muted = true;
    this.video.playsInline = true;
    this.video.autoplay = true;
  }

  static async list(): Promise<MediaDeviceInfo[]> {
    if (!navigator.mediaDevices?.enumerateDevices) return [];
    return (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'videoinput');
  }

  get isOpen(): boolean {
    return this.stream !== null && this.stream.getVideoTracks().some((t) => t.readyState === 'live');
  }

  /** The device id of the open camera. */
  get deviceId(): string | null {
    return this.stream?.getVideoTracks()[0]?.getSettings().deviceId ?? null;
  }

  async open(options: Partial<CameraOptions> = {}): Promise<void> {
    const o = { ...CAMERA_DEFAULTS, ...options };
    this.close();
    if (!navigator.mediaDevices?.getUserMedia) {
      throw new CameraError('unsupported', 'This browser gives no camera access here. Open the page over http://localhost or https.');
    }
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: {
          ...(o.deviceId ? { deviceId: { exact: o.deviceId } } : {}),
          width: { ideal: o.width },
          height: { ideal: o.height },
          frameRate: { ideal: o.frameRate },
        },
      });
    } catch (err) {
      throw explain(err);
    }
    this.stream = stream;
    for (const t of stream.getVideoTracks()) t.addEventListener('ended', this.onTrackEnded);
    this.video.srcObject = stream;
    try {
      await this.video.play();
    } catch (err) {
      this.close();
      throw explain(err);
    }
  }

  close(): void {
    if (!this.stream) return;
    for (const t of this.stream.getTracks()) {
      t.removeEventListener('ended', this.onTrackEnded);
      t.stop();
    }
    this.stream = null;
    this.video.srcObject = null;
  }

  dispose(): void {
    this.close();
    this.onLost = null;
  }
}
