import { CallHandler, ExecutionContext, HttpException, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import { SSE_METADATA } from '@nestjs/common/constants';
import type { Request, Response } from 'express';
import { Observable, from, lastValueFrom } from 'rxjs';
import { SpanKind, ServiceContext, withSpan } from '@streamgate/platform';
import { SERVICE_CONTEXT } from './service-context.token';

/**
 * Every API request gets a server span (bus requests it makes become its children, and the
 * handling service's spans theirs) and a duration sample labelled by the route template,
 * never the raw path, so stream names don't multiply series.
 */
@Injectable()
export class ObserveInterceptor implements NestInterceptor {
  constructor(@Inject(SERVICE_CONTEXT) private readonly ctx: ServiceContext) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
    // Server-Sent Events stay open for as long as the client listens: not a request to time.
    if (Reflect.getMetadata(SSE_METADATA, context.getHandler()) === true) return next.handle();
    const started = process.hrtime.bigint();
    const observe = (status: number): void => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.ctx.metrics.apiRequests.observe({ method: req.method, route, status: String(status) }, seconds);
    };
    return from(withSpan(`${req.method} ${route}`, { 'http.request.method': req.method, 'http.route': route }, async (span) => {
      try {
        const value = await lastValueFrom(next.handle(), { defaultValue: undefined });
        span.setAttribute('http.response.status_code', res.statusCode);
        observe(res.statusCode);
        return value;
      } catch (err) {
        const status = err instanceof HttpException ? err.getStatus() : 500;
        span.setAttribute('http.response.status_code', status);
        observe(status);
        throw err;
      }
    }, { kind: SpanKind.SERVER }));
  }
}
