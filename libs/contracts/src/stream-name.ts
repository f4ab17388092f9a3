/**
 * Stream names are both the bus subject token and the RTSP path, so they are restricted to
 * characters that are safe in both: `[A-Za-z0-9_-]{1,64}`.
 */
export const STREAM_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const STREAM_NAME_MAX_LENGTH = 64;

export class InvalidStreamNameError extends Error {
  constructor(readonly streamName: string) {
    super(
      `invalid stream name ${JSON.stringify(streamName.slice(0, 80))}: use 1-64 characters from A-Z, a-z, 0-9, "_" and "-"`,
    );
    this.name = 'InvalidStreamNameError';
  }
}

export function isValidStreamName(name: string): boolean {
  return STREAM_NAME_PATTERN.test(name);
}

export function assertStreamName(name: string): string {
  if (!isValidStreamName(name)) throw new InvalidStreamNameError(name);
  return name;
}
