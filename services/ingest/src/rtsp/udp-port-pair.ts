/**
 * Client RTP/RTCP socket pairs for UDP transport: RTP on an even port, RTCP on the next one
 * (RFC 3550 §11), both bound before SETUP so the ports we announce are ours. Ports come from
 * RTSP_CLIENT_UDP_PORT_RANGE when set (firewalls), else the kernel picks.
 */
import { Socket, SocketType, createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';

export interface UdpPortPair {
  rtp: Socket;
  rtcp: Socket;
  rtpPort: number;
  rtcpPort: number;
  close(): void;
}

/** Kernel-picked pairs: how many odd/taken probes we try before giving up. */
const EPHEMERAL_ATTEMPTS = 64;

function bindOne(type: SocketType, host: string, port: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket({ type, reuseAddr: false });
    const onError = (): void => {
      socket.close();
      resolve(undefined);
    };
    socket.once('error', onError);
    socket.bind(port, host, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

function closeQuietly(socket: Socket): void {
  try {
    socket.close();
  } catch (err) {
    // ERR_SOCKET_DGRAM_NOT_RUNNING: already closed, which is what we wanted.
    if ((err as NodeJS.ErrnoException).code !== 'ERR_SOCKET_DGRAM_NOT_RUNNING') throw err;
  }
}

/** Parses `20000-20999` into an even-aligned inclusive range; undefined for empty. */
export function parsePortRange(text: string | undefined): readonly [number, number] | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const m = /^\s*(\d{1,5})\s*-\s*(\d{1,5})\s*$/.exec(text);
  if (!m) throw new Error(`invalid port range ${JSON.stringify(text)} (expected e.g. 20000-20999)`);
  const lo = Number(m[1]);
  const hi = Number(m[2]);
  if (lo < 1024 || hi > 65535 || hi - lo < 1) throw new Error(`invalid port range ${lo}-${hi} (1024-65535, at least one pair)`);
  return [lo + (lo % 2), hi];
}

export class UdpPortPairAllocator {
  private cursor = 0;

  constructor(private readonly range?: readonly [number, number]) {}

  /** Binds a pair on `host` (the local address facing the camera). */
  async bind(host: string): Promise<UdpPortPair> {
    const plain = host.startsWith('::ffff:') ? host.slice(7) : host;
    const type: SocketType = isIPv6(plain) ? 'udp6' : 'udp4';
    const pair = this.range ? await this.fromRange(type, plain, this.range) : await this.ephemeral(type, plain);
    if (!pair) throw new Error(this.range ? `no free UDP port pair in ${this.range[0]}-${this.range[1]}` : 'no free UDP port pair');
    return pair;
  }

  private async tryPair(type: SocketType, host: string, even: number): Promise<UdpPortPair | undefined> {
    const rtp = await bindOne(type, host, even);
    if (!rtp) return undefined;
    const rtcp = await bindOne(type, host, even + 1);
    if (!rtcp) {
      closeQuietly(rtp);
      return undefined;
    }
    return {
      rtp, rtcp, rtpPort: even, rtcpPort: even + 1,
      close: () => {
        closeQuietly(rtp);
        closeQuietly(rtcp);
      },
    };
  }

  private async fromRange(type: SocketType, host: string, [lo, hi]: readonly [number, number]): Promise<UdpPortPair | undefined> {
    const pairs = Math.floor((hi - lo + 1) / 2);
    for (let i = 0; i < pairs; i++) {
      // Rotate through the range: a pair just released may still receive the stale stream of
      // a camera that missed our TEARDOWN.
      const even = lo + 2 * ((this.cursor + i) % pairs);
      const pair = await this.tryPair(type, host, even);
      if (pair) {
        this.cursor = (this.cursor + i + 1) % pairs;
        return pair;
      }
    }
    return undefined;
  }

  private async ephemeral(type: SocketType, host: string): Promise<UdpPortPair | undefined> {
    for (let i = 0; i < EPHEMERAL_ATTEMPTS; i++) {
      const probe = await bindOne(type, host, 0);
      if (!probe) continue;
      const even = probe.address().port & ~1;
      closeQuietly(probe);
      if (even === 0 || even + 1 > 65535) continue;
      const pair = await this.tryPair(type, host, even);
      if (pair) return pair;
    }
    return undefined;
  }
}
