import { Socket, SocketOptions, SocketType, createSocket } from 'node:dgram';
import type { Logger } from '@streamgate/platform';
import type { RtpSender } from './rtp-sender';

export interface ConnectedRtpSenderOptions {
  type: SocketType;
  lookup?: SocketOptions['lookup'];
  /** The shared RTP socket's address and port, bound again here with SO_REUSEADDR. */
  localHost: string;
  localPort: number;
  /** The reader's address and RTP port (its `client_port`). */
  address: string;
  port: number;
  /** Takes over when the connected socket fails (the reader went away). */
  fallback: RtpSender;
  logger: Logger;
}

/**
 * RTP to one reader from its own UDP socket, bound to the server's shared RTP port
 * (SO_REUSEADDR) and connected to the reader's RTP port. The reader sees the same server port
 * as before, so SETUP's `server_port` does not change; its RTCP goes to the RTCP port, which
 * stays one shared socket, so receiver reports still keep the session alive.
 *
 * Why: on an unconnected socket Node resolves the address of every datagram (dns.lookup and a
 * nextTick before the send) and the kernel routes each one; on a connected socket `send` goes
 * straight to the system call and the route is cached. At ~420 datagrams per second per reader
 * that is most of the fan-out's own cost (docs/benchmarks.md, "RTSP fan-out").
 *
 * A connected socket hears ICMP port-unreachable when the reader's port closes, as a socket
 * error; the sender then hands over to `fallback` (the shared socket, which ignores those) for
 * the rest of the session instead of raising an error per datagram.
 */
export class ConnectedRtpSender implements RtpSender {
  private socket: Socket | undefined;

  private constructor(socket: Socket, private readonly fallback: RtpSender, private readonly logger: Logger) {
    this.socket = socket;
    socket.on('error', (err) => this.fail(err));
  }

  static open(options: ConnectedRtpSenderOptions): Promise<ConnectedRtpSender> {
    return new Promise((resolve, reject) => {
      const socket = createSocket({ type: options.type, reuseAddr: true, lookup: options.lookup });
      const onError = (err: Error): void => {
        socket.close();
        reject(err);
      };
      socket.once('error', onError);
      socket.bind(options.localPort, options.localHost, () => {
        socket.connect(options.port, options.address, () => {
          socket.off('error', onError);
          resolve(new ConnectedRtpSender(socket, options.fallback, options.logger));
        });
      });
    });
  }

  send(packet: Uint8Array): void {
    const socket = this.socket;
    if (socket) socket.send(packet);
    else this.fallback.send(packet);
  }

  close(): void {
    const socket = this.socket;
    this.socket = undefined;
    socket?.close();
  }

  private fail(err: Error): void {
    if (!this.socket) return;
    this.logger.debug({ err }, 'UDP reader unreachable on its connected socket; sending through the shared socket');
    this.close();
  }
}
