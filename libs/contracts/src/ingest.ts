import { z } from 'zod';
import { SourceKind, StreamName } from './messages';
import { SourceFormat, UnsupportedSourceTrack } from './source-formats';


/**
 * What a consumer that joins a live source late needs to decode it: the source's tracks as
 * typed formats, read once by ingest (a camera's SDP, an RTMP publication's sequence headers),
 * the same as its `source-started` carried. The packetizer asks for it when it takes a stream over.
 */
export const SourceDescription = z.object({
  stream: StreamName,
  source: SourceKind,
  generation: z.number().int().nonnegative(),
  formats: z.array(SourceFormat).max(16).optional(),
  unsupported: z.array(UnsupportedSourceTrack).max(32).optional(),
});
export type SourceDescription = z.infer<typeof SourceDescription>;

/**
 * A consumer needs a stream (`ingest.<s>.demand`, request/reply): RTSP and HLS egress while a
 * stream has readers, the control API for a frame. Sent on the first need and then every
 * DEMAND_INTERVAL_MS while the need lasts; the ingest instance pulling the camera answers, the
 * others stay silent. An on-demand camera is pulled while demands arrive and released
 * `on_demand_close_after` seconds after the last one.
 */
export const SourceDemand = z.object({
  /** Who needs it (logs only). */
  consumer: z.enum(['rtsp', 'hls', 'frame', 'recording']),
});
export type SourceDemand = z.infer<typeof SourceDemand>;

export const SourceDemandReply = z.object({
  on_demand: z.boolean(),
  /** The camera's media flows now. */
  playing: z.boolean(),
  /** How long (ms) a first consumer should wait for the source to start (on_demand_start_timeout). */
  start_timeout_ms: z.number().int().nonnegative(),
});
export type SourceDemandReply = z.infer<typeof SourceDemandReply>;

/** How often a consumer repeats its demand while it lasts. */
export const DEMAND_INTERVAL_MS = 1000;

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

/** Store key of a registered RTMP stream key (written by the control API). */
export const RTMP_KEYS_PREFIX = 'rtmp-keys/';
export const rtmpKeyStoreKey = (key: string): string => `${RTMP_KEYS_PREFIX}${key}`;

/**
 * A registered RTMP stream key (`rtmp-keys/<key>`): written by the control API's POST /start,
 * read by ingest. `token_sha256` is the hex SHA-256 of the key's publish token (the token is
 * returned once by /start and never stored).
 */
export const RtmpKeyRecord = z.object({
  enabled: z.boolean(),
  created_at: z.number(),
  updated_at: z.number(),
  token_sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
});
export type RtmpKeyRecord = z.infer<typeof RtmpKeyRecord>;
