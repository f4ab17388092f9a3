/**
 * What both source paths (FLV from RTMP, RTP from RTSP cameras) hand the service: one access
 * unit of one output track, already repacketized. Output track ids and payload types are the
 * same for both paths, so egress cannot tell them apart.
 */
export const VIDEO_TRACK = 0;
export const AUDIO_TRACK = 1;
export const VIDEO_PAYLOAD_TYPE = 96;
export const AUDIO_PAYLOAD_TYPE = 97;

export type OutputTrack = typeof VIDEO_TRACK | typeof AUDIO_TRACK;

export interface AccessUnitOut {
  track: OutputTrack;
  keyframe: boolean;
  rtpTimestamp: number;
  /** Serialized RTP packets in send order. */
  packets: Uint8Array[];
  /**
   * The buffer the encoder wrote the packets into (`encodeFramed`; `packets` are views of it):
   * ACCESS_UNIT_HEADROOM bytes then the envelope's body, so the service seals it into the bus
   * message without copying (sealAccessUnitEnvelope).
   */
  framed: Uint8Array;
  /** Video: the NAL units sent (parameter sets included on keyframes). */
  nalus?: Uint8Array[];
  /** Arrival time (Unix ms, as ingest stamped it) of the input that completed this unit. */
  receivedAt: number;
}
