/**
 * Errors on the wire have two codes (the ws habit): a WebSocket close code for the transport
 * (`CloseCode`) and a stable string code for programs (`ErrorCode`). Most bad messages only get
 * an `error` message with their `ErrorCode` and are dropped; the few that end the connection are
 * mapped to their close code by `closeCodeForError`.
 */

/** WebSocket close codes this protocol uses (1xxx from RFC 6455, 4xxx our own). */
export const CloseCode = {
  /** Orderly end: the client sent `stop`, or the server closes a finished session. */
  normal: 1000,
  /** The server is shutting down (or the page is going away, from the client). */
  goingAway: 1001,
  /** A message that breaks the protocol state machine beyond repair. */
  protocolError: 1002,
  /** A kind of data the receiver does not accept at all. */
  unsupportedData: 1003,
  /** Generic policy violation. */
  policyViolation: 1008,
  /** A message larger than the receiver's limit (ws `maxPayload`, or `MAX_JSON_BYTES`). */
  messageTooBig: 1009,
  /** The server failed (a bug or a crashed worker), not the client. */
  internalError: 1011,
  /** The server is full: try again later. */
  tryAgainLater: 1013,
  /** The hello offered no protocol version the server speaks. */
  versionMismatch: 4001,
  /** No hello arrived within the hello timeout. */
  helloTimeout: 4002,
  /** The client sent nothing (no frames, no playback reports) for the server's idle timeout. */
  idleTimeout: 4003,
  /** The session reached the server's maximum session length. */
  sessionLimit: 4004,
  /** The client flooded the server (messages or frames over the rate limit). */
  rateLimited: 4008,
  /** The client stopped reading audio for too long. */
  slowConsumer: 4009,
} as const;

export type CloseCodeName = keyof typeof CloseCode;
export type CloseCodeValue = (typeof CloseCode)[CloseCodeName];

/**
 * Program-facing error codes. The server uses them as metric labels: never rename one, only add.
 */
export const ERROR_CODES = [
  // binary landmark frames
  'FRAME_TRUNCATED', // fewer bytes than the fixed header
  'FRAME_LENGTH', // total length (or an array's length, when encoding) differs from what the flags imply
  'FRAME_KIND', // first byte is not a kind the receiver accepts
  'FRAME_VERSION', // version byte not supported
  'FRAME_FLAGS', // unknown flag bits, blendshapes without face, reserved byte not zero
  'FRAME_NONFINITE', // NaN / Infinity (encoder) or the reserved int16 -32768 (decoder)
  'FRAME_RANGE', // a coordinate, score or sequence number outside its encodable range
  'FRAME_TIME', // capture time not finite, negative or above 2^43 ms; or (session) a jump against the session's own clock
  'FRAME_DUPLICATE', // a sequence number already received (session check, not the codec)
  'FRAME_STALE', // a frame older than the newest one used (session check, not the codec)
  // binary audio chunks
  'CHUNK_INVALID',
  // binary notes frames (notesFrame.ts)
  'NOTES_INVALID',
  // JSON messages
  'JSON_SYNTAX',
  'JSON_SCHEMA',
  'UNKNOWN_TYPE',
  'MESSAGE_TOO_BIG',
  // session
  'VERSION_UNSUPPORTED',
  'HELLO_REQUIRED',
  'HELLO_REPEATED',
  'HELLO_TIMEOUT',
  'UNKNOWN_PACK',
  'RATE_LIMITED',
  'SERVER_FULL',
  'ORIGIN_FORBIDDEN',
  'HOST_FORBIDDEN', // the Host header names no host on the server's allowlist (HTTP 403, DNS rebinding)
  'TOO_MANY_SESSIONS', // this client address already has the most sessions the server allows it
  'IDLE_TIMEOUT', // no frames and no playback reports for the idle timeout
  'SESSION_TOO_LONG', // the session reached the server's maximum length
  'REPORT_RANGE', // a playback report or pong whose times or counts contradict the session's own history
  'SLOW_CONSUMER',
  'RECORDING_DISABLED', // hello asked for a recording but the server has no record directory
  'RECORDING_INVALID', // a performance recording file that cannot be read (protocol/recording.ts)
  'RECORDING_FAILED', // the server's recording of this session could not start or stopped (disk full, quota); the music goes on
  'RENDER_TIMEOUT', // the generator did not deliver a chunk in time (closes with 1011)
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const ERROR_CODE_SET: ReadonlySet<string> = new Set(ERROR_CODES);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && ERROR_CODE_SET.has(value);
}

/**
 * The close code that follows an error, for the errors that end the connection; null for the
 * ones where the bad message is dropped and the session goes on.
 * ORIGIN_FORBIDDEN has none: the upgrade is refused with HTTP 403 before any WebSocket exists.
 */
export function closeCodeForError(code: ErrorCode): CloseCodeValue | null {
  switch (code) {
    case 'VERSION_UNSUPPORTED':
      return CloseCode.versionMismatch;
    case 'HELLO_TIMEOUT':
      return CloseCode.helloTimeout;
    case 'RATE_LIMITED':
      return CloseCode.rateLimited;
    case 'SLOW_CONSUMER':
      return CloseCode.slowConsumer;
    case 'MESSAGE_TOO_BIG':
      return CloseCode.messageTooBig;
    case 'SERVER_FULL':
    case 'TOO_MANY_SESSIONS':
      return CloseCode.tryAgainLater;
    case 'IDLE_TIMEOUT':
      return CloseCode.idleTimeout;
    case 'SESSION_TOO_LONG':
      return CloseCode.sessionLimit;
    case 'INTERNAL':
    case 'RENDER_TIMEOUT':
      return CloseCode.internalError;
    default:
      return null;
  }
}

/** A protocol violation: `code` for programs (and metrics), `message` naming the bad value for people. */
export class ProtocolError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
  }
}
