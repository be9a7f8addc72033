/**
 * The MIDI out card: asks for Web MIDI on a click (browsers prompt for it), lists the outputs,
 * sets the channel of each stream and mutes the streamed audio for players who want only their
 * own synths. It only drives the instrument's MidiOut.
 */
import { NOTE_STREAMS } from '../../../protocol/notesFrame.js';
import type { Instrument } from '../instrument.js';

export class MidiPanel {
  private access: MIDIAccess | null = null;
  private readonly abort = new AbortController();

  constructor(
    private readonly root: HTMLElement,
    private readonly instrument: Instrument,
  ) {
    const enable = root.querySelector<HTMLButtonElement>('[data-midi="enable"]')!;
    const output = root.querySelector<HTMLSelectElement>('[data-midi="output"]')!;
    const mute = root.querySelector<HTMLInputElement>('[data-midi="mute"]')!;
    const status = root.querySelector<HTMLElement>('[data-midi="status"]')!;
    const channels = root.querySelector<HTMLElement>('[data-midi="channels"]')!;
    const signal = this.abort.signal;
    const midi = instrument.midi;
    NOTE_STREAMS.forEach((name, i) => {
      const label = document.createElement('label');
      label.textContent = `${name} `;
      const input = document.createElement('input');
      Object.assign(input, { type: 'number', min: '0', max: '16', value: String(midi.options.channels[i]), title: `MIDI channel of the ${name} (0: off)` });
      input.addEventListener('change', () => {
        const c = Math.round(Number(input.value));
        midi.options.channels[i] = Number.isFinite(c) && c >= 0 && c <= 16 ? c : 0;
        input.value = String(midi.options.channels[i]);
      }, { signal });
      label.append(input);
      channels.append(label);
    });
    enable.addEventListener('click', () => {
      if (typeof navigator.requestMIDIAccess !== 'function') {
        status.textContent = 'This browser has no Web MIDI.';
        return;
      }
      navigator.requestMIDIAccess().then(
        (access) => {
          this.access = access;
          access.onstatechange = () => this.listOutputs(output);
          this.listOutputs(output);
          status.textContent = '';
        },
        (err: unknown) => (status.textContent = `MIDI refused: ${(err as Error).message}`),
      );
    }, { signal });
    output.addEventListener('change', () => instrument.setMidiOutput(this.access?.outputs.get(output.value) ?? null), { signal });
    mute.addEventListener('change', () => instrument.player.setMuted(mute.checked), { signal });
  }

  private listOutputs(select: HTMLSelectElement): void {
    const chosen = select.value;
    select.replaceChildren(new Option('(none)', ''));
    for (const out of this.access?.outputs.values() ?? []) select.append(new Option(out.name ?? out.id, out.id));
    select.value = chosen;
  }

  dispose(): void {
    this.abort.abort();
    if (this.access) this.access.onstatechange = null;
  }
}
