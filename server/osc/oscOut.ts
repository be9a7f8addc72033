/**
 * OSC out over UDP to the one target the operator configured (`--osc-target host:port`; never
 * from a client). Installations (TouchDesigner, Max, Pure Data) listen there.
 *
 * Fire and forget, bounded: at most `maxInFlight` datagrams wait in the socket at once, and a
 * message beyond that is dropped and counted, so a dead or slow target never builds a backlog.
 * UDP to a port nobody listens on is not an error here; a socket or DNS error is counted and
 * logged once, never thrown.
 */
import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Message, encode } from 'node-osc';

export interface OscTarget {
  host: string;
  port: number;
}

/** An OSC argument with its type tag: `i` int32, `f` float32, `s` string. */
export type OscArg = { type: 'i'; value: number } | { type: 'f'; value: number } | { type: 's'; value: string };

export interface OscOutOptions {
  /** Datagrams waiting in the socket at most; beyond, messages are dropped. Default 256. */
  maxInFlight?: number;
  /** Called once, for the first socket or DNS error (the operator's log). */
  onFirstError?: (err: Error) => void;
}

/** Longest OSC address or string argument accepted, in characters. */
export const MAX_OSC_TEXT = 256;

/** Parses `host:port` (`[v6]:port` for IPv6); throws naming the bad part. */
export function parseOscTarget(text: string): OscTarget {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]{1,253})):(\d{1,5})$/.exec(text.trim());
  if (!m) throw new RangeError(`OSC target must be host:port, but is ${JSON.stringify(text)}`);
  const port = Number(m[3]);
  if (port < 1 || port > 65535) throw new RangeError(`OSC target port must be 1..65535, but is ${port}`);
  return { host: m[1] ?? m[2]!, port };
}

export class OscOut {
  readonly target: OscTarget;
  private readonly maxInFlight: number;
  private readonly onFirstError: (err: Error) => void;
  private socket: Socket | null = null;
  private address: string | null = null;
  private inFlight = 0;
  private errored = false;
  private closed = false;
  /** Messages sent, dropped (queue full, not resolved yet, closed) and failed (socket errors). */
  readonly counts = { sent: 0, dropped: 0, failed: 0 };

  constructor(target: OscTarget, options: OscOutOptions = {}) {
    this.target = target;
    this.maxInFlight = options.maxInFlight ?? 256;
    this.onFirstError = options.onFirstError ?? (() => undefined);
    void this.open();
  }

  /** Resolves the target once (not per message) and opens a socket of its family. */
  private async open(): Promise<void> {
    try {
      const address = isIP(this.target.host) ? this.target.host : (await lookup(this.target.host)).address;
      if (this.closed) return;
      const socket = createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
      socket.on('error', (err) => this.fail(err));
      socket.unref();
      this.socket = socket;
      this.address = address;
    } catch (err) {
      this.fail(err as Error);
    }
  }

  private fail(err: Error): void {
    this.counts.failed++;
    if (this.errored) return;
    this.errored = true;
    this.onFirstError(err);
  }

  /** Sends one message now, or drops it (see the class comment). */
  send(address: string, args: readonly OscArg[]): void {
    const socket = this.socket;
    if (socket === null || this.closed || this.inFlight >= this.maxInFlight) {
      this.counts.dropped++;
      return;
    }
    let bytes: Buffer;
    try {
      bytes = encode(new Message(address.slice(0, MAX_OSC_TEXT), ...args.map((a) => (a.type === 's' ? { ...a, value: a.value.slice(0, MAX_OSC_TEXT) } : a))));
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    this.inFlight++;
    socket.send(bytes, this.target.port, this.address!, (err) => {
      this.inFlight--;
      if (err) this.fail(err);
      else this.counts.sent++;
    });
  }

  close(): void {
    this.closed = true;
    try {
      this.socket?.close();
    } catch {
      // already closed
    }
    this.socket = null;
  }
}
