import type { StreamDescription } from '@streamgate/contracts';
import type { FanoutReader, ReaderTransport } from '../fanout/fanout-reader';
import type { StreamFanout } from '../fanout/stream-fanout';
import { MethodNotValidInStateError } from '../server/rtsp-errors';
import type { RtpSender } from '../transport/rtp-sender';

/**
 * RFC 2326 Appendix A.2 server states, reduced to what a play-only server needs:
 * 'init' (no track set up), 'ready' (set up, not playing), 'playing'.
 */
export type SessionState = 'init' | 'ready' | 'playing';

export interface SessionTrack {
  trackId: number;
  /** TCP: RTP channel, RTCP = +1. */
  interleaved?: readonly [number, number];
  /** UDP: the reader's ports. */
  clientPorts?: readonly [number, number];
  /** UDP: RTP to `clientPorts[0]`, held from SETUP until the session is closed. */
  rtpSender?: RtpSender;
}

/** The RTSP connection a session was set up on, without depending on its class. */
export interface SessionOwner {
  readonly id: number;
  /** Flushes what is queued, then closes. */
  end(): void;
  /** Closes at once, discarding what is queued. */
  destroy(): void;
}

export class RtspSession {
  state: SessionState = 'init';
  transport: ReaderTransport | undefined;
  readonly tracks = new Map<number, SessionTrack>();
  reader: FanoutReader | undefined;
  fanout: StreamFanout | undefined;
  closed = false;
  /**
   * The source stopped: BYE was sent and media will not come back on this session, but it
   * stays so the reader's PAUSE/TEARDOWN succeed (GStreamer sends them after the BYE's EOS).
   */
  ended = false;
  private lastActivityMs: number;

  constructor(
    readonly id: string,
    readonly stream: string,
    readonly description: StreamDescription,
    readonly owner: SessionOwner,
    /** Reader's address (UDP datagrams go there, never to a Transport `destination`). */
    readonly clientAddress: string,
    nowMs: number,
  ) {
    this.lastActivityMs = nowMs;
  }

  /** Every handler starts here: fails with 455 naming the method and the current state. */
  assertState(method: string, ...allowed: SessionState[]): void {
    if (this.closed || !allowed.includes(this.state)) throw new MethodNotValidInStateError(method, this.closed ? 'closed' : this.state);
  }

  /** A request, or an RTCP receiver report from the reader. */
  touch(nowMs: number): void {
    this.lastActivityMs = nowMs;
  }

  expired(nowMs: number, timeoutMs: number): boolean {
    return nowMs - this.lastActivityMs > timeoutMs;
  }

  /** Frees the UDP senders set up for the tracks (the session is closed). */
  releaseTransport(): void {
    for (const t of this.tracks.values()) t.rtpSender?.close();
  }

  usedChannels(): Set<number> {
    const used = new Set<number>();
    for (const t of this.tracks.values()) if (t.interleaved) used.add(t.interleaved[0]).add(t.interleaved[1]);
    return used;
  }
}
