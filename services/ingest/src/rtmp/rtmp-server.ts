/**
 * The RTMP listeners (RTMP, and RTMPS when a certificate is configured): accept connections,
 * enforce connection-level limits (count, count per peer address, time to an accepted publish,
 * idle timeout) and hand bytes to one RtmpSession per socket.
 */
import { randomUUID } from 'node:crypto';
import { AddressInfo, Server, Socket, createServer } from 'node:net';
import { AddressLimiter, Logger, TlsCredentials } from '@streamgate/platform';
import type { PublishGate } from './publish-gate';
import { RtmpSession } from './rtmp-session';

export interface RtmpServerOptions {
  host: string;
  /** 0 picks an ephemeral port (tests). */
  port: number;
  gate: PublishGate;
  logger: Logger;
  maxConnections: number;
  /** Connections one peer address may hold (RTMP and RTMPS together). */
  maxConnectionsPerAddress: number;
  maxMessageSize: number;
  /** Largest message before a publish is accepted. Default 64 KiB. */
  preauthMaxMessageSize?: number;
  /** Time allowed from accept to an accepted publish. Default 10 s. */
  handshakeTimeoutMs?: number;
  /** RTMPS: the certificate, and the port (0 = ephemeral). */
  tls?: { credentials: TlsCredentials; host: string; port: number };
  /** Time without any byte from the peer before the connection is dropped. Default 30 s. */
  idleTimeoutMs?: number;
  /** Outgoing chunk size. Default 4096. */
  chunkSize?: number;
}

/** How long a closing socket may take to flush before it is destroyed. */
const CLOSE_GRACE_MS = 2_000;

export class RtmpServer {
  private readonly server: Server;
  private readonly tlsServer: Server | undefined;
  private readonly sockets = new Map<Socket, RtmpSession>();
  private readonly perAddress: AddressLimiter;
  private readonly handshakeTimeoutMs: number;
  private readonly idleTimeoutMs: number;

  constructor(private readonly options: RtmpServerOptions) {
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
    this.perAddress = new AddressLimiter(options.maxConnectionsPerAddress);
    this.server = createServer((socket) => this.accept(socket));
    this.tlsServer = options.tls?.credentials.createTlsServer((socket) => this.accept(socket), this.handshakeTimeoutMs);
    this.tlsServer?.on('tlsClientError', (err) => this.options.logger.debug({ reason: err.message }, 'rtmps handshake failed'));
  }

  /** Listens (RTMP, and RTMPS when configured); resolves with the bound ports. */
  async listen(): Promise<{ port: number; tlsPort: number | undefined }> {
    const port = await listenOn(this.server, this.options.port, this.options.host, this.options.logger);
    const tls = this.options.tls;
    const tlsPort = this.tlsServer && tls ? await listenOn(this.tlsServer, tls.port, tls.host, this.options.logger) : undefined;
    return { port, tlsPort };
  }

  /** Stops accepting, closes every session (ending their publications), resolves when closed. */
  async close(): Promise<void> {
    const closed = [this.server, this.tlsServer].filter((s): s is Server => s?.listening === true)
      .map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    for (const [socket, session] of this.sockets) {
      session.close('server shutting down');
      socket.destroy();
    }
    await Promise.all(closed);
  }

  private accept(socket: Socket): void {
    const log = this.options.logger;
    if (this.sockets.size >= this.options.maxConnections) {
      log.warn({ limit: this.options.maxConnections }, 'rtmp connection refused: too many connections');
      socket.destroy();
      return;
    }
    const release = this.perAddress.acquire(socket.remoteAddress);
    if (!release) {
      log.warn({ remote: socket.remoteAddress, limit: this.perAddress.maxPerAddress }, 'rtmp connection refused: too many connections from this address');
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    let closeTimer: NodeJS.Timeout | undefined;
    // Every line of the session names the publisher's address (never its stream key's secrets:
    // the key is the stream name, and query strings are not logged).
    const remote = `${(socket.remoteAddress ?? '').replace(/^::ffff:/, '')}:${socket.remotePort ?? 0}`;
    const session = new RtmpSession({
      id: randomUUID(),
      gate: this.options.gate,
      logger: log.child({ remote }),
      maxMessageSize: this.options.maxMessageSize,
      preauthMaxMessageSize: this.options.preauthMaxMessageSize,
      chunkSize: this.options.chunkSize,
      transport: {
        write: (bytes) => {
          if (!socket.destroyed) socket.write(bytes);
        },
        end: () => {
          if (socket.destroyed) return;
          socket.end();
          closeTimer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
          closeTimer.unref();
        },
        pause: () => socket.pause(),
        resume: () => socket.resume(),
      },
      onClosed: () => clearTimeout(handshakeTimer),
      remoteAddress: (socket.remoteAddress ?? '').replace(/^::ffff:/, ''),
    });
    this.sockets.set(socket, session);
    log.debug({ session: session.id, remote }, 'rtmp connection accepted');

    // Until a publish is accepted the peer holds a slot without having been let in: bounded.
    const handshakeTimer = setTimeout(() => {
      if (session.state === 'handshake' || session.state === 'connecting') session.close('handshake/connect timeout');
      else if (session.state === 'connected') session.close('no accepted publish in time');
    }, this.handshakeTimeoutMs);
    handshakeTimer.unref();
    socket.setTimeout(this.idleTimeoutMs, () => session.close('idle timeout'));

    socket.on('data', (data: Buffer) => session.receive(data));
    socket.on('error', (err) => log.debug({ session: session.id, err: err.message }, 'rtmp socket error'));
    socket.on('close', () => {
      clearTimeout(handshakeTimer);
      clearTimeout(closeTimer);
      release();
      this.sockets.delete(socket);
      session.close('disconnected');
    });
  }
}

function listenOn(server: Server, port: number, host: string, logger: Logger): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      server.on('error', (err) => logger.error({ err }, 'rtmp server error'));
      resolve((server.address() as AddressInfo).port);
    });
  });
}
