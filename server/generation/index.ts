/**
 * The generation seam: everything the rest of the server may use from server/generation/. Files
 * outside this folder import generation only from here (test/architecture.test.ts checks it), so
 * the folders beneath (pack/, lm/, musicgen/, symbolic/) can change without touching them.
 * Offline scripts, benchmarks and tests may reach deeper.
 */
export type { BeatGrid, ChunkNotes, MusicState, PackInfo } from './engine.js';
export { defaultPack, listPacks, packProblems, userPacks } from './packs.js';
export { WorkerPool, type RemoteStream } from './workerPool.js';
export { promptWords } from './symbolic/prompt.js';
export { STYLE_NAMES, type StyleName } from './symbolic/styleNames.js';
