/**
 * FLV video tag body, FLV spec v10.1 Annex E.4.3.1 (VIDEODATA) and the Enhanced RTMP
 * extension (veovera enhanced-rtmp v1, "ExVideoTagHeader").
 *
 *   legacy:   FrameType UB[4] | CodecID UB[4] | (CodecID 7, AVCVIDEOPACKET:)
 *             AVCPacketType UI8 | CompositionTime SI24 (ms, cts = pts - dts) | Data
 *   enhanced: IsExHeader UB[1]=1 | FrameType UB[3] | PacketType UB[4] | FourCC UI32 | ...
 *
 * AVCPacketType: 0 sequence header (AVCDecoderConfigurationRecord), 1 NALUs (AVCC, length
 * prefixed), 2 end of sequence. Only AVC is supported; HEVC (CodecID 12, as some Chinese
 * encoders send it) and every enhanced-RTMP FourCC are reported as unsupported, not errors.
 */
import { FlvError } from './flv-error';

export const VideoCodecId = { Avc: 7, Hevc: 12 } as const;
export const VideoFrameType = { Key: 1, Inter: 2, DisposableInter: 3, GeneratedKey: 4, InfoOrCommand: 5 } as const;
export type AvcPacketType = 'sequence-header' | 'nalu' | 'end-of-sequence';

export interface AvcVideoTag {
  codec: 'avc';
  frameType: number;
  keyframe: boolean;
  packetType: AvcPacketType;
  /** Signed composition time offset in ms (non-zero with B-frames). */
  compositionTime: number;
  /** Decoder configuration record, AVCC NALUs, or empty (view into the input). */
  data: Uint8Array;
}

export interface UnsupportedVideoTag {
  codec: 'unsupported';
  frameType: number;
  /** Legacy CodecID, when the tag uses the legacy header. */
  codecId?: number;
  /** Enhanced RTMP FourCC ("hvc1", "av01", "vp09"), when the tag uses the extended header. */
  fourCc?: string;
  /** What to tell a person: "HEVC", "hvc1", "CodecID 4". */
  name: string;
}

export type VideoTag = AvcVideoTag | UnsupportedVideoTag;

const AVC_HEADER_SIZE = 5;
const AVC_PACKET_TYPES: AvcPacketType[] = ['sequence-header', 'nalu', 'end-of-sequence'];

export function parseVideoTag(body: Uint8Array): VideoTag {
  if (body.byteLength < 1) throw new FlvError('empty video tag');
  const b0 = body[0];
  if (b0 & 0x80) {
    if (body.byteLength < 5) throw new FlvError('enhanced video tag shorter than 5 bytes');
    const fourCc = String.fromCharCode(body[1], body[2], body[3], body[4]);
    return { codec: 'unsupported', frameType: (b0 >> 4) & 0x07, fourCc, name: fourCc };
  }
  const frameType = b0 >> 4;
  const codecId = b0 & 0x0f;
  if (codecId !== VideoCodecId.Avc) {
    return { codec: 'unsupported', frameType, codecId, name: codecId === VideoCodecId.Hevc ? 'HEVC' : `CodecID ${codecId}` };
  }
  if (body.byteLength < AVC_HEADER_SIZE) throw new FlvError(`AVC video tag of ${body.byteLength} bytes is shorter than ${AVC_HEADER_SIZE}`);
  const packetType = AVC_PACKET_TYPES[body[1]];
  if (packetType === undefined) throw new FlvError(`unknown AVCPacketType ${body[1]}`);
  // SI24: sign-extend the 24-bit big-endian value.
  const compositionTime = ((body[2] << 24) | (body[3] << 16) | (body[4] << 8)) >> 8;
  return {
    codec: 'avc',
    frameType,
    keyframe: frameType === VideoFrameType.Key,
    packetType,
    compositionTime,
    data: body.subarray(AVC_HEADER_SIZE),
  };
}
