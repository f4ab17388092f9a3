/** H.264 NAL unit header (§7.3.1): forbidden_zero_bit(1) nal_ref_idc(2) nal_unit_type(5). */
export const H264NalType = {
  NonIdrSlice: 1,
  IdrSlice: 5,
  Sei: 6,
  Sps: 7,
  Pps: 8,
  AccessUnitDelimiter: 9,
  EndOfSequence: 10,
  EndOfStream: 11,
  FillerData: 12,
  /** RFC 6184 §5.4 payload structures. */
  StapA: 24,
  StapB: 25,
  Mtap16: 26,
  Mtap24: 27,
  FuA: 28,
  FuB: 29,
} as const;

export function h264NalType(nalu: Uint8Array): number {
  return nalu[0] & 0x1f;
}

/** An access unit is a random access point when it carries an IDR slice. */
export function h264IsKeyframe(nalus: readonly Uint8Array[]): boolean {
  return nalus.some((n) => n.byteLength > 0 && h264NalType(n) === H264NalType.IdrSlice);
}
