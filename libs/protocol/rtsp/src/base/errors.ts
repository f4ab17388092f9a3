/**
 * Typed errors of the RTSP library. Every parser throws only RtspParseError (or a subclass), so
 * callers can map any failure to a status code without inspecting messages.
 */
export class RtspParseError extends Error {
  /**
   * @param statusCode the response a server should send (400 malformed, 413 body too large,
   *   414 URI too long, 505 version)
   * @param fatal the byte stream can no longer be framed; the connection must be closed
   */
  constructor(message: string, readonly statusCode = 400, readonly fatal = false) {
    super(message);
    this.name = 'RtspParseError';
  }
}

/** Thrown by serializers when a message cannot be written (e.g. CR/LF inside a header value). */
export class RtspEncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RtspEncodeError';
  }
}
