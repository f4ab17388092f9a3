import { CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { HTTP_BASIC_CHALLENGE, ServiceContext, httpCredentials, peerAddress } from '@streamgate/platform';
import { SERVICE_CONTEXT } from '../common/service-context.token';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Always open, so probes, the docs and the console's sign-in work without a key. */
const OPEN_PATHS = [/^\/api\/health$/, /^\/api\/docs/, /^\/api\/openapi\.json$/, /^\/metrics$/, /^\/api\/session$/];

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/**
 * Who may use the control API.
 * - No users configured (the open default): the optional API key as before — API_KEY required
 *   on every mutating route, and on reads too when API_KEY_READS=true, as
 *   `Authorization: Bearer <key>` or `X-API-Key: <key>`.
 * - Users configured (or AUTH_HTTP_URL / AUTH_JWT_JWKS_URL): every route but health, docs and
 *   sign-in needs the `api` permission, by Basic (a user), Bearer (a JWT) or the web console's
 *   session cookie; the API key stays a shortcut that grants `api`.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(@Inject(SERVICE_CONTEXT) private readonly ctx: ServiceContext) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    if (OPEN_PATHS.some((p) => p.test(req.path))) return true;
    const key = this.ctx.config.API_KEY;
    const header = req.headers['x-api-key'];
    const creds = httpCredentials(req.headers);
    const givenKey = typeof header === 'string' ? header : creds.token;
    if (!this.ctx.access.restricted) {
      if (!key) return true;
      if (READ_METHODS.has(req.method) && !this.ctx.config.API_KEY_READS) return true;
      if (givenKey === undefined) throw new UnauthorizedException('API key required: send Authorization: Bearer <key> or X-API-Key: <key>');
      if (!timingSafeEqual(digest(givenKey), digest(key))) throw new UnauthorizedException('invalid API key');
      return true;
    }
    const ip = peerAddress(req.socket.remoteAddress);
    if (key && givenKey !== undefined && timingSafeEqual(digest(givenKey), digest(key))) return true;
    if (typeof header === 'string') {
      this.ctx.access.recordFailure({ action: 'api', protocol: 'http', ip }, 'wrong-credentials');
      throw new UnauthorizedException('invalid API key');
    }
    const decision = await this.ctx.access.authorize({ action: 'api', path: '', protocol: 'http', ip, ...creds });
    if (decision.allowed) return true;
    if (decision.status === 403) throw new ForbiddenException('this user has no api permission');
    context.switchToHttp().getResponse<Response>().setHeader('WWW-Authenticate', HTTP_BASIC_CHALLENGE);
    throw new UnauthorizedException(
      decision.reason === 'missing-credentials'
        ? 'authentication required: Basic (a user with the api permission), Bearer <JWT> or the API key'
        : 'authentication failed',
    );
  }
}
