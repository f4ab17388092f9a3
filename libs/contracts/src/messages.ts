import { z } from 'zod';
import { STREAM_NAME_PATTERN } from './stream-name';
import { SourceFormat, UnsupportedSourceTrack } from './source-formats';

/** JSON control messages. Every message crossing the bus is validated with these at the edge. */

export const StreamName = z.string().regex(STREAM_NAME_PATTERN, 'stream name must match [A-Za-z0-9_-]{1,64}');
export const SourceKind = z.enum(['rtmp', 'rtsp']);
export type SourceKind = z.infer<typeof SourceKind>;

/** stream.<s>.events: a source started or stopped delivering media. */
export const StreamEvent = z.object({
  type: z.enum(['source-started', 'source-stopped']),
  stream: StreamName,
  source: SourceKind,
  /** Unix ms. */
  at: z.number(),
  /** Increments on each start, so consumers can tell a re-publish from the previous one. */
  generation: z.number().int().nonnegative(),
  reason: z.string().max(500).optional(),
  /**
   * On `source-stopped`: true when the source's run is over (stopped through the API, removed,
   * an RTMP publish ended), not an outage it may come back from. Counters count one run
   * (README "Counters"): consumers start theirs over at the next start.
   */
  ended: z.boolean().optional(),
  /**
   * On `source-started`: the tracks ingest carries, as typed formats read once from the
   * camera's SDP or the RTMP sequence headers (RtpBatchMessage.track and CodecUnitMessage.track
   * are SourceFormat.track), and the tracks left out. An RTMP publication announces itself
   * with no formats when the publish is accepted, then again (same generation) once its
   * sequence headers have described it, and again whenever they change.
   */
  formats: z.array(SourceFormat).max(16).optional(),
  unsupported: z.array(UnsupportedSourceTrack).max(32).optional(),
});
export type StreamEvent = z.infer<typeof StreamEvent>;

export const TrackCodec = z.enum(['H264', 'H265', 'MPEG4-GENERIC']);
export type TrackCodec = z.infer<typeof TrackCodec>;

export const TrackDescription = z.object({
  /** Index used in AccessUnitMessage.track and in the RTSP control URL `trackID=<id>`. */
  id: z.number().int().min(0).max(255),
  media: z.enum(['video', 'audio']),
  codec: TrackCodec,
  payloadType: z.number().int().min(0).max(127),
  clockRate: z.number().int().positive(),
  ssrc: z.number().int().min(0).max(0xffffffff),
});
export type TrackDescription = z.infer<typeof TrackDescription>;

/** Reply to packetizer.<s>.describe: what egress needs to answer DESCRIBE. */
export const StreamDescription = z.object({
  stream: StreamName,
  generation: z.number().int().nonnegative(),
  /** Complete SDP for readers (control attributes `trackID=<id>`, no origin address). */
  sdp: z.string().max(64 * 1024),
  tracks: z.array(TrackDescription).max(16),
});
export type StreamDescription = z.infer<typeof StreamDescription>;

export const BusErrorReply = z.object({ error: z.string(), code: z.number().int() });
export type BusErrorReply = z.infer<typeof BusErrorReply>;

/** Parses and validates a JSON payload; throws ContractError naming the subject and the field. */
export class ContractError extends Error {
  constructor(readonly subject: string, detail: string) {
    super(`invalid message on ${subject}: ${detail}`);
    this.name = 'ContractError';
  }
}

const textDecoder = new TextDecoder();
const textEncoder = new TextEncoder();

export function decodeJson<T>(schema: z.ZodType<T>, subject: string, data: Uint8Array): T {
  let value: unknown;
  try {
    value = JSON.parse(textDecoder.decode(data));
  } catch (err) {
    throw new ContractError(subject, `not JSON (${(err as Error).message})`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ContractError(subject, `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

export function encodeJson<T>(schema: z.ZodType<T>, value: T): Uint8Array {
  return textEncoder.encode(JSON.stringify(schema.parse(value)));
}
