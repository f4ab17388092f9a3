import type { StreamDescription } from '@streamgate/contracts';
import { Bus, StreamUnavailableError, requestStreamDescription } from '@streamgate/platform';
import { StreamNotFoundError } from './rtsp-errors';

/** The stream's description from the packetizer; a stream that cannot be played is a 404. */
export async function describeStream(bus: Bus, stream: string, timeoutMs: number): Promise<StreamDescription> {
  try {
    return await requestStreamDescription(bus, stream, timeoutMs);
  } catch (err) {
    if (err instanceof StreamUnavailableError) throw new StreamNotFoundError(stream, err.why);
    throw err;
  }
}
