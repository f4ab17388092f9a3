import {
  AccessUnitMessage, BusErrorReply, ContractError, StreamDescription, Subjects, decodeEnvelopeList, decodeJson, isValidStreamName,
} from '@streamgate/contracts';
import type { Bus } from '../bus/bus';

/**
 * The two requests every egress makes to the packetizer before serving a stream: its
 * description (`packetizer.<s>.describe`) and the cached GOP (`packetizer.<s>.gop`). One place
 * for both, so RTSP and HLS egress read the replies by the same rules.
 */
export class StreamUnavailableError extends Error {
  constructor(readonly stream: string, readonly why: string) {
    super(`stream ${JSON.stringify(stream)} not found: ${why}`);
    this.name = 'StreamUnavailableError';
  }
}

/**
 * No responder, a timeout, an `{error}` reply or an invalid one all mean the stream cannot be
 * played: StreamUnavailableError.
 */
export async function requestStreamDescription(bus: Bus, stream: string, timeoutMs: number): Promise<StreamDescription> {
  if (!isValidStreamName(stream)) throw new StreamUnavailableError(stream, 'invalid stream name');
  const subject = Subjects.describe(stream);
  let data: Uint8Array;
  try {
    data = (await bus.request(subject, new Uint8Array(0), { timeoutMs })).data;
  } catch (err) {
    throw new StreamUnavailableError(stream, err instanceof Error ? err.message : String(err));
  }
  let description: StreamDescription;
  try {
    description = decodeJson(StreamDescription, subject, data);
  } catch (err) {
    if (!(err instanceof ContractError)) throw err;
    const reply = BusErrorReply.safeParse(safeJson(data));
    throw new StreamUnavailableError(stream, reply.success ? reply.data.error : err.message);
  }
  if (description.stream !== stream || description.tracks.length === 0) {
    throw new StreamUnavailableError(stream, 'description has no tracks');
  }
  return description;
}

/** The access units of the packetizer's cached GOP, oldest first (throws on bus errors). */
export async function requestGop(bus: Bus, stream: string, timeoutMs: number): Promise<AccessUnitMessage[]> {
  const reply = await bus.request(Subjects.gop(stream), new Uint8Array(0), { timeoutMs });
  return decodeEnvelopeList(reply.data).filter((m): m is AccessUnitMessage => m.kind === 'access-unit');
}

function safeJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
}
