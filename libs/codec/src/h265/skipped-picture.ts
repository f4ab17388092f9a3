/**
 * The H.265 skipped picture (see h264SkippedPicture for why a reader's stream opens with one):
 * a TRAIL_N P slice whose coding units are all skipped (cu_skip_flag 1, merge candidate 0),
 * under a PPS of its own (an unused id: no tiles, no WPP, no deblocking or SAO controls, one
 * reference) so the slice header depends on the SPS alone. H.265 slice data is always CABAC
 * (§9.3), so the few bins it has (split_cu_flag, cu_skip_flag, end_of_slice_segment_flag) go
 * through the arithmetic encoder. The SPS is read past the part parseH265Sps reads, as far as
 * the slice header needs (§7.3.2.2.1).
 */
import { BitReader, BitReaderError } from '../bit-reader';
import { BitWriter } from '../bit-writer';
import { CabacContext, CabacEncoder, cabacContext } from '../cabac-encoder';
import { nalToRbsp, rbspToNal } from '../annexb';
import { H265SpsError } from './errors';
import { H265NalType, h265NalType } from './nal';
import { readH265SpsHead } from './sps';

/** The SPS fields a slice header and the coding quadtree depend on. */
export interface H265SliceFields {
  seqParameterSetId: number;
  chromaArrayType: number;
  separateColourPlane: boolean;
  picWidth: number;
  picHeight: number;
  log2MaxPicOrderCntLsb: number;
  minCbLog2Size: number;
  ctbLog2Size: number;
  sampleAdaptiveOffset: boolean;
  numShortTermRefPicSets: number;
  longTermRefPicsPresent: boolean;
  numLongTermRefPicsSps: number;
  temporalMvp: boolean;
}

export interface H265SkippedPicture {
  pps: Uint8Array;
  slice: Uint8Array;
}

const NAL_HEADER = 2;
const TRAIL_N = 0;
const P_SLICE = 1;
/** SliceQpY of the picture: 26 + init_qp_minus26 (0) + slice_qp_delta (0). */
const SLICE_QP = 26;
/** initValue of split_cu_flag and cu_skip_flag for initType 1, a P slice (Tables 9-11, 9-13). */
const SPLIT_CU_FLAG_INIT = [107, 139, 126];
const CU_SKIP_FLAG_INIT = [197, 185, 201];

function scalingListData(r: BitReader): void {
  for (let sizeId = 0; sizeId < 4; sizeId++) {
    for (let matrixId = 0; matrixId < 6; matrixId += sizeId === 3 ? 3 : 1) {
      if (!r.bool()) {
        r.ue(); // scaling_list_pred_matrix_id_delta
        continue;
      }
      const coefNum = Math.min(64, 1 << (4 + (sizeId << 1)));
      if (sizeId > 1) r.se(); // scaling_list_dc_coef_minus8
      for (let i = 0; i < coefNum; i++) r.se();
    }
  }
}

/** st_ref_pic_set(idx) in an SPS (§7.3.7); returns its NumDeltaPocs. */
function shortTermRefPicSet(r: BitReader, idx: number, numDeltaPocs: number[]): number {
  if (idx !== 0 && r.bool()) {
    r.skip(1); // delta_rps_sign
    r.ue(); // abs_delta_rps_minus1
    let count = 0;
    for (let j = 0; j <= numDeltaPocs[idx - 1]; j++) {
      const used = r.bool();
      if (used || r.bool()) count++;
    }
    return count;
  }
  const negative = r.ue();
  const positive = r.ue();
  if (negative > 16 || positive > 16) throw new H265SpsError(`short-term RPS of ${negative}+${positive} pictures`);
  for (let i = 0; i < negative + positive; i++) {
    r.ue();
    r.skip(1);
  }
  return negative + positive;
}

export function parseH265SliceFields(sps: Uint8Array): H265SliceFields {
  if (sps.byteLength < NAL_HEADER + 4 || h265NalType(sps) !== H265NalType.Sps) throw new H265SpsError('not an SPS NAL unit');
  try {
    const r = new BitReader(nalToRbsp(sps.subarray(NAL_HEADER)));
    const head = readH265SpsHead(r);
    r.ue(); // bit_depth_chroma_minus8
    const log2MaxPicOrderCntLsb = r.ue() + 4;
    if (log2MaxPicOrderCntLsb > 16) throw new H265SpsError(`log2_max_pic_order_cnt_lsb_minus4 ${log2MaxPicOrderCntLsb - 4}`);
    const allSubLayers = r.bool();
    for (let i = allSubLayers ? 0 : head.maxSubLayersMinus1; i <= head.maxSubLayersMinus1; i++) {
      r.ue();
      r.ue();
      r.ue();
    }
    const minCbLog2Size = r.ue() + 3;
    const ctbLog2Size = minCbLog2Size + r.ue();
    if (ctbLog2Size > 6 || ctbLog2Size < 4) throw new H265SpsError(`CtbLog2SizeY ${ctbLog2Size}`);
    r.ue(); // log2_min_luma_transform_block_size_minus2
    r.ue(); // log2_diff_max_min_luma_transform_block_size
    r.ue(); // max_transform_hierarchy_depth_inter
    r.ue(); // max_transform_hierarchy_depth_intra
    if (r.bool() && r.bool()) scalingListData(r);
    r.skip(1); // amp_enabled_flag
    const sampleAdaptiveOffset = r.bool();
    if (r.bool()) {
      r.skip(8); // pcm_sample_bit_depth_luma/chroma_minus1
      r.ue();
      r.ue();
      r.skip(1); // pcm_loop_filter_disabled_flag
    }
    const numShortTermRefPicSets = r.ue();
    if (numShortTermRefPicSets > 64) throw new H265SpsError(`num_short_term_ref_pic_sets ${numShortTermRefPicSets}`);
    const numDeltaPocs: number[] = [];
    for (let i = 0; i < numShortTermRefPicSets; i++) numDeltaPocs.push(shortTermRefPicSet(r, i, numDeltaPocs));
    const longTermRefPicsPresent = r.bool();
    let numLongTermRefPicsSps = 0;
    if (longTermRefPicsPresent) {
      numLongTermRefPicsSps = r.ue();
      if (numLongTermRefPicsSps > 32) throw new H265SpsError(`num_long_term_ref_pics_sps ${numLongTermRefPicsSps}`);
      for (let i = 0; i < numLongTermRefPicsSps; i++) r.skip(log2MaxPicOrderCntLsb + 1);
    }
    const temporalMvp = r.bool();
    const { sps: s, separateColourPlane, picWidth, picHeight } = head;
    if (picWidth === 0 || picHeight === 0 || picWidth % (1 << minCbLog2Size) !== 0 || picHeight % (1 << minCbLog2Size) !== 0) {
      throw new H265SpsError(`picture ${picWidth}x${picHeight} is not made of ${1 << minCbLog2Size}-sample coding blocks`);
    }
    return {
      seqParameterSetId: s.seqParameterSetId, chromaArrayType: separateColourPlane ? 0 : s.chromaFormatIdc, separateColourPlane, picWidth, picHeight,
      log2MaxPicOrderCntLsb, minCbLog2Size, ctbLog2Size, sampleAdaptiveOffset, numShortTermRefPicSets, longTermRefPicsPresent, numLongTermRefPicsSps, temporalMvp,
    };
  } catch (err) {
    if (err instanceof BitReaderError) throw new H265SpsError(err.message);
    throw err;
  }
}

/** pps_pic_parameter_set_id (§7.3.2.3.1); undefined when `nalu` is not a PPS or is cut. */
export function h265PpsId(nalu: Uint8Array): number | undefined {
  if (nalu.byteLength < NAL_HEADER + 1 || h265NalType(nalu) !== H265NalType.Pps) return undefined;
  try {
    const id = new BitReader(nalToRbsp(nalu.subarray(NAL_HEADER))).ue();
    return id <= 63 ? id : undefined;
  } catch (err) {
    if (err instanceof BitReaderError) return undefined;
    throw err;
  }
}

function nalHeader(type: number): BitWriter {
  // forbidden_zero_bit, nal_unit_type, nuh_layer_id 0, nuh_temporal_id_plus1 1
  return new BitWriter().bit(0).bits(6, type).bits(6, 0).bits(3, 1);
}

function ownPps(ppsId: number, spsId: number): Uint8Array {
  const w = nalHeader(H265NalType.Pps).ue(ppsId).ue(spsId)
    .bit(0) // dependent_slice_segments_enabled_flag
    .bit(0) // output_flag_present_flag
    .bits(3, 0) // num_extra_slice_header_bits
    .bit(0) // sign_data_hiding_enabled_flag
    .bit(0) // cabac_init_present_flag
    .ue(0) // num_ref_idx_l0_default_active_minus1: one reference
    .ue(0) // num_ref_idx_l1_default_active_minus1
    .se(0) // init_qp_minus26
    .bit(0) // constrained_intra_pred_flag
    .bit(0) // transform_skip_enabled_flag
    .bit(0) // cu_qp_delta_enabled_flag
    .se(0) // pps_cb_qp_offset
    .se(0) // pps_cr_qp_offset
    .bit(0) // pps_slice_chroma_qp_offsets_present_flag
    .bit(0) // weighted_pred_flag
    .bit(0) // weighted_bipred_flag
    .bit(0) // transquant_bypass_enabled_flag
    .bit(0) // tiles_enabled_flag
    .bit(0) // entropy_coding_sync_enabled_flag
    .bit(0) // pps_loop_filter_across_slices_enabled_flag
    .bit(0) // deblocking_filter_control_present_flag
    .bit(0) // pps_scaling_list_data_present_flag
    .bit(0) // lists_modification_present_flag
    .ue(0) // log2_parallel_merge_level_minus2
    .bit(0) // slice_segment_header_extension_present_flag
    .bit(0) // pps_extension_present_flag
    .trailingBits();
  return rbspToNal(w.finish());
}

/** The coding quadtrees of every CTU (§7.3.8.2, §7.3.8.4), every CU skipped, then the flush. */
function skippedSliceData(f: H265SliceFields, out: BitWriter): void {
  const cabac = new CabacEncoder(out);
  const split: CabacContext[] = SPLIT_CU_FLAG_INIT.map((v) => cabacContext(v, SLICE_QP));
  const skip: CabacContext[] = CU_SKIP_FLAG_INIT.map((v) => cabacContext(v, SLICE_QP));
  const minCb = f.minCbLog2Size;
  const gridWidth = f.picWidth >> minCb;
  // CtDepth per minimum coding block, set as CUs are coded (-1: not yet coded).
  const depth = new Int8Array(gridWidth * (f.picHeight >> minCb)).fill(-1);
  const depthAt = (x: number, y: number): number => depth[(y >> minCb) * gridWidth + (x >> minCb)];

  const quadtree = (x0: number, y0: number, log2Size: number, cqtDepth: number): void => {
    const size = 1 << log2Size;
    let divide = log2Size > minCb;
    if (x0 + size <= f.picWidth && y0 + size <= f.picHeight && log2Size > minCb) {
      // Neighbours left and above are coded before in z-scan order when inside the picture (§6.4.1).
      const ctxInc = Number(x0 > 0 && depthAt(x0 - 1, y0) > cqtDepth) + Number(y0 > 0 && depthAt(x0, y0 - 1) > cqtDepth);
      cabac.decision(split[ctxInc], 0);
      divide = false;
    }
    if (divide) {
      const half = size >> 1;
      for (const [x, y] of [[x0, y0], [x0 + half, y0], [x0, y0 + half], [x0 + half, y0 + half]]) {
        if (x < f.picWidth && y < f.picHeight) quadtree(x, y, log2Size - 1, cqtDepth + 1);
      }
      return;
    }
    // cu_skip_flag: every CU coded so far is skipped, so the context counts available neighbours.
    cabac.decision(skip[Number(x0 > 0) + Number(y0 > 0)], 1);
    for (let y = y0; y < Math.min(y0 + size, f.picHeight); y += 1 << minCb) {
      for (let x = x0; x < Math.min(x0 + size, f.picWidth); x += 1 << minCb) depth[(y >> minCb) * gridWidth + (x >> minCb)] = cqtDepth;
    }
  };

  const ctb = 1 << f.ctbLog2Size;
  const columns = Math.ceil(f.picWidth / ctb);
  const rows = Math.ceil(f.picHeight / ctb);
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < columns; col++) {
      quadtree(col * ctb, row * ctb, f.ctbLog2Size, 0);
      cabac.terminate(row === rows - 1 && col === columns - 1 ? 1 : 0); // end_of_slice_segment_flag
    }
  }
}

/**
 * Throws H265SpsError when `sps` does not parse far enough or the picture has separate colour
 * planes. `picOrderCntLsb`: 0 before an IRAP picture (a lead-in); after a picture, its order
 * count + 1 (the one reference is the picture just before in output order).
 *
 * The picture is output. Before an IRAP picture ffmpeg makes up its missing reference ("Could
 * not find ref with POC -1") and shows one grey frame, as for any P picture a reader joins on.
 * Not output (pic_output_flag 0), GStreamer's playbin stalled ~1 s after its first frame, every
 * time (consumer-conformance, first-GOP H.265 camera).
 */
export function h265SkippedPicture(sps: Uint8Array, ppsIdsInUse: readonly number[], picOrderCntLsb = 0): H265SkippedPicture {
  const f = parseH265SliceFields(sps);
  if (f.separateColourPlane) throw new H265SpsError('separate colour planes');
  let ppsId = 0;
  while (ppsIdsInUse.includes(ppsId)) ppsId++;
  if (ppsId > 63) throw new H265SpsError('every pps_pic_parameter_set_id is in use');

  const w = nalHeader(TRAIL_N)
    .bit(1) // first_slice_segment_in_pic_flag
    .ue(ppsId)
    .ue(P_SLICE)
    .bits(f.log2MaxPicOrderCntLsb, picOrderCntLsb % 2 ** f.log2MaxPicOrderCntLsb)
    .bit(0); // short_term_ref_pic_set_sps_flag: the set follows
  // st_ref_pic_set(num_short_term_ref_pic_sets): one picture before, used.
  if (f.numShortTermRefPicSets > 0) w.bit(0); // inter_ref_pic_set_prediction_flag
  w.ue(1).ue(0).ue(0).bit(1); // num_negative_pics, num_positive_pics, delta_poc_s0_minus1, used_by_curr_pic_s0_flag
  if (f.longTermRefPicsPresent) {
    if (f.numLongTermRefPicsSps > 0) w.ue(0); // num_long_term_sps
    w.ue(0); // num_long_term_pics
  }
  if (f.temporalMvp) w.bit(0); // slice_temporal_mvp_enabled_flag
  if (f.sampleAdaptiveOffset) {
    w.bit(0); // slice_sao_luma_flag
    if (f.chromaArrayType !== 0) w.bit(0); // slice_sao_chroma_flag
  }
  w.bit(0) // num_ref_idx_active_override_flag
    .ue(4) // five_minus_max_num_merge_cand: one candidate, so no merge_idx
    .se(0) // slice_qp_delta
    .trailingBits(); // byte_alignment(): a one, then zeros
  skippedSliceData(f, w);
  return { pps: ownPps(ppsId, f.seqParameterSetId), slice: rbspToNal(w.finish()) };
}
