import { Body, Controller, Delete, ForbiddenException, Get, HttpCode, HttpException, Inject, Post, Req, Res, UnauthorizedException } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { SESSION_COOKIE, ServiceContext, httpCredentials, peerAddress } from '@streamgate/platform';
import { SERVICE_CONTEXT } from '../common/service-context.token';
import { parseBody } from '../common/zod-body';

export const SignInBody = z.object({
  user: z.string({ required_error: 'user is required' }).min(1).max(256),
  pass: z.string({ required_error: 'pass is required' }).max(1024),
});

export class SignInDto {
  @ApiProperty({ example: 'operator' })
  user!: string;

  @ApiProperty({ example: '<password>', format: 'password' })
  pass!: string;
}

/**
 * Web console sign-in (`/api/session`), open to everyone like health (the guard lets it
 * through), CSRF-guarded like every write (Origin, JSON body: http-hardening.ts):
 * - `POST` checks a user of the users list with the `api` permission and sets the session
 *   cookie: random, HttpOnly, SameSite=Strict, Secure over HTTPS, Path=/ — browsers send it
 *   to every port of this host, so the HLS egress on :8888 accepts it too;
 * - `GET` says whether a sign-in is needed and who is signed in;
 * - `DELETE` signs out: the session is revoked in the store, the cookie cleared.
 */
@ApiTags('console')
@Controller('api/session')
export class SessionController {
  constructor(@Inject(SERVICE_CONTEXT) private readonly ctx: ServiceContext) {}

  @Get()
  @ApiOperation({ summary: 'Whether the console must sign in, and the signed-in user' })
  @ApiOkResponse({ schema: { example: { restricted: true, sign_in: true, user: 'operator' } } })
  async current(@Req() req: Request): Promise<Record<string, unknown>> {
    const { access } = this.ctx;
    const session = httpCredentials(req.headers).session;
    let user: string | null = null;
    if (access.restricted && session !== undefined) {
      const decision = await access.authorize({ action: 'api', path: '', protocol: 'http', ip: peerAddress(req.socket.remoteAddress), session });
      if (decision.allowed) user = decision.user;
    }
    return { restricted: access.restricted, sign_in: access.signInAvailable, user };
  }

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in (users with the api permission): sets the HttpOnly session cookie' })
  @ApiBody({ type: SignInDto, examples: { operator: { value: { user: 'operator', pass: '<password>' } } } })
  @ApiOkResponse({ schema: { example: { user: 'operator', expires_at: 1764700000 } } })
  async signIn(@Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<Record<string, unknown>> {
    const { user, pass } = parseBody(SignInBody, body);
    const result = await this.ctx.access.signIn({ ip: peerAddress(req.socket.remoteAddress), user, pass });
    if (!result.signedIn) {
      if (result.status === 401) throw new UnauthorizedException(result.message);
      if (result.status === 403) throw new ForbiddenException(result.message);
      throw new HttpException(result.message, result.status);
    }
    const maxAge = Math.floor((result.expiresAt - Date.now()) / 1000);
    res.setHeader('Set-Cookie', this.cookie(result.token, maxAge));
    res.setHeader('Cache-Control', 'no-store');
    return { user: result.user, expires_at: Math.floor(result.expiresAt / 1000) };
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: 'Sign out: the session is revoked and the cookie cleared' })
  @ApiOkResponse({ schema: { example: {} } })
  async signOut(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    const session = httpCredentials(req.headers).session;
    if (session !== undefined) await this.ctx.access.signOut(session);
    res.setHeader('Set-Cookie', this.cookie('', 0));
  }

  private cookie(value: string, maxAgeS: number): string {
    return `${SESSION_COOKIE}=${value}; Path=/; Max-Age=${maxAgeS}; HttpOnly; SameSite=Strict${this.ctx.tls ? '; Secure' : ''}`;
  }
}
