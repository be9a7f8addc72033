/**
 * The client's clock as one session sees it: clock pings and their pongs (NTP-style offset
 * estimation in controls/clockSync.ts), and the rule that every time the client sends stays on
 * one clock. A pong or a frame whose time jumps against the session's own history is refused
 * (ProtocolError), so a client can never steer the session's timers with a made-up clock.
 */
import { ProtocolError } from '../../protocol/errors.js';
import type { PingMessage, PongMessage } from '../../protocol/messages.js';
import type { Milliseconds } from '../../protocol/units.js';
import { ClockSync } from '../controls/clockSync.js';

/** The first pings go this fast, so the offset is known within the first half second. */
const FAST_PINGS = 5;
const FAST_PING_INTERVAL_MS = 100;
/** Pings awaiting their pong; older ones are forgotten (a pong for them is refused). */
const MAX_OUTSTANDING_PINGS = 16;
/**
 * A frame's capture time, a clock sample or a playback report may move against the session's own
 * history by at most this much (ms): clocks drift by milliseconds an hour and networks delay by
 * seconds, so a jump of minutes is a lie, not a clock.
 */
export const MAX_CLOCK_JUMP_MS = 60_000;

export class ClientClock {
  /** The offset estimate (server = client + offset), shared with the control tracker. */
  readonly sync = new ClockSync();
  private readonly outstanding = new Map<number, Milliseconds>();
  private pingsSent = 0;
  /** arrival - capture of the first frame: later frames must stay near it. */
  private frameAnchor: Milliseconds | null = null;

  /** The next ping to send at server time `now`, and how long to wait before the one after (ms). */
  nextPing(now: Milliseconds, intervalMs: Milliseconds): { ping: PingMessage; nextInMs: Milliseconds } {
    const id = this.pingsSent++;
    this.outstanding.set(id, now);
    if (this.outstanding.size > MAX_OUTSTANDING_PINGS) this.outstanding.delete(this.outstanding.keys().next().value!);
    return { ping: { type: 'ping', id, t: now }, nextInMs: this.pingsSent < FAST_PINGS ? FAST_PING_INTERVAL_MS : intervalMs };
  }

  onPong(msg: PongMessage, now: Milliseconds): void {
    const sentAt = this.outstanding.get(msg.id);
    if (sentAt === undefined || sentAt !== msg.t) throw new ProtocolError('JSON_SCHEMA', `pong ${msg.id} answers no ping of this session`);
    this.outstanding.delete(msg.id);
    if (!(msg.sendMs >= msg.recvMs && msg.sendMs - msg.recvMs <= now - msg.t)) {
      throw new ProtocolError('REPORT_RANGE', `pong ${msg.id} says it was held ${msg.sendMs - msg.recvMs} ms, longer than its round trip`);
    }
    if (this.sync.sampleCount > 0) {
      const offset = (msg.t - msg.recvMs + (now - msg.sendMs)) / 2;
      if (Math.abs(offset - this.sync.offsetMs) > MAX_CLOCK_JUMP_MS) {
        throw new ProtocolError('REPORT_RANGE', `pong ${msg.id} moves the client clock by ${Math.round((offset - this.sync.offsetMs) / 1000)} s; a clock does not jump`);
      }
    }
    this.sync.addSample(msg.t, msg.recvMs, msg.sendMs, now);
  }

  /** A landmark frame's capture time may not jump against the session's own history (its range is the codec's). */
  checkFrame(captureTimeMs: Milliseconds, arrivalMs: Milliseconds): void {
    const delay = arrivalMs - captureTimeMs;
    if (this.frameAnchor === null) {
      this.frameAnchor = delay;
      return;
    }
    const jump = this.frameAnchor - delay;
    if (Math.abs(jump) > MAX_CLOCK_JUMP_MS) {
      throw new ProtocolError('FRAME_TIME', `landmark frame captureTimeMs ${captureTimeMs} jumps ${Math.round(jump / 1000)} s against this session's clock; frames must keep one clock`);
    }
  }
}
