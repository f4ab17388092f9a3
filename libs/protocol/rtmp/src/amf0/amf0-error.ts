/** Malformed AMF0, or AMF0 beyond the decoder's depth/count limits. */
export class Amf0Error extends Error {
  constructor(message: string, readonly offset: number) {
    super(`amf0 at byte ${offset}: ${message}`);
    this.name = 'Amf0Error';
  }
}
