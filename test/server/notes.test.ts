/**
 * Note events end to end: `notes` frames before their audio for clients that ask, none for the
 * others or for packs without notes, the recording's notes.mid, and OSC out on loopback UDP.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { decode } from 'node-osc';
import WebSocket from 'ws';
import { AUDIO_CHUNK_KIND, decodeAudioChunk } from '../../protocol/audioChunk.js';
import { parseServerMessage, type ReadyMessage, type ServerMessage } from '../../protocol/messages.js';
import { NOTES_FRAME_KIND, decodeNotesFrame, type ChunkNotes, type GeneratedNote } from '../../protocol/notesFrame.js';
import { midiToNotes } from '../../protocol/notesMidi.js';
import { OscOut } from '../../server/osc/oscOut.js';
import { startTestServer } from './testServer.js';

type TestServer = Awaited<ReturnType<typeof startTestServer>>;

interface Received {
  ready: ReadyMessage | null;
  /** Binary messages in arrival order: a notes frame or an audio chunk's start sample. */
  binary: ({ kind: 'notes'; notes: ChunkNotes } | { kind: 'audio'; startSample: number })[];
  messages: ServerMessage[];
}

/** A client that plays `ms` of a session with the given hello fields and records what arrives. */
async function playSession(url: string, hello: object, ms: number): Promise<Received> {
  const ws = new WebSocket(url);
  const got: Received = { ready: null, binary: [], messages: [] };
  ws.on('message', (data: Buffer, isBinary) => {
    if (!isBinary) {
      const msg = parseServerMessage(data.toString('utf8'));
      got.messages.push(msg);
      if (msg.type === 'ready') got.ready = msg;
      return;
    }
    if (data[0] === NOTES_FRAME_KIND) got.binary.push({ kind: 'notes', notes: decodeNotesFrame(data) });
    else if (data[0] === AUDIO_CHUNK_KIND) got.binary.push({ kind: 'audio', startSample: decodeAudioChunk(data).header.startSample });
    else assert.fail(`unexpected binary kind 0x${data[0]!.toString(16)}`);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'hello', versions: [1], prompt: 'funk', seed: 3, ...hello }));
  await new Promise((r) => setTimeout(r, ms));
  ws.send(JSON.stringify({ type: 'stop' }));
  await new Promise((r) => ws.once('close', r));
  return got;
}

interface OscPacket {
  address: string;
  /** The OSC type tags, e.g. "iif" (node-osc's decoder does not report them). */
  tags: string;
  args: { value: unknown }[];
}

/** The type tag string of a raw OSC message: after the address, padded to 4 bytes, ",tags". */
function typeTags(raw: Buffer): string {
  const addressEnd = raw.indexOf(0);
  const tagsStart = (addressEnd + 4) & ~3;
  return raw.toString('latin1', tagsStart + 1, raw.indexOf(0, tagsStart));
}

let server: TestServer;
let osc: Socket;
const oscPackets: OscPacket[] = [];
let withNotes: Received;
let withoutNotes: Received;
let audioTokens: Received;

before(async () => {
  osc = createSocket('udp4');
  osc.on('message', (msg) => {
    const packet = decode(msg) as { oscType: string; address: string; args: OscPacket['args'] };
    if (packet.oscType === 'message') oscPackets.push({ address: packet.address, tags: typeTags(msg), args: packet.args });
  });
  await new Promise<void>((resolve) => osc.bind(0, '127.0.0.1', resolve));
  server = await startTestServer({ oscTarget: `127.0.0.1:${osc.address().port}`, oscControlsHz: 30 });
  [withNotes, withoutNotes] = await Promise.all([
    playSession(server.wsUrl, { notes: true, record: true }, 2500),
    playSession(server.wsUrl, {}, 2000),
  ]);
  // After the others: loading a MusicGen pack holds the worker for a moment.
  audioTokens = await playSession(server.wsUrl, { notes: true, pack: 'tiny-musicgen' }, 3000);
  await server.close(); // finishes the recordings
});
after(() => osc.close());

test('a client that asks for notes gets each chunk\'s notes frame just before its audio', () => {
  assert.equal(withNotes.ready?.notes, true, 'ready says the pack has notes');
  const { binary } = withNotes;
  const audio = binary.filter((b) => b.kind === 'audio');
  assert.ok(audio.length > 20, `${audio.length} chunks`);
  let notes = 0;
  binary.forEach((b, i) => {
    if (b.kind !== 'audio') return;
    const before = binary[i - 1];
    assert.ok(before?.kind === 'notes', `chunk ${b.startSample} has its notes frame right before it`);
    assert.equal(before.notes.startSample, b.startSample);
    notes += before.notes.notes.length;
  });
  // Nobody is in front of a camera here: the teacher plays its idle pads, a chord or two.
  assert.ok(notes >= 3, `${notes} notes in ${audio.length} chunks`);
});

test('a client that does not ask gets no notes frames', () => {
  assert.equal(withoutNotes.ready?.notes, true);
  assert.ok(withoutNotes.binary.length > 10);
  assert.ok(withoutNotes.binary.every((b) => b.kind === 'audio'));
});

test('a pack without notes (MusicGen audio tokens) says so and sends none', () => {
  assert.equal(audioTokens.ready?.notes, false);
  assert.ok(audioTokens.binary.every((b) => b.kind === 'audio'));
});

test('the recording holds notes.mid with the notes the client was sent', () => {
  const sent = new Map<number, GeneratedNote>();
  for (const b of withNotes.binary) if (b.kind === 'notes') for (const n of b.notes.notes) sent.set(n.id, n);
  const sessionId = withNotes.ready!.sessionId;
  const recorded = midiToNotes(readFileSync(join(server.config.recordDir!, sessionId, 'notes.mid')), 48000);
  assert.equal(recorded.length, sent.size);
  const starts = [...sent.values()].map((n) => n.startSample).sort((a, b) => a - b);
  recorded.forEach((n, i) => assert.ok(Math.abs(n.startSample - starts[i]!) <= 60, `note ${i} at ${n.startSample}, sent at ${starts[i]}`));
});

test('OSC out on loopback carries controls, notes and beats at the documented addresses', () => {
  const ids = [withNotes, withoutNotes].map((r) => r.ready!.sessionId);
  for (const id of ids) {
    const mine = oscPackets.filter((p) => p.address.startsWith(`/expotion/${id}/`));
    const valence = mine.filter((p) => p.address === `/expotion/${id}/controls/valence`);
    assert.ok(valence.length >= 10, `${valence.length} valence messages for session ${id}`);
    assert.ok(valence.every((p) => p.tags === 'f'));
    const notes = mine.filter((p) => p.address === `/expotion/${id}/note`);
    assert.ok(notes.some((p) => (p.args[2]!.value as number) > 0), 'note ons');
    assert.ok(notes.some((p) => p.args[2]!.value === 0), `note offs in ${JSON.stringify(notes.slice(0, 5))}`);
    assert.ok(notes.every((p) => p.tags === 'iii'));
    const beats = mine.filter((p) => p.address === `/expotion/${id}/beat`);
    assert.ok(beats.length >= 2, `${beats.length} beats`);
    assert.ok(beats.every((p) => p.tags === 'if'));
  }
});

test('a target nobody listens on, or that does not resolve, gives no errors and no backlog', async () => {
  const closed = createSocket('udp4');
  await new Promise<void>((resolve) => closed.bind(0, '127.0.0.1', resolve));
  const port = closed.address().port;
  closed.close();
  const errors: Error[] = [];
  const dead = new OscOut({ host: '127.0.0.1', port }, { onFirstError: (e) => errors.push(e) });
  await new Promise((r) => setTimeout(r, 20));
  for (let i = 0; i < 5000; i++) dead.send('/expotion/test/controls/valence', [{ type: 'f', value: i / 5000 }]);
  assert.ok(dead.counts.dropped >= 5000 - 256, 'beyond 256 in flight, messages are dropped, not queued');
  await new Promise((r) => setTimeout(r, 100));
  dead.send('/expotion/test/controls/valence', [{ type: 'f', value: 1 }]);
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(dead.counts.sent >= 1, 'the queue drained: new messages go out');
  assert.deepEqual(errors, []);
  dead.close();
  const unresolved = new OscOut({ host: 'no-such-host.invalid', port: 9000 });
  for (let i = 0; i < 100; i++) unresolved.send('/expotion/test/scene', [{ type: 's', value: 'x' }]);
  assert.equal(unresolved.counts.sent, 0);
  unresolved.close();
});
