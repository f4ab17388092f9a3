/** A malformed FLV tag body, decoder configuration record or AudioSpecificConfig. */
export class FlvError extends Error {
  constructor(message: string) {
    super(`flv: ${message}`);
    this.name = 'FlvError';
  }
}
