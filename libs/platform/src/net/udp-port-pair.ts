/**
 * The one binder of RTP/RTCP UDP socket pairs (RFC 3550 §11: RTP on an even port, RTCP on the
 * next odd one), for every side that needs one: ingest's camera sessions (announced as
 * client_port), egress's shared server pair (server_port) and the test readers. Both sockets
 * are bound before the ports are announced, so the ports we announce are ours.
 *
 * Candidates: a fixed even port; an inclusive range walked round-robin from `cursor` (a pair
 * just released may still receive the stale stream of a camera that missed our TEARDOWN); or
 * kernel-picked ports (a probe socket's port rounded down to even). RTCP is bound first and
 * exclusively, so a pair another process holds fails even when RTP may reuse its address.
 */
import { createSocket, Socket, SocketOptions, SocketType } from 'node:dgram';
import { isIPv6 } from 'node:net';

/** Name resolution of the sockets (egress answers IP literals at once). */
export type UdpLookup = NonNullable<SocketOptions['lookup']>;

export interface UdpPortPair {
  rtp: Socket;
  rtcp: Socket;
  rtpPort: number;
  rtcpPort: number;
  /** Closes both sockets (idempotent). */
  close(): Promise<void>;
}

export interface UdpPortPairOptions {
  /** Local address; IPv6 literals (and `::ffff:` mapped IPv4) pick the socket family. */
  host: string;
  /** A fixed even RTP port: only this pair is tried. */
  port?: number;
  /** Inclusive even-aligned range (see `parsePortRange`), tried round-robin from `cursor`. */
  range?: readonly [number, number];
  /** Where a range walk starts (index of a pair in the range). Default 0. */
  cursor?: number;
  /** SO_REUSEADDR on the RTP socket (egress opens per-reader connected sockets on it). */
  rtpReuseAddr?: boolean;
  lookup?: UdpLookup;
  /** Kernel-picked pairs: probes before giving up. Default 64. */
  attempts?: number;
}

export class UdpPortPairError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UdpPortPairError';
  }
}

/** Binds a pair; `index` is the range index of the pair bound (for the next cursor). */
export async function bindUdpPortPair(options: UdpPortPairOptions): Promise<UdpPortPair & { index: number }> {
  const plain = options.host.startsWith('::ffff:') ? options.host.slice(7) : options.host;
  const type: SocketType = isIPv6(plain) ? 'udp6' : 'udp4';
  const attempt = async (even: number): Promise<UdpPortPair | undefined> => {
    const r = await tryPair(type, plain, even, options);
    return r instanceof Error ? undefined : r;
  };
  if (options.port !== undefined && options.port !== 0) {
    if (options.port % 2 !== 0) throw new UdpPortPairError(`the RTP port must be even (RFC 3550 §11), got ${options.port}`);
    const r = await tryPair(type, plain, options.port, options);
    if (r instanceof Error) throw new UdpPortPairError(`UDP ports ${options.port}-${options.port + 1} on ${plain}: ${r.message}`);
    return { ...r, index: 0 };
  }
  if (options.range) {
    const [lo, hi] = options.range;
    const pairs = Math.floor((hi - lo + 1) / 2);
    for (let i = 0; i < pairs; i++) {
      const index = ((options.cursor ?? 0) + i) % pairs;
      const pair = await attempt(lo + 2 * index);
      if (pair) return { ...pair, index };
    }
    throw new UdpPortPairError(`no free UDP port pair in ${lo}-${hi}`);
  }
  const attempts = options.attempts ?? 64;
  for (let i = 0; i < attempts; i++) {
    const probe = await bindSocket(type, plain, 0, false, options.lookup);
    if (probe instanceof Error) continue;
    const even = probe.address().port & ~1;
    await closeSocket(probe);
    if (even === 0 || even + 1 > 65535) continue;
    const pair = await attempt(even);
    if (pair) return { ...pair, index: 0 };
  }
  throw new UdpPortPairError(`no free even/odd UDP port pair on ${plain} after ${attempts} attempts`);
}

/** Parses `20000-20999` into an even-aligned inclusive range; undefined for empty. */
export function parsePortRange(text: string | undefined): readonly [number, number] | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const m = /^\s*(\d{1,5})\s*-\s*(\d{1,5})\s*$/.exec(text);
  if (!m) throw new UdpPortPairError(`invalid port range ${JSON.stringify(text)} (expected e.g. 20000-20999)`);
  const lo = Number(m[1]);
  const hi = Number(m[2]);
  if (lo < 1024 || hi > 65535 || hi - lo < 1) throw new UdpPortPairError(`invalid port range ${lo}-${hi} (1024-65535, at least one pair)`);
  return [lo + (lo % 2), hi];
}

/** The pair, or the bind error (EADDRINUSE, EACCES, ...) of whichever socket failed. */
async function tryPair(type: SocketType, host: string, even: number, o: UdpPortPairOptions): Promise<UdpPortPair | Error> {
  const rtcp = await bindSocket(type, host, even + 1, false, o.lookup);
  if (rtcp instanceof Error) return rtcp;
  const rtp = await bindSocket(type, host, even, o.rtpReuseAddr ?? false, o.lookup);
  if (rtp instanceof Error) {
    await closeSocket(rtcp);
    return rtp;
  }
  return { rtp, rtcp, rtpPort: even, rtcpPort: even + 1, close: async () => void (await Promise.all([closeSocket(rtp), closeSocket(rtcp)])) };
}

function bindSocket(type: SocketType, host: string, port: number, reuseAddr: boolean, lookup?: UdpLookup): Promise<Socket | Error> {
  return new Promise((resolve) => {
    const socket = createSocket({ type, reuseAddr, ...(lookup ? { lookup } : {}) });
    const onError = (err: Error): void => {
      socket.close();
      resolve(err);
    };
    socket.once('error', onError);
    socket.bind(port, host, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch (err) {
      // ERR_SOCKET_DGRAM_NOT_RUNNING: already closed, which is what we wanted.
      if ((err as NodeJS.ErrnoException).code !== 'ERR_SOCKET_DGRAM_NOT_RUNNING') throw err;
      resolve();
    }
  });
}
