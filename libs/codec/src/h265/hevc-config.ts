/**
 * HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 §8.3.3.1), as in the MP4 `hvcC` box and the
 * enhanced-RTMP `hvc1` PacketTypeSequenceStart body.
 *
 *   offset  field
 *   0       u8 configurationVersion = 1
 *   1       general_profile_space(2) general_tier_flag(1) general_profile_idc(5)
 *   2..5    u32 general_profile_compatibility_flags
 *   6..11   u48 general_constraint_indicator_flags
 *   12      u8 general_level_idc
 *   13..14  reserved(4)=1111 min_spatial_segmentation_idc(12)
 *   15      reserved(6)=111111 parallelismType(2)
 *   16      reserved(6)=111111 chromaFormat(2)
 *   17      reserved(5)=11111 bitDepthLumaMinus8(3)
 *   18      reserved(5)=11111 bitDepthChromaMinus8(3)
 *   19..20  u16 avgFrameRate
 *   21      constantFrameRate(2) numTemporalLayers(3) temporalIdNested(1) lengthSizeMinusOne(2)
 *   22      u8 numOfArrays
 *   23..    per array: array_completeness(1) reserved(1) NAL_unit_type(6) | u16 numNalus |
 *           (u16 nalUnitLength, nalUnit)*
 */
import { NalLengthSize, nalToRbsp } from '../annexb';
import { HevcConfigError } from './errors';
import { H265NalType, h265NalType } from './nal';

export interface HevcDecoderConfig {
  /** Bytes of the length prefix of each NAL unit in the samples. */
  lengthSize: NalLengthSize;
  /** Views into the input. */
  vps: Uint8Array[];
  sps: Uint8Array[];
  pps: Uint8Array[];
  /** SEI and other arrays: not needed to decode. */
  other: Uint8Array[];
}

const HEADER_SIZE = 23;
/** Bound on what a hostile record can make us collect. */
const MAX_NALUS = 64;

export function parseHevcDecoderConfig(buf: Uint8Array): HevcDecoderConfig {
  if (buf.byteLength < HEADER_SIZE) throw new HevcConfigError(`${buf.byteLength} bytes is shorter than ${HEADER_SIZE}`);
  if (buf[0] !== 1) throw new HevcConfigError(`configurationVersion ${buf[0]}`);
  const lengthSize = (buf[21] & 0x03) + 1;
  if (lengthSize === 3) throw new HevcConfigError('lengthSizeMinusOne 2 is not allowed');
  const out: HevcDecoderConfig = { lengthSize: lengthSize as NalLengthSize, vps: [], sps: [], pps: [], other: [] };
  let pos = HEADER_SIZE;
  let count = 0;
  for (let a = 0; a < buf[22]; a++) {
    if (pos + 3 > buf.byteLength) throw new HevcConfigError('truncated NAL unit array header');
    const numNalus = (buf[pos + 1] << 8) | buf[pos + 2];
    pos += 3;
    for (let i = 0; i < numNalus; i++) {
      if (pos + 2 > buf.byteLength) throw new HevcConfigError('truncated nalUnitLength');
      const len = (buf[pos] << 8) | buf[pos + 1];
      pos += 2;
      if (len < 2 || pos + len > buf.byteLength) throw new HevcConfigError(`NAL unit of ${len} bytes overruns the record`);
      if (++count > MAX_NALUS) throw new HevcConfigError(`more than ${MAX_NALUS} NAL units`);
      const nalu = buf.subarray(pos, pos + len);
      pos += len;
      // The NAL header says what it is; the array's NAL_unit_type is only a grouping.
      const t = h265NalType(nalu);
      (t === H265NalType.Vps ? out.vps : t === H265NalType.Sps ? out.sps : t === H265NalType.Pps ? out.pps : out.other).push(nalu);
    }
  }
  if (out.vps.length === 0 || out.sps.length === 0 || out.pps.length === 0) {
    throw new HevcConfigError(`${out.vps.length} VPS, ${out.sps.length} SPS and ${out.pps.length} PPS`);
  }
  return out;
}

/**
 * Builds the record for one VPS, SPS and PPS (what an enhanced-RTMP publisher sends), with the
 * general profile, tier and level copied from the SPS's profile_tier_level (H.265 §7.3.3) and
 * 4-byte NAL unit lengths.
 */
export function serializeHevcDecoderConfig(vps: Uint8Array, sps: Uint8Array, pps: Uint8Array): Uint8Array {
  // SPS RBSP: 2-byte NAL header, 1 byte of ids, then general_profile_space.. general_level_idc (12 bytes).
  const rbsp = nalToRbsp(sps);
  if (rbsp.byteLength < 15) throw new HevcConfigError(`SPS of ${sps.byteLength} bytes is too short`);
  const arrays: Array<[number, Uint8Array]> = [[H265NalType.Vps, vps], [H265NalType.Sps, sps], [H265NalType.Pps, pps]];
  let size = HEADER_SIZE;
  for (const [, n] of arrays) size += 5 + n.byteLength;
  const out = new Uint8Array(size);
  out[0] = 1;
  out.set(rbsp.subarray(3, 15), 1);
  out[13] = 0xf0;
  out[15] = 0xfc;
  out[16] = 0xfd; // chromaFormat 1 (4:2:0), as every encoder we meet sends
  out[17] = 0xf8;
  out[18] = 0xf8;
  out[21] = 0x0f; // numTemporalLayers 1, temporalIdNested 1, lengthSizeMinusOne 3
  out[22] = arrays.length;
  let pos = HEADER_SIZE;
  for (const [type, n] of arrays) {
    out[pos] = 0x80 | type;
    out[pos + 1] = 0;
    out[pos + 2] = 1;
    out[pos + 3] = n.byteLength >> 8;
    out[pos + 4] = n.byteLength & 0xff;
    out.set(n, pos + 5);
    pos += 5 + n.byteLength;
  }
  return out;
}
