/**
 * Files packed inside the legacy MediaPipe solutions' `*_packed_assets.data`: the loader script
 * next to it lists each file's byte range (`{"filename": ..., "start": ..., "end": ...}`); the
 * data is not compressed.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

export interface PackedFile {
  /** Base name, e.g. `face_landmark.tflite`. */
  name: string;
  start: number;
  end: number;
}

export function listPackedFiles(loaderJs: string): PackedFile[] {
  const out: PackedFile[] = [];
  const re = /"filename":\s*"([^"]+)",\s*"start":\s*(\d+),\s*"end":\s*(\d+)/g;
  for (let m = re.exec(loaderJs); m !== null; m = re.exec(loaderJs)) {
    out.push({ name: basename(m[1]!), start: Number(m[2]), end: Number(m[3]) });
  }
  return out;
}

/** Reads the files of a packed-assets pair into a map by base name. */
export function readPackedAssets(loaderPath: string, dataPath: string): Map<string, Uint8Array> {
  const files = listPackedFiles(readFileSync(loaderPath, 'utf8'));
  if (files.length === 0) throw new Error(`${loaderPath} lists no packed files`);
  const data = readFileSync(dataPath);
  const out = new Map<string, Uint8Array>();
  for (const f of files) {
    if (f.end > data.length || f.start > f.end) throw new Error(`${f.name}: range ${f.start}..${f.end} is outside ${dataPath} (${data.length} bytes)`);
    out.set(f.name, new Uint8Array(data.buffer, data.byteOffset + f.start, f.end - f.start));
  }
  return out;
}
