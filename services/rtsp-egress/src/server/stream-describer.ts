import {
  BusErrorReply, ContractError, StreamDescription, Subjects, decodeJson, isValidStreamName,
} from '@streamgate/contracts';
import type { Bus } from '@streamgate/platform';
import { StreamNotFoundError } from './rtsp-errors';

/**
 * Asks the packetizer for a stream's description (`packetizer.<s>.describe`). No responder,
 * a timeout, an `{error}` reply or an invalid one all mean the stream cannot be played: 404.
 */
export async function describeStream(bus: Bus, stream: string, timeoutMs: number): Promise<StreamDescription> {
  if (!isValidStreamName(stream)) throw new StreamNotFoundError(stream, 'invalid stream name');
  const subject = Subjects.describe(stream);
  let data: Uint8Array;
  try {
    data = (await bus.request(subject, new Uint8Array(0), { timeoutMs })).data;
  } catch (err) {
    throw new StreamNotFoundError(stream, err instanceof Error ? err.message : String(err));
  }
  let description: StreamDescription;
  try {
    description = decodeJson(StreamDescription, subject, data);
  } catch (err) {
    if (!(err instanceof ContractError)) throw err;
    const reply = BusErrorReply.safeParse(safeJson(data));
    throw new StreamNotFoundError(stream, reply.success ? reply.data.error : err.message);
  }
  if (description.stream !== stream || description.tracks.length === 0) {
    throw new StreamNotFoundError(stream, 'description has no tracks');
  }
  return description;
}

function safeJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
}
