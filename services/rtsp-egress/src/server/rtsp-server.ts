import { randomBytes } from 'node:crypto';
import { Server, Socket, createServer } from 'node:net';
import { StreamDescription, StreamEvent, Subjects, decodeJson, streamFromSubject } from '@streamgate/contracts';
import type { Bus, Logger, Subscription } from '@streamgate/platform';
import type { RtspRequest } from '@streamgate/protocol-rtsp';
import type { ReaderCloseReason } from '../fanout/fanout-reader';
import type { FanoutRegistry } from '../fanout/fanout-registry';
import { RtspSession } from '../session/rtsp-session';
import type { UdpPair } from '../transport/udp-pair';
import { RtspRequestHandler } from './request-handler';
import { HandlerResult, RequestDispatcher, RtspConnection, RtspConnectionOptions } from './rtsp-connection';
import { RtspStatusError } from './rtsp-errors';
import type { SessionDirectory } from './session-directory';

export interface RtspServerOptions {
  host: string;
  port: number;
  sessionTimeoutS: number;
  maxSessions: number;
  maxConnections: number;
  maxRequestBytes: number;
  readerQueueBytes: number;
  describeTimeoutMs: number;
  /** How often sessions are checked for expiry and status is written. */
  tickMs: number;
}

/** How long a TCP reader has to TEARDOWN after the source's BYE before we hang up. */
const SOURCE_STOPPED_GRACE_MS = 3000;

/**
 * The TCP listener, the table of connections and sessions, and the periodic work (session
 * expiry, sender reports, status). Request semantics live in RtspRequestHandler.
 */
export class RtspServer implements RequestDispatcher, SessionDirectory {
  private readonly server: Server;
  private readonly connections = new Set<RtspConnection>();
  private readonly sessions = new Map<string, RtspSession>();
  private readonly udpClients = new Map<string, RtspSession>();
  private readonly handler: RtspRequestHandler;
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
    this.handler = new RtspRequestHandler(bus, logger, this, registry, udp, {
      sessionTimeoutS: options.sessionTimeoutS, readerQueueBytes: options.readerQueueBytes, describeTimeoutMs: options.describeTimeoutMs,
    });
    this.connectionOptions = {
      maxHeadBytes: options.maxRequestBytes,
      maxBodyBytes: 64 * 1024,
      idleTimeoutMs: options.sessionTimeoutS * 1000,
      maxQueuedRequests: 16,
    };
    this.server = createServer((socket) => this.accept(socket));
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.server.on('error', (err) => this.logger.error({ err }, 'RTSP listener error'));
    this.udp.onRtcp((address, port) => this.udpClients.get(`${address}:${port}`)?.touch(Date.now()));
    this.events = this.bus.subscribe(Subjects.allStreamEvents, (msg) => this.onStreamEvent(msg.subject, msg.data));
    this.timer = setInterval(() => this.tick(), this.options.tickMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.events?.unsubscribe();
    this.registry.closeAll();
    for (const session of [...this.sessions.values()]) this.close(session, 'shutdown');
    for (const conn of this.connections) conn.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
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
    session.closed = true;
    this.sessions.delete(session.id);
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
    if (event.type !== 'source-stopped' || streamFromSubject(subject) !== event.stream) return;
    this.registry.closeStream(event.stream);
    // Sessions set up but not playing belong to the stopped publish too; a re-publish needs a new DESCRIBE.
    for (const session of [...this.sessions.values()]) {
      if (session.stream === event.stream && session.description.generation <= event.generation) this.close(session, 'source-stopped');
    }
  }

  private tick(): void {
    const now = Date.now();
    for (const conn of [...this.connections]) conn.checkIdle(now);
    const timeoutMs = this.options.sessionTimeoutS * 1000;
    for (const session of [...this.sessions.values()]) {
      if (session.expired(now, timeoutMs)) {
        this.logger.info({ stream: session.stream, transport: session.transport }, 'RTSP session timed out');
        this.close(session, 'timeout');
      }
    }
    this.registry.tick(now);
  }
}
