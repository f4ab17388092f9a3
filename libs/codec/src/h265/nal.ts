/**
 * H.265 NAL unit header (§7.3.1.2), two bytes:
 *  forbidden_zero_bit(1) nal_unit_type(6) nuh_layer_id(6) nuh_temporal_id_plus1(3)
 */
export const H265NalType = {
  /** IRAP pictures are types 16..23 (BLA, IDR, CRA). */
  BlaWLp: 16,
  IdrWRadl: 19,
  IdrNLp: 20,
  Cra: 21,
  Vps: 32,
  Sps: 33,
  Pps: 34,
  AccessUnitDelimiter: 35,
  FillerData: 38,
  PrefixSei: 39,
  SuffixSei: 40,
  /** RFC 7798 §4.4 payload structures. */
  AggregationPacket: 48,
  FragmentationUnit: 49,
  Paci: 50,
} as const;

export function h265NalType(nalu: Uint8Array): number {
  return (nalu[0] >> 1) & 0x3f;
}

/** IRAP NAL unit types 16..23 (§7.4.2.2) start a decodable picture. */
export function h265IsKeyframe(nalus: readonly Uint8Array[]): boolean {
  return nalus.some((n) => {
    if (n.byteLength < 2) return false;
    const t = h265NalType(n);
    return t >= 16 && t <= 23;
  });
}
