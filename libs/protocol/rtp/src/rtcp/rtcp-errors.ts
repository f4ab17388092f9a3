/** Thrown by every RTCP parser and builder here; nothing else escapes them. */
export class RtcpError extends Error {
  constructor(reason: string) {
    super(`RTCP: ${reason}`);
    this.name = 'RtcpError';
  }
}
