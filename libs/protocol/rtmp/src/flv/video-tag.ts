/**
 * FLV video tag body, FLV spec v10.1 Annex E.4.3.1 (VIDEODATA) and Enhanced RTMP (veovera
 * enhanced-rtmp v1/v2, "ExVideoTagHeader").
 *
 *   legacy:   FrameType UB[4] | CodecID UB[4] | (CodecID 7 AVC or 12 HEVC:)
 *             AVCPacketType UI8 | CompositionTime SI24 (ms, cts = pts - dts) | Data
 *   enhanced: IsExHeader UB[1]=1 | FrameType UB[3] | PacketType UB[4] | FourCC UI32 |
 *             PacketType 0 SequenceStart:  decoder configuration record (hvcC for "hvc1")
 *             PacketType 1 CodedFrames:    CompositionTime SI24 | length-prefixed NAL units
 *             PacketType 2 SequenceEnd
 *             PacketType 3 CodedFramesX:   length-prefixed NAL units, CompositionTime 0
 *             PacketType 4 Metadata (AMF, e.g. HDR colorInfo), 5 MPEG2TSSequenceStart
 *
 * Legacy AVC and HEVC (CodecID 12, as some encoders send it) and enhanced "avc1"/"hvc1" come
 * out as the same `CodedVideoTag`; every other codec (AV1 "av01", VP9 "vp09", VP6, ...) is
 * reported as `UnsupportedVideoTag` for the session to refuse, not as an error.
 */
import { FlvError } from './flv-error';

export const VideoCodecId = { Avc: 7, Hevc: 12 } as const;
export const VideoFrameType = { Key: 1, Inter: 2, DisposableInter: 3, GeneratedKey: 4, InfoOrCommand: 5 } as const;
/** Enhanced RTMP PacketType (lower 4 bits of the first byte when IsExHeader is set). */
export const ExVideoPacketType = { SequenceStart: 0, CodedFrames: 1, SequenceEnd: 2, CodedFramesX: 3, Metadata: 4, Mpeg2TsSequenceStart: 5 } as const;

export type VideoPacketType = 'sequence-header' | 'nalu' | 'end-of-sequence' | 'metadata';
/** @deprecated the legacy name; AVC and HEVC share `VideoPacketType`. */
export type AvcPacketType = VideoPacketType;

export interface CodedVideoTag {
  codec: 'avc' | 'hevc';
  /** Whether the tag used the enhanced-RTMP header (FourCC) or the legacy CodecID. */
  enhanced: boolean;
  frameType: number;
  keyframe: boolean;
  packetType: VideoPacketType;
  /** Signed composition time offset in ms (non-zero with B-frames). */
  compositionTime: number;
  /** Decoder configuration record, length-prefixed NAL units, AMF metadata or empty (view into the input). */
  data: Uint8Array;
}

/** The legacy name of a coded AVC tag. */
export type AvcVideoTag = CodedVideoTag;

export interface UnsupportedVideoTag {
  codec: 'unsupported';
  frameType: number;
  /** Legacy CodecID, when the tag uses the legacy header. */
  codecId?: number;
  /** Enhanced RTMP FourCC ("av01", "vp09"), when the tag uses the extended header. */
  fourCc?: string;
  /** What to tell a person: "av01", "CodecID 4". */
  name: string;
}

export type VideoTag = CodedVideoTag | UnsupportedVideoTag;

const LEGACY_HEADER_SIZE = 5;
const EX_HEADER_SIZE = 5;
const LEGACY_PACKET_TYPES: VideoPacketType[] = ['sequence-header', 'nalu', 'end-of-sequence'];
const FOURCC_CODECS: Record<string, CodedVideoTag['codec']> = { avc1: 'avc', hvc1: 'hevc' };

/** SI24, big-endian, sign-extended. */
function si24(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8)) >> 8;
}

export function parseVideoTag(body: Uint8Array): VideoTag {
  if (body.byteLength < 1) throw new FlvError('empty video tag');
  const b0 = body[0];
  if (b0 & 0x80) return parseEnhanced(body);
  const frameType = b0 >> 4;
  const codecId = b0 & 0x0f;
  if (codecId !== VideoCodecId.Avc && codecId !== VideoCodecId.Hevc) {
    return { codec: 'unsupported', frameType, codecId, name: `CodecID ${codecId}` };
  }
  const name = codecId === VideoCodecId.Avc ? 'AVC' : 'HEVC';
  if (body.byteLength < LEGACY_HEADER_SIZE) throw new FlvError(`${name} video tag of ${body.byteLength} bytes is shorter than ${LEGACY_HEADER_SIZE}`);
  const packetType = LEGACY_PACKET_TYPES[body[1]];
  if (packetType === undefined) throw new FlvError(`unknown AVCPacketType ${body[1]}`);
  return {
    codec: codecId === VideoCodecId.Avc ? 'avc' : 'hevc',
    enhanced: false,
    frameType,
    keyframe: frameType === VideoFrameType.Key,
    packetType,
    compositionTime: si24(body, 2),
    data: body.subarray(LEGACY_HEADER_SIZE),
  };
}

function parseEnhanced(body: Uint8Array): VideoTag {
  if (body.byteLength < EX_HEADER_SIZE) throw new FlvError(`enhanced video tag of ${body.byteLength} bytes is shorter than ${EX_HEADER_SIZE}`);
  const frameType = (body[0] >> 4) & 0x07;
  const exType = body[0] & 0x0f;
  const fourCc = String.fromCharCode(body[1], body[2], body[3], body[4]);
  const codec = FOURCC_CODECS[fourCc];
  if (codec === undefined) return { codec: 'unsupported', frameType, fourCc, name: fourCc };
  const base = { codec, enhanced: true, frameType, keyframe: frameType === VideoFrameType.Key };
  switch (exType) {
    case ExVideoPacketType.SequenceStart:
      return { ...base, packetType: 'sequence-header', compositionTime: 0, data: body.subarray(EX_HEADER_SIZE) };
    case ExVideoPacketType.CodedFrames:
      if (body.byteLength < EX_HEADER_SIZE + 3) throw new FlvError('CodedFrames without CompositionTime');
      return { ...base, packetType: 'nalu', compositionTime: si24(body, EX_HEADER_SIZE), data: body.subarray(EX_HEADER_SIZE + 3) };
    case ExVideoPacketType.CodedFramesX:
      return { ...base, packetType: 'nalu', compositionTime: 0, data: body.subarray(EX_HEADER_SIZE) };
    case ExVideoPacketType.SequenceEnd:
      return { ...base, packetType: 'end-of-sequence', compositionTime: 0, data: body.subarray(EX_HEADER_SIZE) };
    case ExVideoPacketType.Metadata:
      return { ...base, packetType: 'metadata', compositionTime: 0, data: body.subarray(EX_HEADER_SIZE) };
    default:
      // MPEG2TSSequenceStart, Multitrack, ModEx (v2): not something an hvc1/avc1 publisher needs.
      throw new FlvError(`enhanced PacketType ${exType} for ${fourCc} is not supported`);
  }
}
