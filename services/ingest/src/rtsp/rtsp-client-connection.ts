/**
 * The control connection of the pull client: one TCP socket to the camera carrying requests,
 * responses and (for TCP transport) interleaved RTP/RTCP (RFC 2326 §10.12).
 *
 * One request is in flight at a time (later ones wait their turn), each with a CSeq and a
 * deadline. A 401 is answered through the ClientAuthenticator on any request, and from then
 * on every request carries Authorization. Anything that is not RTSP ends the connection.
 */
import { Socket, connect } from 'node:net';
import { checkServerIdentity, connect as tlsConnect } from 'node:tls';
import {
  ClientAuthenticator, EMPTY_BODY, InterleavedFrame, RTSP_VERSION, RtspHeaders, RtspMessageReader, RtspParseError,
  RtspReaderEvent, RtspRequest, RtspResponse, encodeInterleavedFrame, encodeRequest, encodeResponse,
} from '@streamgate/protocol-rtsp';
import { CAMERA_READ_TURN, ReadTurn } from '@streamgate/platform';
import {
  RtspAuthError, RtspConnectionError, RtspProtocolViolation, RtspTimeoutError,
} from './rtsp-client-errors';

export interface RtspClientConnectionOptions {
  /** The loop-turn budget reads go through (plain TCP); default the process's CAMERA_READ_TURN. */
  readTurn?: ReadTurn;
  host: string;
  port: number;
  /** The address to connect to (checked by the camera URL guard); default: `host` resolved by the OS. */
  address?: string;
  /** rtsps:// (RTSP over TLS); `verify` false accepts a self-signed camera certificate. */
  tls?: { verify: boolean };
  auth: ClientAuthenticator;
  /** Connect and per-request deadline, ms. */
  timeoutMs: number;
  userAgent: string;
  /** Interleaved frames completed by one TCP read (views into it; copy to keep). */
  onInterleaved: (frames: InterleavedFrame[]) => void;
  /** The connection ended (error, peer close or close()); called once. */
  onClosed: (err: Error | undefined) => void;
}

const isIpLiteral = (host: string): boolean => /^[\d.]+$|:/.test(host);

/** The certificate is checked against the URL's host, not the address we connected to. */
function hostChecker(host: string): (servername: string, cert: import('node:tls').PeerCertificate) => Error | undefined {
  return (_servername, cert) => checkServerIdentity(host, cert);
}

/** Bounds on what a camera may send us: heads, bodies (SDP), items per read. */
const READER_LIMITS = { maxHeadBytes: 16 * 1024, maxBodyBytes: 256 * 1024, maxHeaderCount: 64, maxEventsPerPush: 4096 };
/**
 * Plain TCP connections read into this one buffer (net `onread`), shared by every camera
 * connection of the process: a read is parsed and its media copied into bus envelopes before
 * the callback returns, so nothing outlives it but the reader's partial item, which it copies
 * (RtspMessageReader.retainCopy). No buffer is allocated per read, and no stream machinery runs.
 */
const SHARED_READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/** A request answered 401 is sent at most this many times (stale nonces included). */
const MAX_AUTH_ATTEMPTS = 4;

interface Pending {
  cseq: number;
  method: string;
  resolve: (r: RtspResponse) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class RtspClientConnection {
  private readonly reader = new RtspMessageReader(READER_LIMITS);
  private cseq = 0;
  private pending: Pending | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closedWith: Error | undefined;
  private closed = false;
  /** Session id, sent on every request once set (RFC 2326 §12.37). */
  session: string | undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly options: RtspClientConnectionOptions,
    /** Reads arrive in SHARED_READ_BUFFER (through `readInto`) rather than as 'data' chunks. */
    private readonly sharedReads: boolean,
  ) {
    socket.setNoDelay(true);
    if (!sharedReads) socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(new RtspConnectionError(`connection error: ${err.message}`)));
    socket.on('close', () => this.fail(new RtspConnectionError('the camera closed the connection')));
  }

  /** Connects within `timeoutMs` (DNS lookup included). */
  static open(options: Omit<RtspClientConnectionOptions, 'onClosed' | 'onInterleaved'> & Partial<RtspClientConnectionOptions>): Promise<RtspClientConnection> {
    return new Promise((resolve, reject) => {
      const address = options.address ?? options.host;
      let connection: RtspClientConnection | undefined;
      // TLS names the host (SNI, certificate check) while connecting to the checked address.
      const socket: Socket = options.tls
        ? tlsConnect({ host: address, port: options.port, servername: isIpLiteral(options.host) ? undefined : options.host, rejectUnauthorized: options.tls.verify, checkServerIdentity: hostChecker(options.host) })
        : connect({
          host: address, port: options.port,
          onread: { buffer: SHARED_READ_BUFFER, callback: (n: number, buf: Uint8Array) => connection?.readInto(buf.subarray(0, n)) !== false },
        });
      const ready = options.tls ? 'secureConnect' : 'connect';
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new RtspTimeoutError(`connecting to ${options.host}:${options.port}`, options.timeoutMs));
      }, options.timeoutMs);
      socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        socket.destroy();
        reject(new RtspConnectionError(`cannot connect to ${options.host}:${options.port}: ${err.code ?? err.message}`));
      });
      socket.once(ready, () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        connection = new RtspClientConnection(socket, {
          onInterleaved: () => undefined, onClosed: () => undefined, ...options,
        }, !options.tls);
        resolve(connection);
      });
    });
  }

  /** Replaces the frame and close callbacks (the session installs its own after connecting). */
  attach(handlers: Pick<RtspClientConnectionOptions, 'onInterleaved' | 'onClosed'>): void {
    this.options.onInterleaved = handlers.onInterleaved;
    this.options.onClosed = handlers.onClosed;
  }

  /** Local address of the control connection: the interface facing the camera. */
  get localAddress(): string {
    return this.socket.localAddress ?? '0.0.0.0';
  }

  get remoteAddress(): string {
    return this.socket.remoteAddress ?? this.options.host;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Sends `method url` and resolves with the response (any status but 401, which is answered
   * here). Requests are serialized: one in flight.
   */
  request(method: string, url: string, headers: Record<string, string> = {}, timeoutMs = this.options.timeoutMs): Promise<RtspResponse> {
    const run = this.queue.then(() => this.requestWithAuth(method, url, headers, timeoutMs));
    this.queue = run.catch(() => undefined);
    return run;
  }

  writeInterleaved(channel: number, payload: Uint8Array): void {
    if (!this.closed) this.socket.write(encodeInterleavedFrame(channel, payload));
  }

  close(): void {
    this.fail(undefined);
  }

  private async requestWithAuth(method: string, url: string, headers: Record<string, string>, timeoutMs: number): Promise<RtspResponse> {
    for (let attempt = 1; ; attempt++) {
      const authorization = this.options.auth.authorize(method, url);
      const response = await this.send(method, url, headers, authorization, timeoutMs);
      if (response.statusCode !== 401) {
        this.options.auth.accepted();
        return response;
      }
      const decision = this.options.auth.unauthorized(response.headers.getAll('www-authenticate'), authorization !== undefined);
      if (!decision.retry) throw new RtspAuthError(decision.reason);
      if (attempt >= MAX_AUTH_ATTEMPTS) throw new RtspAuthError(`401 Unauthorized: ${method} still refused after ${attempt} attempts`);
    }
  }

  private send(method: string, url: string, extra: Record<string, string>, authorization: string | undefined, timeoutMs: number): Promise<RtspResponse> {
    if (this.closed) return Promise.reject(this.closedWith ?? new RtspConnectionError('connection closed'));
    const cseq = ++this.cseq;
    const headers = new RtspHeaders({ CSeq: String(cseq), 'User-Agent': this.options.userAgent });
    if (this.session !== undefined) headers.set('Session', this.session);
    if (authorization !== undefined) headers.set('Authorization', authorization);
    for (const [k, v] of Object.entries(extra)) headers.set(k, v);
    const request: RtspRequest = { method, url, version: RTSP_VERSION, headers, body: EMPTY_BODY };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // A late answer could no longer be matched safely: give up the connection.
        this.fail(new RtspTimeoutError(`${method}`, timeoutMs));
      }, timeoutMs);
      this.pending = { cseq, method, resolve, reject, timer };
      this.socket.write(encodeRequest(request));
    });
  }

  /**
   * A read into the shared buffer; false pauses reading (the connection is closed, or its read
   * waits for the next loop turn: CAMERA_READ_TURN).
   */
  private readInto(chunk: Uint8Array): boolean {
    if (this.readTurn.overBudget()) {
      // The buffer is reused by the next read: keep a copy for the end of the turn.
      const copy = Buffer.from(chunk);
      this.readTurn.defer(() => this.readDeferred(copy));
      return false;
    }
    this.onData(chunk);
    // The buffer is reused by the next read, of any connection.
    if (!this.closed) this.reader.retainCopy();
    return !this.closed;
  }

  private get readTurn(): ReadTurn {
    return this.options.readTurn ?? CAMERA_READ_TURN;
  }

  /** A read put off by the turn budget: handled now, then reading goes on. */
  private readDeferred(chunk: Uint8Array): void {
    if (this.closed) return;
    this.onData(chunk);
    if (!this.closed) this.socket.resume();
  }

  private onData(chunk: Uint8Array): void {
    try {
      let events = this.reader.push(chunk);
      this.handle(events);
      // The reader hands out at most MAX_EVENTS_PER_READ items per call; fetch the rest.
      while (!this.closed && events.length === READER_LIMITS.maxEventsPerPush) {
        events = this.reader.drain();
        this.handle(events);
      }
    } catch (err) {
      if (!(err instanceof RtspParseError)) throw err;
      this.fail(new RtspProtocolViolation(`not an RTSP server or malformed answer (${err.message})`));
    }
  }

  private handle(events: RtspReaderEvent[]): void {
    const frames: InterleavedFrame[] = [];
    for (const e of events) {
      if (e.type === 'interleaved') frames.push(e.frame);
      else if (e.type === 'response') this.onResponse(e.response);
      else this.answerServerRequest(e.request);
      if (this.closed) return;
    }
    if (frames.length > 0) this.options.onInterleaved(frames);
  }

  private onResponse(response: RtspResponse): void {
    if (!response.version.startsWith('RTSP/')) {
      this.fail(new RtspProtocolViolation(`not an RTSP server: it answered ${response.version} ${response.statusCode} ${response.reason}`.trim()));
      return;
    }
    const pending = this.pending;
    if (!pending) return; // unsolicited; nothing waits for it
    const cseq = response.headers.get('cseq');
    // Cameras that omit CSeq are tolerated: with one request in flight the answer is unambiguous.
    if (cseq !== undefined && Number(cseq.trim()) !== pending.cseq) return;
    clearTimeout(pending.timer);
    this.pending = undefined;
    // The body (SDP) is read after this read's buffer is reused: a copy (a Buffer's slice() is a view).
    pending.resolve(this.sharedReads && response.body.byteLength > 0 ? { ...response, body: new Uint8Array(response.body) } : response);
  }

  /** RFC 2326 §10: servers may send requests too (OPTIONS pings, GET_PARAMETER, ANNOUNCE). */
  private answerServerRequest(request: RtspRequest): void {
    const ok = request.method === 'OPTIONS' || request.method === 'GET_PARAMETER' || request.method === 'SET_PARAMETER';
    const headers = new RtspHeaders();
    const cseq = request.headers.get('cseq');
    if (cseq !== undefined) headers.set('CSeq', cseq);
    this.socket.write(encodeResponse({ version: RTSP_VERSION, statusCode: ok ? 200 : 501, reason: '', headers, body: EMPTY_BODY }));
  }

  private fail(err: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.closedWith = err ?? new RtspConnectionError('connection closed');
    const pending = this.pending;
    this.pending = undefined;
    if (pending) {
      clearTimeout(pending.timer);
      pending.reject(this.closedWith);
    }
    this.socket.destroy();
    this.options.onClosed(err);
  }
}
