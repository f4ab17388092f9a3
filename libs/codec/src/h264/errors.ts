export class H264SpsError extends Error {
  constructor(reason: string) {
    super(`H.264 SPS: ${reason}`);
    this.name = 'H264SpsError';
  }
}

export class AvcConfigError extends Error {
  constructor(reason: string) {
    super(`AVCDecoderConfigurationRecord: ${reason}`);
    this.name = 'AvcConfigError';
  }
}
