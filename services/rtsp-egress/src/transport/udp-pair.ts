import { Socket, SocketType } from 'node:dgram';
import { LookupOneOptions, lookup as dnsLookup } from 'node:dns';
import { isIP } from 'node:net';
import { bindUdpPortPair, Logger, UdpPortPairError } from '@streamgate/platform';
import { ConnectedRtpSender } from './connected-rtp-sender';
import type { RtpSender } from './rtp-sender';
import { UdpDestination, UdpFanout, UdpFanoutOptions } from './udp-fanout';

/**
 * The server's RTP/RTCP port pair shared by every UDP reader (RFC 3550 §11: RTP on an even
 * port, RTCP on the next odd one). Readers are told `server_port=<rtp>-<rtcp>`; their
 * receiver reports arrive on the RTCP socket and keep their sessions alive. RTP goes out in
 * batches for all readers from the native sender (`fanout`, a second socket on the RTP port)
 * or, without it, through one connected socket per reader and track on the RTP port
 * (`rtpSenderTo`). The RTP socket is bound with SO_REUSEADDR for those; the RTCP socket is not,
 * so another process holding the pair still makes the bind fail.
 */
export class UdpPair {
  /** Batched sends to every UDP reader, when the native module is there. */
  readonly fanout: UdpFanout | undefined;

  private constructor(
    private readonly rtp: Socket,
    private readonly rtcp: Socket,
    readonly rtpPort: number,
    private readonly type: SocketType,
    private readonly host: string,
    private readonly logger: Logger,
    fanoutOptions: UdpFanoutOptions,
  ) {
    this.fanout = UdpFanout.open(type, host, rtpPort, rtp, logger, fanoutOptions);
  }

  get rtcpPort(): number {
    return this.rtpPort + 1;
  }

  /** Binds `port`/`port+1`; with port 0, finds a free even/odd pair (`attempts` tries). */
  static async bind(host: string, port: number, logger: Logger, fanoutOptions: UdpFanoutOptions = {}, attempts = 32): Promise<UdpPair> {
    const type = host.includes(':') ? 'udp6' : 'udp4';
    let pair;
    try {
      pair = await bindUdpPortPair({ host, port, rtpReuseAddr: true, lookup: literalLookup, attempts });
    } catch (err) {
      if (err instanceof UdpPortPairError && port !== 0) throw new Error(`RTSP_UDP_RTP_PORT: ${err.message}`);
      throw err;
    }
    return UdpPair.wrap(pair.rtp, pair.rtcp, pair.rtpPort, type, host, logger, fanoutOptions);
  }

  private static wrap(
    rtp: Socket, rtcp: Socket, port: number, type: SocketType, host: string, logger: Logger, fanoutOptions: UdpFanoutOptions,
  ): UdpPair {
    for (const s of [rtp, rtcp]) s.on('error', (err) => logger.warn({ err }, 'UDP socket error'));
    return new UdpPair(rtp, rtcp, port, type, host, logger, fanoutOptions);
  }

  /**
   * RTP to one reader's `port`: a destination of the batched sender; without that, its own
   * connected socket on the shared RTP port, or, if that socket cannot be had (out of
   * descriptors, say), the shared socket itself. Close it when the session ends.
   */
  async rtpSenderTo(address: string, port: number): Promise<RtpSender> {
    const destination = this.fanout?.destination(address, port);
    const shared = new SharedRtpSender(this.rtp, address, port, destination);
    if (destination) return shared;
    try {
      return await ConnectedRtpSender.open({
        type: this.type, lookup: literalLookup, localHost: this.host, localPort: this.rtpPort, address, port, fallback: shared, logger: this.logger,
      });
    } catch (err) {
      this.logger.warn({ err }, 'no connected UDP socket for a reader; sending through the shared socket');
      return shared;
    }
  }

  sendRtcp(packet: Uint8Array, port: number, address: string): void {
    this.rtcp.send(packet, port, address);
  }

  onRtcp(handler: (address: string, port: number, data: Uint8Array) => void): void {
    this.rtcp.on('message', (msg, rinfo) => handler(rinfo.address, rinfo.port, msg));
  }

  async close(): Promise<void> {
    this.fanout?.close();
    await Promise.all([closeSocket(this.rtp), closeSocket(this.rtcp)]);
  }
}

/** Datagrams to one reader through the shared RTP socket (or the batched sender, by `destination`). */
class SharedRtpSender implements RtpSender {
  constructor(
    private readonly socket: Socket,
    private readonly address: string,
    private readonly port: number,
    readonly destination?: UdpDestination,
  ) {}

  send(packet: Uint8Array): void {
    this.socket.send(packet, this.port, this.address);
  }

  close(): void {
    // The shared socket belongs to the pair.
  }
}

/**
 * Readers' addresses are the IP literals their connections came from: answer at once instead
 * of going through dns.lookup and a nextTick for every datagram.
 */
function literalLookup(
  hostname: string, options: LookupOneOptions, callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const family = isIP(hostname);
  if (family !== 0) callback(null, hostname, family);
  else dnsLookup(hostname, options, callback);
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
