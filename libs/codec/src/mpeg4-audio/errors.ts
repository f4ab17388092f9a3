export class AudioSpecificConfigError extends Error {
  constructor(reason: string) {
    super(`AudioSpecificConfig: ${reason}`);
    this.name = 'AudioSpecificConfigError';
  }
}
