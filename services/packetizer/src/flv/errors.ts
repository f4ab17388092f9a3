/** Input the packetizer cannot use (malformed or unsupported FLV); the tag is skipped. */
export class FlvInputError extends Error {
  constructor(readonly reason: string, readonly unsupported = false) {
    super(`FLV: ${reason}`);
    this.name = 'FlvInputError';
  }
}
