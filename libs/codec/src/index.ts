/**
 * Codec bitstreams, independent of any transport: H.264 / H.265 NAL unit types and parameter
 * sets (ITU-T H.264 §7.3, H.265 §7.3), AVC / HEVC decoder configuration records (ISO/IEC
 * 14496-15), MPEG-4 AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1), Annex B / length-prefixed
 * framing and the bit reader they share. Pure: bytes in, typed values out.
 */
export * from './bit-reader';
export * from './bit-writer';
export * from './annexb';
export * from './h264';
export * from './h265';
export * from './mpeg4-audio';
export * from './cabac-encoder';
