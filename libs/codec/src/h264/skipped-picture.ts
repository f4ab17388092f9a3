/**
 * A picture made of skipped macroblocks: it repeats its reference picture, or shows nothing
 * before a decoder has one. A reader's stream can open with it so that the first picture a
 * demuxer's parser splits is a non-keyframe (GopCache in @streamgate/media says why ffmpeg
 * needs that); stream copies drop it, decoders skip it like a joined mid-GOP frame.
 *
 * It is a non-reference P slice (nal_ref_idc 0: nothing refers to it and it marks nothing,
 * §7.4.1) whose slice data is one mb_skip_run covering the picture (§7.3.4). The slice uses
 * a PPS of its own that selects CAVLC (entropy_coding_mode_flag 0), so the data is one
 * Exp-Golomb code whatever entropy coding the stream's own PPS uses (CAVLC is allowed in
 * every profile); the PPS takes an id the stream does not use.
 */
import { BitReader, BitReaderError } from '../bit-reader';
import { BitWriter } from '../bit-writer';
import { nalToRbsp, rbspToNal } from '../annexb';
import { H264SpsError } from './errors';
import { H264NalType } from './nal';
import { parseH264Sps } from './sps';

export interface H264SkippedPicture {
  /** The PPS the slices use: send it first. */
  pps: Uint8Array;
  /** One slice, or three (colour_plane_id 0..2) for 4:4:4 coded as separate planes. */
  slices: Uint8Array[];
}

/** pic_parameter_set_id of a PPS NAL unit (§7.3.2.2); undefined when it is not one or is cut. */
export function h264PpsId(nalu: Uint8Array): number | undefined {
  if (nalu.byteLength < 2 || (nalu[0] & 0x1f) !== H264NalType.Pps) return undefined;
  try {
    const id = new BitReader(nalToRbsp(nalu.subarray(1))).ue();
    return id <= 255 ? id : undefined;
  } catch (err) {
    if (err instanceof BitReaderError) return undefined;
    throw err;
  }
}

const P_SLICE_ALL = 5; // slice_type 5: P, every slice of the picture is P (Table 7-6)

/**
 * Where the picture goes in the sequence: frame_num and pic_order_cnt_lsb (§7.4.3). Both 0 by
 * default, which is right before an IDR picture (a lead-in); after a reference picture whose
 * frame_num is n, frame_num is n + 1 and the order count comes after that picture's.
 */
export interface H264PicturePosition {
  frameNum: number;
  picOrderCntLsb: number;
}

/** Throws H264SpsError when `sps` does not parse. `ppsIdsInUse`: ids the stream's PPSs take. */
export function h264SkippedPicture(sps: Uint8Array, ppsIdsInUse: readonly number[], at: H264PicturePosition = { frameNum: 0, picOrderCntLsb: 0 }): H264SkippedPicture {
  const s = parseH264Sps(sps);
  const f = s.slice;
  let ppsId = 0;
  while (ppsIdsInUse.includes(ppsId)) ppsId++;
  if (ppsId > 255) throw new H264SpsError('every pic_parameter_set_id is in use');

  const pps = new BitWriter()
    .bits(8, 0x60 | H264NalType.Pps) // nal_ref_idc 3: parameter sets are never 0 (§7.4.1)
    .ue(ppsId)
    .ue(s.seqParameterSetId)
    .bit(0) // entropy_coding_mode_flag: CAVLC
    .bit(0) // bottom_field_pic_order_in_frame_present_flag
    .ue(0) // num_slice_groups_minus1
    .ue(0) // num_ref_idx_l0_default_active_minus1
    .ue(0) // num_ref_idx_l1_default_active_minus1
    .bit(0) // weighted_pred_flag
    .bits(2, 0) // weighted_bipred_idc
    .se(0) // pic_init_qp_minus26
    .se(0) // pic_init_qs_minus26
    .se(0) // chroma_qp_index_offset
    .bit(0) // deblocking_filter_control_present_flag
    .bit(0) // constrained_intra_pred_flag
    .bit(0) // redundant_pic_cnt_present_flag
    .trailingBits();

  const frameHeightInMbs = (s.frameMbsOnly ? 1 : 2) * f.picHeightInMapUnits;
  const picSizeInMbs = f.picWidthInMbs * frameHeightInMbs;
  const slices: Uint8Array[] = [];
  for (const plane of f.separateColourPlane ? [0, 1, 2] : [-1]) {
    const w = new BitWriter()
      .bits(8, H264NalType.NonIdrSlice) // nal_ref_idc 0
      .ue(0) // first_mb_in_slice
      .ue(P_SLICE_ALL)
      .ue(ppsId);
    if (plane >= 0) w.bits(2, plane); // colour_plane_id
    w.bits(f.log2MaxFrameNum, at.frameNum % 2 ** f.log2MaxFrameNum);
    if (!s.frameMbsOnly) w.bit(0); // field_pic_flag: a frame
    if (f.picOrderCntType === 0) w.bits(f.log2MaxPicOrderCntLsb, at.picOrderCntLsb % 2 ** f.log2MaxPicOrderCntLsb);
    if (f.picOrderCntType === 1 && !f.deltaPicOrderAlwaysZero) w.se(0); // delta_pic_order_cnt[0]
    w.bit(0) // num_ref_idx_active_override_flag
      .bit(0) // ref_pic_list_modification_flag_l0
      .se(0) // slice_qp_delta
      .ue(picSizeInMbs) // slice_data(): mb_skip_run, every macroblock
      .trailingBits();
    slices.push(rbspToNal(w.finish()));
  }
  return { pps: rbspToNal(pps.finish()), slices };
}
