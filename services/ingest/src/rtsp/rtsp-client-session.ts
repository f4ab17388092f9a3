/**
 * One RTSP pull session with a camera (RFC 2326 §10, client side), an explicit state machine:
 *
 *   idle ─start→ connecting ─DESCRIBE→ described ─SETUP…→ setup ─PLAY→ playing
 *   playing ─pause→ setup ─resume→ playing;  any ─stop→ closing ─TEARDOWN→ idle
 *
 * start() runs OPTIONS → DESCRIBE (following redirects) → SETUP of each supported track →
 * PLAY; then keepalives hold the session (GET_PARAMETER when the camera lists it in Public,
 * else OPTIONS, every session-timeout/2) and receiver reports go out every 5 s. The session
 * never reconnects by itself: it reports the end through `onClosed` and its owner decides.
 */
import { randomBytes } from 'node:crypto';
import {
  ClientAuthenticator, Credentials, InterleavedFrame, RtspParseError, RtspResponse, connectHost, describeBaseUrl, parseRtspUrl,
  parseSession, redirectUrl, splitUserinfo,
} from '@streamgate/protocol-rtsp';
import { redactUrlCredentials, preciseNowMs } from '@streamgate/platform';
import { CameraDescription, describeCamera } from './camera-description';
import { RtspClientConnection } from './rtsp-client-connection';
import {
  RtspClientError, RtspClientState, RtspClientStateError, RtspConnectionError, RtspProtocolViolation, RtspStatusError,
  RtspTransportRefusedError,
} from './rtsp-client-errors';
import { MediaSink, TrackReceiver } from './track-receiver';
import { LowerTransport, TransportOffer, acceptTransport, offerHeader, refusesUdp } from './transport-negotiation';
import type { UdpPortPairAllocator } from './udp-port-pair';
import type { CameraSource } from '@streamgate/contracts';

/** A configured source's credentials as the session takes them (none without a username). */
export function sourceCredentials(source: Pick<CameraSource, 'username' | 'password'>): Credentials | undefined {
  return source.username !== null ? { username: source.username, password: source.password ?? '' } : undefined;
}

export interface RtspClientSessionOptions {
  /** Camera URL; userinfo in it is split off and used as credentials when none are given. */
  url: string;
  credentials?: Credentials;
  transport: LowerTransport;
  /** `auto`: a SETUP refusing UDP is repeated over TCP on the same connection. */
  tcpFallback?: boolean;
  udpPorts: UdpPortPairAllocator;
  /** Connect and per-request deadline, ms. */
  requestTimeoutMs: number;
  sink: MediaSink;
  /** The session ended by itself after start() resolved (connection lost, keepalive refused). */
  onClosed: (err: Error) => void;
  onDebug: (message: string) => void;
  userAgent?: string;
  maxRedirects?: number;
  /** RFC 3550 §6.2 suggests 5 s as the minimum report interval. */
  reportIntervalMs?: number;
  /**
   * Checks each URL before connecting (the camera URL guard, again at connect time against DNS
   * rebinding, redirects included) and returns the address to connect to.
   */
  resolveAddress?: (url: string) => Promise<string>;
  /** rtsps:// cameras: verify the certificate (default true; false for self-signed cameras). */
  tlsVerify?: boolean;
}

const DEFAULT_SESSION_TIMEOUT_S = 60;
const TEARDOWN_TIMEOUT_MS = 2000;
const REDIRECT_STATUSES = new Set([301, 302, 303, 305, 307]);

export class RtspClientSession {
  private stateValue: RtspClientState = 'idle';
  private connection: RtspClientConnection | undefined;
  private url: string;
  private credentials: Credentials | undefined;
  private publicMethods = new Set<string>();
  private receivers: TrackReceiver[] = [];
  private byChannel = new Map<number, { receiver: TrackReceiver; rtcp: boolean }>();
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private reportTimer: NodeJS.Timeout | undefined;
  private sessionTimeoutS = DEFAULT_SESSION_TIMEOUT_S;
  private readonly ssrc = randomBytes(4).readUInt32BE(0);
  private started = false;
  private lower: LowerTransport;
  description: CameraDescription | undefined;

  constructor(private readonly options: RtspClientSessionOptions) {
    this.lower = options.transport;
    const split = splitUserinfo(options.url);
    this.url = split.url;
    this.credentials = options.credentials ?? (split.username !== undefined ? { username: split.username, password: split.password ?? '' } : undefined);
  }

  get state(): RtspClientState {
    return this.stateValue;
  }

  /** The lower transport in use (TCP after an in-session fallback). */
  get transport(): LowerTransport {
    return this.lower;
  }

  get tracks(): readonly TrackReceiver[] {
    return this.receivers;
  }

  /** Session timeout the camera announced, seconds. */
  get sessionTimeout(): number {
    return this.sessionTimeoutS;
  }

  async start(): Promise<void> {
    this.expect('start', 'idle');
    this.stateValue = 'connecting';
    this.receivers = [];
    this.byChannel.clear();
    try {
      const response = await this.describe();
      this.description = describeCamera(new TextDecoder().decode(response.body),
        describeBaseUrl(this.url, response.headers.get('content-base'), response.headers.get('content-location')));
      this.stateValue = 'described';
      if (this.description.skipped.length > 0) this.options.onDebug(`not pulling unsupported media: ${this.description.skipped.join(', ')}`);
      for (const track of this.description.tracks) await this.setupTrack(track, this.receivers.length);
      await this.play();
      this.started = true;
    } catch (err) {
      this.cleanup();
      this.stateValue = 'idle';
      throw err;
    }
  }

  /** PAUSE (RFC 2326 §10.6): the camera stops sending; the session stays set up. */
  async pause(): Promise<void> {
    this.expect('pause', 'playing');
    await this.control('PAUSE');
    this.stateValue = 'setup';
  }

  async resume(): Promise<void> {
    this.expect('resume', 'setup');
    await this.play();
  }

  /** TEARDOWN (best effort, bounded) and release every socket and timer. Idempotent. */
  async stop(): Promise<void> {
    if (this.stateValue === 'idle' || this.stateValue === 'closing') return;
    const connection = this.connection;
    const hadSession = connection?.session !== undefined && this.description !== undefined;
    this.stateValue = 'closing';
    this.stopTimers();
    if (connection && hadSession && !connection.isClosed && this.description) {
      try {
        await connection.request('TEARDOWN', this.description.aggregateUrl, {}, TEARDOWN_TIMEOUT_MS);
      } catch (err) {
        this.options.onDebug(`TEARDOWN failed: ${(err as Error).message}`);
      }
    }
    this.cleanup();
    this.stateValue = 'idle';
  }

  private expect(operation: string, ...allowed: RtspClientState[]): void {
    if (!allowed.includes(this.stateValue)) throw new RtspClientStateError(operation, this.stateValue);
  }

  /** Throws when stop() ran while a request was in flight. */
  private checkOpen(): RtspClientConnection {
    if (this.stateValue === 'closing' || this.stateValue === 'idle' || !this.connection) throw new RtspConnectionError('session stopped');
    return this.connection;
  }

  private async connect(): Promise<RtspClientConnection> {
    let target;
    try {
      target = parseRtspUrl(this.url);
    } catch (err) {
      if (!(err instanceof RtspParseError)) throw err;
      throw new RtspClientError(`invalid camera URL: ${err.message}`);
    }
    if (target.scheme !== 'rtsp' && target.scheme !== 'rtsps') throw new RtspClientError(`${target.scheme}:// is not supported (only rtsp:// and rtsps://)`);
    if (target.host === '') throw new RtspClientError('the camera URL has no host');
    const address = this.options.resolveAddress ? await this.options.resolveAddress(this.url) : undefined;
    const secure = target.scheme === 'rtsps';
    const connection = await RtspClientConnection.open({
      host: connectHost(target),
      address,
      // RFC 7826 §19.1 / IANA: rtsps defaults to 322.
      port: target.port ?? (secure ? 322 : 554),
      tls: secure ? { verify: this.options.tlsVerify ?? true } : undefined,
      auth: new ClientAuthenticator(this.credentials, () => randomBytes(8).toString('hex')),
      timeoutMs: this.options.requestTimeoutMs,
      userAgent: this.options.userAgent ?? 'streamgate',
    });
    if (this.stateValue !== 'connecting') {
      connection.close();
      throw new RtspConnectionError('session stopped');
    }
    connection.attach({ onInterleaved: (frames) => this.onInterleaved(frames), onClosed: (err) => this.onConnectionClosed(err) });
    this.connection = connection;
    return connection;
  }

  /** OPTIONS then DESCRIBE, following at most `maxRedirects` 3xx answers (RFC 2326 §11.3). */
  private async describe(): Promise<RtspResponse> {
    const maxRedirects = this.options.maxRedirects ?? 5;
    for (let redirects = 0; ; redirects++) {
      const connection = await this.connect();
      const options = await connection.request('OPTIONS', this.url);
      let response = options;
      if (options.statusCode >= 200 && options.statusCode < 300) {
        this.publicMethods = new Set((options.headers.get('public') ?? '').split(',').map((m) => m.trim().toUpperCase()));
        response = await this.describeOnce();
      } else if (!REDIRECT_STATUSES.has(options.statusCode)) {
        // Cameras that refuse OPTIONS still serve DESCRIBE; OPTIONS is only informative here.
        response = await this.describeOnce();
      }
      const location = response.headers.get('location');
      if (REDIRECT_STATUSES.has(response.statusCode) && location) {
        if (redirects >= maxRedirects) throw new RtspClientError(`more than ${maxRedirects} redirects`);
        const next = splitUserinfo(redirectUrl(this.url, location));
        // The camera's credentials go only where they were configured for: a redirect to
        // another scheme, host or port gets none (unless its Location carries its own).
        if (!sameOrigin(this.url, next.url)) this.credentials = undefined;
        if (!this.credentials && next.username !== undefined) this.credentials = { username: next.username, password: next.password ?? '' };
        this.options.onDebug(`redirected (${response.statusCode}) to ${redactUrlCredentials(next.url)}`);
        this.url = next.url;
        connection.close();
        this.connection = undefined;
        continue;
      }
      if (response.statusCode < 200 || response.statusCode >= 300) throw new RtspStatusError('DESCRIBE', response.statusCode, response.reason);
      if (response.body.byteLength === 0) throw new RtspProtocolViolation('DESCRIBE answered without an SDP body');
      return response;
    }
  }

  /**
   * DESCRIBE; a 503 (media still being prepared or torn down, as GStreamer answers right after
   * another client left) is asked once more after its Retry-After, at most 2 s.
   */
  private async describeOnce(): Promise<RtspResponse> {
    const response = await this.checkOpen().request('DESCRIBE', this.url, { Accept: 'application/sdp' });
    if (response.statusCode !== 503) return response;
    const retryAfter = Number(response.headers.get('retry-after') ?? '');
    const waitMs = Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(2000, retryAfter * 1000) : 500;
    await new Promise((resolve) => setTimeout(resolve, waitMs));
    return this.checkOpen().request('DESCRIBE', this.url, { Accept: 'application/sdp' });
  }

  private async setupTrack(track: CameraDescription['tracks'][number], order: number): Promise<void> {
    try {
      await this.setupTrackOver(this.lower, track, order);
    } catch (err) {
      // RFC 2326 §12.39 leaves the choice to the client: a camera refusing UDP for the first
      // track gets the same SETUP over TCP (later tracks cannot mix transports, so no retry).
      if (!(err instanceof RtspTransportRefusedError) || !this.options.tcpFallback || order > 0) throw err;
      this.options.onDebug(`${err.message}; trying TCP`);
      this.lower = 'tcp';
      await this.setupTrackOver('tcp', track, order);
    }
  }

  private async setupTrackOver(lower: LowerTransport, track: CameraDescription['tracks'][number], order: number): Promise<void> {
    const connection = this.checkOpen();
    const pair = lower === 'udp' ? await this.options.udpPorts.bind(connection.localAddress) : undefined;
    let receiver: TrackReceiver | undefined;
    try {
      const offer: TransportOffer = pair
        ? { lower: 'udp', clientPorts: [pair.rtpPort, pair.rtcpPort] }
        : { lower: 'tcp', channels: [2 * order, 2 * order + 1] };
      const response = await this.checkOpen().request('SETUP', track.controlUrl, { Transport: offerHeader(offer) });
      if (offer.lower === 'udp' && refusesUdp(response.statusCode)) throw new RtspTransportRefusedError(response.statusCode, response.reason);
      if (response.statusCode < 200 || response.statusCode >= 300) throw new RtspStatusError('SETUP', response.statusCode, response.reason);
      this.adoptSession(response);
      const transport = acceptTransport(offer, response.headers.get('transport'));
      receiver = new TrackReceiver({
        track, transport, udp: pair, peers: [connection.remoteAddress, ...(transport.source ? [transport.source] : [])],
        sendInterleaved: (channel, data) => this.connection?.writeInterleaved(channel, data),
        sink: this.options.sink, ssrc: this.ssrc, cname: `streamgate@${connection.localAddress}`, onDebug: this.options.onDebug,
        onRtp: (from, receivedAt) => this.expireOthers(from, receivedAt),
      });
    } catch (err) {
      pair?.close();
      throw err;
    }
    this.receivers.push(receiver);
    const channels = receiver.transport.channels;
    if (channels) {
      this.byChannel.set(channels[0], { receiver, rtcp: false });
      this.byChannel.set(channels[1], { receiver, rtcp: true });
    }
    receiver.listen();
    this.stateValue = 'setup';
  }

  private adoptSession(response: RtspResponse): void {
    const value = response.headers.get('session');
    if (value === undefined) return;
    try {
      const session = parseSession(value);
      const connection = this.checkOpen();
      if (connection.session === undefined) {
        connection.session = session.id;
        if (session.timeout !== undefined && session.timeout > 0) this.sessionTimeoutS = session.timeout;
      }
    } catch (err) {
      if (!(err instanceof RtspParseError)) throw err;
      throw new RtspProtocolViolation(`SETUP answered an unusable Session header (${err.message})`);
    }
  }

  private async play(): Promise<void> {
    await this.control('PLAY', { Range: 'npt=0.000-' });
    this.stateValue = 'playing';
    this.startTimers();
    // The first report right away tells the camera where we are (and opens NAT pinholes).
    for (const r of this.receivers) r.sendReceiverReport();
  }

  private async control(method: 'PLAY' | 'PAUSE', headers: Record<string, string> = {}): Promise<void> {
    const description = this.description;
    if (!description) throw new RtspClientStateError(method, this.stateValue);
    const response = await this.checkOpen().request(method, description.aggregateUrl, headers);
    if (response.statusCode < 200 || response.statusCode >= 300) throw new RtspStatusError(method, response.statusCode, response.reason);
  }

  private startTimers(): void {
    this.stopTimers();
    // RFC 2326 §12.37: refresh well inside the timeout; half of it leaves room for one loss.
    const keepaliveMs = Math.max(1000, (this.sessionTimeoutS * 1000) / 2);
    this.keepaliveTimer = setInterval(() => void this.keepalive(), keepaliveMs);
    this.reportTimer = setInterval(() => {
      for (const r of this.receivers) r.sendReceiverReport();
    }, this.options.reportIntervalMs ?? 5000);
  }

  private stopTimers(): void {
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    if (this.reportTimer) clearInterval(this.reportTimer);
    this.keepaliveTimer = undefined;
    this.reportTimer = undefined;
  }

  private async keepalive(): Promise<void> {
    const connection = this.connection;
    const description = this.description;
    if (!connection || !description || connection.isClosed) return;
    const useGetParameter = this.publicMethods.has('GET_PARAMETER');
    try {
      const response = useGetParameter
        ? await connection.request('GET_PARAMETER', description.aggregateUrl)
        : await connection.request('OPTIONS', this.url);
      if (response.statusCode === 454) {
        this.fail(new RtspStatusError('keepalive', 454, 'Session Not Found'));
      } else if (useGetParameter && (response.statusCode === 405 || response.statusCode === 501)) {
        this.publicMethods.delete('GET_PARAMETER');
      }
    } catch (err) {
      // A timeout or close already ended the connection; onConnectionClosed reports it.
      this.options.onDebug(`keepalive failed: ${(err as Error).message}`);
    }
  }

  private onInterleaved(frames: InterleavedFrame[]): void {
    const receivedAt = preciseNowMs();
    if (frames.length === 0) return;
    // Most reads carry one channel only (a video frame's packets, or one audio frame): no grouping.
    const first = frames[0].channel;
    if (frames.every((f) => f.channel === first)) {
      this.deliverChannel(first, frames.map((f) => f.payload), receivedAt);
      return;
    }
    // One batch per channel per TCP read, in arrival order within each channel.
    const batches = new Map<number, Uint8Array[]>();
    for (const f of frames) {
      let list = batches.get(f.channel);
      if (!list) batches.set(f.channel, (list = []));
      list.push(f.payload);
    }
    for (const [channel, packets] of batches) this.deliverChannel(channel, packets, receivedAt);
  }

  /** Time moved on one track: the others give up gaps that waited too long (a quiet track too). */
  private expireOthers(from: TrackReceiver, receivedAt: number): void {
    for (const r of this.receivers) if (r !== from) r.expire(receivedAt);
  }

  private deliverChannel(channel: number, packets: Uint8Array[], receivedAt: number): void {
    const target = this.byChannel.get(channel);
    if (!target) return;
    if (target.rtcp) target.receiver.rtcp(packets, receivedAt);
    else target.receiver.rtp(packets, receivedAt);
  }

  private onConnectionClosed(err: Error | undefined): void {
    if (this.stateValue === 'closing' || this.stateValue === 'idle') return;
    if (!this.started) return; // start() sees the failed request and reports it
    this.fail(err ?? new RtspConnectionError('the camera closed the connection'));
  }

  private fail(err: Error): void {
    if (this.stateValue === 'closing' || this.stateValue === 'idle') return;
    this.cleanup();
    this.stateValue = 'idle';
    this.options.onClosed(err);
  }

  private cleanup(): void {
    this.stopTimers();
    this.connection?.close();
    for (const r of this.receivers) r.close();
    this.byChannel.clear();
  }
}

/** Same scheme, host and port (the default port of the scheme when none is written). */
function sameOrigin(a: string, b: string): boolean {
  try {
    const x = parseRtspUrl(a);
    const y = parseRtspUrl(b);
    const port = (u: { scheme: string; port?: number }): number => u.port ?? (u.scheme === 'rtsps' ? 322 : 554);
    return x.scheme === y.scheme && x.host.toLowerCase() === y.host.toLowerCase() && port(x) === port(y);
  } catch {
    return false;
  }
}
