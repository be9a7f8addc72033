import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CloseCode, ERROR_CODES, ProtocolError, closeCodeForError, isErrorCode } from '../../protocol/errors.js';
import * as protocol from '../../protocol/index.js';

describe('errors', () => {
  it('ProtocolError carries a code, a message and its name', () => {
    const err = new ProtocolError('FRAME_LENGTH', 'landmark frame has 3000 bytes');
    assert.ok(err instanceof Error);
    assert.equal(err.name, 'ProtocolError');
    assert.equal(err.code, 'FRAME_LENGTH');
    assert.equal(err.message, 'landmark frame has 3000 bytes');
  });

  it('error codes are unique, uppercase and include the required set', () => {
    assert.equal(new Set(ERROR_CODES).size, ERROR_CODES.length);
    for (const code of ERROR_CODES) assert.match(code, /^[A-Z][A-Z0-9_]*$/);
    const required = [
      'FRAME_TRUNCATED', 'FRAME_LENGTH', 'FRAME_KIND', 'FRAME_VERSION', 'FRAME_FLAGS', 'FRAME_NONFINITE',
      'FRAME_RANGE', 'FRAME_TIME', 'CHUNK_INVALID', 'JSON_SYNTAX', 'JSON_SCHEMA', 'UNKNOWN_TYPE',
      'VERSION_UNSUPPORTED', 'HELLO_REQUIRED', 'HELLO_REPEATED', 'UNKNOWN_PACK', 'FRAME_DUPLICATE',
      'FRAME_STALE', 'RATE_LIMITED', 'MESSAGE_TOO_BIG', 'SERVER_FULL', 'ORIGIN_FORBIDDEN', 'SLOW_CONSUMER', 'INTERNAL',
    ];
    for (const code of required) assert.ok(isErrorCode(code), code);
    assert.equal(isErrorCode('frame_length'), false);
    assert.equal(isErrorCode(5), false);
  });

  it('close codes have their specified values', () => {
    assert.deepEqual(CloseCode, {
      normal: 1000, goingAway: 1001, protocolError: 1002, unsupportedData: 1003, policyViolation: 1008,
      messageTooBig: 1009, internalError: 1011, tryAgainLater: 1013, versionMismatch: 4001,
      helloTimeout: 4002, idleTimeout: 4003, sessionLimit: 4004, rateLimited: 4008, slowConsumer: 4009,
    });
  });

  it('maps the connection-ending errors to close codes and leaves the rest open', () => {
    assert.equal(closeCodeForError('VERSION_UNSUPPORTED'), 4001);
    assert.equal(closeCodeForError('HELLO_TIMEOUT'), 4002);
    assert.equal(closeCodeForError('RATE_LIMITED'), 4008);
    assert.equal(closeCodeForError('SLOW_CONSUMER'), 4009);
    assert.equal(closeCodeForError('MESSAGE_TOO_BIG'), 1009);
    assert.equal(closeCodeForError('SERVER_FULL'), 1013);
    assert.equal(closeCodeForError('INTERNAL'), 1011);
    assert.equal(closeCodeForError('RENDER_TIMEOUT'), 1011);
    assert.equal(closeCodeForError('TOO_MANY_SESSIONS'), 1013);
    assert.equal(closeCodeForError('IDLE_TIMEOUT'), 4003);
    assert.equal(closeCodeForError('SESSION_TOO_LONG'), 4004);
    for (const code of ['FRAME_LENGTH', 'JSON_SCHEMA', 'UNKNOWN_TYPE', 'FRAME_STALE', 'ORIGIN_FORBIDDEN', 'RECORDING_FAILED', 'REPORT_RANGE'] as const) {
      assert.equal(closeCodeForError(code), null, code);
    }
  });

  it('index re-exports the public API', () => {
    for (const name of [
      'ProtocolError', 'CloseCode', 'PROTOCOL_VERSION', 'negotiateVersion', 'encodeLandmarkFrame', 'decodeLandmarkFrame',
      'landmarkFrameByteLength', 'encodeAudioChunk', 'decodeAudioChunk', 'audioChunkByteLength', 'parseClientMessage',
      'parseServerMessage', 'encodeMessage', 'CONTROL_NAMES', 'FACE_LANDMARK_COUNT',
    ]) {
      assert.ok(name in protocol, name);
    }
  });
});
