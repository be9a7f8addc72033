/**
 * One fuzz lane: a client that connects, misbehaves for a while, disconnects and comes back,
 * until it has sent its share of the run's messages. Each connection follows a scenario:
 * - session: a proper hello, then a valid performer's frames, playback reports, prompts and
 *   pings, with mutated and out-of-order messages mixed in (the server runs a real session);
 * - disorder: messages before hello, playback before audio, two hellos, then as session;
 * - garbage: mutated hello (or none) and mutated messages only;
 * - flood: hello, then messages far over the rate limit.
 * Sends are paced at `rate` messages per second (under the server's per-connection limit, so
 * that messages are parsed rather than the connection cut), except in a flood.
 *
 * Reproducible: connection n of a lane draws everything from its own generator, seeded by
 * (seed, lane, n), so the same seed makes the same connections with the same messages; only where
 * the server cuts one short depends on timing.
 */
import { hashSeed } from '../performers/rng.js';
import { FrameSource, pongFor, STOP, validHello, validPing, validPlayback, validPrompt, type Message } from './baseMessages.js';
import { mutateFrame } from './binaryMutators.js';
import { FuzzConnection } from './fuzzConnection.js';
import type { LaneHistory } from './history.js';
import { jsonText, mutateJson } from './jsonMutators.js';
import { Rng } from './random.js';
import type { FuzzStats } from './stats.js';

export interface LaneOptions {
  index: number;
  /** http:// base URL of the server. */
  url: string;
  seed: number;
  /** Messages this lane sends (its scenarios' messages; pong replies come on top). */
  budget: number;
  /** Messages per second. */
  rate: number;
  pack?: string;
  stats: FuzzStats;
  history: LaneHistory;
  /** performance.now() when the run started. */
  t0: number;
  signal: AbortSignal;
}

/** Upgrade paths other than /ws, tried now and then. */
export const ODD_PATHS = ['//', '/ws/', '/ws?x=1', '/WS', '/ws/../ws', '//ws', '/ws%00', '/%2e%2e/ws', `/ws?${'a'.repeat(2000)}`, '/', '/ws;x', '/ws?\u00e9'];

type Scenario = 'session' | 'disorder' | 'garbage' | 'flood';
const SCENARIOS: readonly (readonly [Scenario, number])[] = [['session', 5], ['disorder', 2], ['garbage', 2], ['flood', 0.15]];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const text = (m: Message): Buffer => Buffer.from(jsonText(m));

export class FuzzLane {
  planSent = 0;
  private rng: Rng;
  private readonly laneSeed: number;
  private readonly frames: FrameSource;
  private readonly clockOffset: number;
  /** This connection's client clock: the lane's, or now and then one far out (1e18 ms, 2^53, ...). */
  private clockBase = 0;
  private nextAt = 0;
  private seq = 0;
  private pingId = 0;
  private underruns = 0;
  private current: FuzzConnection | null = null;

  constructor(private readonly o: LaneOptions) {
    this.laneSeed = hashSeed(o.seed, o.index);
    this.rng = new Rng(this.laneSeed);
    this.frames = new FrameSource(this.rng);
    this.clockOffset = this.rng.int(0, 1e7);
    // At an incident: drop the connection at once rather than wait for a server that may be gone.
    o.signal.addEventListener('abort', () => this.current?.terminate(), { once: true });
  }

  private clientMs(): number {
    return performance.now() + this.clockBase;
  }

  private get done(): boolean {
    return this.planSent >= this.o.budget || this.o.signal.aborted;
  }

  async run(): Promise<void> {
    for (let n = 0; !this.done; n++) {
      const rng = (this.rng = new Rng(hashSeed(this.laneSeed, n)));
      this.frames.rewind();
      this.pingId = 0;
      const path = rng.chance(0.03) ? rng.pick(ODD_PATHS) : '/ws';
      const scenario = rng.weighted(SCENARIOS);
      const length = rng.int(20, 400);
      const ending = rng.weighted([['stop', 3], ['close', 3], ['terminate', 2]] as const);
      this.seq = rng.chance(0.1) ? 0xfffffff0 : 0;
      // A client whose clock reads 1e18 ms sends valid frames whose 33 ms steps round away.
      this.clockBase = rng.chance(0.1) ? rng.pick([1e18, 2 ** 53, 2 ** 60, 1e15, 1e13, 2 ** 43 - 5000]) : this.clockOffset;
      const conn = new FuzzConnection(this.o.url, path, {
        stats: this.o.stats,
        history: this.o.history,
        runMs: () => performance.now() - this.o.t0,
        clientMs: () => this.clientMs(),
      }, scenario !== 'garbage');
      this.current = conn;
      if (!(await conn.opened)) {
        await sleep(50);
        continue;
      }
      this.underruns = 0;
      if (scenario === 'session') await this.session(conn, length);
      else if (scenario === 'disorder') await this.disorder(conn, length);
      else if (scenario === 'garbage') await this.garbage(conn, length);
      else await this.flood(conn);
      await this.end(conn, ending);
    }
  }

  // -- scenarios ------------------------------------------------------------------------------

  private async session(conn: FuzzConnection, length: number): Promise<void> {
    const rng = this.rng;
    const hello = validHello(rng, this.o.pack);
    if (rng.chance(0.85)) {
      if (!(await this.emit(conn, 'hello:valid', text(hello)))) return;
    } else {
      const m = mutateJson(rng, hello);
      if (!(await this.emit(conn, m.kind, m.data))) return;
    }
    if (rng.chance(0.7)) await conn.waitReady(3000);
    for (let i = 0; i < length && !this.done; i++) if (!(await this.step(conn))) return;
  }

  private async disorder(conn: FuzzConnection, length: number): Promise<void> {
    const rng = this.rng;
    for (let k = rng.int(1, 8); k > 0; k--) {
      const which = rng.pick(['frame', 'playback', 'prompt', 'ping', 'pong', 'stop-mutated'] as const);
      const ok =
        which === 'frame' ? await this.emit(conn, 'order:frame-before-hello', this.validFrame(), true)
        : which === 'playback' ? await this.emit(conn, 'order:playback-before-hello', text(validPlayback(null, this.clientMs(), 0)))
        : which === 'prompt' ? await this.emit(conn, 'order:prompt-before-hello', text(validPrompt(rng)))
        : which === 'ping' ? await this.emit(conn, 'order:ping-before-hello', text(validPing(this.pingId++, this.clientMs())))
        : which === 'pong' ? await this.emit(conn, 'order:pong-before-hello', text(pongFor({ id: rng.int(0, 20), t: this.clientMs() }, this.clientMs())))
        : await this.emit(conn, 'order:stop-schema-before-hello', text({ type: 'stop', x: 1 }));
      if (!ok) return;
    }
    if (!(await this.emit(conn, 'hello:valid', text(validHello(rng, this.o.pack))))) return;
    if (rng.chance(0.5) && !(await this.emit(conn, 'order:playback-before-audio', text(validPlayback(rng.pick([0, 1024, 2 ** 40]), this.clientMs(), 0))))) return;
    if (rng.chance(0.5) && !(await this.emit(conn, 'order:second-hello-while-opening', text(validHello(rng, this.o.pack))))) return;
    if (rng.chance(0.3)) {
      for (let k = rng.int(1, 10); k > 0; k--) if (!(await this.emit(conn, 'order:frame-before-ready', this.validFrame(), true))) return;
    }
    await conn.waitReady(2000);
    for (let i = 0; i < length / 2 && !this.done; i++) if (!(await this.step(conn))) return;
  }

  private async garbage(conn: FuzzConnection, length: number): Promise<void> {
    const rng = this.rng;
    if (rng.chance(0.5)) {
      const m = mutateJson(rng, validHello(rng, this.o.pack));
      if (!(await this.emit(conn, m.kind, m.data))) return;
    }
    for (let i = 0; i < length && !this.done; i++) {
      const m = rng.chance(0.5) ? mutateFrame(rng, this.validFrame()) : mutateJson(rng, this.anyBase());
      if (!(await this.emit(conn, m.kind, m.data, m.kind.startsWith('frame:')))) return;
    }
  }

  /** Far over the per-connection rate limit: the server must cut this one off (4008), not slow down. */
  private async flood(conn: FuzzConnection): Promise<void> {
    if (!(await this.emit(conn, 'hello:valid', text(validHello(this.rng, this.o.pack))))) return;
    await conn.waitReady(2000);
    for (let i = 0; i < 300 && !this.done; i++) {
      const ok = i % 4 === 0 ? conn.send('flood:ping', text(validPing(this.pingId++, this.clientMs())), false) : conn.send('flood:frame', Buffer.from(this.validFrame()), true);
      if (!ok) return;
      this.planSent++;
    }
  }

  private async end(conn: FuzzConnection, ending: 'stop' | 'close' | 'terminate'): Promise<void> {
    const code = this.rng.pick([1000, 1000, 1001, 3000, 4000, 4999]);
    if (conn.open) {
      if (ending === 'stop') conn.send('stop:valid', text(STOP), false);
      else if (ending === 'close') conn.close(code);
      else conn.terminate();
    }
    // Without a session, stop only earns HELLO_REQUIRED: the connection stays open, so close it.
    if (ending === 'stop' && !conn.ready) {
      await Promise.race([conn.closed, sleep(200)]);
      if (!conn.isClosed) conn.close(code);
    }
    await conn.finish(2000);
  }

  // -- one message of a session ---------------------------------------------------------------

  private validFrame(): Uint8Array {
    const seq = this.seq;
    this.seq = (this.seq + 1) >>> 0;
    return this.frames.next(this.rng, seq, this.clientMs());
  }

  /** A valid message of any type, for mutation. */
  private anyBase(): Message {
    const rng = this.rng;
    const now = this.clientMs();
    switch (rng.int(0, 5)) {
      case 0:
        return validHello(rng, this.o.pack);
      case 1:
        return validPrompt(rng);
      case 2:
        return validPing(this.pingId++, now);
      case 3:
        return pongFor({ id: rng.int(0, 20), t: now - 5 }, now);
      case 4:
        return validPlayback(rng.int(0, 100) * 1024, now, this.underruns);
      default:
        return { ...STOP };
    }
  }

  /** One step of a running session: mostly valid traffic, some of it mutated or out of order. */
  private async step(conn: FuzzConnection): Promise<boolean> {
    const rng = this.rng;
    const r = rng.float();
    const now = this.clientMs();
    if (r < 0.45) return this.emit(conn, 'frame:valid', this.validFrame(), true);
    if (r < 0.53) {
      if (rng.chance(0.05)) this.underruns++;
      return this.emit(conn, 'playback:valid', text(validPlayback(conn.lastChunkStart, now, this.underruns)));
    }
    if (r < 0.55) return this.emit(conn, 'prompt:valid', text(validPrompt(rng)));
    if (r < 0.57) return this.emit(conn, 'ping:valid', text(validPing(this.pingId++, now)));
    if (r < 0.72) {
      const m = mutateFrame(rng, this.validFrame());
      return this.emit(conn, m.kind, m.data, true);
    }
    if (r < 0.92) {
      const m = mutateJson(rng, this.anyBase());
      return this.emit(conn, m.kind, m.data);
    }
    return this.special(conn, now);
  }

  /** Valid messages at the wrong time or with values no real client sends. */
  private async special(conn: FuzzConnection, now: number): Promise<boolean> {
    const rng = this.rng;
    const playback = (extra: Message): Buffer => text({ ...validPlayback(conn.lastChunkStart, now, this.underruns), ...extra });
    switch (rng.int(0, 11)) {
      case 0:
        return this.emit(conn, 'order:second-hello', text(validHello(rng, this.o.pack)));
      case 1:
        return this.emit(conn, 'playback:far-future', playback({ clientTimeMs: now + 1e13, underruns: rng.pick([2 ** 53 - 1, 2 ** 32, 1e15]) }));
      case 2:
        return this.emit(conn, 'playback:huge-underruns', playback({ underruns: rng.pick([2 ** 53 - 1, 2 ** 32, 1e15]), underrunMs: rng.pick([1e308, Number.MAX_VALUE, 1e18]) }));
      case 3:
        return this.emit(conn, 'playback:sample-ahead', playback({ sample: (conn.lastChunkStart ?? 0) + rng.pick([1, 48000 * 3600, 2 ** 53 - 1 - (conn.lastChunkStart ?? 0)]) }));
      case 4:
        return this.emit(conn, 'playback:past', playback({ clientTimeMs: rng.pick([0, -1e13, now - 1e13, -Number.MAX_VALUE]), outputLatencyMs: rng.pick([0, 1e308, 5e-324]) }));
      case 5: {
        this.seq = rng.pick([0xffffffff, 0xfffffffe]);
        return this.emit(conn, 'frame:seq-wrap', this.validFrame(), true);
      }
      case 6:
        return this.emit(conn, 'frame:time-backwards', this.frames.next(rng, this.seq++ >>> 0, Math.max(0, now - rng.pick([1, 1000, 1e6, now]))), true);
      case 7:
        return this.emit(conn, 'frame:time-jump', this.frames.next(rng, this.seq++ >>> 0, rng.pick([1e18, now + 1e13, 2 ** 53, 2 ** 60, 1e308])), true);
      case 8:
        return this.emit(conn, 'frame:duplicate-seq', this.frames.next(rng, (this.seq - 1) >>> 0, now), true);
      case 9:
        return this.emit(conn, 'pong:unsolicited', text(pongFor({ id: rng.pick([0, 1, 2 ** 53 - 1]), t: rng.pick([now, 0, -1e308, 1e308]) }, now)));
      case 10: {
        for (let k = 0; k < 10; k++) if (!(await this.emit(conn, 'prompt:rapid', text(validPrompt(rng))))) return false;
        return true;
      }
      default:
        return this.emit(conn, 'ping:extreme', text({ type: 'ping', id: rng.pick([2 ** 53 - 1, 0]), t: rng.pick([-1e308, 1e308, 5e-324, -0]) }));
    }
  }

  // -- pacing ---------------------------------------------------------------------------------

  /** Sends one scenario message at the lane's pace; false when the connection has closed. */
  private async emit(conn: FuzzConnection, kind: string, data: Uint8Array, binary = false): Promise<boolean> {
    const now = performance.now();
    if (this.nextAt > now) await sleep(this.nextAt - now);
    this.nextAt = Math.max(this.nextAt, performance.now() - 100) + 1000 / this.o.rate;
    if (this.o.signal.aborted) return false;
    const ok = conn.send(kind, Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength), binary);
    if (ok) this.planSent++;
    return ok;
  }
}
