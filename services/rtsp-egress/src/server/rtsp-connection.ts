import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { Logger } from '@streamgate/platform';
import {
  EMPTY_BODY, RTSP_VERSION, RtspHeaders, RtspMessageReader, RtspParseError, RtspRequest, RtspResponse, encodeResponse, reasonPhrase,
} from '@streamgate/protocol-rtsp';
import type { SessionOwner } from '../session/rtsp-session';

export interface HandlerResult {
  response: Pick<RtspResponse, 'statusCode' | 'headers'> & { body?: Uint8Array };
  /** Runs right after the response is written, in the same tick (PLAY starts media here). */
  afterSend?: () => void;
}

export interface RequestDispatcher {
  handle(connection: RtspConnection, request: RtspRequest): Promise<HandlerResult>;
  /** An interleaved frame from the reader (RTCP receiver reports on odd channels). */
  onInterleaved(connection: RtspConnection, channel: number, payload: Uint8Array): void;
  onIdle(connection: RtspConnection): void;
  onClosed(connection: RtspConnection): void;
}

export interface RtspConnectionOptions {
  maxHeadBytes: number;
  maxBodyBytes: number;
  idleTimeoutMs: number;
  /**
   * A request must be complete this long after its first byte arrived, and a connection that
   * owns no session must complete a request at least this often (slow-request and trickle
   * protection; a byte every few seconds no longer keeps a slot).
   */
  requestTimeoutMs: number;
  /** Requests queued before reading pauses (a client pipelining faster than we answer). */
  maxQueuedRequests: number;
}

let nextConnectionId = 1;

/**
 * One RTSP connection: bytes in through the pure RtspMessageReader, requests handled one at a
 * time in arrival order, responses out. A byte stream that cannot be parsed gets one error
 * response and the connection is closed (it cannot be re-framed).
 */
export class RtspConnection implements SessionOwner {
  readonly id = nextConnectionId++;
  readonly remoteAddress: string;
  /** RTSPS: the connection is a TLS socket. */
  readonly secure: boolean;
  private readonly reader: RtspMessageReader;
  private readonly queue: RtspRequest[] = [];
  private processing = false;
  private closed = false;
  /** Last time the client sent anything, and whether that quiet spell was reported; see `checkIdle`. */
  private lastReadMs = Date.now();
  private idleReported = false;
  /** When the last complete request arrived (or the connection opened). */
  private lastRequestMs = Date.now();
  /** When the first byte of a request still incomplete arrived; undefined when none is pending. */
  private partialSinceMs: number | undefined;

  constructor(
    readonly socket: Socket,
    private readonly dispatcher: RequestDispatcher,
    private readonly logger: Logger,
    private readonly options: RtspConnectionOptions,
  ) {
    this.remoteAddress = (socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
    this.secure = socket instanceof TLSSocket;
    this.reader = new RtspMessageReader({ maxHeadBytes: options.maxHeadBytes, maxBodyBytes: options.maxBodyBytes });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.logger.debug({ err, connection: this.id }, 'RTSP connection error'));
    socket.on('close', () => {
      this.closed = true;
      this.queue.length = 0;
      this.dispatcher.onClosed(this);
    });
  }

  get isClosed(): boolean {
    return this.closed || this.socket.destroyed;
  }

  /**
   * Reports the connection idle once `idleTimeoutMs` passed without a byte from the client, once
   * per quiet spell (as a socket timeout would). Not `socket.setTimeout`: that re-arms a timer
   * on every write, i.e. on every media write to a TCP reader, while what makes a connection
   * idle here is only the client going quiet (we write only answers to it, or media for a
   * session it owns).
   */
  checkIdle(nowMs: number, ownsSession: boolean): void {
    if (this.isClosed) return;
    const timeout = this.options.requestTimeoutMs;
    if ((this.partialSinceMs !== undefined && nowMs - this.partialSinceMs >= timeout) || (!ownsSession && nowMs - this.lastRequestMs >= timeout)) {
      this.logger.debug({ connection: this.id, remote: this.remoteAddress }, 'closing RTSP connection: no complete request in time');
      this.socket.destroy();
      return;
    }
    if (this.idleReported || this.isClosed || nowMs - this.lastReadMs < this.options.idleTimeoutMs) return;
    this.idleReported = true;
    this.dispatcher.onIdle(this);
  }

  /** Flushes what is queued, then closes. */
  end(): void {
    if (!this.socket.destroyed) this.socket.end();
  }

  /** Closes at once, discarding what is queued (a slow reader). */
  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.lastReadMs = Date.now();
    this.idleReported = false;
    let events;
    try {
      events = this.reader.push(chunk);
      while (events.length > 0) {
        for (const event of events) {
          if (event.type === 'request') {
            this.queue.push(event.request);
            this.lastRequestMs = this.lastReadMs;
          }
          else if (event.type === 'interleaved') this.dispatcher.onInterleaved(this, event.frame.channel, event.frame.payload);
          // Responses (to requests we never send) are ignored.
        }
        events = this.reader.bufferedBytes > 0 ? this.reader.drain() : [];
      }
    } catch (err) {
      if (!(err instanceof RtspParseError)) throw err;
      this.failStream(err, chunk);
      return;
    }
    // Interleaved frames complete at once; only a partial request head or body counts as pending.
    if (this.reader.bufferedBytes === 0) this.partialSinceMs = undefined;
    else this.partialSinceMs ??= this.lastReadMs;
    if (this.queue.length >= this.options.maxQueuedRequests) this.socket.pause();
    void this.processQueue();
  }

  private failStream(err: RtspParseError, chunk: Buffer): void {
    this.logger.info({ connection: this.id, status: err.statusCode, reason: err.message }, 'closing RTSP connection after a malformed message');
    const headers = new RtspHeaders();
    // Echo CSeq when it is readable at all, so the client can match the error to its request.
    const cseq = /\bCSeq:[ \t]*(\d{1,10})\r?\n/i.exec(chunk.toString('latin1', 0, Math.min(chunk.byteLength, 64 * 1024)));
    if (cseq) headers.set('CSeq', cseq[1]);
    this.write({ statusCode: err.statusCode, headers });
    this.queue.length = 0;
    this.socket.end();
    // A client that keeps sending must not hold the socket open half-closed.
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  private async processQueue(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      let request: RtspRequest | undefined;
      while (!this.isClosed && (request = this.queue.shift())) {
        const result = await this.dispatcher.handle(this, request);
        if (this.isClosed) {
          result.afterSend?.();
          break;
        }
        this.write(result.response);
        result.afterSend?.();
        if (this.queue.length < this.options.maxQueuedRequests && this.socket.isPaused()) this.socket.resume();
      }
    } finally {
      this.processing = false;
    }
  }

  private write(response: HandlerResult['response']): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    this.socket.write(
      encodeResponse({
        version: RTSP_VERSION, statusCode: response.statusCode, reason: reasonPhrase(response.statusCode),
        headers: response.headers, body: response.body ?? EMPTY_BODY,
      }),
    );
  }
}
