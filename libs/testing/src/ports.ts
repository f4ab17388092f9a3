import { createServer } from 'node:net';
import { createSocket, Socket } from 'node:dgram';

const LOOPBACK = '127.0.0.1';

/** A TCP port that was free a moment ago (the kernel picks it; we release it at once). */
export function freeTcpPort(host = LOOPBACK): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not read the bound TCP port'))));
    });
  });
}

export interface UdpSocketPair {
  rtp: Socket;
  rtcp: Socket;
  rtpPort: number;
  rtcpPort: number;
}

function bindUdp(port: number, host: string): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(undefined);
    });
    socket.bind(port, host, () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });
}

/**
 * Binds an RTP/RTCP socket pair: RTP on an even port, RTCP on the next one (RFC 3550 §11).
 * The sockets stay bound, so a reader can use them without racing anyone for the ports.
 */
export async function bindUdpPortPair(host = LOOPBACK, attempts = 64): Promise<UdpSocketPair> {
  for (let i = 0; i < attempts; i++) {
    const probe = await bindUdp(0, host);
    if (!probe) continue;
    const even = probe.address().port & ~1;
    probe.close();
    if (even === 0) continue;
    const rtp = await bindUdp(even, host);
    if (!rtp) continue;
    const rtcp = await bindUdp(even + 1, host);
    if (!rtcp) {
      rtp.close();
      continue;
    }
    return { rtp, rtcp, rtpPort: even, rtcpPort: even + 1 };
  }
  throw new Error(`no free even/odd UDP port pair on ${host} after ${attempts} attempts`);
}

/** Port numbers of a UDP pair (even RTP, odd RTCP) that were both free a moment ago. */
export async function freeUdpPortPair(host = LOOPBACK): Promise<{ rtp: number; rtcp: number }> {
  const pair = await bindUdpPortPair(host);
  await Promise.all([pair.rtp, pair.rtcp].map((s) => new Promise<void>((r) => s.close(() => r()))));
  return { rtp: pair.rtpPort, rtcp: pair.rtcpPort };
}
