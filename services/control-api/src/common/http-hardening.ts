/**
 * What the control API's HTTP server does before any route runs:
 * - CSRF: a write (POST/PUT/PATCH/DELETE) from a browser page of another origin is refused
 *   (403) unless CORS_ORIGINS lists that origin; a write with a body must be
 *   `Content-Type: application/json` (415), which a cross-site form or no-cors fetch cannot
 *   send without a CORS preflight.
 * - Security headers on every response, and no `X-Powered-By` banner.
 * - A declared body above API_MAX_BODY_BYTES: 413 at once, connection closed.
 * Deadlines and per-address caps are libs/platform's limitHttpServer.
 */
import type { NextFunction, Request, Response } from 'express';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { GatewayConfig, SECURITY_HEADERS } from '@streamgate/platform';

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const STATUS_TEXT: Record<number, string> = { 403: 'Forbidden', 413: 'Payload Too Large', 415: 'Unsupported Media Type' };

function refuse(res: Response, status: number, message: string): void {
  res.status(status).json({ statusCode: status, error: STATUS_TEXT[status], message });
}

export function allowedOrigins(config: Pick<GatewayConfig, 'CORS_ORIGINS'>): string[] {
  return (config.CORS_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean);
}

export function hardenHttp(app: NestExpressApplication, config: GatewayConfig, secure: boolean): void {
  app.disable('x-powered-by');
  const origins = allowedOrigins(config);
  app.use((req: Request, res: Response, next: NextFunction) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    if (secure) res.setHeader('Strict-Transport-Security', 'max-age=31536000');
    // A declared body above the limit is answered at once and the connection closed: the body
    // parser would wait for the whole body to arrive before answering.
    if (Number(req.headers['content-length'] ?? 0) > config.API_MAX_BODY_BYTES) {
      res.setHeader('Connection', 'close');
      return refuse(res, 413, `request body too large (limit ${config.API_MAX_BODY_BYTES} bytes, API_MAX_BODY_BYTES)`);
    }
    if (!WRITE_METHODS.has(req.method)) return next();
    const origin = req.headers.origin;
    // Browsers send Origin on every cross-origin write (and "null" from sandboxed or opaque
    // contexts); without it, Fetch Metadata still tells a cross-site request apart.
    const crossSite = origin !== undefined
      ? origin !== `${secure ? 'https' : 'http'}://${req.headers.host ?? ''}` && !origins.includes('*') && !origins.includes(origin)
      : req.headers['sec-fetch-site'] === 'cross-site';
    if (crossSite) {
      return refuse(res, 403, 'cross-origin write refused: the Origin is neither this API nor listed in CORS_ORIGINS');
    }
    const type = req.headers['content-type'];
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if ((type !== undefined || hasBody) && !/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type ?? '')) {
      return refuse(res, 415, 'write requests need Content-Type: application/json');
    }
    next();
  });
}
