/**
 * Limits every HTTP server of the gateway applies (control API, ops endpoint, HLS): headers
 * and whole-request deadlines (a body that declares 1 GB and stalls is dropped), a cap on
 * connections per peer address, and the security headers of its responses.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { AddressLimiter } from './address-limiter';

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  // Framing is refused; pages served here (API docs, console) load only what their origin serves.
  'Content-Security-Policy': "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
};

export interface HttpLimits {
  maxConnectionsPerAddress: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** Told about each refused or dropped connection (for one log line). */
  onDropped?: (reason: 'per-address limit' | 'request deadline', remote: string | undefined) => void;
}

/**
 * Deadlines and the per-address connection cap on a listening node:http/https server. The
 * deadlines are timers of our own: node's headersTimeout/requestTimeout are only checked every
 * 30 s (connectionsCheckingInterval, fixed when the server is created, which frameworks do).
 */
export function limitHttpServer(server: Server, limits: HttpLimits): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  // Keep-alive connections wait for the next request this long, then close.
  server.keepAliveTimeout = 5000;
  const limiter = new AddressLimiter(limits.maxConnectionsPerAddress);
  const headerTimers = new WeakMap<Socket, NodeJS.Timeout>();
  // For HTTPS, 'connection' is the raw TCP socket, counted before the TLS handshake.
  server.on('connection', (socket: Socket) => {
    const release = limiter.acquire(socket.remoteAddress);
    if (!release) {
      limits.onDropped?.('per-address limit', socket.remoteAddress);
      socket.destroy();
      return;
    }
    // The first request's headers must arrive in time (a slowloris trickle does not reset this).
    const headers = setTimeout(() => socket.destroy(), limits.headersTimeoutMs);
    headers.unref();
    headerTimers.set(socket, headers);
    socket.once('close', () => {
      clearTimeout(headers);
      release();
    });
  });
  server.on('request', (req: IncomingMessage) => {
    const socket = req.socket;
    clearTimeout(headerTimers.get(socket));
    if (req.complete) return;
    // The whole body must arrive in time: a body that declares 1 GB and stalls is dropped.
    const deadline = setTimeout(() => {
      limits.onDropped?.('request deadline', socket.remoteAddress);
      socket.destroy();
    }, limits.requestTimeoutMs);
    deadline.unref();
    const done = (): void => clearTimeout(deadline);
    req.once('end', done);
    req.once('close', done);
  });
}
