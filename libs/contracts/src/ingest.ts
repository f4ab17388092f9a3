import { z } from 'zod';
import { SourceKind, StreamName } from './messages';
import { assertStreamName } from './stream-name';

/**
 * Bus subjects ingest answers besides the shared media/event subjects (the control API
 * asks them).
 *
 * | subject           | kind          | payload                                     |
 * |-------------------|---------------|---------------------------------------------|
 * | ingest.rtmp.list  | request/reply | {} → RtmpPublisherList (JSON)               |
 * | ingest.rtmp.kick  | request/reply | RtmpKickRequest → RtmpKickReply (JSON)      |
 * | ingest.<s>.source | request/reply | {} → SourceDescription (JSON); only the     |
 * |                   |               | instance that has the source answers        |
 */
export const IngestSubjects = {
  rtmpList: 'ingest.rtmp.list',
  rtmpKick: 'ingest.rtmp.kick',
  source: (stream: string): string => `ingest.${assertStreamName(stream)}.source`,
  allSources: 'ingest.*.source',
} as const;

/**
 * What a consumer that joins a live source late needs to decode it: for RTSP the camera's
 * SDP, for RTMP the configuration tags (onMetaData, AVC and AAC sequence headers, base64).
 * The packetizer asks for it when it takes a stream over.
 */
export const SourceDescription = z.object({
  stream: StreamName,
  source: SourceKind,
  generation: z.number().int().nonnegative(),
  sdp: z.string().max(64 * 1024).optional(),
  config_tags: z.array(z.object({
    tag_type: z.union([z.literal(8), z.literal(9), z.literal(18)]),
    timestamp: z.number().int().nonnegative(),
    data: z.string().max(256 * 1024),
  })).max(8).optional(),
});
export type SourceDescription = z.infer<typeof SourceDescription>;

export const RtmpPublisherInfo = z.object({
  name: StreamName,
  /** RTMP application from connect ("live", "stream"). */
  app: z.string().max(256),
  /** Unix seconds. */
  started_at: z.number(),
  generation: z.number().int().nonnegative(),
  packets_received: z.number().int().nonnegative(),
  frames_received: z.number().int().nonnegative(),
  bytes_received: z.number().int().nonnegative(),
  /** Unix seconds of the last video frame; null before the first. */
  last_frame_time: z.number().nullable(),
  video_codec: z.string().nullable(),
  audio_codec: z.string().nullable(),
});
export type RtmpPublisherInfo = z.infer<typeof RtmpPublisherInfo>;

export const RtmpPublisherList = z.object({ streams: z.array(RtmpPublisherInfo) });
export type RtmpPublisherList = z.infer<typeof RtmpPublisherList>;

export const RtmpKickRequest = z.object({ stream: z.string().min(1).max(256) });
export type RtmpKickRequest = z.infer<typeof RtmpKickRequest>;

export const RtmpKickReply = z.object({ ok: z.boolean() });
export type RtmpKickReply = z.infer<typeof RtmpKickReply>;

/** Every service rewrites its live status this often; a status not rewritten within the TTL disappears. */
export const STATUS_INTERVAL_MS = 1000;
export const STATUS_TTL_MS = 15_000;

/** Store key of the live status a service writes for a stream (`status/<s>/<service>`). */
export const statusKey = (stream: string, service: 'ingest' | 'packetizer' | 'rtsp-egress'): string => `status/${stream}/${service}`;
export const ingestStatusKey = (stream: string): string => statusKey(stream, 'ingest');
/** Store key of a registered RTMP stream key (written by the control API). */
export const RTMP_KEYS_PREFIX = 'rtmp-keys/';
export const rtmpKeyStoreKey = (key: string): string => `${RTMP_KEYS_PREFIX}${key}`;
