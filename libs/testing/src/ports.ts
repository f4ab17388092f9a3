import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { bindUdpPortPair as bindPair, UdpPortPair } from '@streamgate/platform';

const LOOPBACK = '127.0.0.1';

/** Where `test/run.mjs` lets concurrently running test files claim TCP ports for the whole run. */
export const TEST_PORTS_ENV = 'STREAMGATE_TEST_PORTS';

/** Lowest port handed out; below it sit well-known services (PostgreSQL, Redis, NATS, …). */
const LOWEST_PORT = 10_000;

/** The kernel's ephemeral range: what it gives to sockets bound to port 0 and to outgoing connections. */
export function ephemeralPortRange(): { low: number; high: number } {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return { low, high };
  } catch {
    // not Linux: the IANA dynamic range
  }
  return { low: 49_152, high: 65_535 };
}

const claimedHere = new Set<number>();

/** Claims `port` for this run: exclusively across the run's test files when the runner set a claim directory. */
function claim(port: number): boolean {
  if (claimedHere.has(port)) return false;
  const dir = process.env[TEST_PORTS_ENV];
  if (dir) {
    try {
      closeSync(openSync(join(dir, String(port)), 'wx'));
    } catch {
      return false; // another test file holds it (or the directory is gone: treat as taken)
    }
  }
  claimedHere.add(port);
  return true;
}

function listens(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

function kernelPickedPort(host: string): Promise<number> {
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

/**
 * A TCP port for a test peer (a camera, a NATS or Redis server, an RTMP server) that is free now and
 * stays this caller's for the run, so a peer killed and restarted on it finds it free:
 *  - it lies below the kernel's ephemeral range, so no socket bound to port 0 (another file's
 *    gateway or camera) and no outgoing connection is given it meanwhile;
 *  - it is claimed (a file created exclusively in the runner's `STREAMGATE_TEST_PORTS` directory),
 *    so no concurrently running test file is handed it.
 * CI once showed both: a camera killed for a failover test came back to find its port taken by
 * another file's camera (bound to port 0), and another file's 100 pullers of a "dead" port that
 * was this camera's hammered it.
 */
export async function freeTcpPort(host = LOOPBACK): Promise<number> {
  const { low } = ephemeralPortRange();
  const span = low - LOWEST_PORT;
  if (span < 1_000) return kernelPickedPort(host);
  const start = Math.floor(Math.random() * span);
  for (let i = 0; i < span; i++) {
    const port = LOWEST_PORT + ((start + i) % span);
    if (!claim(port)) continue;
    if (await listens(port, host)) return port;
  }
  throw new Error(`no free TCP port in ${LOWEST_PORT}-${low - 1}`);
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
