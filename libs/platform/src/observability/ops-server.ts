import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { HTTP_BASIC_CHALLENGE } from '../access/http-credentials';
import { SECURITY_HEADERS, limitHttpServer } from '../security/http-limits';

export interface OpsServerOptions {
  host: string;
  port: number;
  registry: Registry;
  /** Liveness: the process can do work (event loop turning). Default: always true. */
  live?: () => boolean;
  /** Readiness: dependencies reachable and the service started. */
  ready: () => Promise<{ ready: boolean; detail: Record<string, unknown> }>;
  /**
   * Access check for /metrics and /healthz (the `metrics` permission when users are
   * configured); /readyz stays open for the orchestrator's readiness probe. Default: open.
   */
  authorize?: (req: IncomingMessage) => Promise<{ allowed: true } | { allowed: false; status: 401 | 403 }>;
}

export interface OpsServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The operations endpoint every service runs on METRICS_PORT: `/metrics` (Prometheus text
 * format), `/healthz` (liveness) and `/readyz` (readiness, 503 until ready). Kubernetes
 * probes and the Docker HEALTHCHECK use it.
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if ((path === '/metrics' || path === '/healthz') && options.authorize) {
      const decision = await options.authorize(req);
      if (!decision.allowed) {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (decision.status === 401) headers['www-authenticate'] = HTTP_BASIC_CHALLENGE;
        res.writeHead(decision.status, headers).end(JSON.stringify({ error: decision.status === 401 ? 'authentication required' : 'forbidden' }));
        return;
      }
    }
    if (path === '/metrics') {
      const body = await options.registry.metrics();
      res.writeHead(200, { 'content-type': options.registry.contentType }).end(body);
    } else if (path === '/healthz') {
      const live = options.live?.() ?? true;
      res.writeHead(live ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: live ? 'ok' : 'unhealthy' }));
    } else if (path === '/readyz') {
      const { ready, detail } = await options.ready();
      res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: ready ? 'ready' : 'not ready', ...detail }));
    } else {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not found' }));
    }
  };
  const server: Server = createServer((req, res) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: (err as Error).message }));
    });
  });
  limitHttpServer(server, { maxConnectionsPerAddress: 32, headersTimeoutMs: 5_000, requestTimeoutMs: 10_000 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
