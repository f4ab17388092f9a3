/**
 * AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1), as in the FLV AVC sequence header
 * and the MP4 `avcC` box.
 *
 *  u8 configurationVersion = 1 | u8 AVCProfileIndication | u8 profile_compatibility |
 *  u8 AVCLevelIndication | 6 bits reserved, 2 bits lengthSizeMinusOne |
 *  3 bits reserved, 5 bits numOfSequenceParameterSets | (u16 length, SPS)* |
 *  u8 numOfPictureParameterSets | (u16 length, PPS)* | [high-profile extension, ignored]
 */
import type { NalLengthSize } from '../annexb';
import { AvcConfigError } from './errors';

export interface AvcDecoderConfig {
  profileIndication: number;
  profileCompatibility: number;
  levelIndication: number;
  /** Bytes of the length prefix of each NAL unit in the samples. */
  lengthSize: NalLengthSize;
  /** Views into the input. */
  sps: Uint8Array[];
  pps: Uint8Array[];
}

export function parseAvcDecoderConfig(buf: Uint8Array): AvcDecoderConfig {
  if (buf.byteLength < 7) throw new AvcConfigError(`${buf.byteLength} bytes is too short`);
  if (buf[0] !== 1) throw new AvcConfigError(`configurationVersion ${buf[0]}`);
  const lengthSize = (buf[4] & 0x03) + 1;
  if (lengthSize === 3) throw new AvcConfigError('lengthSizeMinusOne 2 is not allowed');
  let pos = 5;
  const readSets = (count: number, what: string): Uint8Array[] => {
    const sets: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      if (pos + 2 > buf.byteLength) throw new AvcConfigError(`truncated ${what} length`);
      const len = (buf[pos] << 8) | buf[pos + 1];
      pos += 2;
      if (len === 0 || pos + len > buf.byteLength) throw new AvcConfigError(`${what} of ${len} bytes overruns the record`);
      sets.push(buf.subarray(pos, pos + len));
      pos += len;
    }
    return sets;
  };
  const sps = readSets(buf[pos++] & 0x1f, 'SPS');
  if (pos >= buf.byteLength) throw new AvcConfigError('missing numOfPictureParameterSets');
  const pps = readSets(buf[pos++], 'PPS');
  if (sps.length === 0 || pps.length === 0) throw new AvcConfigError(`${sps.length} SPS and ${pps.length} PPS`);
  return {
    profileIndication: buf[1],
    profileCompatibility: buf[2],
    levelIndication: buf[3],
    lengthSize: lengthSize as NalLengthSize,
    sps,
    pps,
  };
}
