import { Socket, createSocket } from 'node:dgram';
import type { Logger } from '@streamgate/platform';

/**
 * The server's RTP/RTCP socket pair shared by every UDP reader (RFC 3550 §11: RTP on an even
 * port, RTCP on the next odd one). Readers are told `server_port=<rtp>-<rtcp>`; their
 * receiver reports arrive on the RTCP socket and keep their sessions alive.
 */
export class UdpPair {
  private constructor(
    private readonly rtp: Socket,
    private readonly rtcp: Socket,
    readonly rtpPort: number,
  ) {}

  get rtcpPort(): number {
    return this.rtpPort + 1;
  }

  /** Binds `port`/`port+1`; with port 0, finds a free even/odd pair. */
  static async bind(host: string, port: number, logger: Logger, attempts = 32): Promise<UdpPair> {
    const type = host.includes(':') ? 'udp6' : 'udp4';
    if (port !== 0) {
      if (port % 2 !== 0) throw new Error(`RTSP_UDP_RTP_PORT must be even (RFC 3550 §11), got ${port}`);
      const rtp = await bindSocket(type, host, port);
      const rtcp = await bindSocket(type, host, port + 1).catch(async (err: unknown) => {
        await closeSocket(rtp);
        throw err;
      });
      return UdpPair.wrap(rtp, rtcp, port, logger);
    }
    for (let i = 0; i < attempts; i++) {
      const first = await bindSocket(type, host, 0);
      const p = first.address().port;
      const even = p % 2 === 0;
      if (!even && p === 65535) {
        await closeSocket(first);
        continue;
      }
      const second = await bindSocket(type, host, even ? p + 1 : p - 1).catch(() => undefined);
      if (!second) {
        await closeSocket(first);
        continue;
      }
      return even ? UdpPair.wrap(first, second, p, logger) : UdpPair.wrap(second, first, p - 1, logger);
    }
    throw new Error(`no free UDP port pair after ${attempts} attempts`);
  }

  private static wrap(rtp: Socket, rtcp: Socket, port: number, logger: Logger): UdpPair {
    for (const s of [rtp, rtcp]) s.on('error', (err) => logger.warn({ err }, 'UDP socket error'));
    return new UdpPair(rtp, rtcp, port);
  }

  sendRtp(packet: Uint8Array, port: number, address: string): void {
    this.rtp.send(packet, port, address);
  }

  sendRtcp(packet: Uint8Array, port: number, address: string): void {
    this.rtcp.send(packet, port, address);
  }

  onRtcp(handler: (address: string, port: number, data: Uint8Array) => void): void {
    this.rtcp.on('message', (msg, rinfo) => handler(rinfo.address, rinfo.port, msg));
  }

  async close(): Promise<void> {
    await Promise.all([closeSocket(this.rtp), closeSocket(this.rtcp)]);
  }
}

function bindSocket(type: 'udp4' | 'udp6', host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type });
    socket.once('error', (err) => {
      socket.close();
      reject(err);
    });
    socket.bind(port, host, () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });
}

function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      // ERR_SOCKET_DGRAM_NOT_RUNNING: already closed, which is what we wanted.
      resolve();
    }
  });
}
