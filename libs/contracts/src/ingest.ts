import { z } from 'zod';
import { StreamName } from './messages';

/**
 * Bus subjects ingest answers besides the shared media/event subjects (the control API
 * asks them).
 *
 * | subject           | kind          | payload                                     |
 * |-------------------|---------------|---------------------------------------------|
 * | ingest.rtmp.list  | request/reply | {} → RtmpPublisherList (JSON)               |
 * | ingest.rtmp.kick  | request/reply | RtmpKickRequest → RtmpKickReply (JSON)      |
 */
export const IngestSubjects = {
  rtmpList: 'ingest.rtmp.list',
  rtmpKick: 'ingest.rtmp.kick',
} as const;

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

/** Store key of the live status a service writes for a stream (`status/<s>/<service>`). */
export const statusKey = (stream: string, service: 'ingest' | 'packetizer' | 'rtsp-egress'): string => `status/${stream}/${service}`;
export const ingestStatusKey = (stream: string): string => statusKey(stream, 'ingest');
/** Store key of a registered RTMP stream key (written by the control API). */
export const rtmpKeyStoreKey = (key: string): string => `rtmp-keys/${key}`;
