/**
 * AVCDecoderConfigurationRecord, ISO/IEC 14496-15 §5.2.4.1 (the AVC sequence header body):
 *
 *   configurationVersion u8 (= 1) | AVCProfileIndication u8 | profile_compatibility u8 |
 *   AVCLevelIndication u8 | 111111b lengthSizeMinusOne u2 | 111b numOfSequenceParameterSets u5 |
 *   { sequenceParameterSetLength u16 | SPS NAL unit }* | numOfPictureParameterSets u8 |
 *   { pictureParameterSetLength u16 | PPS NAL unit }* | [High profile extensions, ignored]
 */
import { FlvError } from './flv-error';

export interface AvcDecoderConfigurationRecord {
  profile: number;
  profileCompatibility: number;
  level: number;
  /** NALU length prefix size minus one: 0, 1 or 3 (2 is reserved). */
  lengthSizeMinusOne: number;
  /** Views into the input. */
  sps: Uint8Array[];
  pps: Uint8Array[];
}

export function parseAvcDecoderConfigurationRecord(data: Uint8Array): AvcDecoderConfigurationRecord {
  if (data.byteLength < 7) throw new FlvError(`AVCDecoderConfigurationRecord of ${data.byteLength} bytes is too short`);
  if (data[0] !== 1) throw new FlvError(`AVCDecoderConfigurationRecord version ${data[0]}, expected 1`);
  const lengthSizeMinusOne = data[4] & 0x03;
  if (lengthSizeMinusOne === 2) throw new FlvError('NALU length size of 3 bytes is not allowed');
  let o = 6;
  const readSets = (count: number, what: string): Uint8Array[] => {
    const out: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      if (o + 2 > data.byteLength) throw new FlvError(`truncated ${what} length`);
      const len = (data[o] << 8) | data[o + 1];
      o += 2;
      if (len === 0 || o + len > data.byteLength) throw new FlvError(`${what} of ${len} bytes does not fit`);
      out.push(data.subarray(o, o + len));
      o += len;
    }
    return out;
  };
  const sps = readSets(data[5] & 0x1f, 'SPS');
  if (o >= data.byteLength) throw new FlvError('truncated PPS count');
  const ppsCount = data[o++];
  const pps = readSets(ppsCount, 'PPS');
  return { profile: data[1], profileCompatibility: data[2], level: data[3], lengthSizeMinusOne, sps, pps };
}
