/**
 * What differs between H.264 (ITU-T H.264 §7.4.1.2, RFC 6184) and H.265 (ITU-T H.265 §7.4.2.2,
 * RFC 7798) for the packetizer: NAL unit types, parameter sets, keyframes, and the matching
 * RTP decoder/encoder. Everything above works on NAL units through this.
 */
import { ByteAllocator, DecodeResult, DepacketizerStats, FramedRtpPackets, H264Decoder, H264Encoder, H265Decoder, H265Encoder, NalAccessUnit, NalDecoderLimits, RtpPacket, Sequencer } from '@streamgate/protocol-rtp';
import { H264NalType, H264SpsError, H265NalType, H265SpsError, h264IsKeyframe, h264LevelName, h264ProfileName, h265IsKeyframe, h265LevelName, h265ProfileName, parseH264Sps, parseH265Sps } from '@streamgate/codec';
import type { ParameterSetKind, ParameterSets, VideoCodecName, VideoConfig, VideoInfo } from './format/format';

export interface NalDepacketizer {
  readonly stats: Readonly<DepacketizerStats>;
  readonly bufferedBytes: number;
  decode(packet: RtpPacket): DecodeResult<NalAccessUnit>;
}

export interface NalPacketizer {
  /** One access unit's packets written once into one buffer, RFC 4571-framed after `headroom` bytes. */
  encodeFramed(nalus: readonly Uint8Array[], timestamp: number, headroom?: number): FramedRtpPackets;
}

export interface VideoCodec {
  readonly name: VideoCodecName;
  /** Parameter sets a decoder needs, in the order they go in front of a keyframe. */
  readonly parameterSets: readonly ParameterSetKind[];
  parameterSetKind(nalu: Uint8Array): ParameterSetKind | undefined;
  /** A NAL unit our encoder can send (not a payload structure type, long enough for its header). */
  isValidNalu(nalu: Uint8Array): boolean;
  /** Slice data (VCL NAL units). */
  isVcl(nalu: Uint8Array): boolean;
  /** Access unit delimiters and filler: we frame access units ourselves, readers do not need them. */
  isDroppable(nalu: Uint8Array): boolean;
  /** IDR (H.264) or IRAP (H.265): decoding can start here. */
  isKeyframe(nalus: readonly Uint8Array[]): boolean;
  /** Profile, level and size from the SPS; undefined when it does not parse. */
  info(sps: Uint8Array): VideoInfo | undefined;
  createDecoder(limits?: NalDecoderLimits): NalDepacketizer;
  createEncoder(options: { sequencer: Sequencer; payloadType: number; maxPayloadSize: number; allocate?: ByteAllocator }): NalPacketizer;
}

/** An SPS that does not parse leaves the info unknown; the stream still flows. */
function spsInfo(errorType: typeof H264SpsError | typeof H265SpsError, parse: () => VideoInfo): VideoInfo | undefined {
  try {
    return parse();
  } catch (err) {
    if (err instanceof errorType) return undefined;
    throw err;
  }
}

const h264Type = (n: Uint8Array): number => n[0] & 0x1f;
const h265Type = (n: Uint8Array): number => (n[0] >> 1) & 0x3f;

export const H264: VideoCodec = {
  name: 'H264',
  parameterSets: ['sps', 'pps'],
  parameterSetKind: (n) => (h264Type(n) === H264NalType.Sps ? 'sps' : h264Type(n) === H264NalType.Pps ? 'pps' : undefined),
  isValidNalu: (n) => n.byteLength >= 1 && h264Type(n) !== 0 && h264Type(n) < H264NalType.StapA,
  isVcl: (n) => h264Type(n) >= H264NalType.NonIdrSlice && h264Type(n) <= H264NalType.IdrSlice,
  isDroppable: (n) => h264Type(n) === H264NalType.AccessUnitDelimiter || h264Type(n) === H264NalType.FillerData,
  isKeyframe: h264IsKeyframe,
  info: (sps) => spsInfo(H264SpsError, () => {
    const p = parseH264Sps(sps);
    return { profile: h264ProfileName(p.profileIdc, p.constraintFlags), level: h264LevelName(p.levelIdc), width: p.width, height: p.height };
  }),
  createDecoder: (limits) => new H264Decoder(limits),
  createEncoder: (o) => new H264Encoder(o),
};

export const H265: VideoCodec = {
  name: 'H265',
  parameterSets: ['vps', 'sps', 'pps'],
  parameterSetKind: (n) => {
    const t = h265Type(n);
    return t === H265NalType.Vps ? 'vps' : t === H265NalType.Sps ? 'sps' : t === H265NalType.Pps ? 'pps' : undefined;
  },
  isValidNalu: (n) => n.byteLength >= 3 && h265Type(n) < H265NalType.AggregationPacket,
  // VCL NAL unit types are 0..31 (§7.4.2.2, Table 7-1).
  isVcl: (n) => h265Type(n) < H265NalType.Vps,
  isDroppable: (n) => h265Type(n) === H265NalType.AccessUnitDelimiter || h265Type(n) === H265NalType.FillerData,
  isKeyframe: h265IsKeyframe,
  info: (sps) => spsInfo(H265SpsError, () => {
    const p = parseH265Sps(sps);
    return { profile: h265ProfileName(p.profileIdc, p.profileCompatibility), level: h265LevelName(p.levelIdc), width: p.width, height: p.height };
  }),
  createDecoder: (limits) => new H265Decoder(limits),
  createEncoder: (o) => new H265Encoder(o),
};

export function videoCodec(name: VideoCodecName): VideoCodec {
  return name === 'H264' ? H264 : H265;
}

/**
 * A complete configuration from parameter sets (copied: inputs are views into bus messages or
 * pooled reads, Buffers among them, whose slice() would be a view: `new Uint8Array(view)` copies).
 */
export function buildVideoConfig(codec: VideoCodec, sets: ParameterSets): VideoConfig | undefined {
  const { vps, sps, pps } = sets;
  if (!sps || !pps || (codec.parameterSets.includes('vps') && !vps)) return undefined;
  const config: VideoConfig = { codec: codec.name, sps: new Uint8Array(sps), pps: new Uint8Array(pps) };
  if (vps && codec.parameterSets.includes('vps')) config.vps = new Uint8Array(vps);
  const info = codec.info(config.sps);
  if (info) config.info = info;
  return config;
}

export function sameVideoConfig(a: VideoConfig | undefined, b: VideoConfig | undefined): boolean {
  if (!a || !b) return a === b;
  return a.codec === b.codec && equalBytes(a.sps, b.sps) && equalBytes(a.pps, b.pps) && equalBytes(a.vps, b.vps);
}

/**
 * The NAL units of an access unit as readers should get them: no delimiters or filler, and
 * parameter sets only before the first slice, each once. Some senders (GStreamer rtph264pay
 * config-interval=-1 with multi-slice pictures) repeat SPS/PPS before every slice, but a
 * parameter set after a slice starts a new access unit (H.264 §7.4.1.2.3, H.265 §7.4.2.4.4),
 * so decoders would split the picture in two.
 */
export function cleanAccessUnit(codec: VideoCodec, nalus: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let sliceSeen = false;
  for (const n of nalus) {
    if (codec.isDroppable(n)) continue;
    if (codec.parameterSetKind(n) && (sliceSeen || out.some((o) => equalBytes(o, n)))) continue;
    sliceSeen ||= codec.isVcl(n);
    out.push(n);
  }
  return out;
}

/**
 * Puts the parameter sets a keyframe lacks in front of it, so any reader can start there: right
 * after the parameter sets it already carries (a PPS after its SPS), else first (SEI such as
 * buffering period refers to the SPS, H.264 §D.2.2).
 */
export function withParameterSets(codec: VideoCodec, nalus: readonly Uint8Array[], config: VideoConfig): Uint8Array[] {
  const present = new Set(nalus.map((n) => codec.parameterSetKind(n)));
  const missing: Uint8Array[] = [];
  for (const kind of codec.parameterSets) {
    const set = config[kind];
    if (!present.has(kind) && set) missing.push(set);
  }
  if (missing.length === 0) return [...nalus];
  let at = 0;
  for (let i = 0; i < nalus.length && !codec.isVcl(nalus[i]); i++) {
    if (codec.parameterSetKind(nalus[i]) || codec.isDroppable(nalus[i])) at = i + 1;
  }
  return [...nalus.slice(0, at), ...missing, ...nalus.slice(at)];
}

export function equalBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (!a || !b) return a === b;
  return a.byteLength === b.byteLength && a.every((x, i) => x === b[i]);
}
