/**
 * Decoder configuration records carried in the init segment's sample entries, and the RFC 6381
 * `CODECS` strings HLS playlists announce for them.
 *
 *  avcC  ISO/IEC 14496-15 §5.3.3.1 (AVCDecoderConfigurationRecord)
 *  hvcC  ISO/IEC 14496-15 §8.3.3.1 (HEVCDecoderConfigurationRecord)
 *  esds  ISO/IEC 14496-14 §3.1.2 + 14496-1 §7.2.6.5 (ES_Descriptor with the AudioSpecificConfig)
 */
import { nalToRbsp } from '@streamgate/codec';
import { Box, BodyWriter, BoxWriteError } from './box';

const hex2 = (b: number): string => b.toString(16).padStart(2, '0');

/** NAL units are written with a 4-byte length prefix (lengthSizeMinusOne = 3). */
export const NAL_LENGTH_SIZE = 4;

export interface AvcConfig {
  sps: Uint8Array[];
  pps: Uint8Array[];
}

export function avcCBox(config: AvcConfig): Box {
  const sps = config.sps[0];
  if (!sps || sps.byteLength < 4 || config.pps.length === 0) throw new BoxWriteError('avcC needs an SPS of at least 4 bytes and a PPS');
  const w = new BodyWriter().u8(1).u8(sps[1]).u8(sps[2]).u8(sps[3]).u8(0xfc | (NAL_LENGTH_SIZE - 1)).u8(0xe0 | config.sps.length);
  for (const s of config.sps) w.u16(s.byteLength).raw(s);
  w.u8(config.pps.length);
  for (const p of config.pps) w.u16(p.byteLength).raw(p);
  return { type: 'avcC', body: w.build() };
}

/** `avc1.PPCCLL`: profile_idc, constraint flags and level_idc from the SPS (RFC 6381 §3.3). */
export function avcCodecString(sps: Uint8Array): string {
  if (sps.byteLength < 4) throw new BoxWriteError('SPS too short for a codec string');
  return `avc1.${hex2(sps[1])}${hex2(sps[2])}${hex2(sps[3])}`;
}

/**
 * The 12 bytes of general_profile_tier_level (H.265 §7.3.3): space/tier/idc, 32 compatibility
 * flags, 48 constraint flags, level. They sit byte-aligned right after the SPS's first byte.
 */
function generalProfileTierLevel(sps: Uint8Array): Uint8Array {
  const rbsp = nalToRbsp(sps.subarray(2));
  if (rbsp.byteLength < 13) throw new BoxWriteError('H.265 SPS too short for profile_tier_level');
  return rbsp.subarray(1, 13);
}

export interface HevcConfig {
  vps: Uint8Array[];
  sps: Uint8Array[];
  pps: Uint8Array[];
  chromaFormatIdc: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
}

const HEVC_VPS = 32;
const HEVC_SPS = 33;
const HEVC_PPS = 34;

export function hvcCBox(config: HevcConfig): Box {
  const sps = config.sps[0];
  if (!sps || config.pps.length === 0) throw new BoxWriteError('hvcC needs an SPS and a PPS');
  const ptl = generalProfileTierLevel(sps);
  // sps_max_sub_layers_minus1 (bits 1..3 of the first RBSP byte) + 1 temporal layers.
  const firstByte = nalToRbsp(sps.subarray(2))[0];
  const temporalLayers = ((firstByte >> 1) & 0x07) + 1;
  const temporalIdNested = firstByte & 0x01;
  const w = new BodyWriter().u8(1).raw(ptl)
    .u16(0xf000) // reserved 1111 + min_spatial_segmentation_idc 0
    .u8(0xfc) // reserved 111111 + parallelismType 0 (unknown)
    .u8(0xfc | (config.chromaFormatIdc & 0x03))
    .u8(0xf8 | ((config.bitDepthLuma - 8) & 0x07))
    .u8(0xf8 | ((config.bitDepthChroma - 8) & 0x07))
    .u16(0) // avgFrameRate unknown
    .u8((temporalLayers << 3) | (temporalIdNested << 2) | (NAL_LENGTH_SIZE - 1));
  const arrays: Array<[number, Uint8Array[]]> = [[HEVC_VPS, config.vps], [HEVC_SPS, config.sps], [HEVC_PPS, config.pps]];
  const present = arrays.filter(([, nalus]) => nalus.length > 0);
  w.u8(present.length);
  for (const [type, nalus] of present) {
    // array_completeness 0: parameter sets may also come in band (the `hev1` sample entry).
    w.u8(type & 0x3f).u16(nalus.length);
    for (const n of nalus) w.u16(n.byteLength).raw(n);
  }
  return { type: 'hvcC', body: w.build() };
}

/**
 * `hev1.<space><profile>.<compat reversed>.<tier><level>.<constraints>` (ISO/IEC 14496-15
 * Annex E.3): compatibility flags in reverse bit order as hex, trailing zero constraint bytes
 * omitted.
 */
export function hevcCodecString(sps: Uint8Array, sampleEntry: 'hev1' | 'hvc1' = 'hev1'): string {
  const ptl = generalProfileTierLevel(sps);
  const space = ['', 'A', 'B', 'C'][ptl[0] >> 6];
  const tier = (ptl[0] & 0x20) !== 0 ? 'H' : 'L';
  const profile = ptl[0] & 0x1f;
  const compat = ((ptl[1] << 24) | (ptl[2] << 16) | (ptl[3] << 8) | ptl[4]) >>> 0;
  let reversed = 0;
  for (let i = 0; i < 32; i++) if ((compat >>> i) & 1) reversed |= 1 << (31 - i);
  const constraints = [...ptl.subarray(5, 11)];
  while (constraints.length > 0 && constraints[constraints.length - 1] === 0) constraints.pop();
  const parts = [`${sampleEntry}.${space}${profile}`, (reversed >>> 0).toString(16).toUpperCase(), `${tier}${ptl[11]}`];
  for (const c of constraints) parts.push(c.toString(16).toUpperCase());
  return parts.join('.');
}

/** ISO/IEC 14496-1 §8.3.3 expandable size: 7 bits per byte, high bit = more follows. */
function descriptor(tag: number, body: Uint8Array): Uint8Array {
  const size = body.byteLength;
  if (size >= 1 << 28) throw new BoxWriteError(`descriptor of ${size} bytes`);
  const len = [((size >>> 21) & 0x7f) | 0x80, ((size >>> 14) & 0x7f) | 0x80, ((size >>> 7) & 0x7f) | 0x80, size & 0x7f];
  return new BodyWriter().u8(tag).raw(Uint8Array.from(len)).raw(body).build();
}

const ES_DESCRIPTOR_TAG = 0x03;
const DECODER_CONFIG_TAG = 0x04;
const DECODER_SPECIFIC_INFO_TAG = 0x05;
const SL_CONFIG_TAG = 0x06;
/** objectTypeIndication for MPEG-4 Audio (14496-1 Table 5). */
const OBJECT_TYPE_MPEG4_AUDIO = 0x40;
/** streamType 5 (audio) << 2 | upStream 0 | reserved 1. */
const STREAM_TYPE_AUDIO = (0x05 << 2) | 1;

export function esdsBox(trackId: number, audioSpecificConfig: Uint8Array): Box {
  const decoderConfig = descriptor(DECODER_CONFIG_TAG, new BodyWriter()
    .u8(OBJECT_TYPE_MPEG4_AUDIO).u8(STREAM_TYPE_AUDIO).u24(0).u32(0).u32(0)
    .raw(descriptor(DECODER_SPECIFIC_INFO_TAG, audioSpecificConfig)).build());
  const sl = descriptor(SL_CONFIG_TAG, Uint8Array.of(0x02));
  const es = descriptor(ES_DESCRIPTOR_TAG, new BodyWriter().u16(trackId).u8(0).raw(decoderConfig).raw(sl).build());
  return { type: 'esds', full: { version: 0, flags: 0 }, body: es };
}

/** `mp4a.40.<audioObjectType>` (RFC 6381 §3.3). */
export function aacCodecString(audioObjectType: number): string {
  return `mp4a.40.${audioObjectType}`;
}
