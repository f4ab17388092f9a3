/** RTP-path input the packetizer cannot use (no SDP yet, missing SDP); the input is skipped. */
export class RtpInputError extends Error {
  constructor(readonly reason: string) {
    super(`RTP source: ${reason}`);
    this.name = 'RtpInputError';
  }
}
