/**
 * Which MediaPipe delegate to try, in order. The GPU delegate only pays off on a real GPU: on
 * SwiftShader (Chromium's software WebGL, what headless and GPU-less machines get) it is slower
 * than the CPU delegate, and without WebGL2 it cannot start at all. The caller tries each
 * candidate on a test frame and keeps the first that works, so a GPU that fails falls back to CPU.
 * `?delegate=cpu|gpu` overrides the choice (a forced GPU still falls back when it fails).
 */

export type Delegate = 'CPU' | 'GPU';
export type DelegateRequest = 'auto' | 'cpu' | 'gpu';

/** Renderers that are WebGL in software, not a GPU. */
const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|software|basic render/i;

export function isSoftwareRenderer(renderer: string): boolean {
  return SOFTWARE_RENDERER.test(renderer);
}

/** The WebGL2 renderer string this context (page or worker) would get, or null without WebGL2. */
export function webgl2Renderer(): string | null {
  if (typeof OffscreenCanvas === 'undefined') return null;
  let gl: WebGL2RenderingContext | null = null;
  try {
    gl = new OffscreenCanvas(1, 1).getContext('webgl2');
  } catch {
    return null;
  }
  if (!gl) return null;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  return renderer;
}

/** Delegates to try in order, given the request and the WebGL2 renderer (null: none). */
export function delegateCandidates(request: DelegateRequest, renderer: string | null): Delegate[] {
  if (request === 'cpu') return ['CPU'];
  if (request === 'gpu') return ['GPU', 'CPU'];
  return renderer !== null && !isSoftwareRenderer(renderer) ? ['GPU', 'CPU'] : ['CPU'];
}

export function parseDelegateRequest(value: string | null): DelegateRequest {
  return value === 'cpu' || value === 'gpu' ? value : 'auto';
}
