/**
 * The scene the music evokes (the server's `scene` message), crossfading from one caption to the
 * next: two stacked lines, the new one fading in while the old one fades out.
 */
import type { Milliseconds } from '../../../protocol/units.js';

export interface SceneCaptionOptions {
  /** Crossfade length (ms). */
  fadeMs: Milliseconds;
}

export const SCENE_CAPTION_DEFAULTS: SceneCaptionOptions = { fadeMs: 1200 };

export class SceneCaption {
  readonly options: SceneCaptionOptions;
  private readonly lines: [HTMLParagraphElement, HTMLParagraphElement];
  private front = 0;

  constructor(container: HTMLElement, options: Partial<SceneCaptionOptions> = {}) {
    this.options = { ...SCENE_CAPTION_DEFAULTS, ...options };
    const line = (): HTMLParagraphElement => {
      const p = document.createElement('p');
      p.className = 'scene-line';
      p.style.transitionDuration = `${this.options.fadeMs}ms`;
      container.append(p);
      return p;
    };
    this.lines = [line(), line()];
  }

  /** The caption on show ('' when none). */
  get text(): string {
    return this.lines[this.front]!.classList.contains('visible') ? (this.lines[this.front]!.textContent ?? '') : '';
  }

  show(caption: string): void {
    if (caption === this.text) return;
    const back = 1 - this.front;
    this.lines[back]!.textContent = caption;
    this.lines[back]!.classList.add('visible');
    this.lines[this.front]!.classList.remove('visible');
    this.front = back;
  }

  /** Fades the caption out (the music stopped). */
  clear(): void {
    for (const l of this.lines) l.classList.remove('visible');
  }

  dispose(): void {
    for (const l of this.lines) l.remove();
  }
}
