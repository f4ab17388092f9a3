/** Malformed or unsupported RFC 7798 payload; the packet is rejected, decoder state unchanged. */
export class H265DecodeError extends Error {
  constructor(readonly reason: string, readonly sequenceNumber?: number) {
    super(`H.265 RTP${sequenceNumber === undefined ? '' : ` seq ${sequenceNumber}`}: ${reason}`);
    this.name = 'H265DecodeError';
  }
}

export class H265EncodeError extends Error {
  constructor(reason: string) {
    super(`H.265 RTP encode: ${reason}`);
    this.name = 'H265EncodeError';
  }
}
