/** Live meters for the control vector (protocol/controlVector.ts), fed by `controls` snapshots. */
import { CONTROL_NAMES, CONTROL_RANGES, type ControlName } from '../../../protocol/controlVector.js';
import type { ControlsMessage } from '../../../protocol/messages.js';
import { clamp01 } from '../../../protocol/numbers.js';

interface MeterSpec {
  name: ControlName;
  label: string;
  format?: (v: number) => string;
}

/** The meters shown, in order (a subset of the control vector, the ones a performer steers most). */
export const METERS: readonly MeterSpec[] = [
  { name: 'presence', label: 'Presence' },
  { name: 'valence', label: 'Valence' },
  { name: 'energy', label: 'Energy' },
  { name: 'handHeight', label: 'Hand height' },
  { name: 'armOpenness', label: 'Openness' },
  { name: 'mouthOpen', label: 'Mouth open' },
  { name: 'browRaise', label: 'Brows' },
  { name: 'nod', label: 'Nod' },
  { name: 'beatPhase', label: 'Beat phase' },
  { name: 'beatStrength', label: 'Beat strength' },
  { name: 'tempo', label: 'Tempo', format: (v) => `${Math.round(v)}` },
];

export class ControlMeters {
  private readonly rows = new Map<ControlName, { fill: HTMLElement; value: HTMLElement; min: number; max: number; bipolar: boolean }>();
  private readonly music: HTMLElement;

  constructor(root: HTMLElement) {
    root.replaceChildren();
    for (const spec of METERS) {
      const [min, max] = CONTROL_RANGES[CONTROL_NAMES.indexOf(spec.name)]!;
      const label = document.createElement('span');
      label.textContent = spec.label;
      const track = document.createElement('div');
      track.className = 'meter-track';
      const bipolar = min < 0;
      if (bipolar) track.classList.add('bipolar');
      const fill = document.createElement('div');
      fill.className = 'meter-fill';
      track.append(fill);
      const value = document.createElement('span');
      value.className = 'meter-value';
      value.dataset.control = spec.name;
      value.textContent = '–';
      root.append(label, track, value);
      this.rows.set(spec.name, { fill, value, min, max, bipolar });
    }
    this.music = document.createElement('span');
    this.music.className = 'muted small';
    this.music.style.gridColumn = '1 / -1';
    root.append(this.music);
  }

  update(msg: ControlsMessage): void {
    for (const spec of METERS) {
      const row = this.rows.get(spec.name)!;
      const v = msg.values[spec.name];
      if (v === undefined) continue;
      const t = clamp01((v - row.min) / (row.max - row.min));
      if (row.bipolar) {
        row.fill.style.left = `${Math.min(t, 0.5) * 100}%`;
        row.fill.style.width = `${Math.abs(t - 0.5) * 100}%`;
      } else {
        row.fill.style.left = '0';
        row.fill.style.width = `${t * 100}%`;
      }
      row.value.textContent = spec.format ? spec.format(v) : v.toFixed(2);
    }
    const m = msg.music;
    this.music.textContent = `${m.style} · ${m.key} ${m.mode} · ${m.tempoBpm === null ? 'no tempo' : `${Math.round(m.tempoBpm)} BPM`}`;
  }
}
