import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MAX_JSON_BYTES,
  MAX_PROMPT_CHARS,
  MAX_SCENE_CAPTION_CHARS,
  clipText,
  encodeMessage,
  parseClientMessage,
  parseServerMessage,
  utf8ByteLength,
  type ClientMessage,
  type ServerMessage,
} from '../../protocol/messages.js';
import { CONTROL_NAMES, CONTROL_VERSION } from '../../protocol/controlVector.js';
import { assertProtocolError } from './helpers.js';

const CLIENT_MESSAGES: [string, ClientMessage][] = [
  ['hello (minimal)', { type: 'hello', versions: [1], prompt: '' }],
  [
    'hello (every field)',
    {
      type: 'hello',
      versions: [1, 2],
      prompt: 'warm lo-fi piano, rain outside',
      pack: 'symbolic-default_v1.2',
      audio: { format: 's16' },
      seed: 0xffffffff,
      record: true,
      instruments: 'soundfont',
      client: 'expotion-web/0.1 (Chrome 126)',
    },
  ],
  ['prompt', { type: 'prompt', text: 'x'.repeat(MAX_PROMPT_CHARS) }],
  ['ping', { type: 'ping', id: 0, t: 1234.5 }],
  ['pong', { type: 'pong', id: 7, t: -3.25, recvMs: 1e9, sendMs: 1e9 + 0.5 }],
  [
    'playback',
    { type: 'playback', sample: 2 ** 40, clientTimeMs: 98765.4, outputLatencyMs: 0, bufferedMs: 120.5, underruns: 3, underrunMs: 41.7 },
  ],
  [
    'playback with its least-slack chunk (protocol 2; late: negative)',
    { type: 'playback', sample: 96_256, clientTimeMs: 5021.5, outputLatencyMs: 10, bufferedMs: 80, underruns: 1, underrunMs: 12, leastSlack: { sample: 95_232, ms: -7.5 } },
  ],
  ['stop', { type: 'stop' }],
];

const values = Object.fromEntries(CONTROL_NAMES.map((n, i) => [n, i / 10 - 0.5]));

const SERVER_MESSAGES: [string, ServerMessage][] = [
  [
    'ready',
    {
      type: 'ready',
      version: 1,
      sessionId: 's-1f3a',
      pack: 'symbolic-default',
      instruments: 'synth',
      packs: ['symbolic-default', 'musicgen-small'],
      sampleRate: 48000,
      channels: 2,
      format: 'f32',
      chunkFrames: 960,
      leadMs: 120,
      controlVersion: CONTROL_VERSION,
      controlNames: [...CONTROL_NAMES],
      serverTimeMs: 5000.125,
    },
  ],
  ['ping', { type: 'ping', id: 12, t: 777 }],
  ['pong', { type: 'pong', id: 12, t: 777, recvMs: 800, sendMs: 800.01 }],
  [
    'controls (seq and extra music fields)',
    {
      type: 'controls',
      seq: 42,
      serverTimeMs: 6000,
      values,
      music: { style: 'lofi', tempoBpm: 92.5, key: 'A', mode: 'minor', density: 0.4, section: 'verse' },
    },
  ],
  ['controls (seq null)', { type: 'controls', seq: null, serverTimeMs: 0, values: {}, music: { style: '', tempoBpm: 100, key: 'C', mode: 'major' } }],
  ['stats (latency null)', { type: 'stats', latencyMs: null, rtf: 0, underruns: 0, leadMs: 0, chunks: 0 }],
  ['stats', { type: 'stats', latencyMs: { p50: 140.2, p95: 190, max: 260.5, count: 300 }, rtf: 0.42, underruns: 2, leadMs: 110, chunks: 1200 }],
  ['stats with tracking', { type: 'stats', latencyMs: null, rtf: 0.1, underruns: 0, leadMs: 90, chunks: 10, tracking: { fps: 14, captureToArrivalMs: 62.5 } }],
  ['error', { type: 'error', code: 'FRAME_LENGTH', message: 'landmark frame has 3000 bytes; with flags face+pose it must have 3148' }],
  ['scene (built-in)', { type: 'scene', version: 1, caption: 'a jazz bar on a rainy night with a saxophone in the corner', source: 'builtin', serverTimeMs: 12000.5 }],
  ['scene (external, longest caption)', { type: 'scene', version: 1, caption: 'y'.repeat(MAX_SCENE_CAPTION_CHARS), source: 'external', serverTimeMs: 0 }],
];

describe('JSON messages round trip', () => {
  for (const [name, msg] of CLIENT_MESSAGES) {
    it(`client ${name}`, () => {
      const text = encodeMessage(msg);
      assert.deepEqual(JSON.parse(text), msg);
      assert.deepEqual(parseClientMessage(text), msg);
    });
  }
  for (const [name, msg] of SERVER_MESSAGES) {
    it(`server ${name}`, () => {
      assert.deepEqual(parseServerMessage(encodeMessage(msg)), msg);
    });
  }
  it('ping and pong parse in both directions', () => {
    for (const msg of [{ type: 'ping', id: 1, t: 2 }, { type: 'pong', id: 1, t: 2, recvMs: 3, sendMs: 4 }] as const) {
      const text = JSON.stringify(msg);
      assert.deepEqual(parseClientMessage(text), msg);
      assert.deepEqual(parseServerMessage(text), msg);
    }
  });
});

describe('JSON message size limit', () => {
  it(`accepts exactly ${MAX_JSON_BYTES} bytes and rejects one more with MESSAGE_TOO_BIG`, () => {
    const base = '{"type":"stop"}';
    assert.deepEqual(parseClientMessage(base + ' '.repeat(MAX_JSON_BYTES - base.length)), { type: 'stop' });
    assertProtocolError(() => parseClientMessage(base + ' '.repeat(MAX_JSON_BYTES - base.length + 1)), 'MESSAGE_TOO_BIG', /4097 bytes; the limit is 4096/);
  });

  it('counts UTF-8 bytes, not characters', () => {
    const text = `{"type":"prompt","text":"${'€'.repeat(1400)}"}`; // 1427 characters, 4227 bytes
    assert.equal(utf8ByteLength(text), new TextEncoder().encode(text).length);
    assertProtocolError(() => parseClientMessage(text), 'MESSAGE_TOO_BIG', /4227 bytes/);
    assertProtocolError(() => parseServerMessage(text), 'MESSAGE_TOO_BIG');
  });

  it('utf8ByteLength agrees with TextEncoder, surrogate pairs and lone surrogates included', () => {
    for (const s of ['', 'abc', 'é', '€', '😀', 'a😀b', '\ud800', '\udc00x', 'x\ud800']) {
      assert.equal(utf8ByteLength(s), new TextEncoder().encode(s).length, JSON.stringify(s));
    }
  });

  it('checks the size before parsing', () => {
    assertProtocolError(() => parseClientMessage('{'.repeat(MAX_JSON_BYTES + 1)), 'MESSAGE_TOO_BIG');
  });
});

describe('JSON message rejections', () => {
  it('JSON_SYNTAX for text that is not JSON', () => {
    for (const text of ['', '{', 'nul', "{'type':'stop'}", '{"type":"stop",}']) {
      assertProtocolError(() => parseClientMessage(text), 'JSON_SYNTAX', /not valid JSON/);
      assertProtocolError(() => parseServerMessage(text), 'JSON_SYNTAX');
    }
  });

  it('JSON_SCHEMA for JSON that is not an object', () => {
    for (const [text, what] of [['[]', 'an array'], ['null', 'null'], ['5', 'a number'], ['"stop"', 'a string']]) {
      assertProtocolError(() => parseClientMessage(text), 'JSON_SCHEMA', new RegExp(`must be a JSON object, but is ${what}`));
    }
  });

  it('UNKNOWN_TYPE for a missing, unknown or wrong-direction type', () => {
    assertProtocolError(() => parseClientMessage('{"text":"hi"}'), 'UNKNOWN_TYPE', /type is missing; expected one of hello, prompt/);
    assertProtocolError(() => parseClientMessage('{"type":"dance"}'), 'UNKNOWN_TYPE', /"dance"/);
    assertProtocolError(() => parseClientMessage('{"type":5}'), 'UNKNOWN_TYPE', /type is 5/);
    assertProtocolError(() => parseClientMessage('{"type":"ready"}'), 'UNKNOWN_TYPE', /"ready"/);
    assertProtocolError(() => parseClientMessage('{"type":"__proto__"}'), 'UNKNOWN_TYPE');
    assertProtocolError(() => parseServerMessage('{"type":"hello","versions":[1],"prompt":""}'), 'UNKNOWN_TYPE', /expected one of ready, ping/);
  });

  const hello = { type: 'hello', versions: [1], prompt: '' };
  const playback = { type: 'playback', sample: 0, clientTimeMs: 0, outputLatencyMs: 0, bufferedMs: 0, underruns: 0, underrunMs: 0 };
  const clientCases: [string, object, RegExp][] = [
    ['hello unknown key', { ...hello, foo: 1 }, /hello: Unrecognized key\(s\) in object: 'foo'/],
    ['hello __proto__ key', JSON.parse('{"type":"hello","versions":[1],"prompt":"","__proto__":{"x":1}}'), /__proto__/],
    ['hello versions missing', { type: 'hello', prompt: '' }, /hello\.versions: Required/],
    ['hello versions empty', { ...hello, versions: [] }, /hello\.versions/],
    ['hello 9 versions', { ...hello, versions: [1, 2, 3, 4, 5, 6, 7, 8, 9] }, /hello\.versions/],
    ['hello version 0', { ...hello, versions: [0] }, /hello\.versions\[0\]: Number must be greater than 0/],
    ['hello version 1.5', { ...hello, versions: [1, 1.5] }, /hello\.versions\[1\]: Expected integer/],
    ['hello prompt too long', { ...hello, prompt: 'x'.repeat(MAX_PROMPT_CHARS + 1) }, /hello\.prompt/],
    ['hello prompt missing', { type: 'hello', versions: [1] }, /hello\.prompt: Required/],
    ['hello pack uppercase', { ...hello, pack: 'Default' }, /hello\.pack: must contain only/],
    ['hello pack empty', { ...hello, pack: '' }, /hello\.pack/],
    ['hello pack too long', { ...hello, pack: 'a'.repeat(65) }, /hello\.pack/],
    ['hello audio format', { ...hello, audio: { format: 'f64' } }, /hello\.audio\.format/],
    ['hello instruments unknown', { ...hello, instruments: 'piano' }, /hello\.instruments: Invalid enum value\. Expected 'soundfont' \| 'synth'/],
    ['hello audio unknown key', { ...hello, audio: { format: 'f32', rate: 1 } }, /hello\.audio: Unrecognized key/],
    ['hello seed negative', { ...hello, seed: -1 }, /hello\.seed/],
    ['hello seed too big', { ...hello, seed: 2 ** 32 }, /hello\.seed/],
    ['hello seed fractional', { ...hello, seed: 0.5 }, /hello\.seed/],
    ['hello record not boolean', { ...hello, record: 'yes' }, /hello\.record: Expected boolean/],
    ['hello client too long', { ...hello, client: 'c'.repeat(101) }, /hello\.client/],
    ['prompt text not a string', { type: 'prompt', text: 5 }, /prompt\.text: Expected string/],
    ['prompt text too long', { type: 'prompt', text: 'y'.repeat(MAX_PROMPT_CHARS + 1) }, /prompt\.text/],
    ['ping id negative', { type: 'ping', id: -1, t: 0 }, /ping\.id/],
    ['ping t missing', { type: 'ping', id: 1 }, /ping\.t: Required/],
    ['pong recvMs missing', { type: 'pong', id: 1, t: 0, sendMs: 0 }, /pong\.recvMs: Required/],
    ['playback sample negative', { ...playback, sample: -1 }, /playback\.sample/],
    ['playback sample fractional', { ...playback, sample: 1.5 }, /playback\.sample/],
    ['playback sample unsafe', { ...playback, sample: 2 ** 53 }, /playback\.sample/],
    ['playback outputLatencyMs negative', { ...playback, outputLatencyMs: -1 }, /playback\.outputLatencyMs/],
    ['playback bufferedMs negative', { ...playback, bufferedMs: -0.5 }, /playback\.bufferedMs/],
    ['playback underruns fractional', { ...playback, underruns: 1.5 }, /playback\.underruns/],
    ['playback underrunMs negative', { ...playback, underrunMs: -1 }, /playback\.underrunMs/],
    ['playback leastSlack beyond a minute', { ...playback, leastSlack: { sample: 0, ms: 1e18 } }, /playback\.leastSlack\.ms/],
    ['playback leastSlack sample fractional', { ...playback, leastSlack: { sample: 0.5, ms: 3 } }, /playback\.leastSlack\.sample/],
    ['playback leastSlack extra key', { ...playback, leastSlack: { sample: 0, ms: 3, chunk: 1 } }, /playback\.leastSlack/],
    ['playback clientTimeMs missing', { ...playback, clientTimeMs: undefined }, /playback\.clientTimeMs: Required/],
    ['stop with a key', { type: 'stop', now: true }, /stop: Unrecognized key/],
  ];
  for (const [name, msg, message] of clientCases) {
    it(`JSON_SCHEMA: ${name}`, () => {
      assertProtocolError(() => parseClientMessage(JSON.stringify(msg)), 'JSON_SCHEMA', message);
    });
  }

  it('JSON_SCHEMA for numbers that overflow to Infinity (1e999)', () => {
    assertProtocolError(() => parseClientMessage('{"type":"ping","id":1,"t":1e999}'), 'JSON_SCHEMA', /ping\.t: Number must be finite/);
    assertProtocolError(
      () => parseServerMessage('{"type":"controls","seq":1,"serverTimeMs":0,"values":{"energy":-1e999},"music":{"style":"","tempoBpm":90,"key":"C","mode":"major"}}'),
      'JSON_SCHEMA',
      /controls\.values\.energy: Number must be finite/,
    );
  });

  const [, ready] = SERVER_MESSAGES[0]!;
  const controls = SERVER_MESSAGES[3]![1] as Extract<ServerMessage, { type: 'controls' }>;
  const stats = SERVER_MESSAGES[6]![1] as Extract<ServerMessage, { type: 'stats' }>;
  const serverCases: [string, object, RegExp][] = [
    ['ready channels 3', { ...ready, channels: 3 }, /ready\.channels/],
    ['ready format', { ...ready, format: 'mp3' }, /ready\.format/],
    ['ready sampleRate', { ...ready, sampleRate: 7999 }, /ready\.sampleRate/],
    ['ready pack name', { ...ready, packs: ['ok', 'Not OK'] }, /ready\.packs\[1\]/],
    ['ready unknown key', { ...ready, extra: 1 }, /ready: Unrecognized key/],
    ['controls seq negative', { ...controls, seq: -1 }, /controls\.seq/],
    ['controls value not a number', { ...controls, values: { energy: 'high' } }, /controls\.values\.energy/],
    ['controls mode', { ...controls, music: { ...controls.music, mode: 'dorian' } }, /controls\.music\.mode/],
    ['controls music extra boolean', { ...controls, music: { ...controls.music, swing: true } }, /controls\.music\.swing: must be a string, a finite number or null/],
    ['controls music tempo missing', { ...controls, music: { style: 'x', key: 'C', mode: 'major' } }, /controls\.music\.tempoBpm: Required/],
    ['controls music tempo 0 (null says "no tempo")', { ...controls, music: { ...controls.music, tempoBpm: 0 } }, /controls\.music\.tempoBpm/],
    ['stats count fractional', { ...stats, latencyMs: { ...stats.latencyMs, count: 1.5 } }, /stats\.latencyMs\.count/],
    ['stats latency unknown key', { ...stats, latencyMs: { ...stats.latencyMs, p99: 1 } }, /stats\.latencyMs: Unrecognized key/],
    ['stats rtf negative', { ...stats, rtf: -1 }, /stats\.rtf/],
    ['stats tracking fps negative', { ...stats, tracking: { fps: -1, captureToArrivalMs: null } }, /stats\.tracking\.fps/],
    ['stats chunks missing', { ...stats, chunks: undefined }, /stats\.chunks: Required/],
    ['error code empty', { type: 'error', code: '', message: 'x' }, /error\.code/],
    ['error message missing', { type: 'error', code: 'INTERNAL' }, /error\.message: Required/],
  ];
  for (const [name, msg, message] of serverCases) {
    it(`JSON_SCHEMA: ${name}`, () => {
      assertProtocolError(() => parseServerMessage(JSON.stringify(msg)), 'JSON_SCHEMA', message);
    });
  }

  it('names at most three problems and counts the rest', () => {
    const err = assertProtocolError(
      () => parseClientMessage(JSON.stringify({ type: 'playback', sample: -1, clientTimeMs: 'x', outputLatencyMs: -1, bufferedMs: -1, underruns: -1, underrunMs: -1 })),
      'JSON_SCHEMA',
      /; and 3 more problems$/,
    );
    assert.equal(err.message.split('; ').length, 4);
  });
});

describe('error replies never carry unbounded client text', () => {
  const longKey = 'k'.repeat(1100);
  const hostile = [
    `{"type":"hello","versions":[1],"prompt":"","${longKey}":1}`,
    `{"type":"hello","versions":[1],"prompt":"","audio":{"format":"f32","${longKey}":1}}`,
    `{"type":"hello","versions":[1],"prompt":"","audio":{"format":"${'x'.repeat(1100)}"}}`,
    `{"type":"hello","versions":[1],"prompt":"","${'\ud83c\udfb5'.repeat(300)}":1,"${'\u202e'.repeat(300)}":2,"${'z'.repeat(900)}":3,"${'y'.repeat(900)}":4}`,
    `{"type":"${'t'.repeat(2000)}"}`,
    `{"type":"prompt", ${'"a'.repeat(1000)}`,
  ];
  for (const [i, text] of hostile.entries()) {
    it(`case ${i}: the message is short and an error reply with it encodes`, () => {
      let message = '';
      try {
        parseClientMessage(text);
      } catch (err) {
        message = (err as Error).message;
      }
      assert.ok(message.length > 0 && message.length <= 700, `${message.length} characters`);
      assert.doesNotThrow(() => encodeMessage({ type: 'error', code: 'JSON_SCHEMA', message }));
    });
  }

  it('clipText never splits a surrogate pair and marks the cut', () => {
    assert.equal(clipText('abc', 3), 'abc');
    assert.equal(clipText('abcdef', 4), 'abc…');
    const clipped = clipText('a\ud83c\udfb5b', 3);
    assert.equal(clipped, 'a…');
  });
});

describe('scene messages', () => {
  const scene = { type: 'scene', version: 1, caption: 'a quiet forest at dawn', source: 'builtin', serverTimeMs: 1 };
  const cases: [string, object, RegExp][] = [
    ['unknown version', { ...scene, version: 2 }, /scene\.version/],
    ['version missing', { ...scene, version: undefined }, /scene\.version/],
    ['empty caption', { ...scene, caption: '' }, /scene\.caption/],
    ['caption too long', { ...scene, caption: 'z'.repeat(MAX_SCENE_CAPTION_CHARS + 1) }, /scene\.caption/],
    ['unknown source', { ...scene, source: 'oracle' }, /scene\.source/],
    ['serverTimeMs missing', { ...scene, serverTimeMs: undefined }, /scene\.serverTimeMs/],
    ['unknown key', { ...scene, mood: 'dark' }, /Unrecognized key/],
  ];
  for (const [name, msg, re] of cases) {
    it(`JSON_SCHEMA: ${name}`, () => {
      assertProtocolError(() => parseServerMessage(JSON.stringify(msg)), 'JSON_SCHEMA', re);
    });
  }
  it('is server -> client only', () => {
    assertProtocolError(() => parseClientMessage(JSON.stringify(scene)), 'UNKNOWN_TYPE', /"scene"/);
  });
});

describe('encodeMessage validates before sending', () => {
  it('JSON_SCHEMA for NaN, which JSON.stringify would turn into null', () => {
    assertProtocolError(() => encodeMessage({ type: 'ping', id: 1, t: NaN }), 'JSON_SCHEMA', /ping\.t/);
    assertProtocolError(() => encodeMessage({ type: 'stats', latencyMs: null, rtf: Infinity, underruns: 0, leadMs: 0, chunks: 0 }), 'JSON_SCHEMA', /stats\.rtf/);
  });

  it('JSON_SCHEMA for unknown keys', () => {
    assertProtocolError(() => encodeMessage({ type: 'stop', extra: 1 } as unknown as ClientMessage), 'JSON_SCHEMA', /Unrecognized key/);
  });

  it('UNKNOWN_TYPE for a type with no schema', () => {
    assertProtocolError(() => encodeMessage({ type: 'nope' } as unknown as ClientMessage), 'UNKNOWN_TYPE');
  });

  it('MESSAGE_TOO_BIG when the JSON exceeds the limit', () => {
    const big = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`${'n'.repeat(60)}${i}`, i + 0.123456789]));
    assertProtocolError(
      () => encodeMessage({ type: 'controls', seq: 1, serverTimeMs: 0, values: big, music: { style: '', tempoBpm: 90, key: 'C', mode: 'major' } }),
      'MESSAGE_TOO_BIG',
    );
  });
});
