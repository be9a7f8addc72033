/**
 * The real-performer corpus (test/fixtures/performers, written by `npm run performers:corpus`),
 * loaded for the tests: each recording's landmark frames and the ground truth in its meta.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LandmarkFrame } from '../../protocol/landmarkTypes.js';
import { readRecording } from '../../protocol/recording.js';
import { recordedTruthOf, type RecordedTruth } from '../../harness/performers/recordedTruth.js';
import { REPO_ROOT } from '../../server/paths.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'performers');
/** The tracking rates the corpus is checked at (frames dropped from the 30 fps recordings). */
export const RATES = [6, 12, 20, 30];

export interface Fixture {
  file: string;
  truth: RecordedTruth;
  frames: LandmarkFrame[];
}

export function loadFixtures(): Fixture[] {
  return readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.exporec'))
    .sort()
    .map((file) => {
      const rec = readRecording(readFileSync(join(FIXTURES, file)));
      const meta = rec.records.find((r) => r.kind === 'meta');
      assert.ok(meta, `${file} starts with its meta`);
      return { file, truth: recordedTruthOf(meta.meta), frames: rec.records.flatMap((r) => (r.kind === 'frame' ? [r.frame] : [])) };
    });
}
