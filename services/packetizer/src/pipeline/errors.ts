/** Media the packetizer cannot use (before the source described its tracks, of another source kind); the input is skipped. */
export class SourceInputError extends Error {
  constructor(readonly reason: string) {
    super(`source input: ${reason}`);
    this.name = 'SourceInputError';
  }
}
