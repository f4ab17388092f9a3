/**
 * H.264 sequence parameter set (ITU-T H.264 §7.3.2.1.1), parsed far enough for resolution,
 * profile, level and VUI timing (Annex E.1.1).
 */
import { BitReader, BitReaderError } from '../bit-reader';
import { nalToRbsp } from '../annexb';
import { H264SpsError } from './errors';
import { H264NalType } from './nal';

export interface H264Sps {
  profileIdc: number;
  /** constraint_set0..5 flags and reserved bits, as the byte after profile_idc. */
  constraintFlags: number;
  levelIdc: number;
  seqParameterSetId: number;
  chromaFormatIdc: number;
  frameMbsOnly: boolean;
  width: number;
  height: number;
  /** Frames per second from VUI timing (time_scale / (2 * num_units_in_tick)), when present. */
  frameRate?: number;
  /** What a slice header depends on (§7.3.3). */
  slice: H264SliceHeaderFields;
}

/** The SPS fields that shape a slice header and its picture size (§7.3.3, §7.4.2.1.1). */
export interface H264SliceHeaderFields {
  separateColourPlane: boolean;
  log2MaxFrameNum: number;
  picOrderCntType: number;
  /** pic_order_cnt_type 0 only. */
  log2MaxPicOrderCntLsb: number;
  /** pic_order_cnt_type 1 only. */
  deltaPicOrderAlwaysZero: boolean;
  picWidthInMbs: number;
  picHeightInMapUnits: number;
  mbAdaptiveFrameField: boolean;
}

/** Profiles that carry chroma_format_idc etc. (§7.3.2.1.1). */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

const PROFILE_NAMES: Record<number, string> = {
  66: 'Baseline', 77: 'Main', 88: 'Extended', 100: 'High', 110: 'High 10', 122: 'High 4:2:2', 244: 'High 4:4:4 Predictive', 44: 'CAVLC 4:4:4',
};

export function h264ProfileName(profileIdc: number, constraintFlags = 0): string {
  if (profileIdc === 66 && (constraintFlags & 0x40) !== 0) return 'Constrained Baseline';
  return PROFILE_NAMES[profileIdc] ?? `profile ${profileIdc}`;
}

/** level_idc 31 → "3.1"; level_idc 9 is level 1b. */
export function h264LevelName(levelIdc: number): string {
  return levelIdc === 9 ? '1b' : (levelIdc / 10).toFixed(1);
}

function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + r.se() + 256) % 256;
    last = next === 0 ? last : next;
  }
}

export function parseH264Sps(nalu: Uint8Array): H264Sps {
  if (nalu.byteLength < 4 || (nalu[0] & 0x1f) !== H264NalType.Sps) throw new H264SpsError('not an SPS NAL unit');
  try {
    return parse(new BitReader(nalToRbsp(nalu.subarray(1))));
  } catch (err) {
    if (err instanceof BitReaderError) throw new H264SpsError(err.message);
    throw err;
  }
}

function parse(r: BitReader): H264Sps {
  const profileIdc = r.bits(8);
  const constraintFlags = r.bits(8);
  const levelIdc = r.bits(8);
  const seqParameterSetId = r.ue();
  if (seqParameterSetId > 31) throw new H264SpsError(`seq_parameter_set_id ${seqParameterSetId}`);
  let chromaFormatIdc = 1;
  let separateColourPlane = false;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = r.ue();
    if (chromaFormatIdc > 3) throw new H264SpsError(`chroma_format_idc ${chromaFormatIdc}`);
    if (chromaFormatIdc === 3) separateColourPlane = r.bool();
    r.ue(); // bit_depth_luma_minus8
    r.ue(); // bit_depth_chroma_minus8
    r.skip(1); // qpprime_y_zero_transform_bypass_flag
    if (r.bool()) {
      const lists = chromaFormatIdc !== 3 ? 8 : 12;
      for (let i = 0; i < lists; i++) if (r.bool()) skipScalingList(r, i < 6 ? 16 : 64);
    }
  }
  const log2MaxFrameNum = r.ue() + 4;
  if (log2MaxFrameNum > 16) throw new H264SpsError(`log2_max_frame_num_minus4 ${log2MaxFrameNum - 4}`);
  const pocType = r.ue();
  let log2MaxPicOrderCntLsb = 0;
  let deltaPicOrderAlwaysZero = false;
  if (pocType === 0) {
    log2MaxPicOrderCntLsb = r.ue() + 4;
    if (log2MaxPicOrderCntLsb > 16) throw new H264SpsError(`log2_max_pic_order_cnt_lsb_minus4 ${log2MaxPicOrderCntLsb - 4}`);
  } else if (pocType === 1) {
    deltaPicOrderAlwaysZero = r.bool();
    r.se();
    r.se();
    const cycle = r.ue();
    if (cycle > 255) throw new H264SpsError(`num_ref_frames_in_pic_order_cnt_cycle ${cycle}`);
    for (let i = 0; i < cycle; i++) r.se();
  } else if (pocType !== 2) {
    throw new H264SpsError(`pic_order_cnt_type ${pocType}`);
  }
  r.ue(); // max_num_ref_frames
  r.skip(1); // gaps_in_frame_num_value_allowed_flag
  const widthMbs = r.ue() + 1;
  const heightMapUnits = r.ue() + 1;
  const frameMbsOnly = r.bool();
  const mbAdaptiveFrameField = !frameMbsOnly && r.bool();
  r.skip(1); // direct_8x8_inference_flag
  let crop = [0, 0, 0, 0];
  if (r.bool()) crop = [r.ue(), r.ue(), r.ue(), r.ue()];

  // Table 6-1 and §7.4.2.1.1: crop units depend on chroma subsampling and field coding.
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaFormatIdc === 3 ? 1 : 2;
  const subHeightC = chromaFormatIdc === 1 ? 2 : 1;
  const cropUnitX = chromaArrayType === 0 ? 1 : subWidthC;
  const cropUnitY = (chromaArrayType === 0 ? 1 : subHeightC) * (frameMbsOnly ? 1 : 2);
  const width = widthMbs * 16 - cropUnitX * (crop[0] + crop[1]);
  const height = (frameMbsOnly ? 1 : 2) * heightMapUnits * 16 - cropUnitY * (crop[2] + crop[3]);
  if (width <= 0 || height <= 0) throw new H264SpsError(`cropping leaves ${width}x${height}`);

  const slice: H264SliceHeaderFields = {
    separateColourPlane, log2MaxFrameNum, picOrderCntType: pocType, log2MaxPicOrderCntLsb, deltaPicOrderAlwaysZero,
    picWidthInMbs: widthMbs, picHeightInMapUnits: heightMapUnits, mbAdaptiveFrameField,
  };
  const sps: H264Sps = { profileIdc, constraintFlags, levelIdc, seqParameterSetId, chromaFormatIdc, frameMbsOnly, width, height, slice };
  if (r.bitsLeft > 0 && r.bool()) {
    const frameRate = readVuiFrameRate(r);
    if (frameRate !== undefined) sps.frameRate = frameRate;
  }
  return sps;
}

/** VUI up to timing_info (Annex E.1.1); the rest is not needed. */
function readVuiFrameRate(r: BitReader): number | undefined {
  if (r.bool()) {
    const aspectRatioIdc = r.bits(8);
    if (aspectRatioIdc === 255) r.skip(32); // Extended_SAR
  }
  if (r.bool()) r.skip(1); // overscan_appropriate_flag
  if (r.bool()) {
    r.skip(4); // video_format, video_full_range_flag
    if (r.bool()) r.skip(24); // colour_primaries, transfer_characteristics, matrix_coefficients
  }
  if (r.bool()) {
    r.ue();
    r.ue();
  }
  if (!r.bool()) return undefined;
  const numUnitsInTick = r.bits(32);
  const timeScale = r.bits(32);
  if (numUnitsInTick === 0 || timeScale === 0) return undefined;
  return timeScale / (2 * numUnitsInTick);
}
