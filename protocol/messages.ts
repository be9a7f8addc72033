// Over 400 lines on purpose: every wire message's limits, schema and type in one file, read top to bottom beside protocol/README.md.
/**
 * JSON control messages (text WebSocket frames), one zod schema each. Every object schema is
 * strict (unknown keys are an error), every limit is a named constant, every number must be
 * finite (JSON.parse turns 1e999 into Infinity, and JSON.stringify turns NaN into null, so
 * both directions check).
 */

import { z } from 'zod';
import { MAX_CHUNK_FRAMES, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE } from './audioChunk.js';
import { ProtocolError } from './errors.js';

/** Largest JSON message, in UTF-8 bytes, either direction. */
export const MAX_JSON_BYTES = 4096;
/** Longest text prompt, in UTF-16 code units (JavaScript string length). */
export const MAX_PROMPT_CHARS = 500;
/** Most protocol versions a hello may offer. */
export const MAX_HELLO_VERSIONS = 8;
/** Longest pack name; names match PACK_NAME_PATTERN. */
export const MAX_PACK_NAME_CHARS = 64;
export const PACK_NAME_PATTERN = /^[a-z0-9._-]+$/;
/** Longest free-form client description in hello (e.g. "expotion-web/0.1 Chrome/126"). */
export const MAX_CLIENT_CHARS = 100;
/** Longest session id, error code and error text the server sends. */
export const MAX_SESSION_ID_CHARS = 128;
export const MAX_ERROR_CODE_CHARS = 64;
export const MAX_ERROR_MESSAGE_CHARS = 1000;
/** Largest seed (seeds are u32). */
export const MAX_SEED = 0xffffffff;
/** Longest name or string value in controls snapshots and ready lists. */
export const MAX_NAME_CHARS = 64;
/** Most entries in ready.packs, ready.controlNames and controls.values. */
export const MAX_LIST_ENTRIES = 64;
/** How long the server waits for hello after the connection opens. */
export const HELLO_TIMEOUT_MS = 5000;
/** How often the client should send playback reports. */
export const PLAYBACK_REPORT_INTERVAL_MS = 500;
/** Largest arrival slack a playback report may claim, either sign (ms): no client buffers a minute. */
export const MAX_SLACK_MS = 60_000;
/** Version of the `scene` message's own layout (its `version` field). */
export const SCENE_MESSAGE_VERSION = 1;
/** Longest scene caption the server sends. */
export const MAX_SCENE_CAPTION_CHARS = 200;

// ---------------------------------------------------------------------------------------------
// building blocks

const finite = () => z.number().finite();
const nonNegative = () => z.number().finite().nonnegative();
const nonNegativeInt = () => z.number().int().nonnegative().safe();
const name = () => z.string().min(1).max(MAX_NAME_CHARS);

export const packNameSchema = z
  .string()
  .min(1)
  .max(MAX_PACK_NAME_CHARS)
  .regex(PACK_NAME_PATTERN, { message: 'must contain only a-z, 0-9, ".", "_" and "-"' });

export const audioFormatSchema = z.enum(['f32', 's16']);

// ---------------------------------------------------------------------------------------------
// both directions

export const pingSchema = z
  .object({
    type: z.literal('ping'),
    /** Chosen by the sender, echoed in the pong. */
    id: nonNegativeInt(),
    /** Sender's clock when sent, ms. */
    t: finite(),
  })
  .strict();

export const pongSchema = z
  .object({
    type: z.literal('pong'),
    /** The ping's id. */
    id: nonNegativeInt(),
    /** The ping's t, echoed unchanged. */
    t: finite(),
    /** Responder's clock when the ping was received, ms. */
    recvMs: finite(),
    /** Responder's clock when the pong was sent, ms. */
    sendMs: finite(),
  })
  .strict();

// ---------------------------------------------------------------------------------------------
// client -> server

/**
 * How a symbolic pack's notes are played: `soundfont` (sampled General MIDI instruments) or
 * `synth` (the built-in synthesiser). Packs without notes (MusicGen audio tokens) ignore it.
 */
export const INSTRUMENT_KINDS = ['soundfont', 'synth'] as const;
export type InstrumentKind = (typeof INSTRUMENT_KINDS)[number];
export const instrumentsSchema = z.enum(INSTRUMENT_KINDS);

export const helloSchema = z
  .object({
    type: z.literal('hello'),
    /** Protocol versions the client speaks; the server picks the highest common one. */
    versions: z.array(z.number().int().positive().safe()).min(1).max(MAX_HELLO_VERSIONS),
    /** Text prompt ("" lets the pack choose). */
    prompt: z.string().max(MAX_PROMPT_CHARS),
    /** Model pack to use; the server's default when absent. */
    pack: packNameSchema.optional(),
    /** Audio chunk format wanted; the server's default when absent. */
    audio: z.object({ format: audioFormatSchema }).strict().optional(),
    /** Generation seed (u32), for reproducible sessions. */
    seed: z.number().int().min(0).max(MAX_SEED).optional(),
    /** Ask the server to record the session (landmarks and audio). */
    record: z.boolean().optional(),
    /** Ask for a binary `notes` frame before each audio chunk (notesFrame.ts); packs without notes send none. */
    notes: z.boolean().optional(),
    /** Instruments for a symbolic pack; the server's setting, then the pack's, when absent. */
    instruments: instrumentsSchema.optional(),
    /** Free-form client description, for logs. */
    client: z.string().max(MAX_CLIENT_CHARS).optional(),
  })
  .strict();

export const promptSchema = z
  .object({
    type: z.literal('prompt'),
    text: z.string().max(MAX_PROMPT_CHARS),
  })
  .strict();

export const playbackSchema = z
  .object({
    type: z.literal('playback'),
    /** A sample index on the session's audio timeline. */
    sample: nonNegativeInt(),
    /** Client clock (ms) at which `sample` is or was heard at the speaker, output latency included. */
    clientTimeMs: finite(),
    /** The output latency the client included (AudioContext outputLatency + baseLatency), ms. */
    outputLatencyMs: nonNegative(),
    /** Audio queued ahead of the playhead, ms. */
    bufferedMs: nonNegative(),
    /** Underruns since the session started. */
    underruns: nonNegativeInt(),
    /** Silence played because of underruns since the session started, ms. */
    underrunMs: nonNegative(),
    /**
     * Protocol 2: of the chunks received since the previous report, the one that arrived with the
     * least time to spare: its first sample, and how long before the client had to have it (its
     * start less the client's own scheduling margin) it arrived, ms (below 0: it was late, an
     * underrun). The server fits its lead's margin to what the listener's chunks leave unused.
     */
    leastSlack: z.object({ sample: nonNegativeInt(), ms: z.number().finite().min(-MAX_SLACK_MS).max(MAX_SLACK_MS) }).strict().optional(),
  })
  .strict();

export const stopSchema = z.object({ type: z.literal('stop') }).strict();

// ---------------------------------------------------------------------------------------------
// server -> client

export const readySchema = z
  .object({
    type: z.literal('ready'),
    /** The negotiated protocol version. */
    version: z.number().int().positive().safe(),
    sessionId: z.string().min(1).max(MAX_SESSION_ID_CHARS),
    /** The pack in use. */
    pack: packNameSchema,
    /** Who plays a symbolic pack's notes ("synth" also when sampled instruments were asked for and could not load); absent for audio-token packs. */
    instruments: instrumentsSchema.optional(),
    /** Packs this server offers. */
    packs: z.array(packNameSchema).max(MAX_LIST_ENTRIES),
    sampleRate: z.number().int().min(MIN_SAMPLE_RATE).max(MAX_SAMPLE_RATE),
    channels: z.union([z.literal(1), z.literal(2)]),
    format: audioFormatSchema,
    /** Typical frames per audio chunk. */
    chunkFrames: z.number().int().min(1).max(MAX_CHUNK_FRAMES),
    /** Current target lead of generation over playback, ms. */
    leadMs: nonNegative(),
    /** Version of the control vector (see controlVector.ts). */
    controlVersion: z.number().int().positive().safe(),
    /** Control names in index order. */
    controlNames: z.array(name()).max(MAX_LIST_ENTRIES),
    /** Whether this pack generates notes (symbolic packs): a client that asked for notes gets frames only then. */
    notes: z.boolean().optional(),
    /** Server clock when sent, ms. */
    serverTimeMs: finite(),
  })
  .strict();

export const musicSchema = z
  .object({
    style: z.string().max(MAX_NAME_CHARS),
    /** Null for packs that have no tempo of their own (MusicGen audio tokens). */
    tempoBpm: z.number().finite().positive().nullable(),
    key: z.string().max(MAX_NAME_CHARS),
    mode: z.enum(['major', 'minor']),
  })
  .catchall(
    z.union([z.number().finite(), z.string().max(MAX_NAME_CHARS), z.null()], {
      errorMap: () => ({ message: 'must be a string, a finite number or null' }),
    }),
  );

export const controlsSchema = z
  .object({
    type: z.literal('controls'),
    /** Newest landmark frame seq the controls used; null before any frame arrived. */
    seq: nonNegativeInt().nullable(),
    /** Server clock when sent, ms. */
    serverTimeMs: finite(),
    /** Control name -> value (names from ready.controlNames). */
    values: z
      .record(name(), finite())
      .refine((v) => Object.keys(v).length <= MAX_LIST_ENTRIES, { message: `must have at most ${MAX_LIST_ENTRIES} entries` }),
    /** What the music is doing now; packs may add string or number fields. */
    music: musicSchema,
  })
  .strict();

export const latencySummarySchema = z
  .object({
    /** Control-to-audio latency percentiles over the recent window, ms. */
    p50: finite(),
    p95: finite(),
    max: finite(),
    /** Measurements in the window. */
    count: nonNegativeInt(),
  })
  .strict();

export const trackingStatsSchema = z
  .object({
    /** Landmark frames the server received over the last second. */
    fps: nonNegative(),
    /** Median capture-to-arrival time of recent frames (client capture clock mapped to the server's); null before clock sync. */
    captureToArrivalMs: nonNegative().nullable(),
  })
  .strict();

export const statsSchema = z
  .object({
    type: z.literal('stats'),
    /** Control-to-audio latency; null until the first measurement. */
    latencyMs: latencySummarySchema.nullable(),
    /** Real-time factor: generation time / audio time (< 1 keeps up). */
    rtf: nonNegative(),
    /** Underruns the client reported (cumulative). */
    underruns: nonNegativeInt(),
    /** Current target lead, ms. */
    leadMs: nonNegative(),
    /** Audio chunks sent so far. */
    chunks: nonNegativeInt(),
    /** The tracking rate as received (optional: servers before it leave it out). */
    tracking: trackingStatsSchema.optional(),
  })
  .strict();

export const sceneSchema = z
  .object({
    type: z.literal('scene'),
    /** Layout version of this message (SCENE_MESSAGE_VERSION); a client drops versions it does not know. */
    version: z.literal(SCENE_MESSAGE_VERSION),
    /** The scene the music evokes now, one sentence, lowercase as written (the display may capitalise). */
    caption: z.string().min(1).max(MAX_SCENE_CAPTION_CHARS),
    /** Who imagined it: the server's built-in imaginer or the configured captioning service. */
    source: z.enum(['builtin', 'external']),
    /** Server clock when sent, ms. */
    serverTimeMs: finite(),
  })
  .strict();

export const errorSchema = z
  .object({
    type: z.literal('error'),
    /** An ErrorCode (see errors.ts); typed as string so that old clients accept codes added later. */
    code: z.string().min(1).max(MAX_ERROR_CODE_CHARS),
    message: z.string().max(MAX_ERROR_MESSAGE_CHARS),
  })
  .strict();

// ---------------------------------------------------------------------------------------------
// types

export type PingMessage = z.infer<typeof pingSchema>;
export type PongMessage = z.infer<typeof pongSchema>;
export type HelloMessage = z.infer<typeof helloSchema>;
export type PromptMessage = z.infer<typeof promptSchema>;
export type PlaybackMessage = z.infer<typeof playbackSchema>;
export type StopMessage = z.infer<typeof stopSchema>;
export type ReadyMessage = z.infer<typeof readySchema>;
export type MusicState = z.infer<typeof musicSchema>;
export type ControlsMessage = z.infer<typeof controlsSchema>;
export type LatencySummary = z.infer<typeof latencySummarySchema>;
export type StatsMessage = z.infer<typeof statsSchema>;
export type TrackingStats = z.infer<typeof trackingStatsSchema>;
export type ErrorMessage = z.infer<typeof errorSchema>;
export type SceneMessage = z.infer<typeof sceneSchema>;

export const clientMessageSchema = z.discriminatedUnion('type', [
  helloSchema,
  promptSchema,
  pingSchema,
  pongSchema,
  playbackSchema,
  stopSchema,
]);
export const serverMessageSchema = z.discriminatedUnion('type', [
  readySchema,
  pingSchema,
  pongSchema,
  controlsSchema,
  statsSchema,
  errorSchema,
  sceneSchema,
]);

export type ClientMessage = z.infer<typeof clientMessageSchema>;
export type ServerMessage = z.infer<typeof serverMessageSchema>;
export type ClientMessageType = ClientMessage['type'];
export type ServerMessageType = ServerMessage['type'];

type AnySchema = z.ZodType<ClientMessage | ServerMessage, z.ZodTypeDef, unknown>;

const CLIENT_SCHEMAS: ReadonlyMap<string, AnySchema> = new Map<ClientMessageType, AnySchema>([
  ['hello', helloSchema],
  ['prompt', promptSchema],
  ['ping', pingSchema],
  ['pong', pongSchema],
  ['playback', playbackSchema],
  ['stop', stopSchema],
]);
const SERVER_SCHEMAS: ReadonlyMap<string, AnySchema> = new Map<ServerMessageType, AnySchema>([
  ['ready', readySchema],
  ['ping', pingSchema],
  ['pong', pongSchema],
  ['controls', controlsSchema],
  ['stats', statsSchema],
  ['error', errorSchema],
  ['scene', sceneSchema],
]);
const ALL_SCHEMAS: ReadonlyMap<string, AnySchema> = new Map([...CLIENT_SCHEMAS, ...SERVER_SCHEMAS]);

export const CLIENT_MESSAGE_TYPES: readonly ClientMessageType[] = Object.freeze([
  'hello', 'prompt', 'ping', 'pong', 'playback', 'stop',
]);
export const SERVER_MESSAGE_TYPES: readonly ServerMessageType[] = Object.freeze([
  'ready', 'ping', 'pong', 'controls', 'stats', 'error', 'scene',
]);

// ---------------------------------------------------------------------------------------------
// parse and encode

/**
 * UTF-8 length of a string without encoding it. Lone surrogates count 3 bytes, as TextEncoder
 * writes them (U+FFFD).
 */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

function checkSize(text: string): void {
  // Cheap bounds first: UTF-8 needs at least 1 and at most 3 bytes per UTF-16 code unit.
  if (text.length * 3 <= MAX_JSON_BYTES) return;
  const bytes = text.length > MAX_JSON_BYTES ? text.length : utf8ByteLength(text);
  if (bytes > MAX_JSON_BYTES) {
    throw new ProtocolError(
      'MESSAGE_TOO_BIG',
      `JSON message has ${text.length > MAX_JSON_BYTES ? 'at least ' : ''}${bytes} bytes; the limit is ${MAX_JSON_BYTES}`,
    );
  }
}

/**
 * `text` cut to at most `max` UTF-16 code units, marked with an ellipsis, never splitting a
 * surrogate pair. Replies quote client input (keys, values) only through this.
 */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 1);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return text.slice(0, end) + '…';
}

/** Longest piece of a path and of an issue's own text quoted in an error message. */
const MAX_QUOTED_CHARS = 80;
const MAX_ISSUE_CHARS = 200;

function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? clipText(p, MAX_QUOTED_CHARS) : `.${clipText(p, MAX_QUOTED_CHARS)}`;
  return out;
}

/**
 * A readable summary of zod issues: `hello.versions[0]: Number must be greater than 0; ...`.
 * Bounded: at most three issues, each path segment and issue text clipped (an unknown key of
 * 1,000 characters is quoted as its first 80), so the reply always fits an `error` message.
 */
function describeIssues(type: string, error: z.ZodError): string {
  const shown = error.issues.slice(0, 3).map((issue) => {
    const path = clipText(formatPath(issue.path), MAX_ISSUE_CHARS);
    return `${type}${path === '' ? '' : `.${path}`}: ${clipText(issue.message, MAX_ISSUE_CHARS)}`;
  });
  const more = error.issues.length - shown.length;
  return shown.join('; ') + (more > 0 ? `; and ${more} more problem${more === 1 ? '' : 's'}` : '');
}

function describeJsonValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function parseWith<T>(text: string, schemas: ReadonlyMap<string, AnySchema>, expected: readonly string[]): T {
  checkSize(text);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ProtocolError('JSON_SYNTAX', `message is not valid JSON: ${clipText((err as Error).message, MAX_ISSUE_CHARS)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError('JSON_SCHEMA', `message must be a JSON object, but is ${describeJsonValue(value)}`);
  }
  const type = (value as { type?: unknown }).type;
  const schema = typeof type === 'string' ? schemas.get(type) : undefined;
  if (schema === undefined) {
    const shown = type === undefined ? 'missing' : JSON.stringify(type).slice(0, 80);
    throw new ProtocolError('UNKNOWN_TYPE', `message type is ${shown}; expected one of ${expected.join(', ')}`);
  }
  const result = schema.safeParse(value);
  if (!result.success) throw new ProtocolError('JSON_SCHEMA', describeIssues(type as string, result.error));
  return result.data as T;
}

/** Parse and validate a text frame from a client. Throws ProtocolError (MESSAGE_TOO_BIG, JSON_SYNTAX, UNKNOWN_TYPE, JSON_SCHEMA). */
export function parseClientMessage(text: string): ClientMessage {
  return parseWith<ClientMessage>(text, CLIENT_SCHEMAS, CLIENT_MESSAGE_TYPES);
}

/** Parse and validate a text frame from the server. Throws ProtocolError (MESSAGE_TOO_BIG, JSON_SYNTAX, UNKNOWN_TYPE, JSON_SCHEMA). */
export function parseServerMessage(text: string): ServerMessage {
  return parseWith<ServerMessage>(text, SERVER_SCHEMAS, SERVER_MESSAGE_TYPES);
}

/**
 * Validate and serialise a message. Throws ProtocolError JSON_SCHEMA for a message the peer
 * would reject (including NaN or Infinity, which JSON.stringify would silently turn into null)
 * and MESSAGE_TOO_BIG when the JSON exceeds MAX_JSON_BYTES.
 */
export function encodeMessage(msg: ClientMessage | ServerMessage): string {
  const schema = ALL_SCHEMAS.get(msg.type);
  if (schema === undefined) {
    throw new ProtocolError('UNKNOWN_TYPE', `message type is ${JSON.stringify(msg.type)}; it has no schema`);
  }
  const result = schema.safeParse(msg);
  if (!result.success) throw new ProtocolError('JSON_SCHEMA', describeIssues(msg.type, result.error));
  const text = JSON.stringify(msg);
  checkSize(text);
  return text;
}
