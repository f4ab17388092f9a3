import { randomBytes } from 'node:crypto';
import { Server, Socket, createServer } from 'node:net';
import { StreamDescription, StreamEvent, Subjects, decodeJson, streamFromSubject } from '@streamgate/contracts';
import { AccessControl, AddressLimiter, Bus, DemandKeeper, Logger, Subscription, TlsCredentials } from '@streamgate/platform';
import type { RtspRequest } from '@streamgate/protocol-rtsp';
import type { ReaderCloseReason } from '../fanout/fanout-reader';
import type { FanoutRegistry } from '../fanout/fanout-registry';
import { RtspSession } from '../session/rtsp-session';
import type { UdpPair } from '../transport/udp-pair';
import { RtspRequestHandler } from './request-handler';
import { RtspAuthenticator } from './rtsp-authenticator';
import { HandlerResult, RequestDispatcher, RtspConnection, RtspConnectionOptions } from './rtsp-connection';
import { RtspStatusError } from './rtsp-errors';
import { SourceOutages, sameCodecs } from './source-outages';
import { describeStream } from './stream-describer';
import type { SessionDirectory } from './session-directory';

export interface RtspServerOptions {
  host: string;
  port: number;
  sessionTimeoutS: number;
  maxSessions: number;
  maxConnections: number;
  /** Connections one peer address may hold (RTSP and RTSPS together). */
  maxConnectionsPerAddress: number;
  /** Time to complete a started request, and between requests of a connection without a session. */
  requestTimeoutMs: number;
  maxRequestBytes: number;
  /** RTSPS (RTSP over TLS, interleaved RTP inside it): the certificate and the port (0 = ephemeral). */
  tls?: { credentials: TlsCredentials; port: number };
  readerQueueBytes: number;
  describeTimeoutMs: number;
  /** How often sessions are checked for expiry and status is written. */
  tickMs: number;
  access: AccessControl;
  /** RTSP_AUTH_METHODS: `digest,basic`, `basic` or `digest`. */
  authMethods: string;
  /** SOURCE_TIMEOUT: how long readers stay while their source is down, ms (0: they end at once). */
  sourceTimeoutMs?: number;
}

/** How long a TCP reader has to TEARDOWN after the source's BYE before we hang up. */
const SOURCE_STOPPED_GRACE_MS = 3000;

/**
 * The TCP listener, the table of connections and sessions, and the periodic work (session
 * expiry, sender reports, status). Request semantics live in RtspRequestHandler.
 */
export class RtspServer implements RequestDispatcher, SessionDirectory {
  private readonly server: Server;
  private readonly tlsServer: Server | undefined;
  private readonly perAddress: AddressLimiter;
  private readonly connections = new Set<RtspConnection>();
  private readonly sessions = new Map<string, RtspSession>();
  private readonly udpClients = new Map<string, RtspSession>();
  private readonly handler: RtspRequestHandler;
  private readonly outages: SourceOutages;
  private readonly demand: DemandKeeper;
  private readonly connectionOptions: RtspConnectionOptions;
  private events: Subscription | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly bus: Bus,
    private readonly logger: Logger,
    private readonly registry: FanoutRegistry,
    private readonly udp: UdpPair,
    private readonly options: RtspServerOptions,
  ) {
    this.demand = new DemandKeeper(bus, 'rtsp');
    this.outages = new SourceOutages(options.sourceTimeoutMs ?? 0, (stream, generation, source) => {
      this.logger.info({ stream, timeoutMs: options.sourceTimeoutMs }, 'source did not come back: ending its readers');
      this.endStream(stream, generation, source);
    });
    this.handler = new RtspRequestHandler(bus, logger, this, registry, udp, {
      sessionTimeoutS: options.sessionTimeoutS, readerQueueBytes: options.readerQueueBytes, describeTimeoutMs: options.describeTimeoutMs,
      outages: this.outages,
    }, new RtspAuthenticator(options.access, options.authMethods));
    this.connectionOptions = {
      maxHeadBytes: options.maxRequestBytes,
      maxBodyBytes: 64 * 1024,
      idleTimeoutMs: options.sessionTimeoutS * 1000,
      requestTimeoutMs: options.requestTimeoutMs,
      maxQueuedRequests: 16,
    };
    this.perAddress = new AddressLimiter(options.maxConnectionsPerAddress);
    this.server = createServer((socket) => this.accept(socket));
    this.tlsServer = options.tls?.credentials.createTlsServer((socket) => this.accept(socket), options.requestTimeoutMs);
    this.tlsServer?.on('tlsClientError', (err) => this.logger.debug({ reason: err.message }, 'RTSPS handshake failed'));
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  /** The RTSPS port, when TLS is configured. */
  get tlsPort(): number | undefined {
    const address = this.tlsServer?.address();
    return typeof address === 'object' && address ? address.port : undefined;
  }

  async start(): Promise<void> {
    for (const [server, port] of [[this.server, this.options.port], [this.tlsServer, this.options.tls?.port ?? 0]] as const) {
      if (!server) continue;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, this.options.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', (err) => this.logger.error({ err }, 'RTSP listener error'));
    }
    this.udp.onRtcp((address, port) => this.udpClients.get(`${address}:${port}`)?.touch(Date.now()));
    this.events = this.bus.subscribe(Subjects.allStreamEvents, (msg) => this.onStreamEvent(msg.subject, msg.data));
    this.timer = setInterval(() => this.tick(), this.options.tickMs);
  }

  /**
   * A rolling update: refuse new connections, tell every reader the stream ends here (RTCP BYE
   * on each track, RFC 3550 §6.6: ffmpeg, GStreamer and VLC answer with TEARDOWN and reconnect
   * to another pod), and wait up to `timeoutMs` for their connections to close. `stop()` then
   * closes whatever is left.
   */
  async drain(timeoutMs: number): Promise<void> {
    // Stop accepting (RTSP and RTSPS); connections already open stay until they leave.
    for (const listener of [this.server, this.tlsServer]) if (listener?.listening) listener.close();
    this.logger.info({ readers: this.sessions.size, connections: this.connections.size, timeoutMs }, 'draining RTSP readers');
    this.registry.closeAll();
    const deadline = Date.now() + timeoutMs;
    while (this.connections.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    this.logger.info({ left: this.connections.size }, 'drain finished');
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.outages.close();
    this.events?.unsubscribe();
    this.registry.closeAll();
    for (const session of [...this.sessions.values()]) this.close(session, 'shutdown');
    for (const conn of this.connections) conn.destroy();
    await Promise.all([this.server, this.tlsServer].filter((s): s is Server => s?.listening === true)
      .map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  // RequestDispatcher

  handle(connection: RtspConnection, request: RtspRequest): Promise<HandlerResult> {
    return this.handler.handle(connection, request);
  }

  onInterleaved(connection: RtspConnection, channel: number): void {
    // RTCP receiver reports arrive on the odd channel of each pair and keep the session alive.
    if (channel % 2 !== 1) return;
    const now = Date.now();
    for (const session of this.sessions.values()) if (session.owner === connection) session.touch(now);
  }

  onIdle(connection: RtspConnection): void {
    // Sessions expire on their own schedule; only a connection that owns none is idle.
    for (const session of this.sessions.values()) if (session.owner === connection) return;
    this.logger.debug({ connection: connection.id }, 'closing idle RTSP connection');
    connection.destroy();
  }

  onClosed(connection: RtspConnection): void {
    this.connections.delete(connection);
    // RTP over TCP cannot outlive its connection; UDP sessions live on until TEARDOWN or expiry.
    for (const session of [...this.sessions.values()]) {
      if (session.owner === connection && session.transport !== 'udp') this.close(session, 'connection-closed');
    }
  }

  // SessionDirectory

  get(id: string): RtspSession | undefined {
    return this.sessions.get(id);
  }

  create(stream: string, description: StreamDescription, connection: RtspConnection): RtspSession {
    if (this.sessions.size >= this.options.maxSessions) {
      throw new RtspStatusError(503, `session limit of ${this.options.maxSessions} reached`);
    }
    let id: string;
    do id = randomBytes(8).toString('hex').toUpperCase();
    while (this.sessions.has(id));
    const session = new RtspSession(id, stream, description, connection, connection.remoteAddress, Date.now());
    this.sessions.set(id, session);
    return session;
  }

  indexUdpClient(session: RtspSession, rtcpPort: number): void {
    this.udpClients.set(`${session.clientAddress}:${rtcpPort}`, session);
  }

  close(session: RtspSession, reason: ReaderCloseReason): void {
    if (reason === 'source-stopped') {
      this.end(session);
      return;
    }
    if (session.closed) return;
    const wasReading = session.state === 'playing' || session.ended;
    session.closed = true;
    this.sessions.delete(session.id);
    if (wasReading) this.logger.info({ stream: session.stream, transport: session.transport, remote: session.clientAddress, session: session.id, reason }, 'RTSP reader left');
    for (const track of session.tracks.values()) {
      const key = track.clientPorts ? `${session.clientAddress}:${track.clientPorts[1]}` : undefined;
      if (key !== undefined && this.udpClients.get(key) === session) this.udpClients.delete(key);
    }
    if (session.fanout && session.reader) this.registry.removeReader(session.fanout, session.reader);
    session.reader = undefined;
    session.fanout = undefined;
    session.releaseTransport();
    if (session.transport !== 'tcp' || reason === 'teardown' || reason === 'connection-closed') return;
    // A slow reader's queue is full: ending would wait behind it, so cut it off.
    if (reason === 'slow') session.owner.destroy();
    else session.owner.end();
  }

  /**
   * Source stopped: the fanout already sent SR + BYE. The session stays until the reader tears
   * it down or it times out; a TCP reader that ignores the BYE is disconnected after a grace.
   */
  private end(session: RtspSession): void {
    if (session.closed || session.ended) return;
    session.ended = true;
    if (session.state === 'playing') session.state = 'ready';
    if (session.fanout && session.reader) this.registry.removeReader(session.fanout, session.reader);
    session.reader = undefined;
    session.fanout = undefined;
    if (session.transport !== 'tcp') return;
    setTimeout(() => {
      if (!session.closed) session.owner.end();
    }, SOURCE_STOPPED_GRACE_MS).unref();
  }

  private accept(socket: Socket): void {
    if (this.connections.size >= this.options.maxConnections) {
      this.logger.warn({ limit: this.options.maxConnections }, 'refusing RTSP connection: limit reached');
      socket.destroy();
      return;
    }
    const release = this.perAddress.acquire(socket.remoteAddress);
    if (!release) {
      this.logger.warn({ remote: socket.remoteAddress, limit: this.perAddress.maxPerAddress }, 'refusing RTSP connection: too many from this address');
      socket.destroy();
      return;
    }
    socket.once('close', release);
    this.connections.add(new RtspConnection(socket, this, this.logger, this.connectionOptions));
  }

  private onStreamEvent(subject: string, data: Uint8Array): void {
    let event: StreamEvent;
    try {
      event = decodeJson(StreamEvent, subject, data);
    } catch (err) {
      this.logger.warn({ err, subject }, 'ignoring invalid stream event');
      return;
    }
    if (streamFromSubject(subject) !== event.stream) return;
    if (event.type === 'source-stopped') {
      // Readers stay and resume at the next keyframe, unless it stays away (SourceOutages).
      if (this.outages.stopped(event.stream, event.generation, event.source)) this.registry.sourceDown(event.stream);
      else this.endStream(event.stream, event.generation, event.source);
      return;
    }
    if (this.outages.started(event.stream)) void this.checkCodecs(event.stream, event.generation);
  }

  /** The source came back: readers set up for another codec end now (parameter sets may change in-band). */
  private async checkCodecs(stream: string, generation: number): Promise<void> {
    const old = [...this.sessions.values()].find((s) => s.stream === stream && s.description.generation < generation)?.description;
    if (!old) return;
    let now: StreamDescription;
    try {
      now = await describeStream(this.bus, stream, this.options.describeTimeoutMs);
    } catch (err) {
      this.logger.warn({ err, stream }, 'source back but not describable; its readers wait for SOURCE_TIMEOUT');
      this.outages.stopped(stream, generation, 'unknown');
      return;
    }
    if (sameCodecs(old, now)) return;
    this.logger.info({ stream }, 'source came back with other codecs: ending its readers');
    this.endStream(stream, generation - 1, 'unknown');
  }

  /** The stream's readers get SR + BYE and their sessions end (older than `generation` included). */
  private endStream(stream: string, generation: number, source: string): void {
    this.registry.closeStream(stream, source === 'rtmp');
    // Sessions set up but not playing belong to the stopped publish too; a re-publish needs a new DESCRIBE.
    for (const session of [...this.sessions.values()]) {
      if (session.stream === stream && session.description.generation <= generation) this.close(session, 'source-stopped');
    }
  }

  private tick(): void {
    const now = Date.now();
    const owners = new Set<unknown>();
    for (const session of this.sessions.values()) owners.add(session.owner);
    for (const conn of [...this.connections]) conn.checkIdle(now, owners.has(conn));
    const timeoutMs = this.options.sessionTimeoutS * 1000;
    for (const session of [...this.sessions.values()]) {
      if (session.expired(now, timeoutMs)) {
        this.logger.info({ stream: session.stream, transport: session.transport }, 'RTSP session timed out');
        this.close(session, 'timeout');
      }
    }
    this.registry.tick(now);
    // On-demand cameras stay pulled while a session (set up or playing) needs them.
    this.demand.keep([...this.sessions.values()].filter((s) => !s.closed && !s.ended).map((s) => s.stream), now);
  }
}
