/**
 * One access unit of one source track, as codec data (before any RTP packetization of ours):
 * the NAL units of one picture (H.264 §7.4.1.2.3, H.265 §7.4.2.4.4) or one audio frame. Every
 * source kind produces these: RTMP through `flv/flv-reader.ts` in ingest (sent on the bus as
 * codec units), cameras' RTP through the packetizer's depacketizers; the packetizer's one
 * pipeline takes them from there.
 */
export interface AccessUnit {
  /** The source track: the SDP media section index, or FLV_VIDEO_TRACK / FLV_AUDIO_TRACK. */
  track: number;
  /** Presentation time in the clock of the track's format, like an RTP timestamp (u32, wraps). */
  timestamp: number;
  /** Video: decoding can start here (IDR / IRAP), as far as the source says. Audio: false. */
  keyframe: boolean;
  /** Video: NAL units without start codes or length prefixes. Audio: one raw frame. Views. */
  payloads: Uint8Array[];
}
