import { AddressInfo, Socket, connect, createServer } from 'node:net';

export interface TcpRelay {
  /** Where clients connect (127.0.0.1). */
  readonly port: number;
  /** Connections relayed so far. */
  connections(): number;
  /**
   * A network drop: every relayed connection is reset at once, and connections made in the next
   * `downMs` are reset as they arrive (a camera whose link flaps, seen from the gateway).
   */
  cut(downMs: number): void;
  close(): Promise<void>;
}

export interface TcpRelayOptions {
  /**
   * Rewrites what the server sends, per connection (a fresh function for each): e.g. an
   * InterleavedDisorder's `push`. Default: the server's own bytes, untouched.
   */
  fromServer?: () => (chunk: Buffer) => Buffer[];
}

/**
 * A loopback TCP relay in front of a real server (an RTSP camera), for fault injection: what
 * goes through it is the server's own bytes (unless `fromServer` rewrites them). UDP is not
 * relayed: pull over TCP.
 */
export async function startTcpRelay(targetPort: number, targetHost = '127.0.0.1', options: TcpRelayOptions = {}): Promise<TcpRelay> {
  const pairs = new Set<[Socket, Socket]>();
  let downUntil = 0;
  let relayed = 0;
  const server = createServer((client) => {
    if (Date.now() < downUntil) {
      client.resetAndDestroy();
      return;
    }
    relayed++;
    const upstream = connect(targetPort, targetHost);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const s of pair) {
      s.on('error', end);
      s.on('close', end);
    }
    client.pipe(upstream);
    const rewrite = options.fromServer?.();
    if (rewrite) upstream.on('data', (chunk: Buffer) => {
      for (const b of rewrite(chunk)) client.write(b);
    });
    else upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => relayed,
    cut: (downMs) => {
      downUntil = Date.now() + downMs;
      for (const [client, upstream] of [...pairs]) {
        client.resetAndDestroy();
        upstream.resetAndDestroy();
      }
      pairs.clear();
    },
    close: () => {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
