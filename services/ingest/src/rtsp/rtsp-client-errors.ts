/**
 * Typed failures of the RTSP pull client. Messages are meant for the `last_error` a person
 * reads, so they say what to check; they never contain credentials (URLs are passed through
 * `redactUrlCredentials` before they get here, and requests never carry userinfo).
 */
export type RtspClientState = 'idle' | 'connecting' | 'described' | 'setup' | 'playing' | 'closing';

export class RtspClientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RtspClientError';
  }
}

/** A method was called in a state that does not allow it. */
export class RtspClientStateError extends RtspClientError {
  constructor(readonly operation: string, readonly state: RtspClientState) {
    super(`${operation} is not valid in state ${state}`);
    this.name = 'RtspClientStateError';
  }
}

/** The camera answered a request with a non-2xx status. */
export class RtspStatusError extends RtspClientError {
  constructor(readonly method: string, readonly statusCode: number, reason: string) {
    super(`${method} answered ${statusCode} ${reason}`.trim());
    this.name = 'RtspStatusError';
  }
}

/** Authentication failed (wrong or missing credentials, unsupported scheme). */
export class RtspAuthError extends RtspClientError {
  constructor(message: string) {
    super(message);
    this.name = 'RtspAuthError';
  }
}

/** SETUP refused the lower transport we offered (461, or another 4xx to UDP). */
export class RtspTransportRefusedError extends RtspClientError {
  constructor(readonly statusCode: number, reason: string) {
    super(`SETUP refused the UDP transport (${statusCode} ${reason})`.trim());
    this.name = 'RtspTransportRefusedError';
  }
}

/** The peer does not speak RTSP, or broke the protocol badly enough that we must hang up. */
export class RtspProtocolViolation extends RtspClientError {
  constructor(message: string) {
    super(message);
    this.name = 'RtspProtocolViolation';
  }
}

export class RtspTimeoutError extends RtspClientError {
  constructor(what: string, ms: number) {
    super(`${what}: no answer within ${ms} ms`);
    this.name = 'RtspTimeoutError';
  }
}

/** The control connection closed or failed. */
export class RtspConnectionError extends RtspClientError {
  constructor(message: string) {
    super(message);
    this.name = 'RtspConnectionError';
  }
}
