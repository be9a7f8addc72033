/**
 * After the fuzz: does the server still serve a well-behaved performer properly? One session
 * streams a valid performer for a few seconds; its audio must arrive gap-free (each chunk's
 * startSample is the previous one's end, from 0), with no error and an orderly close (1000).
 */
import { feedFor } from '../performers/catalog.js';
import { SessionClient } from '../sessionClient.js';

export interface CleanSessionResult {
  ok: boolean;
  problems: string[];
  chunks: number;
  audioSeconds: number;
  gaps: number;
  errors: string[];
  closeCode: number | null;
}

export async function cleanSession(url: string, seconds: number, pack?: string, signal?: AbortSignal): Promise<CleanSessionResult> {
  const client = new SessionClient({
    url: `${url.replace(/^http/, 'ws')}/ws`,
    feed: feedFor('nodding:120'),
    prompt: 'funk',
    keepAudio: false,
    ...(pack ? { pack } : {}),
  });
  const r = await client.run(seconds * 1000, signal);
  const problems: string[] = [];
  let gaps = 0;
  let expected = 0;
  for (const c of r.chunks) {
    if (c.header.startSample !== expected) gaps++;
    expected = c.header.startSample + c.header.frames;
  }
  const audioSeconds = r.chunks.reduce((s, c) => s + c.header.frames / c.header.sampleRate, 0);
  if (!r.ready) problems.push(`no ready (close code ${r.closeCode ?? 'none'} "${r.closeReason}")`);
  if (r.chunks.length === 0) problems.push('no audio');
  else if (audioSeconds < seconds * 0.5) problems.push(`only ${audioSeconds.toFixed(2)} s of audio in ${seconds} s`);
  if (gaps > 0) problems.push(`${gaps} gaps or overlaps in the sample timeline`);
  if (r.errors.length > 0) problems.push(`errors ${r.errors.map((e) => e.code).join(', ')}`);
  if (r.closeCode !== 1000) problems.push(`closed with ${r.closeCode ?? 'no code'} "${r.closeReason}", not 1000`);
  return { ok: problems.length === 0, problems, chunks: r.chunks.length, audioSeconds, gaps, errors: r.errors.map((e) => e.code), closeCode: r.closeCode };
}
