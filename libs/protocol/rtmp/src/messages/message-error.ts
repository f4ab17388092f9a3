/** A protocol control, user control or command message that cannot be decoded. */
export class RtmpMessageError extends Error {
  constructor(message: string, readonly typeId: number) {
    super(`rtmp message type ${typeId}: ${message}`);
    this.name = 'RtmpMessageError';
  }
}
