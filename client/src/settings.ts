/** The performer's settings, kept in localStorage between visits (kiosk mode reads them too). */
import { clamp } from '../../protocol/numbers.js';
import { INSTRUMENT_KINDS, type InstrumentKind } from '../../protocol/messages.js';

export interface Settings {
  prompt: string;
  pack: string | null;
  /** Who plays a symbolic pack's notes; null lets the server (and the pack) choose. */
  instruments: InstrumentKind | null;
  cameraId: string | null;
  width: number;
  height: number;
  mirror: boolean;
  poseModel: 'lite' | 'full';
  /** Detection and presence threshold for face and pose. */
  threshold: number;
  volumeDb: number;
}

export const SETTINGS_DEFAULTS: Settings = {
  prompt: '',
  pack: null,
  instruments: null,
  cameraId: null,
  width: 640,
  height: 480,
  mirror: true,
  poseModel: 'lite',
  threshold: 0.5,
  volumeDb: -6,
};

const KEY = 'expotion.settings.v1';

export function loadSettings(): Settings {
  try {
    const raw = localStorage.getItem(KEY);
    const parsed = raw ? (JSON.parse(raw) as Partial<Settings>) : {};
    const s = { ...SETTINGS_DEFAULTS, ...parsed };
    return {
      ...s,
      prompt: typeof s.prompt === 'string' ? s.prompt.slice(0, 500) : '',
      poseModel: s.poseModel === 'full' ? 'full' : 'lite',
      instruments: INSTRUMENT_KINDS.includes(s.instruments as InstrumentKind) ? s.instruments : null,
      threshold: Number.isFinite(s.threshold) ? clamp(s.threshold, 0.05, 0.95) : 0.5,
      volumeDb: Number.isFinite(s.volumeDb) ? clamp(s.volumeDb, -60, 0) : -6,
    };
  } catch {
    return { ...SETTINGS_DEFAULTS };
  }
}

export function saveSettings(s: Settings): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(s));
  } catch {
    // storage full or disabled: settings last for this visit only
  }
}
