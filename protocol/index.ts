/** The wire protocol shared by server, browser client and harness. Runs in Node and in browsers. */
export * from './units.js';
export * from './errors.js';
export * from './version.js';
export * from './landmarkTypes.js';
export * from './landmarkLayout.js';
export * from './landmarkFrame.js';
export * from './audioChunk.js';
export * from './notesFrame.js';
export * from './messages.js';
export * from './controlVector.js';
export * from './recording.js';
