/**
 * Notes in the browser: real Chromium, a real server on the teacher pack. What a performer
 * notices: the piano roll shows what the model plays, a MIDI output (a fake one, standing in for
 * Web MIDI) gets note-ons timed with the audio they belong to, and the Record download comes with
 * a .mid holding the same notes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { GeneratedNote } from '../../protocol/notesFrame.js';
import { midiToNotes } from '../../protocol/notesMidi.js';
import { startTestServer } from '../server/testServer.js';
import { browserUnavailable, launchChromium } from './browser.js';

type TestServer = Awaited<ReturnType<typeof startTestServer>>;

interface PageNotes {
  notes: GeneratedNote[];
  schedule: { startSample: number; frames: number; heardAtMs: number }[];
  drawn: number;
}
/** What the fake MIDIOutput was sent: the bytes and the timestamp. */
type Sent = { data: number[]; timestamp: number | undefined }[];

const SR = 48000;
/** MidiOut's default channels (1-based) per stream: drums, bass, chords, lead. */
const CHANNELS = [10, 1, 2, 3];
/** MIDI note-on timestamps must agree with the audio schedule to within this (ms). */
const SYNC_MS = 5;

function pageNotes(page: Page): Promise<PageNotes> {
  return page.evaluate(() => (globalThis as unknown as { expotion: { notes(): PageNotes } }).expotion.notes());
}

async function waitForNotes(page: Page, what: string, ok: (n: PageNotes) => boolean, timeoutMs = 30_000): Promise<PageNotes> {
  const deadline = Date.now() + timeoutMs;
  let n = await pageNotes(page);
  while (!ok(n)) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}; ${n.notes.length} notes, ${n.schedule.length} chunks, ${n.drawn} drawn`);
    await new Promise((r) => setTimeout(r, 100));
    n = await pageNotes(page);
  }
  return n;
}

describe('browser notes', { skip: browserUnavailable() ?? false }, () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;

  before(async () => {
    [server, browser] = await Promise.all([startTestServer({ workers: 1, leadMs: 150 }), launchChromium()]);
    page = await browser.newPage({ viewport: { width: 1280, height: 720 }, acceptDownloads: true });
    page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
    await page.goto(`${server.url}/`);
    await page.locator('#record:not([disabled])').waitFor({ timeout: 60_000 });
    // The fake output records every send; the instrument schedules notes on it as on a Web MIDI port.
    await page.evaluate(() => {
      const sent: { data: number[]; timestamp: number | undefined }[] = [];
      (globalThis as unknown as { midiSent: typeof sent }).midiSent = sent;
      (globalThis as unknown as { expotion: { useMidiOutput(o: unknown): void } }).expotion.useMidiOutput({
        id: 'fake',
        name: 'fake synth',
        send: (data: number[] | Uint8Array, timestamp?: number) => sent.push({ data: [...data], timestamp }),
      });
    });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('the piano roll shows notes, the MIDI output gets note-ons on the audio schedule, the recording has a .mid of the same notes', async () => {
    await page.locator('#record').click(); // starts the music and the recording together
    const shown = await waitForNotes(page, 'notes on the piano roll', (n) => n.drawn > 0 && n.notes.length > 30);
    assert.ok(shown.drawn > 0, 'the piano roll drew notes');

    // Notes, audio schedule and MIDI sends in one snapshot: a note-on sent after a separate notes
    // snapshot has no note there, and matched an older note of the same key seconds away (a busy
    // machine widened the gap between two snapshots enough for that).
    const { notes, schedule, sent } = await page.evaluate(() => {
      const g = globalThis as unknown as { midiSent: Sent; expotion: { notes(): PageNotes } };
      const n = g.expotion.notes();
      return { notes: n.notes, schedule: n.schedule, sent: [...g.midiSent] };
    });
    const heardAt = (sample: number): number | null => {
      const c = schedule.find((x) => sample >= x.startSample && sample < x.startSample + x.frames);
      return c ? c.heardAtMs + ((sample - c.startSample) / SR) * 1000 : null;
    };
    const noteOns = sent.filter((s) => (s.data[0]! & 0xf0) === 0x90);
    assert.ok(noteOns.length > 20, `${noteOns.length} note-ons`);
    let checked = 0;
    for (const on of noteOns) {
      const stream = CHANNELS.indexOf((on.data[0]! & 0x0f) + 1);
      const candidates = notes.filter((n) => n.stream === stream && n.pitch === on.data[1] && n.velocity === on.data[2]);
      const errors = candidates.flatMap((n) => {
        const t = heardAt(n.startSample);
        return t === null ? [] : [Math.abs(t - on.timestamp!)];
      });
      if (errors.length === 0) continue; // its chunk left the schedule window
      checked++;
      assert.ok(Math.min(...errors) <= SYNC_MS, `note-on ${JSON.stringify(on)} is ${Math.min(...errors).toFixed(2)} ms off its audio`);
    }
    assert.ok(checked > 20, `${checked} note-ons checked against the audio schedule`);

    const downloads: { name: string; path: string }[] = [];
    page.on('download', async (d) => downloads.push({ name: d.suggestedFilename(), path: await d.path() }));
    await page.locator('#record').click();
    const deadline = Date.now() + 10_000;
    while (downloads.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const mid = downloads.find((d) => d.name.endsWith('.mid'));
    assert.ok(downloads.some((d) => d.name.endsWith('.exporec')), 'the performance downloads');
    assert.ok(mid, `a .mid downloads beside it (got ${downloads.map((d) => d.name).join(', ')})`);
    const fromFile = midiToNotes(new Uint8Array(readFileSync(mid.path)), SR);
    const onPage = (await pageNotes(page)).notes;
    assert.ok(fromFile.length > 30, `${fromFile.length} notes in the file`);
    // Every note of the file is one the page received, at its start to within a MIDI tick (480 ppq).
    const TICK = 60;
    for (const f of fromFile) {
      assert.ok(onPage.some((n) => n.stream === f.stream && n.pitch === f.pitch && n.velocity === f.velocity && Math.abs(n.startSample - f.startSample) <= TICK), `note ${JSON.stringify(f)} is one the page received`);
    }
    // And every note the page had well before the recording stopped is in the file.
    const last = fromFile[fromFile.length - 1]!.startSample;
    const earlier = onPage.filter((n) => n.startSample < last - SR);
    const missing = earlier.filter((n) => !fromFile.some((f) => f.stream === n.stream && f.pitch === n.pitch && Math.abs(n.startSample - f.startSample) <= TICK));
    assert.deepEqual(missing, []);
  });
});
