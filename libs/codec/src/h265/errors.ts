export class H265SpsError extends Error {
  constructor(reason: string) {
    super(`H.265 SPS: ${reason}`);
    this.name = 'H265SpsError';
  }
}

export class HevcConfigError extends Error {
  constructor(reason: string) {
    super(`HEVCDecoderConfigurationRecord: ${reason}`);
    this.name = 'HevcConfigError';
  }
}
