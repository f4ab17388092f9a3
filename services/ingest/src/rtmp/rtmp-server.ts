/**
 * The RTMP listener: accepts TCP connections, enforces connection-level limits (count,
 * handshake/connect timeout, idle timeout) and hands bytes to one RtmpSession per socket.
 */
import { randomUUID } from 'node:crypto';
import { AddressInfo, Server, Socket, createServer } from 'node:net';
import type { Logger } from '@streamgate/platform';
import type { PublishGate } from './publish-gate';
import { RtmpSession } from './rtmp-session';

export interface RtmpServerOptions {
  host: string;
  /** 0 picks an ephemeral port (tests). */
  port: number;
  gate: PublishGate;
  logger: Logger;
  maxConnections: number;
  maxMessageSize: number;
  /** Time allowed from accept to a completed connect command. Default 10 s. */
  handshakeTimeoutMs?: number;
  /** Time without any byte from the peer before the connection is dropped. Default 30 s. */
  idleTimeoutMs?: number;
  /** Outgoing chunk size. Default 4096. */
  chunkSize?: number;
}

/** How long a closing socket may take to flush before it is destroyed. */
const CLOSE_GRACE_MS = 2_000;

export class RtmpServer {
  private readonly server: Server;
  private readonly sockets = new Map<Socket, RtmpSession>();
  private readonly handshakeTimeoutMs: number;
  private readonly idleTimeoutMs: number;

  constructor(private readonly options: RtmpServerOptions) {
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
    this.server = createServer((socket) => this.accept(socket));
  }

  /** Listens; resolves with the bound port. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        this.server.on('error', (err) => this.options.logger.error({ err }, 'rtmp server error'));
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  /** Stops accepting, closes every session (ending their publications), resolves when closed. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const [socket, session] of this.sockets) {
      session.close('server shutting down');
      socket.destroy();
    }
    await closed;
  }

  private accept(socket: Socket): void {
    const log = this.options.logger;
    if (this.sockets.size >= this.options.maxConnections) {
      log.warn({ limit: this.options.maxConnections }, 'rtmp connection refused: too many connections');
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    let closeTimer: NodeJS.Timeout | undefined;
    const session = new RtmpSession({
      id: randomUUID(),
      gate: this.options.gate,
      logger: log,
      maxMessageSize: this.options.maxMessageSize,
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
    });
    this.sockets.set(socket, session);
    log.debug({ session: session.id, remote: socket.remoteAddress }, 'rtmp connection accepted');

    const handshakeTimer = setTimeout(() => {
      if (session.state === 'handshake' || session.state === 'connecting') session.close('handshake/connect timeout');
    }, this.handshakeTimeoutMs);
    handshakeTimer.unref();
    socket.setTimeout(this.idleTimeoutMs, () => session.close('idle timeout'));

    socket.on('data', (data: Buffer) => session.receive(data));
    socket.on('error', (err) => log.debug({ session: session.id, err: err.message }, 'rtmp socket error'));
    socket.on('close', () => {
      clearTimeout(handshakeTimer);
      clearTimeout(closeTimer);
      this.sockets.delete(socket);
      session.close('disconnected');
    });
  }
}
