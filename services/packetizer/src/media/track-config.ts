/**
 * Codec configuration of the output tracks, whichever source it came from: what the SDP
 * builder, the status and the latest-frame reply need.
 */
import type { AudioSpecificConfig } from '@streamgate/protocol-rtp';

export type VideoCodecName = 'H264' | 'H265';

/** What the SPS says, for status. */
export interface VideoInfo {
  profile: string;
  level: string;
  width: number;
  height: number;
}

export interface VideoConfig {
  codec: VideoCodecName;
  /** H.265 only. */
  vps?: Uint8Array;
  sps: Uint8Array;
  pps: Uint8Array;
  /** Undefined when the SPS does not parse (the stream still flows). */
  info?: VideoInfo;
}

export interface AudioConfig {
  asc: Uint8Array;
  parsed: AudioSpecificConfig;
  /** RTP clock rate of the output track (the sample rate for RTMP sources). */
  clockRate: number;
}

/** The state of a source path the service and StreamState read. */
export interface MediaProcessor {
  readonly videoConfig: VideoConfig | undefined;
  readonly audioConfig: AudioConfig | undefined;
  /** Increments whenever a codec configuration changes (SDP version). */
  readonly configVersion: number;
  /** Enough is known to describe the stream to readers. */
  readonly ready: boolean;
}
