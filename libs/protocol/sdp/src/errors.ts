export class SdpParseError extends Error {
  constructor(readonly reason: string, readonly line?: number) {
    super(`SDP${line === undefined ? '' : ` line ${line}`}: ${reason}`);
    this.name = 'SdpParseError';
  }
}
