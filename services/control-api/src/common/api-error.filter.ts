import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import type { Response } from 'express';
import type { Logger } from '@streamgate/platform';

const JSON_SYNTAX_ERROR = /in JSON at position|end of JSON input|^Unexpected token|is not valid JSON|^Expected /;

/**
 * Every error leaves as JSON `{statusCode, error, message}` with a message a person can act
 * on; unexpected errors are logged once and answered 500 without internals.
 */
@Catch()
export class ApiErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      let message = typeof body === 'string' ? body : (body as { message?: unknown }).message ?? exception.message;
      // Nest turns body-parser's SyntaxError into a bare 400 carrying JSON.parse's wording.
      if (status === 400 && typeof message === 'string' && JSON_SYNTAX_ERROR.test(message)) {
        message = `request body is not valid JSON: ${message}`;
      }
      res.status(status).json({ statusCode: status, error: HttpStatus[status] ?? 'Error', message });
      return;
    }
    const err = exception as { type?: string; status?: number; message?: string };
    // body-parser errors carry a status and a type (entity.too.large, entity.parse.failed).
    if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500) {
      const message = err.type === 'entity.too.large' ? 'request body too large'
        : err.type === 'entity.parse.failed' ? 'request body is not valid JSON' : (err.message ?? 'bad request');
      res.status(err.status).json({ statusCode: err.status, error: HttpStatus[err.status] ?? 'Error', message });
      return;
    }
    this.logger.error({ err: exception }, 'unhandled error in control API');
    res.status(500).json({ statusCode: 500, error: 'INTERNAL_SERVER_ERROR', message: 'internal error' });
  }
}
