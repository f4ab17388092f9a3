/** A handshake the server cannot continue (Adobe RTMP spec 1.0 §5.2). */
export class RtmpHandshakeError extends Error {
  constructor(message: string) {
    super(`rtmp handshake: ${message}`);
    this.name = 'RtmpHandshakeError';
  }
}
