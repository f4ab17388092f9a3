import type { StreamDescription } from '@streamgate/contracts';
import { Bus, Logger, SpanKind, withSourceDemand, withSpan } from '@streamgate/platform';
import {
  RtpInfoEntry, RtspHeaders, RtspParseError, RtspRequest, RtspStatus, TransportSpec, formatRange, formatRtpInfo, formatSession,
  formatTransport, parseCSeq, parseRange, parseResourcePath, parseRtspUrl, parseSession, parseTransports, urlAuthority,
} from '@streamgate/protocol-rtsp';
import type { FanoutRegistry } from '../fanout/fanout-registry';
import { TcpReader } from '../readers/tcp-reader';
import { UdpReader, UdpReaderTrack } from '../readers/udp-reader';
import { RtspSession, SessionTrack } from '../session/rtsp-session';
import type { UdpPair } from '../transport/udp-pair';
import {
  BadRequestError, MethodNotValidInStateError, RtspStatusError, SessionNotFoundError, StreamNotFoundError, UnsupportedTransportError,
} from './rtsp-errors';
import type { HandlerResult, RtspConnection } from './rtsp-connection';
import type { RtspAuthenticator } from './rtsp-authenticator';
import type { SessionDirectory } from './session-directory';
import type { SourceOutages } from './source-outages';
import { describeStream } from './stream-describer';

export interface RequestHandlerOptions {
  sessionTimeoutS: number;
  readerQueueBytes: number;
  describeTimeoutMs: number;
  /** Streams whose source is down: DESCRIBE/SETUP use their last description. */
  outages?: SourceOutages;
}

const TRACED_METHODS = new Set(['DESCRIBE', 'SETUP', 'PLAY', 'TEARDOWN']);
const SUPPORTED = ['OPTIONS', 'DESCRIBE', 'SETUP', 'PLAY', 'PAUSE', 'TEARDOWN', 'GET_PARAMETER', 'SET_PARAMETER'];
/** RFC 2326 methods a play-only server knows but does not allow (405, not 501). */
const KNOWN_NOT_ALLOWED = new Set(['ANNOUNCE', 'RECORD', 'REDIRECT']);
/** Why a PLAY of a session whose source stopped is 404 (the reader describes again once it is back). */
const SOURCE_STOPPED = 'its source stopped; DESCRIBE again once it is back';

/**
 * The RTSP methods of a play-only server (RFC 2326 §10). Each handler first checks the
 * session state it allows; failures are typed RtspStatusErrors mapped to the response status.
 */
export class RtspRequestHandler {
  constructor(
    private readonly bus: Bus,
    private readonly logger: Logger,
    private readonly sessions: SessionDirectory,
    private readonly registry: FanoutRegistry,
    private readonly udp: UdpPair,
    private readonly options: RequestHandlerOptions,
    private readonly auth: RtspAuthenticator,
  ) {}

  async handle(conn: RtspConnection, req: RtspRequest): Promise<HandlerResult> {
    const headers = new RtspHeaders();
    const cseq = req.headers.get('cseq');
    try {
      // RFC 2326 §12.17: CSeq is required in every request and echoed in its response.
      if (cseq === undefined) throw new BadRequestError('missing CSeq');
      headers.set('CSeq', String(parseCSeq(cseq)));
      headers.set('Server', 'streamgate');
      if (req.version !== 'RTSP/1.0') throw new RtspStatusError(RtspStatus.RtspVersionNotSupported, `version ${req.version}`);
      // Session setup is traced (its DESCRIBE asks the packetizer over the bus); keepalives are not.
      if (!TRACED_METHODS.has(req.method)) return await this.dispatch(conn, req, headers);
      return await withSpan(`RTSP ${req.method}`, { 'rtsp.method': req.method }, async () => this.dispatch(conn, req, headers), { kind: SpanKind.SERVER });
    } catch (err) {
      return { response: { statusCode: this.statusOf(err, req, conn), headers: this.errorHeaders(headers, err) } };
    }
  }

  private dispatch(conn: RtspConnection, req: RtspRequest, headers: RtspHeaders): Promise<HandlerResult> | HandlerResult {
    switch (req.method) {
      case 'OPTIONS':
        this.optionalSession(conn, req);
        headers.set('Public', SUPPORTED.join(', '));
        return ok(headers);
      case 'DESCRIBE':
        return this.describe(conn, req, headers);
      case 'SETUP':
        return this.setup(conn, req, headers);
      case 'PLAY':
        return this.play(conn, req, headers);
      case 'PAUSE':
        return this.pause(conn, req, headers);
      case 'TEARDOWN':
        return this.teardown(conn, req, headers);
      case 'GET_PARAMETER':
      case 'SET_PARAMETER': {
        // Keepalives (GStreamer, VLC): refresh the session, answer 200 with no body.
        const session = this.optionalSession(conn, req);
        if (session) headers.set('Session', this.sessionHeader(session));
        return ok(headers);
      }
      default:
        if (KNOWN_NOT_ALLOWED.has(req.method)) {
          throw new RtspStatusError(RtspStatus.MethodNotAllowed, `${req.method} is not allowed`, { Allow: SUPPORTED.join(', ') });
        }
        throw new RtspStatusError(RtspStatus.NotImplemented, `unknown method ${req.method.slice(0, 32)}`);
    }
  }

  private async describe(conn: RtspConnection, req: RtspRequest, headers: RtspHeaders): Promise<HandlerResult> {
    const { streamName } = parseResourcePath(req.url);
    await this.auth.authorizeRead(conn, req, streamName);
    const description = await this.describeStream(streamName);
    headers.set('Content-Base', `${urlAuthority(parseRtspUrl(req.url))}/${streamName}/`);
    headers.set('Content-Type', 'application/sdp');
    return { response: { statusCode: RtspStatus.OK, headers, body: new TextEncoder().encode(description.sdp) } };
  }

  private async setup(conn: RtspConnection, req: RtspRequest, headers: RtspHeaders): Promise<HandlerResult> {
    const target = parseResourcePath(req.url);
    await this.auth.authorizeRead(conn, req, target.streamName);
    let session = this.optionalSession(conn, req);
    if (session) {
      session.assertState('SETUP', 'init', 'ready');
      if (session.stream !== target.streamName) throw new BadRequestError('all tracks of a session must belong to one stream');
    }
    const transportValue = req.headers.get('transport');
    if (transportValue === undefined) throw new BadRequestError('missing Transport header');
    const spec = chooseTransport(parseTransports(transportValue), conn.secure);
    const transport = spec.lowerTransport === 'TCP' ? 'tcp' : 'udp';
    if (session?.transport !== undefined && session.transport !== transport) throw new UnsupportedTransportError('tracks of one session must share a transport');
    if (transport === 'tcp' && session && session.owner !== conn) throw new MethodNotValidInStateError('SETUP', 'set up on another connection');
    const description = session?.description ?? (await this.describeStream(target.streamName));
    const track = target.trackId === undefined
      ? (description.tracks.length === 1 ? description.tracks[0] : undefined)
      : description.tracks.find((t) => t.id === target.trackId);
    if (!track) {
      if (target.trackId === undefined) throw new RtspStatusError(RtspStatus.AggregateOperationNotAllowed, 'SETUP needs a track control URL');
      throw new StreamNotFoundError(target.streamName, `no track ${target.trackId}`);
    }
    // UDP: the reader's own RTP socket, opened before the session changes (see UdpPair.rtpSenderTo).
    const rtpSender = transport === 'udp' && spec.clientPort
      ? await this.udp.rtpSenderTo(session?.clientAddress ?? conn.remoteAddress, spec.clientPort[0])
      : undefined;
    try {
      if (session) {
        // The session may have moved on while the socket was opened.
        if (session.closed) throw new SessionNotFoundError(session.id);
        session.assertState('SETUP', 'init', 'ready');
        if (session.transport !== undefined && session.transport !== transport) throw new UnsupportedTransportError('tracks of one session must share a transport');
      }
      if (session?.tracks.has(track.id)) throw new MethodNotValidInStateError('SETUP', `track ${track.id} already set up`);
      session ??= this.sessions.create(target.streamName, description, conn);
    } catch (err) {
      rtpSender?.close();
      throw err;
    }
    const entry: SessionTrack = { trackId: track.id, rtpSender };
    const reply: TransportSpec = { protocol: 'RTP', profile: 'AVP', lowerTransport: spec.lowerTransport, delivery: 'unicast', ssrc: track.ssrc };
    if (transport === 'tcp') {
      entry.interleaved = assignChannels(spec.interleaved, session.usedChannels());
      reply.interleaved = entry.interleaved;
    } else {
      const clientPort = spec.clientPort ?? [0, 0];
      entry.clientPorts = clientPort;
      reply.clientPort = clientPort;
      reply.serverPort = [this.udp.rtpPort, this.udp.rtcpPort];
      this.sessions.indexUdpClient(session, clientPort[1]);
    }
    session.tracks.set(track.id, entry);
    session.transport = transport;
    session.state = 'ready';
    headers.set('Transport', formatTransport(reply));
    headers.set('Session', this.sessionHeader(session));
    return ok(headers);
  }

  private async play(conn: RtspConnection, req: RtspRequest, headers: RtspHeaders): Promise<HandlerResult> {
    const session = this.requiredSession(conn, req, 'PLAY');
    if (session.ended) throw new StreamNotFoundError(session.stream, SOURCE_STOPPED);
    session.assertState('PLAY', 'ready', 'playing');
    headers.set('Session', this.sessionHeader(session));
    headers.set('Range', this.playRange(req));
    if (session.state === 'playing') return ok(headers);
    const fanout = await this.registry.prepare(session.stream, session.description);
    if (session.closed || session.state !== 'ready') {
      this.registry.release(fanout);
      throw new SessionNotFoundError(session.id);
    }
    if (fanout.isClosed) {
      // The source stopped while its GOP loaded: nothing will come.
      this.registry.release(fanout);
      throw new StreamNotFoundError(session.stream, SOURCE_STOPPED);
    }
    const reader = this.createReader(session, conn);
    const start = fanout.startInfo();
    const authority = urlAuthority(parseRtspUrl(req.url));
    const rtpInfo: RtpInfoEntry[] = [...session.tracks.keys()].map((id) => ({
      url: `${authority}/${session.stream}/trackID=${id}`, ...start.get(id),
    }));
    headers.set('RTP-Info', formatRtpInfo(rtpInfo));
    session.state = 'playing';
    session.reader = reader;
    session.fanout = fanout;
    this.logger.info({ stream: session.stream, transport: session.transport, remote: session.clientAddress, session: session.id }, 'RTSP reader started');
    return {
      response: { statusCode: RtspStatus.OK, headers },
      // After the PLAY reply is on the wire: replay the GOP, then live units.
      afterSend: () => {
        if (!session.closed) fanout.addReader(reader);
        this.registry.release(fanout);
      },
    };
  }

  /** The packetizer's description; while the source is down, the last one (readers may wait). */
  private async describeStream(stream: string): Promise<StreamDescription> {
    const outages = this.options.outages;
    try {
      // An on-demand camera at rest is woken; DESCRIBE waits for it (bounded) rather than 404.
      const description = await withSourceDemand(this.bus, stream, 'rtsp', () => describeStream(this.bus, stream, this.options.describeTimeoutMs));
      outages?.remember(description);
      return description;
    } catch (err) {
      const last = err instanceof StreamNotFoundError ? outages?.descriptionWhileDown(stream) : undefined;
      if (last) return last;
      throw err;
    }
  }

  private pause(conn: RtspConnection, req: RtspRequest, headers: RtspHeaders): HandlerResult {
    const session = this.requiredSession(conn, req, 'PAUSE');
    session.assertState('PAUSE', 'ready', 'playing');
    if (session.state === 'playing' && session.fanout && session.reader) {
      this.registry.removeReader(session.fanout, session.reader);
      session.reader = undefined;
      session.fanout = undefined;
    }
    session.state = 'ready';
    headers.set('Session', this.sessionHeader(session));
    return ok(headers);
  }

  private teardown(conn: RtspConnection, req: RtspRequest, headers: RtspHeaders): HandlerResult {
    const session = this.requiredSession(conn, req, 'TEARDOWN');
    session.assertState('TEARDOWN', 'init', 'ready', 'playing');
    this.sessions.close(session, 'teardown');
    headers.set('Session', session.id);
    return ok(headers);
  }

  private createReader(session: RtspSession, conn: RtspConnection): TcpReader | UdpReader {
    const onDropped = (reason: Parameters<SessionDirectory['close']>[1]): void => this.sessions.close(session, reason);
    if (session.transport === 'tcp') {
      const channels = new Map<number, number>();
      for (const t of session.tracks.values()) if (t.interleaved) channels.set(t.trackId, t.interleaved[0]);
      return new TcpReader(conn.socket, channels, this.options.readerQueueBytes, onDropped);
    }
    const tracks = new Map<number, UdpReaderTrack>();
    for (const t of session.tracks.values()) if (t.clientPorts && t.rtpSender) tracks.set(t.trackId, { rtp: t.rtpSender, rtcpPort: t.clientPorts[1] });
    return new UdpReader(this.udp, session.clientAddress, tracks, onDropped);
  }

  /** Live streams play from now; a client's own npt/clock range is echoed (RFC 2326 §12.29). */
  private playRange(req: RtspRequest): string {
    const value = req.headers.get('range');
    if (value === undefined) return 'npt=now-';
    try {
      return formatRange(parseRange(value));
    } catch (err) {
      if (err instanceof RtspParseError) return 'npt=now-';
      throw err;
    }
  }

  /**
   * The session a request names, if it may use it: a TCP session only from the connection that
   * set it up (its media flows there), a UDP session only from the reader's address. Anyone
   * else gets the same 454 as for an unknown id, so ids cannot be probed or hijacked.
   */
  private optionalSession(conn: RtspConnection, req: RtspRequest): RtspSession | undefined {
    const value = req.headers.get('session');
    if (value === undefined) return undefined;
    const { id } = parseSession(value);
    const session = this.sessions.get(id);
    if (!session) throw new SessionNotFoundError(id);
    const bound = session.transport === 'udp' ? session.clientAddress === conn.remoteAddress : session.owner === conn;
    if (!bound) {
      this.logger.warn({ connection: conn.id, ip: conn.remoteAddress, method: req.method.slice(0, 32) }, 'RTSP session used from another connection: refused');
      throw new SessionNotFoundError(id);
    }
    session.touch(Date.now());
    return session;
  }

  /** A method that needs a session sent without one is not valid in the 'init' state (455). */
  private requiredSession(conn: RtspConnection, req: RtspRequest, method: string): RtspSession {
    const session = this.optionalSession(conn, req);
    if (!session) throw new MethodNotValidInStateError(method, 'init');
    return session;
  }

  private sessionHeader(session: RtspSession): string {
    return formatSession({ id: session.id, timeout: this.options.sessionTimeoutS });
  }

  private statusOf(err: unknown, req: RtspRequest, conn: RtspConnection): number {
    if (err instanceof RtspStatusError || err instanceof RtspParseError) {
      this.logger.debug({ connection: conn.id, method: req.method.slice(0, 32), status: err.statusCode, reason: err.message }, 'RTSP request refused');
      return err.statusCode;
    }
    this.logger.error({ err, connection: conn.id, method: req.method.slice(0, 32) }, 'RTSP request failed');
    return RtspStatus.InternalServerError;
  }

  private errorHeaders(headers: RtspHeaders, err: unknown): RtspHeaders {
    const out = new RtspHeaders();
    for (const name of ['CSeq', 'Server']) {
      const v = headers.get(name);
      if (v !== undefined) out.set(name, v);
    }
    if (err instanceof RtspStatusError) {
      for (const [name, value] of Object.entries(err.headers)) {
        if (typeof value === 'string') out.set(name, value);
        else for (const v of value) out.append(name, v);
      }
    }
    return out;
  }
}

function ok(headers: RtspHeaders): HandlerResult {
  return { response: { statusCode: RtspStatus.OK, headers } };
}

/**
 * The first alternative we can serve: unicast RTP/AVP over UDP (with client ports) or TCP.
 * Over RTSPS only TCP: plain RTP over UDP would carry the media outside the TLS session.
 */
function chooseTransport(specs: TransportSpec[], tcpOnly: boolean): TransportSpec {
  for (const spec of specs) {
    if (tcpOnly && spec.lowerTransport !== 'TCP') continue;
    if (spec.protocol !== 'RTP' || spec.profile !== 'AVP') continue;
    if ((spec.delivery ?? 'unicast') !== 'unicast') continue;
    if (spec.mode !== undefined && spec.mode !== 'PLAY') continue;
    if (spec.lowerTransport === 'UDP' && (!spec.clientPort || spec.clientPort[0] === 0)) continue;
    return spec;
  }
  throw new UnsupportedTransportError(tcpOnly
    ? `none of ${specs.length} offered transports is RTP/AVP/TCP (interleaved), the only one served over RTSPS`
    : `none of ${specs.length} offered transports is unicast RTP/AVP over UDP or TCP`);
}

/** The client's interleaved pair if free, else the lowest free even pair (RFC 2326 §12.39). */
function assignChannels(requested: readonly [number, number] | undefined, used: Set<number>): readonly [number, number] {
  if (requested && !used.has(requested[0]) && !used.has(requested[1])) return requested;
  for (let ch = 0; ch < 255; ch += 2) if (!used.has(ch) && !used.has(ch + 1)) return [ch, ch + 1];
  throw new UnsupportedTransportError('no free interleaved channels');
}
