import { RtspStatus } from '@streamgate/protocol-rtsp';

/**
 * Errors a request handler throws; each carries the RTSP status it maps to (RFC 2326 §7.1.1).
 * The connection answers with that status, the CSeq echoed, and keeps going.
 */
export class RtspStatusError extends Error {
  constructor(readonly statusCode: number, message: string, readonly headers: Record<string, string | readonly string[]> = {}) {
    super(message);
    this.name = 'RtspStatusError';
  }
}

export class StreamNotFoundError extends RtspStatusError {
  constructor(stream: string, why: string) {
    super(RtspStatus.NotFound, `stream ${JSON.stringify(stream)} not found: ${why}`);
    this.name = 'StreamNotFoundError';
  }
}

export class SessionNotFoundError extends RtspStatusError {
  constructor(id: string) {
    super(RtspStatus.SessionNotFound, `session ${JSON.stringify(id.slice(0, 64))} not found`);
    this.name = 'SessionNotFoundError';
  }
}

export class MethodNotValidInStateError extends RtspStatusError {
  constructor(method: string, state: string) {
    super(RtspStatus.MethodNotValidInThisState, `${method} is not valid in state '${state}'`);
    this.name = 'MethodNotValidInStateError';
  }
}

export class UnsupportedTransportError extends RtspStatusError {
  constructor(why: string) {
    super(RtspStatus.UnsupportedTransport, `unsupported transport: ${why}`);
    this.name = 'UnsupportedTransportError';
  }
}

export class BadRequestError extends RtspStatusError {
  constructor(why: string) {
    super(RtspStatus.BadRequest, why);
    this.name = 'BadRequestError';
  }
}

/** 401 with the challenges to answer (RFC 2326 §12.44), or 403 for a known user without the permission. */
export class AccessDeniedError extends RtspStatusError {
  constructor(status: 401 | 403, why: string, challenges: readonly string[] = []) {
    super(status === 401 ? RtspStatus.Unauthorized : RtspStatus.Forbidden, why, challenges.length > 0 ? { 'WWW-Authenticate': challenges } : {});
    this.name = 'AccessDeniedError';
  }
}
