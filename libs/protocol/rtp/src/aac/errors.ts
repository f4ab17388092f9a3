/** Malformed or unsupported RFC 3640 payload; the packet is rejected, decoder state unchanged. */
export class AacDecodeError extends Error {
  constructor(readonly reason: string, readonly sequenceNumber?: number) {
    super(`AAC RTP${sequenceNumber === undefined ? '' : ` seq ${sequenceNumber}`}: ${reason}`);
    this.name = 'AacDecodeError';
  }
}

export class AacEncodeError extends Error {
  constructor(reason: string) {
    super(`AAC RTP encode: ${reason}`);
    this.name = 'AacEncodeError';
  }
}
