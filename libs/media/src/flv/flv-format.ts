/**
 * The media model's reader of FLV sequence headers into formats (the FLV side of what
 * sdp-format.ts does for SDP): the AVC/HEVC decoder configuration record of a video sequence
 * header (ISO/IEC 14496-15 §5.3.3.1, §8.3.3.1) and the AudioSpecificConfig of an AAC sequence
 * header (ISO/IEC 14496-3 §1.6.2.1). FLV itself is parsed by protocol-rtmp only.
 */
import {
  AudioSpecificConfigError, AvcConfigError, HevcConfigError, NalLengthSize, parseAudioSpecificConfig, parseAvcDecoderConfig,
  parseHevcDecoderConfig,
} from '@streamgate/codec';
import type { CodedVideoTag } from '@streamgate/protocol-rtmp';
import { Mpeg4AudioFormat, VIDEO_CLOCK_RATE, VideoFormat } from '../format/format';

/** Track ids of an FLV source (codec units' `track`, `SourceFormat.track`): FLV has one video and one audio stream. */
export const FLV_VIDEO_TRACK = 0;
export const FLV_AUDIO_TRACK = 1;
/** Payload types FLV formats are labelled with (FLV has none; these are what the SDP of a source would say). */
export const FLV_VIDEO_PAYLOAD_TYPE = 96;
export const FLV_AUDIO_PAYLOAD_TYPE = 97;

/** A sequence header whose codec data does not parse. */
export class FlvFormatError extends Error {
  constructor(detail: string) {
    super(`FLV sequence header: ${detail}`);
    this.name = 'FlvFormatError';
  }
}

export interface FlvVideoFormat {
  format: VideoFormat;
  /** Bytes of the length prefix of each NAL unit in the coded frames. */
  lengthSize: NalLengthSize;
}

/** The format of a video sequence header (legacy AVC/HEVC or enhanced SequenceStart); parameter sets copied. */
export function videoFormatOfFlv(tag: CodedVideoTag): FlvVideoFormat {
  const common = { media: 'video' as const, payloadType: FLV_VIDEO_PAYLOAD_TYPE, clockRate: VIDEO_CLOCK_RATE };
  try {
    if (tag.codec === 'avc') {
      const r = parseAvcDecoderConfig(tag.data);
      return { lengthSize: r.lengthSize, format: { ...common, codec: 'H264', packetizationMode: 1, parameterSets: copies({ sps: r.sps[0], pps: r.pps[0] }) } };
    }
    const r = parseHevcDecoderConfig(tag.data);
    return { lengthSize: r.lengthSize, format: { ...common, codec: 'H265', parameterSets: copies({ vps: r.vps[0], sps: r.sps[0], pps: r.pps[0] }) } };
  } catch (err) {
    if (err instanceof AvcConfigError || err instanceof HevcConfigError) throw new FlvFormatError(err.message);
    throw err;
  }
}

/**
 * The format of an AAC sequence header. The RTP clock is the sample rate; the AU-header sizes
 * are RFC 3640 AAC-hbr's (what the packetizer sends).
 */
export function audioFormatOfFlv(asc: Uint8Array): Mpeg4AudioFormat {
  try {
    const parsed = parseAudioSpecificConfig(asc);
    return {
      media: 'audio', codec: 'MPEG4-GENERIC', payloadType: FLV_AUDIO_PAYLOAD_TYPE, clockRate: parsed.sampleRate,
      asc: new Uint8Array(asc), parsed, sizeLength: 13, indexLength: 3, indexDeltaLength: 3,
    };
  } catch (err) {
    if (err instanceof AudioSpecificConfigError) throw new FlvFormatError(err.message);
    throw err;
  }
}

function copies(sets: Record<string, Uint8Array | undefined>): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(sets)) if (v) out[k] = new Uint8Array(v);
  return out;
}
