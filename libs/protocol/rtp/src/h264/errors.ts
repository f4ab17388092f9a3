/** Malformed or unsupported RFC 6184 payload; the packet is rejected, decoder state unchanged. */
export class H264DecodeError extends Error {
  constructor(readonly reason: string, readonly sequenceNumber?: number) {
    super(`H.264 RTP${sequenceNumber === undefined ? '' : ` seq ${sequenceNumber}`}: ${reason}`);
    this.name = 'H264DecodeError';
  }
}

export class H264EncodeError extends Error {
  constructor(reason: string) {
    super(`H.264 RTP encode: ${reason}`);
    this.name = 'H264EncodeError';
  }
}
