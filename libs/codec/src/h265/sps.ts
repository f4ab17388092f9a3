/**
 * H.265 sequence parameter set (ITU-T H.265 §7.3.2.2.1), parsed as far as the picture size:
 * profile_tier_level (§7.3.3) for profile, tier and level, then chroma format, the luma picture
 * size and the conformance window (§7.4.3.2.1: offsets count in SubWidthC/SubHeightC units,
 * Table 6-1).
 *
 *  sps_video_parameter_set_id u(4) | sps_max_sub_layers_minus1 u(3) | temporal_id_nesting u(1)
 *  profile_tier_level(1, max_sub_layers_minus1) | sps_seq_parameter_set_id ue(v)
 *  chroma_format_idc ue(v) | [separate_colour_plane_flag u(1)] | pic_width ue(v) | pic_height ue(v)
 *  conformance_window_flag u(1) | [left right top bottom offsets ue(v)] | bit_depth_luma_minus8 ue(v) ...
 */
import { BitReader, BitReaderError } from '../bit-reader';
import { nalToRbsp } from '../annexb';
import { H265SpsError } from './errors';
import { H265NalType, h265NalType } from './nal';

export interface H265Sps {
  profileSpace: number;
  /** general_tier_flag: false = Main tier, true = High tier. */
  highTier: boolean;
  profileIdc: number;
  /** general_profile_compatibility_flag[0..31] as a 32-bit number, flag 0 in the top bit. */
  profileCompatibility: number;
  /** general_level_idc: 30 × the level number (93 = level 3.1). */
  levelIdc: number;
  seqParameterSetId: number;
  chromaFormatIdc: number;
  bitDepthLuma: number;
  width: number;
  height: number;
}

const NAL_HEADER = 2;
/** progressive/interlaced/non_packed/frame_only (4) + 43 constraint bits + 1 (§7.3.3). */
const GENERAL_FLAGS_BITS = 48;
/** A sub-layer's profile part: space, tier, idc, 32 compatibility flags, the 48 flag bits. */
const SUB_LAYER_PROFILE_BITS = 2 + 1 + 5 + 32 + GENERAL_FLAGS_BITS;

const PROFILE_NAMES: Record<number, string> = {
  1: 'Main', 2: 'Main 10', 3: 'Main Still Picture', 4: 'Rext', 5: 'High Throughput', 6: 'Multiview Main',
  7: 'Scalable Main', 8: '3D Main', 9: 'Screen Extended',
};

export function h265ProfileName(profileIdc: number, profileCompatibility = 0): string {
  // A profile_idc of 0 may still signal a profile through its compatibility flag (§A.3).
  if (PROFILE_NAMES[profileIdc] !== undefined) return PROFILE_NAMES[profileIdc];
  for (let j = 1; j <= 9; j++) if ((profileCompatibility >>> (31 - j)) & 1) return PROFILE_NAMES[j] ?? `profile ${j}`;
  return `profile ${profileIdc}`;
}

/** general_level_idc 93 → "3.1", 120 → "4". */
export function h265LevelName(levelIdc: number): string {
  return String(Math.round((levelIdc / 30) * 10) / 10);
}

export function parseH265Sps(nalu: Uint8Array): H265Sps {
  if (nalu.byteLength < NAL_HEADER + 4 || h265NalType(nalu) !== H265NalType.Sps) throw new H265SpsError('not an SPS NAL unit');
  try {
    return parse(new BitReader(nalToRbsp(nalu.subarray(NAL_HEADER))));
  } catch (err) {
    if (err instanceof BitReaderError) throw new H265SpsError(err.message);
    throw err;
  }
}

function parse(r: BitReader): H265Sps {
  return readH265SpsHead(r).sps;
}

/** What the head of an SPS says beyond H265Sps, for a reader that goes on (slice-fields.ts). */
export interface H265SpsHead {
  sps: H265Sps;
  maxSubLayersMinus1: number;
  separateColourPlane: boolean;
  /** pic_width/height_in_luma_samples, before the conformance window. */
  picWidth: number;
  picHeight: number;
}

/** Reads up to bit_depth_luma_minus8 (included); `r` is left at bit_depth_chroma_minus8. */
export function readH265SpsHead(r: BitReader): H265SpsHead {
  r.skip(4); // sps_video_parameter_set_id
  const maxSubLayersMinus1 = r.bits(3);
  if (maxSubLayersMinus1 > 6) throw new H265SpsError(`sps_max_sub_layers_minus1 ${maxSubLayersMinus1}`);
  r.skip(1); // sps_temporal_id_nesting_flag
  const profileSpace = r.bits(2);
  const highTier = r.bool();
  const profileIdc = r.bits(5);
  const profileCompatibility = r.bits(32);
  r.skip(GENERAL_FLAGS_BITS);
  const levelIdc = r.bits(8);
  const subLayerProfile: boolean[] = [];
  const subLayerLevel: boolean[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    subLayerProfile.push(r.bool());
    subLayerLevel.push(r.bool());
  }
  if (maxSubLayersMinus1 > 0) r.skip(2 * (8 - maxSubLayersMinus1)); // reserved_zero_2bits
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    if (subLayerProfile[i]) r.skip(SUB_LAYER_PROFILE_BITS);
    if (subLayerLevel[i]) r.skip(8);
  }
  const seqParameterSetId = r.ue();
  if (seqParameterSetId > 15) throw new H265SpsError(`sps_seq_parameter_set_id ${seqParameterSetId}`);
  const chromaFormatIdc = r.ue();
  if (chromaFormatIdc > 3) throw new H265SpsError(`chroma_format_idc ${chromaFormatIdc}`);
  const separateColourPlane = chromaFormatIdc === 3 ? r.bool() : false;
  const picWidth = r.ue();
  const picHeight = r.ue();
  let crop = [0, 0, 0, 0];
  if (r.bool()) crop = [r.ue(), r.ue(), r.ue(), r.ue()];
  const bitDepthLuma = r.ue() + 8;
  // Table 6-1: ChromaArrayType 0 (monochrome or separate planes) counts in luma samples.
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
  const subHeightC = chromaArrayType === 1 ? 2 : 1;
  const width = picWidth - subWidthC * (crop[0] + crop[1]);
  const height = picHeight - subHeightC * (crop[2] + crop[3]);
  if (width <= 0 || height <= 0) throw new H265SpsError(`conformance window leaves ${width}x${height}`);
  const sps = { profileSpace, highTier, profileIdc, profileCompatibility, levelIdc, seqParameterSetId, chromaFormatIdc, bitDepthLuma, width, height };
  return { sps, maxSubLayersMinus1, separateColourPlane, picWidth, picHeight };
}
