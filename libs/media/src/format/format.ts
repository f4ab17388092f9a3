/**
 * A source track described once, by codec: what a depacketizer, a repacketizer, an SDP writer
 * or a status reader needs, whichever wire format (SDP, FLV sequence headers) described it.
 * Built only by the readers in this folder (sdp-format.ts, flv-format.ts); everything
 * downstream passes these values around instead of re-reading the wire.
 *
 * A new codec plugs in here: a variant of `Format`, its reader in `sdp-format.ts` (and
 * `flv-format.ts` if RTMP carries it), its writer in `sdp-format.ts`, and, for video, a
 * `VideoCodec` in `video-codec.ts`. Reserved names for the next ones: 'PCMA' / 'PCMU'
 * (G.711, RFC 3551 §4.5.14), 'OPUS' (RFC 7587), 'AV1' (RTP payload format for AV1).
 */
import type { AudioSpecificConfig } from '@streamgate/codec';

export type VideoCodecName = 'H264' | 'H265';
export type AudioCodecName = 'MPEG4-GENERIC';
export type FormatCodec = VideoCodecName | AudioCodecName;
export type ParameterSetKind = 'vps' | 'sps' | 'pps';
export type ParameterSets = Partial<Record<ParameterSetKind, Uint8Array>>;

interface RtpFormatBase {
  /** RTP payload type of the source (dynamic 96-127, or a static one). */
  payloadType: number;
  /** RTP clock rate, Hz. */
  clockRate: number;
}

/** H.264 (RFC 6184): parameter sets from sprop-parameter-sets or the AVCDecoderConfigurationRecord. */
export interface H264Format extends RtpFormatBase {
  media: 'video';
  codec: 'H264';
  /** RFC 6184 §5.4: 0 single NAL, 1 non-interleaved (we read both), 2 interleaved (we do not). */
  packetizationMode: number;
  parameterSets: ParameterSets;
}

/** H.265 (RFC 7798): sprop-vps/sps/pps or the HEVCDecoderConfigurationRecord. */
export interface H265Format extends RtpFormatBase {
  media: 'video';
  codec: 'H265';
  parameterSets: ParameterSets;
}

/** MPEG-4 audio (RFC 3640 mpeg4-generic AAC-hbr/lbr; FLV SoundFormat 10). */
export interface Mpeg4AudioFormat extends RtpFormatBase {
  media: 'audio';
  codec: 'MPEG4-GENERIC';
  /** AudioSpecificConfig bytes (ISO/IEC 14496-3 §1.6.2.1) and what they say. */
  asc: Uint8Array;
  parsed: AudioSpecificConfig;
  /** RFC 3640 §3.2.1 AU-header field sizes of the source's packets. */
  sizeLength: number;
  indexLength: number;
  indexDeltaLength: number;
}

export type VideoFormat = H264Format | H265Format;
export type Format = VideoFormat | Mpeg4AudioFormat;

/** What the SPS says, for status. */
export interface VideoInfo {
  profile: string;
  level: string;
  width: number;
  height: number;
}

/** A complete video configuration (all parameter sets known), as readers get it. */
export interface VideoConfig {
  codec: VideoCodecName;
  /** H.265 only. */
  vps?: Uint8Array;
  sps: Uint8Array;
  pps: Uint8Array;
  /** Undefined when the SPS does not parse (the stream still flows). */
  info?: VideoInfo;
}

/** The audio configuration readers get. */
export interface AudioConfig {
  asc: Uint8Array;
  parsed: AudioSpecificConfig;
  /** RTP clock rate of the output track (the sample rate for RTMP sources). */
  clockRate: number;
}

/** RTP clock rate of video (RFC 6184 §8.1, RFC 7798 §7.1: always 90 kHz). */
export const VIDEO_CLOCK_RATE = 90_000;
