import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Request } from 'express';
import type { ServiceContext } from '@streamgate/platform';
import { SERVICE_CONTEXT } from '../common/service-context.token';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Always open, so probes and the docs work without a key. */
const OPEN_PATHS = [/^\/api\/health$/, /^\/api\/docs/, /^\/api\/openapi\.json$/, /^\/metrics$/];

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/**
 * Optional API key (API_KEY): required on every mutating route, and on reads too when
 * API_KEY_READS=true. Accepted as `Authorization: Bearer <key>` or `X-API-Key: <key>`.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(@Inject(SERVICE_CONTEXT) private readonly ctx: ServiceContext) {}

  canActivate(context: ExecutionContext): boolean {
    const key = this.ctx.config.API_KEY;
    if (!key) return true;
    const req = context.switchToHttp().getRequest<Request>();
    if (OPEN_PATHS.some((p) => p.test(req.path))) return true;
    if (READ_METHODS.has(req.method) && !this.ctx.config.API_KEY_READS) return true;
    const auth = req.headers.authorization;
    const header = req.headers['x-api-key'];
    const given = typeof header === 'string' ? header : auth?.startsWith('Bearer ') ? auth.slice(7).trim() : undefined;
    if (given === undefined) throw new UnauthorizedException('API key required: send Authorization: Bearer <key> or X-API-Key: <key>');
    if (!timingSafeEqual(digest(given), digest(key))) throw new UnauthorizedException('invalid API key');
    return true;
  }
}
