import { createServer } from 'node:net';
import { bindUdpPortPair as bindPair, UdpPortPair } from '@streamgate/platform';

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

/** An RTP/RTCP pair bound by the platform's one binder (even RTP, odd RTCP; RFC 3550 §11). */
export type UdpSocketPair = UdpPortPair;

/** The sockets stay bound, so a reader can use them without racing anyone for the ports. */
export function bindUdpPortPair(host = LOOPBACK, attempts = 64): Promise<UdpSocketPair> {
  return bindPair({ host, attempts });
}

/** Port numbers of a UDP pair (even RTP, odd RTCP) that were both free a moment ago. */
export async function freeUdpPortPair(host = LOOPBACK): Promise<{ rtp: number; rtcp: number }> {
  const pair = await bindUdpPortPair(host);
  await pair.close();
  return { rtp: pair.rtpPort, rtcp: pair.rtcpPort };
}
