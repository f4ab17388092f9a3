/**
 * AudioSpecificConfig, ISO/IEC 14496-3 §1.6.2.1 (the AAC sequence header body):
 *
 *   audioObjectType 5 bits (31 → 32 + 6 more bits, §1.6.2.1.1 GetAudioObjectType)
 *   samplingFrequencyIndex 4 bits (15 → 24-bit explicit samplingFrequency)
 *   channelConfiguration 4 bits
 *   ... (GASpecificConfig and extensions are not needed to packetize: kept as raw bytes)
 */
import { FlvError } from './flv-error';

/** §1.6.3.4 Table 1.18 samplingFrequencyIndex. */
export const AAC_SAMPLING_FREQUENCIES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

export interface AudioSpecificConfig {
  objectType: number;
  /** 15 when the frequency is explicit. */
  samplingFrequencyIndex: number;
  samplingFrequency: number;
  channelConfiguration: number;
}

class BitReader {
  private bit = 0;
  constructor(private readonly data: Uint8Array) {}

  read(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) {
      const byte = this.bit >> 3;
      if (byte >= this.data.byteLength) throw new FlvError('truncated AudioSpecificConfig');
      v = v * 2 + ((this.data[byte] >> (7 - (this.bit & 7))) & 1);
      this.bit++;
    }
    return v;
  }
}

export function parseAudioSpecificConfig(data: Uint8Array): AudioSpecificConfig {
  const r = new BitReader(data);
  let objectType = r.read(5);
  if (objectType === 31) objectType = 32 + r.read(6);
  const samplingFrequencyIndex = r.read(4);
  let samplingFrequency: number;
  if (samplingFrequencyIndex === 15) {
    samplingFrequency = r.read(24);
  } else {
    const f = AAC_SAMPLING_FREQUENCIES[samplingFrequencyIndex];
    if (f === undefined) throw new FlvError(`reserved samplingFrequencyIndex ${samplingFrequencyIndex}`);
    samplingFrequency = f;
  }
  if (samplingFrequency === 0) throw new FlvError('sampling frequency 0');
  const channelConfiguration = r.read(4);
  return { objectType, samplingFrequencyIndex, samplingFrequency, channelConfiguration };
}
